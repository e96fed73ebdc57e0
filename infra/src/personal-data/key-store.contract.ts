// The one contract of every KeyStore (key-store.ts on PGlite and on PostgreSQL).
import { randomUUID } from 'node:crypto';
import type { KeyStore } from './port';

export interface KeyStoreFixture {
  /** A store on a fresh schema. */
  readonly store: KeyStore;
  /** A second store on the same schema with its own cache, as another process has. */
  readonly other: KeyStore;
  /** Raw SQL on the store's database, for what the table holds. */
  readonly query: (sql: string, bindings: readonly string[]) => Promise<Record<string, unknown>[]>;
  readonly table: string;
  /** The cache's bound, after which the other store sees an erasure. */
  readonly cacheMs: number;
  readonly dispose: () => Promise<void>;
}

const subject = (visitorId = `v-${randomUUID()}`) => ({ companyId: 'acme', visitorId });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export const keyStoreContract = (open: () => Promise<KeyStoreFixture>): void => {
  let f: KeyStoreFixture;
  beforeEach(async () => {
    f = await open();
  });
  afterEach(() => f.dispose());

  it('creates a 32-byte key on first use and gives the same one after', async () => {
    const s = subject();
    const first = await f.store.keyFor(s);
    if (first === 'erased') throw new Error('a new subject is not erased');
    expect(first.key).toHaveLength(32);
    expect(await f.store.keyFor(s)).toEqual(first);
    expect(await f.other.keyFor(s)).toEqual(first);
    expect(await f.other.keyById(first.keyId)).toEqual(first);
  });

  it('gives distinct subjects distinct keys, a company being part of the subject', async () => {
    const a = await f.store.keyFor({ companyId: 'acme', visitorId: 'same' });
    const b = await f.store.keyFor({ companyId: 'globex', visitorId: 'same' });
    if (a === 'erased' || b === 'erased') throw new Error('not erased');
    expect(a.keyId).not.toBe(b.keyId);
    expect(a.key.equals(b.key)).toBe(false);
  });

  it('gives concurrent first callers, in one process and in two, one key', async () => {
    const s = subject();
    const keys = await Promise.all([
      ...Array.from({ length: 5 }, () => f.store.keyFor(s)),
      ...Array.from({ length: 5 }, () => f.other.keyFor(s)),
    ]);
    const ids = new Set(keys.map((k) => (k === 'erased' ? 'erased' : k.keyId)));
    expect(ids.size).toBe(1);
    expect([...ids][0]).not.toBe('erased');
    expect(await f.query(`select count(*)::int as n from ${f.table} where visitor_id = ?`, [s.visitorId])).toEqual([
      { n: 1 },
    ]);
  });

  it('answers undefined for a key id it never gave', async () => {
    expect(await f.store.keyById(randomUUID())).toBeUndefined();
  });

  it('erases: the key is gone, a tombstone stays, and no key is ever given again', async () => {
    const s = subject();
    const key = await f.store.keyFor(s);
    if (key === 'erased') throw new Error('not erased yet');
    expect(await f.store.isErased(s)).toBe(false);
    const at = new Date('2026-12-01T10:00:00.000Z');
    await f.store.erase(s, at);
    expect(await f.store.isErased(s)).toBe(true);
    expect(await f.store.keyFor(s)).toBe('erased');
    expect(await f.store.keyById(key.keyId)).toBeUndefined();
    const rows = await f.query(`select key, erased_at from ${f.table} where visitor_id = ?`, [s.visitorId]);
    expect(rows).toHaveLength(1);
    expect(rows[0]!['key']).toBeNull();
    expect(new Date(rows[0]!['erased_at'] as string).toISOString()).toBe(at.toISOString());
  });

  it('erases idempotently, keeping the first erasure time, and erases a subject that had no key yet', async () => {
    const s = subject();
    await f.store.erase(s, new Date('2026-12-01T10:00:00.000Z'));
    await f.store.erase(s, new Date('2026-12-02T10:00:00.000Z'));
    expect(await f.store.keyFor(s)).toBe('erased');
    expect(await f.other.keyFor(s)).toBe('erased');
    expect(await f.other.isErased(s)).toBe(true);
    const rows = await f.query(`select erased_at from ${f.table} where visitor_id = ?`, [s.visitorId]);
    expect(new Date(rows[0]!['erased_at'] as string).toISOString()).toBe('2026-12-01T10:00:00.000Z');
  });

  it('an erasure on another process takes effect here once the cache bound has passed', async () => {
    const s = subject();
    const key = await f.store.keyFor(s);
    if (key === 'erased') throw new Error('not erased yet');
    expect(await f.store.keyById(key.keyId)).toEqual(key);
    await f.other.erase(s, new Date());
    await sleep(f.cacheMs + 50);
    expect(await f.store.keyById(key.keyId)).toBeUndefined();
    expect(await f.store.keyFor(s)).toBe('erased');
    expect(await f.store.isErased(s)).toBe(true);
  });

  it('a subject never seen is not erased and gets no row from asking', async () => {
    const s = subject();
    expect(await f.store.isErased(s)).toBe(false);
    expect(await f.query(`select count(*)::int as n from ${f.table} where visitor_id = ?`, [s.visitorId])).toEqual([
      { n: 0 },
    ]);
  });
};
