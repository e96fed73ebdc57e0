import { PGlite, type Extension } from '@electric-sql/pglite';
import path from 'node:path';
import knexFactory, { type Knex } from 'knex';
import ClientPgLite from 'knex-pglite';
import { SqlEventStore } from './sql';
import { EventLoopTurns } from './turns';
import { PostgresWakeups } from './wakeups';

export * from './port';
export * from './errors';
export { SqlEventStore } from './sql';
export { EventStoreDbEventStore, type EventStoreDbOptions } from './eventstoredb';
export { MAX_EVENT_BYTES } from './validation';

export interface PostgresEventStoreOptions {
  readonly url: string;
  readonly schema?: string;
  readonly poolSize?: number;
  readonly pollIntervalMs?: number;
  readonly onListenError?: (error: Error) => void;
  /** Batches of appends written at once (group commit; default 4); see SqlEventStoreOptions.flushes. */
  readonly flushes?: number | undefined;
}

export const DEFAULT_EVENT_STORE_SCHEMA = 'event_store';

/** The event store on a PostgreSQL server (`DATABASE_URL`). */
export const createPostgresEventStore = (options: PostgresEventStoreOptions): SqlEventStore => {
  const schema = options.schema ?? DEFAULT_EVENT_STORE_SCHEMA;
  return new SqlEventStore({
    knex: knexFactory({
      client: 'pg',
      connection: options.url,
      pool: { min: 0, max: options.poolSize ?? 10 },
    }),
    ownsKnex: true,
    announce: true,
    schema,
    wakeups: (channel) => new PostgresWakeups(options.url, channel, options.onListenError),
    pollIntervalMs: options.pollIntervalMs,
    // Several batches at once, on a pool of 10: as fast as one on distinct streams (bench
    // eventstore, 32 writers), and appends to one busy stream wait for its row, not for a batch.
    flushes: options.flushes ?? 4,
  });
};

export interface PgliteEventStoreOptions {
  /** A folder for the database files; absent: in memory. */
  readonly dataDir?: string;
  /** A knex on PGlite shared with the read models (embedded mode); the caller closes it. */
  readonly knex?: Knex;
  readonly schema?: string;
}

/** The turns of each PGlite database (the connection); a transaction's client is a copy without fields of its own. */
const turnsOf = new WeakMap<object, EventLoopTurns>();

/** knex-pglite, whose statements give the event loop a turn every SLICE_MS of work (turns.ts). */
class TurnTakingPgLite extends ClientPgLite {
  override query(connection: object, obj: unknown): Promise<unknown> {
    let turns = turnsOf.get(connection);
    if (turns === undefined) {
      turns = new EventLoopTurns();
      turnsOf.set(connection, turns);
    }
    const turn = turns.next();
    return turn === undefined
      ? (super.query(connection, obj) as Promise<unknown>)
      : turn.then(() => super.query(connection, obj) as Promise<unknown>);
  }
}

/**
 * pg_trgm, for the message search's trigram index (projections' message-search.ts): PGlite's own
 * `@electric-sql/pglite/contrib/pg_trgm`, but with the bundle's path as a string, which loads in
 * any module realm (its URL object does not under jest's).
 */
const PG_TRGM: Extension = {
  name: 'pg_trgm',
  setup: async () => ({
    bundlePath: path.join(path.dirname(require.resolve('@electric-sql/pglite')), 'pg_trgm.tar.gz') as unknown as URL,
  }),
};

/** A knex instance on an embedded PGlite database (in memory when no folder is given). */
export const createPgliteKnex = (dataDir?: string): Knex => {
  // One options object: `new PGlite(undefined, options)` would drop the options.
  const db = new PGlite({ ...(dataDir === undefined ? {} : { dataDir }), extensions: { pg_trgm: PG_TRGM } });
  // knex-pglite closes the database when the pool is destroyed.
  // knex's types do not know this dialect's connection provider; its README documents it.
  const connection = (() => ({ pglite: db })) as unknown as Knex.ConnectionConfigProvider;
  return knexFactory({ client: TurnTakingPgLite, connection });
};

/** The embedded event store: PostgreSQL compiled to WebAssembly, in this process. */
export const createPgliteEventStore = (options: PgliteEventStoreOptions = {}): SqlEventStore =>
  new SqlEventStore({
    knex: options.knex ?? createPgliteKnex(options.dataDir),
    ownsKnex: options.knex === undefined,
    schema: options.schema ?? DEFAULT_EVENT_STORE_SCHEMA,
    oneConnection: true,
  });
