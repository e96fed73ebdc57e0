// The bus with trace context in its message headers: a publish gets a producer span per trace it
// continues (the trace a message's headers already name, as the relay's events carry their
// command's, or else the active one) and its messages carry that span's `traceparent`; a consumer
// continues each message's trace in a consumer span. Messages outside any trace pass as they are.
// Off (no tracer provider), the wrapper hands every call straight on.
import { context, ROOT_CONTEXT, type Context, type Link, type Span } from '@opentelemetry/api';
import type { Bus, BusMessage, ConsumeOptions, DeliveredMessage } from '../bus/port';
import { ATTR, carrierOf, contextOf, endSpans, inSpan, linkTo, SpanKind, startSpan, tracingOn } from './spans';

/** `messaging.system`: Kafka's own name; the in-process bus (embedded mode) is the service's. */
export type MessagingSystem = 'kafka' | 'cschat.in_process';

export const tracedBus = (inner: Bus, system: MessagingSystem): Bus => ({
  start: () => inner.start(),
  stop: () => inner.stop(),
  publish: (topic, messages) =>
    tracingOn() ? publishTraced(inner, system, topic, messages) : inner.publish(topic, messages),
  consume: (options) => inner.consume(tracingOn() ? consumeTraced(system, options) : options),
  ...(inner.drained === undefined ? {} : { drained: (topic: string) => inner.drained!(topic) }),
});

const publishTraced = async (
  inner: Bus,
  system: MessagingSystem,
  topic: string,
  messages: readonly BusMessage[],
): Promise<void> => {
  // One producer span per trace: the events of one command share theirs.
  const active = context.active();
  const activeParent = carrierOf(active)?.traceparent;
  const traces = new Map<string, { parent: Context; indexes: number[] }>();
  messages.forEach((message, index) => {
    const own = message.headers?.['traceparent'];
    const key = own ?? activeParent;
    if (key === undefined) return;
    let group = traces.get(key);
    if (group === undefined) {
      const parent = own === undefined ? active : contextOf(message.headers);
      if (parent === undefined) return;
      group = { parent, indexes: [] };
      traces.set(key, group);
    }
    group.indexes.push(index);
  });
  if (traces.size === 0) return inner.publish(topic, messages);
  const traced = [...messages];
  const spans: Span[] = [];
  for (const { parent, indexes } of traces.values()) {
    const { span, context: sent } = startSpan(`send ${topic}`, {
      kind: SpanKind.PRODUCER,
      parent,
      attributes: () => ({
        [ATTR.messagingSystem]: system,
        [ATTR.destinationName]: topic,
        [ATTR.operationType]: 'send',
        [ATTR.operationName]: 'send',
        ...(indexes.length > 1 ? { [ATTR.batchCount]: indexes.length } : {}),
      }),
    });
    spans.push(span);
    const carrier = carrierOf(sent);
    for (const index of indexes) {
      const message = messages[index]!;
      const { traceparent: _parent, tracestate: _state, ...headers } = message.headers ?? {};
      traced[index] = { ...message, headers: { ...headers, ...carrier } };
    }
  }
  try {
    await inner.publish(topic, traced);
  } catch (error) {
    endSpans(spans, error);
    throw error;
  }
  endSpans(spans);
};

const consumerAttributes = (system: MessagingSystem, groupId: string, first: DeliveredMessage, count: number) => ({
  [ATTR.messagingSystem]: system,
  [ATTR.destinationName]: first.topic,
  [ATTR.operationType]: 'process',
  [ATTR.operationName]: 'process',
  [ATTR.consumerGroup]: groupId,
  [ATTR.partitionId]: String(first.partition),
  ...(count === 1 ? { [ATTR.kafkaOffset]: Number(first.offset) } : { [ATTR.batchCount]: count }),
});

const consumeTraced = (system: MessagingSystem, options: ConsumeOptions): ConsumeOptions => {
  if (options.handleBatch === undefined) {
    const { handle } = options;
    return {
      ...options,
      handle: (message) => {
        const parent = contextOf(message.headers);
        if (parent === undefined) return handle(message);
        return inSpan(
          `process ${message.topic}`,
          {
            kind: SpanKind.CONSUMER,
            parent,
            attributes: () => consumerAttributes(system, options.groupId, message, 1),
          },
          () => handle(message),
        );
      },
    };
  }
  const { handleBatch } = options;
  return {
    ...options,
    handleBatch: async (messages) => {
      // A consumer span in each trace the batch continues, as a child of that trace's producer.
      const traces = new Map<string, { parent: Context; messages: DeliveredMessage[] }>();
      for (const message of messages) {
        const key = message.headers?.['traceparent'];
        if (key === undefined) continue;
        let group = traces.get(key);
        if (group === undefined) {
          const parent = contextOf(message.headers);
          if (parent === undefined) continue;
          group = { parent, messages: [] };
          traces.set(key, group);
        }
        group.messages.push(message);
      }
      if (traces.size === 0) return handleBatch(messages);
      const started = [...traces.values()].map(({ parent, messages: own }) =>
        startSpan(`process ${own[0]!.topic}`, {
          kind: SpanKind.CONSUMER,
          parent,
          attributes: () => consumerAttributes(system, options.groupId, own[0]!, own.length),
        }),
      );
      // Several traces: the batch's work runs in a span of its own, linked to each message's producer.
      const batch =
        started.length === 1
          ? undefined
          : startSpan(`process ${messages[0]!.topic}`, {
              kind: SpanKind.CONSUMER,
              parent: ROOT_CONTEXT,
              links: [...traces.values()]
                .map(({ parent }) => linkTo(parent))
                .filter((link): link is Link => link !== undefined),
              attributes: () => consumerAttributes(system, options.groupId, messages[0]!, messages.length),
            });
      const spans = [...started.map(({ span }) => span), ...(batch === undefined ? [] : [batch.span])];
      try {
        await context.with(batch?.context ?? started[0]!.context, () => handleBatch(messages));
      } catch (error) {
        endSpans(spans, error);
        throw error;
      }
      endSpans(spans);
    },
  };
};
