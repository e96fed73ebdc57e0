// Tracing off registers nothing (the api's no-op tracer answers); on, spans nest and their
// context travels in event metadata and message headers.
import { context, propagation, trace } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { isRight } from 'fp-ts/Either';
import { fromBusMessage, toBusMessage } from '../relay/envelope';
import type { RecordedEvent } from '../event-store/port';
import { carrierOf, contextOf, inSpan, SpanKind, traceMetadata, tracingOn } from './spans';
import { startTracing, type Tracing } from './tracing';

const recorded = (metadata: Record<string, unknown>): RecordedEvent => ({
  streamId: 'session-acme-s1',
  revision: 0n,
  position: { commit: 1n, prepare: 1n },
  eventId: '6f1c1c9e-8a57-4a8e-9d38-0d8d7f0f6d11',
  type: 'MessagePosted',
  data: { sessionId: 's1' },
  metadata,
  recordedAt: new Date('2026-01-01T00:00:00Z'),
});

describe('tracing off', () => {
  it('registers no provider: the api hands out non-recording spans and the helpers do nothing', async () => {
    expect(tracingOn()).toBe(false);
    const span = trace.getTracer('any').startSpan('nothing');
    expect(span.isRecording()).toBe(false);
    expect(trace.isSpanContextValid(span.spanContext())).toBe(false);
    span.end();
    let attributesMade = false;
    const answer = await inSpan(
      'work',
      {
        kind: SpanKind.INTERNAL,
        attributes: () => {
          attributesMade = true;
          return {};
        },
      },
      async () => trace.getActiveSpan(),
    );
    expect(answer).toBeUndefined();
    expect(attributesMade).toBe(false);
    expect(carrierOf()).toBeUndefined();
    expect(traceMetadata()).toEqual({});
    expect(contextOf({ traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' })).toBeUndefined();
    expect(propagation.fields()).toEqual([]);
  });
});

describe('tracing on (in-memory exporter)', () => {
  const exporter = new InMemorySpanExporter();
  let tracing: Tracing;

  beforeAll(async () => {
    tracing = await startTracing({ serviceName: 'cschat-test', to: { exporter } });
  });
  afterAll(async () => {
    await tracing.stop();
    // Stopped, everything is unregistered again.
    expect(tracingOn()).toBe(false);
    expect(trace.getTracer('any').startSpan('after').isRecording()).toBe(false);
  });

  it('refuses a second start while one runs', async () => {
    await expect(startTracing({ serviceName: 'again', to: { exporter } })).rejects.toThrow(/already started/);
  });

  it('nests spans and carries their W3C context through event metadata and message headers', async () => {
    exporter.reset();
    let metadata: Record<string, unknown> = {};
    await inSpan('outer', { kind: SpanKind.SERVER }, async () => {
      await inSpan('inner', { kind: SpanKind.INTERNAL }, async () => {
        metadata = { correlationId: 'c-1', ...traceMetadata() };
      });
    });
    const [inner, outer] = exporter.getFinishedSpans();
    expect(outer!.name).toBe('outer');
    expect(inner!.parentSpanContext?.spanId).toBe(outer!.spanContext().spanId);
    expect(inner!.resource.attributes['service.name']).toBe('cschat-test');
    const carried = metadata['trace'] as { traceparent: string };
    expect(carried.traceparent).toBe(`00-${inner!.spanContext().traceId}-${inner!.spanContext().spanId}-01`);

    // On the bus: in the headers, and in the envelope, which still decodes.
    const message = toBusMessage(recorded(metadata));
    expect(message.headers).toMatchObject({ 'event-type': 'MessagePosted', traceparent: carried.traceparent });
    const back = fromBusMessage(message.value);
    expect(isRight(back) && back.right.metadata).toEqual(metadata);

    // A consumer continues from it.
    const remote = contextOf(message.headers)!;
    await context.with(remote, () =>
      inSpan('consumer', { kind: SpanKind.CONSUMER }, async () => {
        expect(trace.getActiveSpan()!.spanContext().traceId).toBe(inner!.spanContext().traceId);
      }),
    );
    const consumer = exporter.getFinishedSpans().find((s) => s.name === 'consumer')!;
    expect(consumer.parentSpanContext?.spanId).toBe(inner!.spanContext().spanId);
  });

  it('records a failure by its class, never its message', async () => {
    exporter.reset();
    await expect(
      inSpan('failing', { kind: SpanKind.INTERNAL }, async () => {
        throw new TypeError('the visitor wrote: my address is 1 Main St');
      }),
    ).rejects.toThrow(TypeError);
    const [span] = exporter.getFinishedSpans();
    expect(span!.attributes['error.type']).toBe('TypeError');
    expect(JSON.stringify({ status: span!.status, attributes: span!.attributes, events: span!.events })).not.toMatch(
      /Main St/,
    );
  });
});

describe('the event envelope', () => {
  it('decodes events written without a trace context, and leaves out a malformed one from the headers', () => {
    const old = toBusMessage(recorded({ correlationId: 'c-1' }));
    expect(Object.keys(old.headers!)).toEqual(['event-type']);
    expect(isRight(fromBusMessage(old.value))).toBe(true);
    const malformed = toBusMessage(recorded({ trace: { traceparent: 42 } }));
    expect(Object.keys(malformed.headers!)).toEqual(['event-type']);
    // A malformed one in an envelope is refused like any other bad field.
    expect(isRight(fromBusMessage(malformed.value))).toBe(false);
  });
});
