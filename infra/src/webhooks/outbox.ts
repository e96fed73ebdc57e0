// The outbox's feeder: a consumer group of its own on the events topic (embedded in-process bus or
// Kafka) that turns the events integrations subscribe to into outbox rows, one per event and
// subscribed endpoint, in one transaction per bus batch. The bus commits the batch only after that
// transaction; a batch delivered again finds its rows already there (their ids are derived from the
// event and the endpoint) and adds nothing.
import { isLeft } from 'fp-ts/Either';
import type { DomainEvent } from '@cschat/domain';
import type { Bus, Consumer } from '../bus/port';
import type { RecordedEvent } from '../event-store/port';
import { decodeDomainEvent } from '../events';
import type { Logger } from '../logging';
import { EVENTS_TOPIC, fromBusMessage } from '../relay/envelope';
import type { OutboxEvent, WebhookStore } from './store';

export const WEBHOOK_OUTBOX_GROUP = 'webhook-outbox';

const defined = (facts: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(facts).filter(([, value]) => value !== undefined));

/** The outbox event of a domain event, or undefined for an event no endpoint can subscribe to. */
export const outboxEventOf = (event: DomainEvent, eventId: string): OutboxEvent | undefined => {
  const common = { eventId, companyId: event.companyId, createdAt: event.at };
  switch (event.type) {
    case 'MessagePosted': {
      // What people and the bot said; not the system's own lines (private notes are another event).
      if (event.from.role === 'system') return undefined;
      return {
        ...common,
        kind: 'message.created',
        sessionId: event.sessionId,
        data: defined({
          sessionId: event.sessionId,
          messageId: event.messageId,
          from: event.from,
          text: event.text,
          attachments: event.attachments?.map((a) =>
            defined({ kind: a.kind, name: a.name, contentType: a.contentType ?? a.mimeType, size: a.size }),
          ),
          visitorId: event.visitorId,
          agentId: event.agentId,
          channel: event.channel,
        }),
      };
    }
    case 'SessionEnded':
      return {
        ...common,
        kind: 'session.ended',
        sessionId: event.sessionId,
        data: defined({
          sessionId: event.sessionId,
          reason: event.reason,
          visitorId: event.visitorId,
          agentId: event.agentId,
          groupId: event.groupId,
        }),
      };
    case 'CsatSubmitted':
      return {
        ...common,
        kind: 'csat.submitted',
        sessionId: event.sessionId,
        data: defined({
          sessionId: event.sessionId,
          visitorId: event.visitorId,
          rating: event.rating,
          comment: event.comment,
          agentId: event.agentId,
          groupId: event.groupId,
        }),
      };
    case 'SlaBreached':
      return {
        ...common,
        kind: 'sla.breached',
        sessionId: event.sessionId,
        data: defined({
          sessionId: event.sessionId,
          groupId: event.groupId,
          target: event.target,
          targetSeconds: event.targetSeconds,
          agentId: event.agentId,
        }),
      };
    default:
      return undefined;
  }
};

export interface WebhookOutboxOptions {
  readonly bus: Bus;
  readonly store: WebhookStore;
  readonly logger: Logger;
  readonly topic?: string;
  readonly groupId?: string;
  /** Called after rows were added (the worker wakes at once). */
  readonly onEnqueued?: (count: number) => void;
  readonly now?: () => Date;
}

export class WebhookOutbox {
  private consumer: Consumer | undefined;

  constructor(private readonly options: WebhookOutboxOptions) {}

  async start(): Promise<void> {
    this.consumer ??= await this.options.bus.consume({
      topic: this.options.topic ?? EVENTS_TOPIC,
      groupId: this.options.groupId ?? WEBHOOK_OUTBOX_GROUP,
      handleBatch: async (messages) => {
        const recorded: RecordedEvent[] = [];
        for (const message of messages) {
          const envelope = fromBusMessage(message.value);
          if (isLeft(envelope))
            this.options.logger.warn(
              { offset: message.offset.toString(), reason: envelope.left },
              'webhook outbox: not an event, skipped',
            );
          else recorded.push(envelope.right);
        }
        await this.take(recorded);
      },
    });
  }

  async stop(): Promise<void> {
    await this.consumer?.stop();
    this.consumer = undefined;
  }

  /** The outbox rows of these events, in one transaction; how many were new. */
  async take(recorded: readonly RecordedEvent[]): Promise<number> {
    const events: OutboxEvent[] = [];
    for (const one of recorded) {
      const decoded = decodeDomainEvent(one);
      if (decoded === undefined) continue;
      if (isLeft(decoded)) {
        this.options.logger.warn({ streamId: one.streamId, reason: decoded.left }, 'webhook outbox: undecodable event');
        continue;
      }
      const event = outboxEventOf(decoded.right, one.eventId);
      if (event !== undefined) events.push(event);
    }
    if (events.length === 0) return 0;
    const added = await this.options.store.enqueue(events, (this.options.now ?? (() => new Date()))());
    if (added > 0) this.options.onEnqueued?.(added);
    return added;
  }
}
