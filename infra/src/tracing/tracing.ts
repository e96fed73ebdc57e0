// Starts OpenTelemetry's tracing SDK for the process (the composition root calls it when
// OTEL_EXPORTER_OTLP_ENDPOINT is set; tests hand it an exporter of theirs). Without it nothing is
// registered: @opentelemetry/api answers with its no-op tracer, and the SDK is not even loaded
// (it is imported here on demand).
import { context, propagation, trace } from '@opentelemetry/api';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { silentLogger, type Logger } from '../logging';
import { markTracing, tracingOn } from './spans';

export interface StartTracingOptions {
  /** `service.name` of every span (OTEL_SERVICE_NAME, or `cschat-<roles>`). */
  readonly serviceName: string;
  /**
   * Where spans go: an OTLP/HTTP collector (its base URL; spans are sent in batches to
   * `<url>/v1/traces`), or an exporter of the caller's (tests: in memory), given each span at once.
   */
  readonly to: { readonly otlpEndpoint: string } | { readonly exporter: SpanExporter };
  readonly logger?: Logger;
}

export interface Tracing {
  /** Sends what is still buffered, then unregisters everything (idempotent). */
  stop(): Promise<void>;
}

/**
 * Registers a tracer provider, the W3C trace-context propagator and an async-local context manager
 * for the whole process. One at a time: while one is running, another start is refused.
 */
export const startTracing = async (options: StartTracingOptions): Promise<Tracing> => {
  if (tracingOn()) throw new Error('tracing is already started in this process');
  const logger = options.logger ?? silentLogger();
  const [{ NodeTracerProvider }, { BatchSpanProcessor, SimpleSpanProcessor }, { W3CTraceContextPropagator }] =
    await Promise.all([
      import('@opentelemetry/sdk-trace-node'),
      import('@opentelemetry/sdk-trace-base'),
      import('@opentelemetry/core'),
    ]);
  const [{ resourceFromAttributes }, { ATTR_SERVICE_NAME }] = await Promise.all([
    import('@opentelemetry/resources'),
    import('@opentelemetry/semantic-conventions'),
  ]);
  let processor;
  if ('exporter' in options.to) {
    processor = new SimpleSpanProcessor(options.to.exporter);
  } else {
    const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
    const url = `${options.to.otlpEndpoint.replace(/\/+$/, '')}/v1/traces`;
    processor = new BatchSpanProcessor(new OTLPTraceExporter({ url }));
    logger.info({ url, serviceName: options.serviceName }, 'tracing: spans exported over OTLP/HTTP');
  }
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: options.serviceName }),
    spanProcessors: [processor],
  });
  provider.register({ propagator: new W3CTraceContextPropagator() });
  markTracing(true);
  let stopping: Promise<void> | undefined;
  return {
    stop: () => {
      stopping ??= (async () => {
        markTracing(false);
        try {
          await provider.shutdown();
        } catch (error) {
          logger.warn({ err: error }, 'tracing: spans not flushed at stop');
        }
        trace.disable();
        context.disable();
        propagation.disable();
      })();
      return stopping;
    },
  };
};
