// A live projector: consumes the events topic in its own consumer group and applies each event to
// the active generation of its read model, recording the stream revision in the same transaction
// so that a redelivered event changes nothing. An event it cannot read is parked, not retried.
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
import { decodeDomainEvent } from './events';
import { activeGeneration, park, tableName } from './generations';
import type { ListChanged, Projection } from './projection';

export interface ProjectorOptions {
  readonly db: Knex;
  readonly schema: string;
  readonly projection: Projection;
  readonly bus: Bus;
  readonly logger: Logger;
  readonly topic?: string;
  /** Consumer group; default `projector-<name>`. */
  readonly groupId?: string;
  /** Called after the transaction that changed agents' session lists committed. */
  readonly onListChanged?: (changes: readonly ListChanged[]) => Promise<void>;
  /** Called after each event the projector handled (metrics: its lag). */
  readonly onHandled?: (projection: string, recordedAt: Date) => void;
  /** Called for each parked event (metrics). */
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

export type Applied =
  { readonly kind: 'applied'; readonly changes: readonly ListChanged[] } | { readonly kind: 'skipped' };

export class Projector {
  private consumer: Consumer | undefined;
  private readonly once = memo();

  constructor(private readonly options: ProjectorOptions) {}

  get groupId(): string {
    return this.options.groupId ?? `projector-${this.options.projection.name}`;
  }

  async start(): Promise<void> {
    this.consumer ??= await this.options.bus.consume({
      topic: this.options.topic ?? EVENTS_TOPIC,
      groupId: this.groupId,
      handle: (message) => this.handle(message),
    });
  }

  async stop(): Promise<void> {
    await this.consumer?.stop();
    this.consumer = undefined;
  }

  async handle(message: DeliveredMessage): Promise<void> {
    const recorded = fromBusMessage(message.value);
    if (isLeft(recorded)) {
      await this.park({ payload: message.value, reason: recorded.left });
      return;
    }
    const result = await this.apply(recorded.right);
    if (result.kind === 'applied' && result.changes.length > 0) await this.options.onListChanged?.(result.changes);
    this.options.onHandled?.(this.options.projection.name, recorded.right.recordedAt);
  }

  /** Applies one recorded event exactly once to the active generation. */
  async apply(recorded: RecordedEvent): Promise<Applied> {
    const { db, schema, projection } = this.options;
    const decoded = decodeDomainEvent(recorded);
    if (decoded === undefined) return { kind: 'skipped' };
    if (isLeft(decoded)) {
      await this.park({
        streamId: recorded.streamId,
        revision: recorded.revision,
        type: recorded.type,
        payload: JSON.stringify(recorded.data),
        reason: decoded.left,
      });
      return { kind: 'skipped' };
    }
    if (!projection.handles(decoded.right)) return { kind: 'skipped' };
    return db.transaction(async (trx): Promise<Applied> => {
      const generation = await activeGeneration(trx, schema, projection.name);
      const { rows } = await trx.raw<{ rows: { revision: string }[] }>(
        `select revision::text as revision from "${schema}".projection_streams
         where projection = ? and generation = ? and stream_id = ? for update`,
        [projection.name, generation, recorded.streamId],
      );
      const seen = rows[0] === undefined ? -1n : BigInt(rows[0].revision);
      if (recorded.revision <= seen) return { kind: 'skipped' };
      const changes = await projection.apply({
        db: trx,
        table: tableName(schema, generation),
        event: decoded.right,
        recorded,
        once: this.once,
      });
      await trx.raw(
        `insert into "${schema}".projection_streams (projection, generation, stream_id, revision) values (?, ?, ?, ?)
         on conflict (projection, generation, stream_id) do update set revision = excluded.revision`,
        [projection.name, generation, recorded.streamId, recorded.revision.toString()],
      );
      return { kind: 'applied', changes };
    });
  }

  private async park(what: Parameters<typeof park>[3]): Promise<void> {
    const { db, schema, projection, logger } = this.options;
    logger.error(
      {
        projection: projection.name,
        streamId: what.streamId,
        revision: what.revision?.toString(),
        type: what.type,
        reason: what.reason,
      },
      'parked an event the read model cannot read',
    );
    await park(db, schema, projection.name, what);
    this.options.onParked?.(projection.name, what.reason);
  }
}
