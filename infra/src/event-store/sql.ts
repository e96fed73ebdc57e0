// The event store on PostgreSQL (server, through pg) or PGlite (embedded), through knex.
//
// Global order without gaps: each event row records the id of the transaction that wrote it,
// and readers only see rows of transactions older than every transaction still running
// (pg_snapshot_xmin). A transaction that took a lower sequence number but commits late is
// therefore never skipped: readers wait for it. The position is (transaction id, sequence).
import type { Knex } from 'knex';
import { VersionConflictError } from './errors';
import type {
  AppendResult,
  EventStore,
  ExpectedRevision,
  NewEvent,
  Position,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  SubscribeOptions,
  Subscription,
} from './port';
import { GroupCommit, type Outcome } from './group-commit';
import { LocalWakeups, pollingSubscription, type Wakeups } from './polling-subscription';
import { ensureSchema, eventStoreMigrations } from './sql-schema';
import { prepareAppend, type PreparedEvent } from './validation';

export interface SqlEventStoreOptions {
  readonly knex: Knex;
  /** PostgreSQL schema holding the tables; lets several stores share one database. */
  readonly schema: string;
  /** Cross-process wake-ups (LISTEN/NOTIFY); local appends always wake local subscribers. */
  readonly wakeups?: (channel: string) => Wakeups & { start(): Promise<void>; stop(): Promise<void> };
  readonly pollIntervalMs?: number | undefined;
  readonly maxEventBytes?: number;
  /** Whether stop() destroys the knex pool (false when it is shared with the read models). */
  readonly ownsKnex: boolean;
  /**
   * NOTIFY other processes after appends (a PostgreSQL server shared by several processes).
   * Not for PGlite: one process, whose subscribers `append` wakes directly.
   */
  readonly announce?: boolean;
  /**
   * Batches of appends written at once (group commit, see `append`); default 1, as PGlite has one
   * connection. More than one lets a batch start while another commits, on a pool that has spare
   * connections.
   */
  readonly flushes?: number | undefined;
  /**
   * Every statement runs on the one connection of the knex (PGlite): when the log is read no other
   * transaction is open, so no event is ever held back, and subscriptions need not look for any
   * (one statement less per batch the relay reads).
   */
  readonly oneConnection?: boolean;
}

/** One append, validated and serialised, on its way to the database. */
interface PendingAppend {
  readonly streamId: string;
  readonly events: readonly PreparedEvent[];
  readonly expected: ExpectedRevision;
  /** Characters of JSON, to bound a batch. */
  readonly size: number;
}

interface BatchRow {
  append_index: number;
  last_revision: string | null;
  actual_revision: string | null;
  transaction_id: string | null;
  global_position: string | null;
}

/** A deadlock or serialization failure: PostgreSQL rolled the statement back; run it again. */
const TRANSIENT = new Set(['40P01', '40001']);
/** Data exception or program limit: the statement refused a value and wrote nothing. */
const REFUSED_DATA = /^(22|54)/;
const WRITE_ATTEMPTS = 5;

const sqlState = (error: unknown): string | undefined => {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
};

interface EventRow {
  stream_id: string;
  revision: string;
  transaction_id: string;
  global_position: string;
  event_id: string;
  type: string;
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
  recorded_at: Date;
}

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,40}$/;

export class SqlEventStore implements EventStore {
  private readonly knex: Knex;
  private readonly events: string;
  private readonly local = new LocalWakeups();
  private readonly remote: (Wakeups & { start(): Promise<void>; stop(): Promise<void> }) | undefined;
  private readonly subscriptions = new Set<Subscription>();
  private state: 'new' | 'started' | 'stopped' = 'new';
  private announcing: Promise<void> | undefined;
  private announceAgain = false;
  private starting: Promise<void> | undefined;
  private readonly batches: GroupCommit<PendingAppend, AppendResult>;

  constructor(private readonly options: SqlEventStoreOptions) {
    if (!IDENTIFIER.test(options.schema)) {
      throw new Error(`event store schema must match ${String(IDENTIFIER)}, got "${options.schema}"`);
    }
    this.knex = options.knex;
    this.events = `"${options.schema}".events`;
    this.remote = options.wakeups?.(`${options.schema}_events`);
    this.batches = new GroupCommit({
      write: (batch) => this.writeBatch(batch),
      written: () => this.appended(),
      flushes: options.flushes ?? 1,
    });
  }

  /** The channel NOTIFY uses after each append; wake-up adapters listen on it. */
  get channel(): string {
    return `${this.options.schema}_events`;
  }

  start(): Promise<void> {
    this.starting ??= (async () => {
      await ensureSchema(this.knex, this.options.schema);
      await this.knex.migrate.latest({
        migrationSource: eventStoreMigrations(this.options.schema),
        schemaName: this.options.schema,
        tableName: 'migrations',
      });
      await this.remote?.start();
      this.state = 'started';
    })();
    return this.starting;
  }

  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    this.state = 'stopped';
    await this.batches.drain();
    await Promise.all([...this.subscriptions].map((s) => s.stop()));
    await this.announcing;
    await this.remote?.stop();
    if (this.options.ownsKnex) await this.knex.destroy();
  }

  /**
   * Group commit: appends that come while a batch is being written go together in the next one,
   * one statement and one commit, each with its own expected revision and outcome (a conflict
   * fails that append only). One append per stream in a batch; an invalid append fails alone,
   * before it joins one.
   */
  async append(
    streamId: string,
    events: readonly NewEvent[],
    expectedRevision: ExpectedRevision,
  ): Promise<AppendResult> {
    return this.batches.submit(pending(streamId, events, expectedRevision, this.options.maxEventBytes));
  }

  /**
   * Tells subscribers that events were committed: those of this process at once, those of other
   * processes by a NOTIFY. `append` calls it; a caller of `appendWithin` calls it after its commit.
   * NOTIFYs are coalesced: while one is on its way, later appends ask for one more after it (a
   * listener woken by the first may have read before they committed), never for one each.
   */
  appended(): void {
    this.local.notify();
    if (this.options.announce !== true || this.state === 'stopped') return;
    if (this.announcing !== undefined) {
      this.announceAgain = true;
      return;
    }
    this.announcing = (async () => {
      do {
        this.announceAgain = false;
        try {
          await this.knex.raw('select pg_notify(?, ?)', [this.channel, '']);
        } catch {
          // Subscribers poll as well (pollIntervalMs): a lost wake-up delays, loses nothing.
        }
      } while (this.announceAgain && this.state !== 'stopped');
    })().finally(() => (this.announcing = undefined));
  }

  /**
   * Appends inside a transaction the caller owns (or on the pool), alone, not in a batch. The
   * events become visible to readers when that transaction commits; call `appended()` then.
   */
  async appendWithin(
    db: Knex | Knex.Transaction,
    streamId: string,
    events: readonly NewEvent[],
    expectedRevision: ExpectedRevision,
  ): Promise<AppendResult> {
    const [outcome] = await this.appendBatch(db, [
      pending(streamId, events, expectedRevision, this.options.maxEventBytes),
    ]);
    if (outcome?.ok !== true) throw outcome?.error;
    return outcome.value;
  }

  /**
   * Writes one batch of the group commit on the pool. A deadlock or serialization failure runs it
   * again; a value PostgreSQL refuses fails its own append only (the others are written alone).
   */
  private async writeBatch(batch: readonly PendingAppend[]): Promise<Outcome<AppendResult>[]> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.appendBatch(this.knex, batch);
      } catch (error) {
        const code = sqlState(error);
        if (code !== undefined && TRANSIENT.has(code) && attempt < WRITE_ATTEMPTS) {
          await new Promise((resolve) => setTimeout(resolve, Math.random() * 2 ** attempt));
          continue;
        }
        if (code !== undefined && REFUSED_DATA.test(code) && batch.length > 1) {
          const outcomes: Outcome<AppendResult>[] = [];
          for (const append of batch) outcomes.push(...(await this.writeBatch([append])));
          return outcomes;
        }
        return batch.map(() => ({ ok: false, error }));
      }
    }
  }

  /** One statement: claims each stream's revisions (in stream id order) and inserts the events. */
  private async appendBatch(
    db: Knex | Knex.Transaction,
    batch: readonly PendingAppend[],
  ): Promise<Outcome<AppendResult>[]> {
    const { rows } = await db.raw<{ rows: BatchRow[] }>(
      `select append_index, last_revision::text, actual_revision::text, transaction_id::text,
              global_position::text
       from "${this.options.schema}".append_batch(?::jsonb)`,
      [batchJson(batch)],
    );
    const byIndex = new Map(rows.map((row) => [row.append_index, row]));
    return batch.map((append, i): Outcome<AppendResult> => {
      const row = byIndex.get(i + 1);
      if (row?.last_revision == null) {
        const actual = row?.actual_revision == null ? undefined : BigInt(row.actual_revision);
        return { ok: false, error: new VersionConflictError(append.streamId, append.expected, actual) };
      }
      if (row.transaction_id === null || row.global_position === null) {
        return { ok: false, error: new Error(`append_batch wrote stream ${append.streamId} but gave no position`) };
      }
      return {
        ok: true,
        value: {
          revision: BigInt(row.last_revision),
          position: { commit: BigInt(row.transaction_id), prepare: BigInt(row.global_position) },
        },
      };
    });
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    const backwards = options.direction === 'backwards';
    const from = options.fromRevision ?? (backwards ? 2n ** 62n : 0n);
    const { rows } = await this.knex.raw<{ rows: EventRow[] }>(
      `select ${SELECT_COLUMNS} from ${this.events} e
       where e.stream_id = ? and e.revision ${backwards ? '<=' : '>='} ?
       order by e.revision ${backwards ? 'desc' : 'asc'}
       limit ?`,
      [streamId, from.toString(), options.maxCount ?? 2 ** 31 - 1],
    );
    return rows.map(toRecordedEvent);
  }

  readAll(options: ReadAllOptions): Promise<RecordedEvent[]> {
    return this.readAllWithin(this.knex, options);
  }

  /** readAll inside a caller's transaction (a read-model switch that must see a settled log). */
  async readAllWithin(db: Knex | Knex.Transaction, options: ReadAllOptions): Promise<RecordedEvent[]> {
    const after = options.after ?? { commit: 0n, prepare: 0n };
    const { rows } = await db.raw<{ rows: EventRow[] }>(
      `select ${SELECT_COLUMNS} from ${this.events} e
       where e.transaction_id < pg_snapshot_xmin(pg_current_snapshot())
         and (e.transaction_id, e.global_position) > (?::text::xid8, ?::bigint)
       order by e.transaction_id, e.global_position
       limit ?`,
      [after.commit.toString(), after.prepare.toString(), options.maxCount],
    );
    return rows.map(toRecordedEvent);
  }

  /**
   * Committed events after `after`, which readAll did not return: held back by an older open
   * transaction, or readable since (both mean: look again now, not after the poll interval).
   */
  private async heldBack(after: Position | undefined): Promise<boolean> {
    const from = after ?? { commit: 0n, prepare: 0n };
    const { rows } = await this.knex.raw<{ rows: { held: boolean }[] }>(
      `select exists (
         select 1 from ${this.events} e
         where (e.transaction_id, e.global_position) > (?::text::xid8, ?::bigint)
       ) as held`,
      [from.commit.toString(), from.prepare.toString()],
    );
    return rows[0]?.held === true;
  }

  async lastPosition(): Promise<Position | undefined> {
    const { rows } = await this.knex.raw<{ rows: { transaction_id: string; global_position: string }[] }>(
      `select e.transaction_id::text as transaction_id, e.global_position::text as global_position
       from ${this.events} e
       where e.transaction_id < pg_snapshot_xmin(pg_current_snapshot())
       order by e.transaction_id desc, e.global_position desc limit 1`,
    );
    const row = rows[0];
    return row === undefined ? undefined : { commit: BigInt(row.transaction_id), prepare: BigInt(row.global_position) };
  }

  subscribe(options: SubscribeOptions = {}): Subscription {
    const subscription = pollingSubscription({
      readBatch: (after, maxCount) => this.readAll(after === undefined ? { maxCount } : { after, maxCount }),
      wakeups: this.remote === undefined ? [this.local] : [this.local, this.remote],
      after: options.after,
      filter: options.filter,
      pollIntervalMs: this.options.pollIntervalMs,
      heldBack: this.options.oneConnection === true ? undefined : (after) => this.heldBack(after),
    });
    this.subscriptions.add(subscription);
    return {
      [Symbol.asyncIterator]: () => subscription[Symbol.asyncIterator](),
      stop: async () => {
        this.subscriptions.delete(subscription);
        await subscription.stop();
      },
    };
  }
}

/** Validates and serialises an append; throws InvalidAppendError. */
const pending = (
  streamId: string,
  events: readonly NewEvent[],
  expected: ExpectedRevision,
  maxEventBytes: number | undefined,
): PendingAppend => {
  const prepared = prepareAppend(streamId, events, maxEventBytes);
  const size = prepared.reduce((sum, e) => sum + e.data.length + e.metadata.length, 0);
  return { streamId, events: prepared, expected, size };
};

/** The batch as one JSON document for append_batch, built from the events' JSON as serialised. */
const batchJson = (batch: readonly PendingAppend[]): string =>
  `[${batch
    .map(
      (append) =>
        `{"stream":${JSON.stringify(append.streamId)},"expected":"${String(append.expected)}","events":[${append.events
          .map(
            (e) => `{"id":"${e.eventId}","type":${JSON.stringify(e.type)},"data":${e.data},"metadata":${e.metadata}}`,
          )
          .join(',')}]}`,
    )
    .join(',')}]`;

// Qualified, because the text casts keep the column names and ORDER BY would sort the text.
const SELECT_COLUMNS = `e.stream_id, e.revision::text as revision, e.transaction_id::text as transaction_id,
  e.global_position::text as global_position, e.event_id::text as event_id, e.type, e.data, e.metadata,
  e.recorded_at`;

const toRecordedEvent = (row: EventRow): RecordedEvent => ({
  streamId: row.stream_id,
  revision: BigInt(row.revision),
  position: { commit: BigInt(row.transaction_id), prepare: BigInt(row.global_position) },
  eventId: row.event_id,
  type: row.type,
  data: row.data,
  metadata: row.metadata,
  recordedAt: row.recorded_at,
});

export type { Position };
