// The data keys over knex (PostgreSQL or PGlite): `<schema>.data_keys`, one row per visitor of a
// company, its key deleted (NULL, a tombstone) on erasure. Keys are cached in the process for
// KEY_CACHE_MS only, so that an erasure on another process takes effect here within that bound.
import { randomBytes, randomUUID } from 'node:crypto';
import knexFactory, { type Knex } from 'knex';
import { createPgliteKnex } from '../event-store';
import type { DataKey, DataSubject, KeyStore } from './port';

export const DEFAULT_PERSONAL_DATA_SCHEMA = 'personal_data';

/**
 * How long a process keeps using a key it read without reading it again (default; `KEY_CACHE_MS`).
 * An erasure on another process is seen here at the latest this long after it: the erasure of
 * derived copies waits it out (or wipes again after it), so that nothing decrypted with a stale
 * key re-creates plaintext after the wipe.
 */
export const DEFAULT_KEY_CACHE_MS = 2_000;
/** Entries kept per cache; the oldest are forgotten first. */
const CACHE_ENTRIES = 50_000;

export interface SqlKeyStoreOptions {
  readonly knex: Knex;
  /** Whether stop() closes the knex (the store made it). */
  readonly ownsKnex?: boolean;
  readonly schema?: string;
  /** See DEFAULT_KEY_CACHE_MS; 0 reads the table every time. */
  readonly cacheMs?: number;
  /** The clock of the cache (tests). */
  readonly now?: () => number;
}

export interface SqlKeyStore extends KeyStore {
  /** The bound of the cache: an erasure elsewhere is seen here within this many milliseconds. */
  readonly cacheMs: number;
}

interface Row {
  key_id: string;
  key: Buffer | Uint8Array | null;
}

/** A bounded map whose entries expire: the oldest insertion goes first. */
class ExpiringCache<V> {
  private readonly entries = new Map<string, { value: V; until: number }>();
  constructor(private readonly now: () => number) {}
  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.until <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }
  set(key: string, value: V, ttlMs: number): void {
    if (ttlMs <= 0) return;
    this.entries.delete(key);
    this.entries.set(key, { value, until: this.now() + ttlMs });
    if (this.entries.size > CACHE_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
  }
  delete(key: string): void {
    this.entries.delete(key);
  }
}

const subjectKey = (subject: DataSubject): string => `${subject.companyId}\u0000${subject.visitorId}`;
const keyOf = (row: Row): DataKey | undefined =>
  row.key === null ? undefined : { keyId: row.key_id, key: Buffer.from(row.key) };

export const createSqlKeyStore = (options: SqlKeyStoreOptions): SqlKeyStore => {
  const { knex } = options;
  const schema = options.schema ?? DEFAULT_PERSONAL_DATA_SCHEMA;
  const table = `"${schema}".data_keys`;
  const cacheMs = options.cacheMs ?? DEFAULT_KEY_CACHE_MS;
  const now = options.now ?? Date.now;
  // An erasure is for ever: once seen, 'erased' is kept without expiry (bounded in size only).
  const bySubject = new ExpiringCache<DataKey | 'erased'>(now);
  const byId = new ExpiringCache<DataKey>(now);
  const erasedIds = new ExpiringCache<true>(now);
  const pending = new Map<string, Promise<DataKey | 'erased'>>();
  let started: Promise<void> | undefined;

  const remember = (subject: DataSubject, found: DataKey | 'erased'): void => {
    bySubject.set(subjectKey(subject), found, found === 'erased' ? Number.MAX_SAFE_INTEGER : cacheMs);
    if (found !== 'erased') byId.set(found.keyId, found, cacheMs);
  };

  const readRow = async (subject: DataSubject): Promise<Row | undefined> => {
    const rows = await knex.raw<{ rows: Row[] }>(
      `select key_id, key from ${table} where company_id = ? and visitor_id = ?`,
      [subject.companyId, subject.visitorId],
    );
    return rows.rows[0];
  };

  const createOrRead = async (subject: DataSubject): Promise<DataKey | 'erased'> => {
    const known = await readRow(subject);
    if (known === undefined) {
      // Concurrent first uses (two processes) both insert; the first one's key stays, and both read it back.
      await knex.raw(
        `insert into ${table} (company_id, visitor_id, key_id, key, created_at) values (?, ?, ?, ?, now())
         on conflict (company_id, visitor_id) do nothing`,
        [subject.companyId, subject.visitorId, randomUUID(), randomBytes(32)],
      );
    }
    const row = known ?? (await readRow(subject));
    if (row === undefined) throw new Error(`data key of ${subject.companyId}/${subject.visitorId}: not written`);
    return keyOf(row) ?? 'erased';
  };

  return {
    cacheMs,
    start: () => {
      started ??= knex.transaction(async (trx) => {
        // Processes starting together against one database create the table one at a time.
        await trx.raw(`select pg_advisory_xact_lock(hashtext(?))`, [`personal-data:${schema}`]);
        await trx.raw(`create schema if not exists "${schema}"`);
        await trx.raw(`create table if not exists ${table} (
          company_id text not null,
          visitor_id text not null,
          key_id text not null unique,
          key bytea,
          created_at timestamptz not null,
          erased_at timestamptz,
          primary key (company_id, visitor_id)
        )`);
      });
      return started;
    },
    stop: async () => {
      if (options.ownsKnex === true) await knex.destroy();
    },
    keyFor: (subject) => {
      const cached = bySubject.get(subjectKey(subject));
      if (cached !== undefined) return Promise.resolve(cached);
      const id = subjectKey(subject);
      let inFlight = pending.get(id);
      if (inFlight === undefined) {
        inFlight = createOrRead(subject)
          .then((found) => {
            remember(subject, found);
            return found;
          })
          .finally(() => pending.delete(id));
        pending.set(id, inFlight);
      }
      return inFlight;
    },
    keyById: async (keyId) => {
      const cached = byId.get(keyId);
      if (cached !== undefined) return cached;
      if (erasedIds.get(keyId) !== undefined) return undefined;
      const rows = await knex.raw<{ rows: Row[] }>(`select key_id, key from ${table} where key_id = ?`, [keyId]);
      const row = rows.rows[0];
      const key = row === undefined ? undefined : keyOf(row);
      if (key !== undefined) byId.set(keyId, key, cacheMs);
      // A tombstone is for ever; an id never seen may be written later by nobody (ids are random), cached briefly.
      else erasedIds.set(keyId, true, row === undefined ? cacheMs : Number.MAX_SAFE_INTEGER);
      return key;
    },
    erase: async (subject, at) => {
      await knex.raw(
        `insert into ${table} (company_id, visitor_id, key_id, key, created_at, erased_at) values (?, ?, ?, null, ?, ?)
         on conflict (company_id, visitor_id) do update set key = null, erased_at = coalesce(${table}.erased_at, excluded.erased_at)`,
        [subject.companyId, subject.visitorId, randomUUID(), at, at],
      );
      const cached = bySubject.get(subjectKey(subject));
      if (cached !== undefined && cached !== 'erased') {
        byId.delete(cached.keyId);
        erasedIds.set(cached.keyId, true, Number.MAX_SAFE_INTEGER);
      }
      bySubject.set(subjectKey(subject), 'erased', Number.MAX_SAFE_INTEGER);
    },
    isErased: async (subject) => {
      const cached = bySubject.get(subjectKey(subject));
      if (cached !== undefined) return cached === 'erased';
      const row = await readRow(subject);
      if (row === undefined) return false;
      const key = keyOf(row);
      remember(subject, key ?? 'erased');
      return key === undefined;
    },
  };
};

export interface PostgresKeyStoreOptions {
  readonly url: string;
  readonly schema?: string;
  readonly poolSize?: number;
  readonly cacheMs?: number;
}

/** The key store on a PostgreSQL server (distributed mode). */
export const createPostgresKeyStore = (options: PostgresKeyStoreOptions): SqlKeyStore =>
  createSqlKeyStore({
    knex: knexFactory({ client: 'pg', connection: options.url, pool: { min: 0, max: options.poolSize ?? 4 } }),
    ownsKnex: true,
    ...(options.schema === undefined ? {} : { schema: options.schema }),
    ...(options.cacheMs === undefined ? {} : { cacheMs: options.cacheMs }),
  });

export interface PgliteKeyStoreOptions {
  /** The embedded database shared with the events and read models; absent: a new one in memory. */
  readonly knex?: Knex;
  readonly schema?: string;
  readonly cacheMs?: number;
}

/** The key store in the embedded PGlite database. */
export const createPgliteKeyStore = (options: PgliteKeyStoreOptions = {}): SqlKeyStore =>
  createSqlKeyStore({
    knex: options.knex ?? createPgliteKnex(),
    ownsKnex: options.knex === undefined,
    ...(options.schema === undefined ? {} : { schema: options.schema }),
    ...(options.cacheMs === undefined ? {} : { cacheMs: options.cacheMs }),
  });
