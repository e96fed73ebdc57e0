// Spans on the paths a visitor's message takes, and the W3C trace context that carries a trace
// from one process to the next (event metadata, bus message headers). Only @opentelemetry/api is
// loaded here: while tracing is off (no OTEL_EXPORTER_OTLP_ENDPOINT) every helper returns at its
// first check, before a span, an attribute or a closure of its own is made.
//
// Spans hold ids, types and counts only: never a message's text, a name or any other personal
// field (they are encrypted in the store, and a tracing backend is no place to leak them).
import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Link,
  type Span,
} from '@opentelemetry/api';
import * as t from 'io-ts';

export { SpanKind, type Attributes, type Context } from '@opentelemetry/api';

/** The W3C trace context of the span an event or a message was written in (`traceparent`, `tracestate`). */
export const TraceCarrier = t.intersection([t.type({ traceparent: t.string }), t.partial({ tracestate: t.string })]);
export type TraceCarrier = t.TypeOf<typeof TraceCarrier>;

/** The instrumentation scope of every span of the service. */
export const TRACER_NAME = 'cschat';

let on = false;

/** Whether a tracer provider of this process records spans: the cheap check of every hot path. */
export const tracingOn = (): boolean => on;

/** Set by startTracing / its stop only. */
export const markTracing = (value: boolean): void => {
  on = value;
};

/**
 * Semantic-convention names (https://opentelemetry.io/docs/specs/semconv/messaging/), written out
 * because the package's entry point for them (`incubating`) is 800 kB loaded in every process.
 */
export const ATTR = {
  errorType: 'error.type',
  messagingSystem: 'messaging.system',
  destinationName: 'messaging.destination.name',
  operationType: 'messaging.operation.type',
  operationName: 'messaging.operation.name',
  consumerGroup: 'messaging.consumer.group.name',
  partitionId: 'messaging.destination.partition.id',
  kafkaOffset: 'messaging.kafka.offset',
  batchCount: 'messaging.batch.message_count',
  // The service's own, under its prefix: ids and kinds only.
  frameType: 'cschat.frame.type',
  principalKind: 'cschat.principal.kind',
  companyId: 'cschat.company.id',
  commandType: 'cschat.command.type',
  streamId: 'cschat.stream.id',
  eventCount: 'cschat.event.count',
  eventTypes: 'cschat.event.types',
} as const;

const tracer = () => trace.getTracer(TRACER_NAME);

/**
 * Marks the span failed with the error's class (and code), never its message: a driver's message
 * may quote the values of a row.
 */
const failed = (span: Span, error: unknown): void => {
  const code = (error as { code?: unknown }).code;
  const type = `${(error as Error | undefined)?.name ?? 'Error'}${typeof code === 'string' ? `:${code}` : ''}`;
  span.setAttribute(ATTR.errorType, type);
  span.setStatus({ code: SpanStatusCode.ERROR, message: type });
};

export interface SpanOptions {
  readonly kind: SpanKind;
  /** Made only when tracing is on. */
  readonly attributes?: () => Attributes;
  /** Default: the active context. */
  readonly parent?: Context;
  readonly links?: readonly Link[];
}

/** Runs `work` in a new span (a child of `parent` or of the active span); without tracing, just runs it. */
export const inSpan = async <T>(name: string, options: SpanOptions, work: () => Promise<T>): Promise<T> => {
  if (!on) return work();
  const { span, context: inside } = startSpan(name, options);
  try {
    return await context.with(inside, work);
  } catch (error) {
    failed(span, error);
    throw error;
  } finally {
    span.end();
  }
};

/** A span that ends at once (a frame written to a socket), only inside a trace: no trace starts here. */
export const markSpan = (name: string, kind: SpanKind, attributes: () => Attributes): void => {
  if (!on || trace.getSpan(context.active()) === undefined) return;
  tracer().startSpan(name, { kind, attributes: attributes() }).end();
};

/** Starts a span the caller ends (several that end together: a batch's producer spans). */
export const startSpan = (name: string, options: SpanOptions): { span: Span; context: Context } => {
  const parent = options.parent ?? context.active();
  const span = tracer().startSpan(
    name,
    {
      kind: options.kind,
      ...(options.attributes === undefined ? {} : { attributes: options.attributes() }),
      ...(options.links === undefined ? {} : { links: [...options.links] }),
    },
    parent,
  );
  return { span, context: trace.setSpan(parent, span) };
};

/** Ends spans started with startSpan, failed when `error` is given. */
export const endSpans = (spans: readonly Span[], error?: unknown): void => {
  for (const span of spans) {
    if (error !== undefined) failed(span, error);
    span.end();
  }
};

/** The W3C trace context of `of` (default: the active context), or undefined outside a trace. */
export const carrierOf = (of?: Context): TraceCarrier | undefined => {
  if (!on) return undefined;
  const from = of ?? context.active();
  if (trace.getSpanContext(from) === undefined) return undefined;
  const carrier: Record<string, string> = {};
  propagation.inject(from, carrier);
  const { traceparent, tracestate } = carrier;
  if (traceparent === undefined) return undefined;
  return tracestate === undefined ? { traceparent } : { traceparent, tracestate };
};

/** `{ trace }` of the active context for an event's metadata; `{}` outside a trace or without tracing. */
export const traceMetadata = (): { readonly trace?: TraceCarrier } => {
  const trace = carrierOf();
  return trace === undefined ? {} : { trace };
};

/** The remote context a carrier (event metadata, message headers) names, or undefined if none is valid. */
export const contextOf = (carrier: Readonly<Record<string, unknown>> | undefined): Context | undefined => {
  if (!on || carrier === undefined || typeof carrier['traceparent'] !== 'string') return undefined;
  const extracted = propagation.extract(ROOT_CONTEXT, carrier, {
    keys: (c) => Object.keys(c),
    get: (c, key) => {
      const value = c[key];
      return typeof value === 'string' ? value : undefined;
    },
  });
  return trace.getSpanContext(extracted) === undefined ? undefined : extracted;
};

/** A link to the span a context names (a batch's span to each message's producer). */
export const linkTo = (of: Context): Link | undefined => {
  const spanContext = trace.getSpanContext(of);
  return spanContext === undefined ? undefined : { context: spanContext };
};
