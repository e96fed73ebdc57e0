// The worker role's one consumer of the events: each event, decoded once, goes to the workflows,
// the routing triggers and the timeout schedule, in that order, and is committed on the bus only
// after all of them succeeded (a failure retries the same event: each of them is idempotent).
import { isLeft } from 'fp-ts/Either';
import type { DomainEvent } from '@cschat/domain';
import type { Bus, Consumer } from '../bus/port';
import type { RecordedEvent } from '../event-store/port';
import { decodeDomainEvent } from '../events';
import type { Logger } from '../logging';
import { EVENTS_TOPIC, fromBusMessage } from '../relay/envelope';

export interface Reaction {
  react(event: DomainEvent, recorded: RecordedEvent): Promise<void>;
}

/**
 * The consumer group of the first edition's routing reactor, which this replaces: a deployment
 * that upgrades goes on from its committed offsets instead of reading the whole topic again.
 */
export const WORKER_EVENTS_GROUP = 'routing-reactor';

export interface EventReactorOptions {
  /** Where the events come from; tests without one call `react` on the log themselves. */
  readonly bus?: Bus;
  readonly reactions: readonly Reaction[];
  readonly logger: Logger;
  /** Called after an event was handled by every reaction (this process's followups). */
  readonly onHandled?: (event: DomainEvent) => void;
  /** How long stop() lets the event in hand finish before abandoning it uncommitted (default the bus's). */
  readonly stopGraceMs?: number;
}

export class EventReactor {
  private consumer: Consumer | undefined;

  constructor(private readonly options: EventReactorOptions) {}

  async start(): Promise<void> {
    const { bus, logger } = this.options;
    if (bus === undefined) throw new Error('the event reactor has no bus to consume');
    this.consumer ??= await bus.consume({
      topic: EVENTS_TOPIC,
      groupId: WORKER_EVENTS_GROUP,
      ...(this.options.stopGraceMs === undefined ? {} : { stopGraceMs: this.options.stopGraceMs }),
      handle: async (message) => {
        const recorded = fromBusMessage(message.value);
        if (isLeft(recorded)) {
          logger.warn({ offset: message.offset.toString(), reason: recorded.left }, 'worker: not an event, skipped');
          return;
        }
        await this.react(recorded.right);
      },
    });
  }

  async stop(): Promise<void> {
    await this.consumer?.stop();
    this.consumer = undefined;
  }

  /** One event through every reaction (the consumer's work; tests call it on the log directly). */
  async react(recorded: RecordedEvent): Promise<void> {
    const decoded = decodeDomainEvent(recorded);
    if (decoded === undefined) return;
    if (isLeft(decoded)) {
      this.options.logger.warn({ streamId: recorded.streamId, reason: decoded.left }, 'worker: undecodable event');
      return;
    }
    for (const reaction of this.options.reactions) await reaction.react(decoded.right, recorded);
    this.options.onHandled?.(decoded.right);
  }
}
