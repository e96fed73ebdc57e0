// Trace context through a real Kafka broker: the producer span's `traceparent` rides in the
// message headers, and the consumer's span (single messages and batches) is its child.
import { trace } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { describeWithServer } from '../../../test-support/servers';
import { waitFor } from '../../../test-support/wait';
import { KafkaBus } from '../bus/kafka';
import type { Bus, Consumer, DeliveredMessage } from '../bus/port';
import { tracedBus } from './bus';
import { inSpan, SpanKind } from './spans';
import { startTracing, type Tracing } from './tracing';

describeWithServer('kafka', 'trace context in Kafka headers', (brokers) => {
  jest.setTimeout(90_000);
  const exporter = new InMemorySpanExporter();
  let tracing: Tracing;
  let kafka: KafkaBus;
  let bus: Bus;
  const consumers: Consumer[] = [];

  beforeAll(async () => {
    tracing = await startTracing({ serviceName: 'cschat-kafka-test', to: { exporter } });
    // A namespace per run: topics and groups of earlier runs on the shared broker stay apart.
    kafka = new KafkaBus({
      brokers: brokers.split(','),
      clientId: 'tracing-test',
      partitions: 1,
      namespace: `trace${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}.`,
    });
    bus = tracedBus(kafka, 'kafka');
    await bus.start();
  });

  afterAll(async () => {
    await Promise.all(consumers.map((c) => c.stop()));
    await bus.stop();
    await tracing.stop();
  });

  it('carries traceparent from the producer span to a consumer span, its child', async () => {
    const received: { message: DeliveredMessage; traceId: string | undefined }[] = [];
    consumers.push(
      await bus.consume({
        topic: 'one',
        groupId: 'one-by-one',
        handle: async (message) => {
          received.push({ message, traceId: trace.getActiveSpan()?.spanContext().traceId });
        },
      }),
    );
    let traceId = '';
    await inSpan('origin', { kind: SpanKind.INTERNAL }, async () => {
      traceId = trace.getActiveSpan()!.spanContext().traceId;
      await bus.publish('one', [{ key: 'session-acme-1', value: '{}', headers: { 'event-type': 'X' } }]);
    });
    await waitFor('the message', async () => (received.length > 0 ? true : undefined));
    const [{ message, traceId: consumedIn }] = received as [(typeof received)[number]];
    const spans = exporter.getFinishedSpans();
    const send = spans.find((s) => s.name === 'send one')!;
    expect(send.kind).toBe(SpanKind.PRODUCER);
    expect(send.attributes).toMatchObject({ 'messaging.system': 'kafka', 'messaging.destination.name': 'one' });
    // Through the broker: the header names the producer span; the other headers are kept.
    expect(message.headers).toMatchObject({
      'event-type': 'X',
      traceparent: `00-${traceId}-${send.spanContext().spanId}-01`,
    });
    expect(consumedIn).toBe(traceId);
    await waitFor('the consumer span', async () =>
      exporter.getFinishedSpans().some((s) => s.name === 'process one') ? true : undefined,
    );
    const process = exporter.getFinishedSpans().find((s) => s.name === 'process one')!;
    expect(process.kind).toBe(SpanKind.CONSUMER);
    expect(process.parentSpanContext?.spanId).toBe(send.spanContext().spanId);
    expect(process.attributes).toMatchObject({
      'messaging.system': 'kafka',
      'messaging.consumer.group.name': 'one-by-one',
      'messaging.destination.partition.id': '0',
    });
  });

  it('gives a batch of several traces a consumer span in each, and a batch span linked to their producers', async () => {
    exporter.reset();
    const ids: string[] = [];
    for (const key of ['a', 'b']) {
      await inSpan(`origin ${key}`, { kind: SpanKind.INTERNAL }, async () => {
        ids.push(trace.getActiveSpan()!.spanContext().traceId);
        await bus.publish('many', [{ key, value: '{}' }]);
      });
    }
    // Published before the consumer joins, so that one fetch returns both.
    let batches = 0;
    consumers.push(
      await bus.consume({
        topic: 'many',
        groupId: 'batches',
        maxBatch: 10,
        handleBatch: async (messages) => {
          batches += 1;
          expect(messages.every((m) => m.headers?.['traceparent'] !== undefined)).toBe(true);
        },
      }),
    );
    await waitFor('both consumed', async () =>
      exporter.getFinishedSpans().filter((s) => s.name === 'process many').length >= 2 ? true : undefined,
    );
    const spans = exporter.getFinishedSpans();
    const sends = spans.filter((s) => s.name === 'send many');
    const processes = spans.filter((s) => s.name === 'process many' && s.parentSpanContext !== undefined);
    // Each trace goes on to its consumer span, a child of its producer span.
    for (const traceId of ids) {
      const send = sends.find((s) => s.spanContext().traceId === traceId)!;
      expect(processes.find((s) => s.spanContext().traceId === traceId)?.parentSpanContext?.spanId).toBe(
        send.spanContext().spanId,
      );
    }
    // Both came in one batch (one partition, both there before the first fetch): its span starts a
    // trace of its own, linked to both producers.
    expect(batches).toBe(1);
    const batch = spans.find((s) => s.name === 'process many' && s.parentSpanContext === undefined)!;
    expect(batch.links.map((l) => l.context.spanId).sort()).toEqual(sends.map((s) => s.spanContext().spanId).sort());
    expect(batch.attributes['messaging.batch.message_count']).toBe(2);
  });
});
