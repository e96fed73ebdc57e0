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
import { LocalWakeups, pollingSubscription, type Wakeups } from './polling-subscription';
import { ensureSchema, eventStoreMigrations } from './sql-schema';
import { prepareAppend } from './validation';

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
}

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
  private readonly streams: string;
  private readonly local = new LocalWakeups();
  private readonly remote: (Wakeups & { start(): Promise<void>; stop(): Promise<void> }) | undefined;
  private readonly subscriptions = new Set<Subscription>();
  private state: 'new' | 'started' | 'stopped' = 'new';
  private announcing: Promise<void> | undefined;
  private announceAgain = false;
  private starting: Promise<void> | undefined;

  constructor(private readonly options: SqlEventStoreOptions) {
    if (!IDENTIFIER.test(options.schema)) {
      throw new Error(`event store schema must match ${String(IDENTIFIER)}, got "${options.schema}"`);
    }
    this.knex = options.knex;
    this.events = `"${options.schema}".events`;
    this.streams = `"${options.schema}".streams`;
    this.remote = options.wakeups?.(`${options.schema}_events`);
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
    await Promise.all([...this.subscriptions].map((s) => s.stop()));
    await this.announcing;
    await this.remote?.stop();
    if (this.options.ownsKnex) await this.knex.destroy();
  }

  async append(
    streamId: string,
    events: readonly NewEvent[],
    expectedRevision: ExpectedRevision,
  ): Promise<AppendResult> {
    const result = await this.appendWithin(this.knex, streamId, events, expectedRevision);
    this.appended();
    return result;
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
   * Appends inside a transaction the caller owns (or on the pool). The events become visible to
   * readers when that transaction commits; call `appended()` then.
   */
  async appendWithin(
    db: Knex | Knex.Transaction,
    streamId: string,
    events: readonly NewEvent[],
    expectedRevision: ExpectedRevision,
  ): Promise<AppendResult> {
    const prepared = prepareAppend(streamId, events, this.options.maxEventBytes);
    const count = prepared.length;
    const claim = this.claimRevisions(expectedRevision);
    const values = prepared.map(() => '(?::uuid, ?, ?::jsonb, ?::jsonb, ?::int)').join(', ');
    const bindings = prepared.flatMap((e, i) => [e.eventId, e.type, e.data, e.metadata, i + 1]);
    // One statement, so one round trip and atomic even outside a transaction: claim the
    // revisions on the stream row (which serialises writers of one stream), then insert.
    const { rows } = await db.raw<{ rows: { revision: string; transaction_id: string; global_position: string }[] }>(
      `with claimed as (${claim.sql})
       insert into ${this.events} (stream_id, revision, event_id, type, data, metadata)
       select ?, claimed.revision - ? + e.ord, e.event_id, e.type, e.data, e.metadata
       from claimed, (values ${values}) as e(event_id, type, data, metadata, ord)
       returning revision::text, transaction_id::text, global_position::text`,
      [...claim.bindings(streamId, count), streamId, count, ...bindings],
    );
    const last = rows.reduce<(typeof rows)[number] | undefined>(
      (max, row) => (max === undefined || BigInt(row.revision) > BigInt(max.revision) ? row : max),
      undefined,
    );
    if (last === undefined) {
      throw new VersionConflictError(streamId, expectedRevision, await this.currentRevision(db, streamId));
    }
    return {
      revision: BigInt(last.revision),
      position: { commit: BigInt(last.transaction_id), prepare: BigInt(last.global_position) },
    };
  }

  private claimRevisions(expected: ExpectedRevision): {
    sql: string;
    bindings: (streamId: string, count: number) => Knex.RawBinding[];
  } {
    const s = this.streams;
    switch (expected) {
      case 'any':
        return {
          sql: `insert into ${s} as st (stream_id, revision) values (?, ? - 1)
                on conflict (stream_id) do update set revision = st.revision + excluded.revision + 1
                returning revision`,
          bindings: (id, n) => [id, n],
        };
      case 'no_stream':
        return {
          sql: `insert into ${s} (stream_id, revision) values (?, ? - 1) on conflict do nothing returning revision`,
          bindings: (id, n) => [id, n],
        };
      case 'stream_exists':
        return {
          sql: `update ${s} set revision = revision + ? where stream_id = ? returning revision`,
          bindings: (id, n) => [n, id],
        };
      default:
        return {
          sql: `update ${s} set revision = revision + ? where stream_id = ? and revision = ? returning revision`,
          bindings: (id, n) => [n, id, expected.toString()],
        };
    }
  }

  private async currentRevision(db: Knex | Knex.Transaction, streamId: string): Promise<bigint | undefined> {
    const { rows } = await db.raw<{ rows: { revision: string }[] }>(
      `select revision::text from ${this.streams} where stream_id = ?`,
      [streamId],
    );
    return rows[0] === undefined ? undefined : BigInt(rows[0].revision);
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
      heldBack: (after) => this.heldBack(after),
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
