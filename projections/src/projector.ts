// The live projector: consumes the events topic in batches, in one consumer group for all its read
// models, and applies each batch to their active generations in one transaction that also records
// the streams' revisions, so that a redelivered event changes nothing. An event it cannot read is
// parked, not retried, and the batch goes on.
import { isLeft } from 'fp-ts/Either';
import type { Knex } from 'knex';
import {
  EVENTS_TOPIC,
  fromBusMessage,
  type Bus,
  type Consumer,
  type DeliveredMessage,
  type Logger,
  type RecordedEvent,
} from '@cschat/infra';
import { applyBatch, concerns, decodeBatch, type Poison } from './batch';
import { activeGenerations } from './generations';
import { coalesceListChanges, type ListChanged, type Projection } from './projection';

/** The consumer group of the projector of every read model. */
export const PROJECTOR_GROUP = 'projector';

export interface ProjectorOptions {
  readonly db: Knex;
  readonly schema: string;
  readonly projections: readonly Projection[];
  readonly bus: Bus;
  readonly logger: Logger;
  readonly topic?: string;
  /** Consumer group; default `projector`. */
  readonly groupId?: string;
  /** Events per transaction at most (default 500). */
  readonly maxBatch?: number;
  /** Called after a batch that changed agents' session lists committed, once per agent or session. */
  readonly onListChanged?: (changes: readonly ListChanged[]) => Promise<void>;
  /** Called after each batch, per read model, with the time of its newest event (metrics: its lag). */
  readonly onHandled?: (projection: string, recordedAt: Date) => void;
  /** Called for each parked event, per read model (metrics). */
  readonly onParked?: (projection: string, reason: string) => void;
}

/** Runs `work` once per key for as long as the memo lives. */
export const memo = (): ((key: string, work: () => Promise<void>) => Promise<void>) => {
  const done = new Map<string, Promise<void>>();
  return (key, work) => {
    let running = done.get(key);
    if (running === undefined) {
      running = work();
      done.set(key, running);
      running.catch(() => done.delete(key));
    }
    return running;
  };
};

export class Projector {
  private consumer: Consumer | undefined;
  // DDL done once (a month's partition); forgotten when a transaction fails, which undid it.
  private once = memo();

  constructor(private readonly options: ProjectorOptions) {}

  get groupId(): string {
    return this.options.groupId ?? PROJECTOR_GROUP;
  }

  async start(): Promise<void> {
    this.consumer ??= await this.options.bus.consume({
      topic: this.options.topic ?? EVENTS_TOPIC,
      groupId: this.groupId,
      handleBatch: (messages) => this.handleBatch(messages),
      ...(this.options.maxBatch === undefined ? {} : { maxBatch: this.options.maxBatch }),
    });
  }

  async stop(): Promise<void> {
    await this.consumer?.stop();
    this.consumer = undefined;
  }

  /** One message as a batch of one. */
  handle(message: DeliveredMessage): Promise<void> {
    return this.handleBatch([message]);
  }

  /** Applies a batch exactly once to the active generations, in one transaction. */
  async handleBatch(messages: readonly DeliveredMessage[]): Promise<void> {
    const { db, schema, projections } = this.options;
    const recorded: RecordedEvent[] = [];
    const unreadable: Poison[] = [];
    for (const message of messages) {
      const envelope = fromBusMessage(message.value);
      if (isLeft(envelope)) unreadable.push({ payload: message.value, reason: envelope.left });
      else recorded.push(envelope.right);
    }
    const batch = decodeBatch(recorded, unreadable);
    if (concerns(projections, batch)) {
      const once = this.once;
      const { changes } = await db
        .transaction(async (trx) => {
          const generations = await activeGenerations(
            trx,
            schema,
            projections.map((p) => p.name),
          );
          return applyBatch(
            trx,
            projections.map((projection) => ({ projection, generation: generations.get(projection.name)! })),
            batch,
            { schema, once, redelivered: true },
          );
        })
        .catch((error: unknown) => {
          if (this.once === once) this.once = memo();
          throw error;
        });
      this.parked(batch.poison);
      const pushed = coalesceListChanges(changes);
      if (pushed.length > 0) await this.options.onListChanged?.(pushed);
    }
    const newest = recorded.reduce<Date | undefined>(
      (latest, e) => (latest === undefined || e.recordedAt > latest ? e.recordedAt : latest),
      undefined,
    );
    if (newest !== undefined) for (const { name } of projections) this.options.onHandled?.(name, newest);
  }

  private parked(poison: readonly Poison[]): void {
    const { projections, logger } = this.options;
    for (const what of poison) {
      logger.error(
        {
          projections: projections.map((p) => p.name),
          streamId: what.streamId,
          revision: what.revision?.toString(),
          type: what.type,
          reason: what.reason,
        },
        'parked an event the read models cannot read',
      );
      for (const { name } of projections) this.options.onParked?.(name, what.reason);
    }
  }
}
