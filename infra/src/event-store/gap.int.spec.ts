// A transaction that takes a lower sequence number but commits after a higher one must not be
// skipped by a subscriber that already read past it. Needs two real connections, so a server.
import { randomBytes } from 'node:crypto';
import knexFactory, { type Knex } from 'knex';
import { describeWithServer } from '../../../test-support/servers';
import { createPostgresEventStore } from './index';
import type { Position } from './port';
import type { SqlEventStore } from './sql';

interface Seen {
  readonly type: string;
  readonly position: Position;
}
type ReadAfter = (after: Position | undefined) => Promise<Seen[]>;

/**
 * Tx A appends (taking the lower sequence number) and stays open; tx B appends and commits; a
 * reader catches up and remembers where it stopped; then A commits and the reader goes on from
 * its checkpoint. Returns the event types the reader saw, in order.
 */
const interleave = async (store: SqlEventStore, knex: Knex, read: ReadAfter, suffix: string): Promise<string[]> => {
  const seen: Seen[] = [];
  const readOn = async (): Promise<void> => {
    seen.push(...(await read(seen[seen.length - 1]?.position)));
  };
  const slow = await knex.transaction();
  await store.appendWithin(slow, `slow-${suffix}`, [{ type: 'Slow', data: {} }], 'no_stream');
  await store.append(`fast-${suffix}`, [{ type: 'Fast', data: {} }], 'no_stream');
  await readOn();
  await slow.commit();
  await readOn();
  return seen.map((e) => e.type);
};

describeWithServer('postgres', 'global order without gaps', (url) => {
  let knex: Knex;
  let store: SqlEventStore;
  const schema = `es_gap_${randomBytes(6).toString('hex')}`;

  beforeAll(async () => {
    knex = knexFactory({ client: 'pg', connection: url, pool: { min: 0, max: 4 } });
    store = createPostgresEventStore({ url, schema });
    await store.start();
  });
  afterAll(async () => {
    await store.stop();
    await knex.raw(`drop schema "${schema}" cascade`);
    await knex.destroy();
  });

  it('a late commit is read after the transactions that committed before it, never skipped', async () => {
    const ours: ReadAfter = async (after) =>
      store.readAll(after === undefined ? { maxCount: 100 } : { after, maxCount: 100 });
    expect(await interleave(store, knex, ours, 'ours')).toEqual(['Slow', 'Fast']);
  });

  it('a subscriber reads an event held back by an unrelated open transaction once that one ends, with no notification', async () => {
    // The event's own NOTIFY comes while an older transaction (a projector's, say) holds the
    // readable horizon back; when that one commits nobody notifies. The poll interval is an
    // hour, so only the subscription's own look-again can deliver the event within the test.
    const quiet = createPostgresEventStore({ url, schema, pollIntervalMs: 3_600_000 });
    await quiet.start();
    const subscription = quiet.subscribe({ after: (await quiet.lastPosition()) ?? { commit: 0n, prepare: 0n } });
    const iterator = subscription[Symbol.asyncIterator]();
    const first = iterator.next();
    const older = await knex.transaction();
    await older.raw('select pg_current_xact_id()');
    await quiet.append(`held-${schema}`, [{ type: 'Held', data: {} }], 'no_stream');
    await older.commit();
    expect((await first).value).toMatchObject({ type: 'Held' });
    await subscription.stop();
    await quiet.stop();
  });

  it('the same interleaving loses the late event when reading by sequence number alone (naive bigserial)', async () => {
    // What a store that orders its log by a bigserial and resumes after the last one seen does;
    // it starts after the events of the previous test.
    const { rows: start } = await knex.raw<{ rows: { max: string }[] }>(
      `select max(global_position)::text as max from "${schema}".events`,
    );
    const naive: ReadAfter = async (after) => {
      const { rows } = await knex.raw<{ rows: { type: string; global_position: string }[] }>(
        `select type, global_position::text as global_position from "${schema}".events
         where global_position > ? order by global_position`,
        [(after?.prepare ?? BigInt(start[0]!.max)).toString()],
      );
      return rows.map((r) => ({ type: r.type, position: { commit: 0n, prepare: BigInt(r.global_position) } }));
    };
    expect(await interleave(store, knex, naive, 'naive')).toEqual(['Fast']);
  });
});
