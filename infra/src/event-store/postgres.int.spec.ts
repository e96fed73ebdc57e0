import { randomBytes } from 'node:crypto';
import knexFactory from 'knex';
import { describeWithServer } from '../../../test-support/servers';
import { createPostgresEventStore } from './index';
import { eventStoreContract } from './contract';
import { VersionConflictError } from './errors';
import type { NewEvent } from './port';

describeWithServer('postgres', 'PostgreSQL event store', (url) => {
  const admin = knexFactory({ client: 'pg', connection: url, pool: { min: 0, max: 2 } });
  afterAll(() => admin.destroy());

  eventStoreContract(async () => {
    const schema = `es_contract_${randomBytes(6).toString('hex')}`;
    const store = createPostgresEventStore({ url, schema, pollIntervalMs: 200 });
    await store.start();
    return {
      store,
      dispose: async () => {
        await store.stop();
        await admin.raw(`drop schema "${schema}" cascade`);
      },
    };
  });
});

describeWithServer('postgres', 'PostgreSQL event store across processes', (url) => {
  it('wakes a subscriber of another store instance by NOTIFY, not by polling', async () => {
    const schema = `es_notify_${randomBytes(6).toString('hex')}`;
    const writer = createPostgresEventStore({ url, schema });
    // A poll interval far beyond the test's timeout: only a notification can deliver in time.
    const reader = createPostgresEventStore({ url, schema, pollIntervalMs: 3_600_000 });
    await writer.start();
    await reader.start();
    try {
      const subscription = reader.subscribe();
      const first = (async () => {
        for await (const event of subscription) return event;
        return undefined;
      })();
      await new Promise((resolve) => setTimeout(resolve, 100));
      await writer.append('s-1', [{ type: 'Hello', data: { from: 'writer' } }], 'no_stream');
      expect(await first).toMatchObject({ streamId: 's-1', type: 'Hello', data: { from: 'writer' } });
      await subscription.stop();
    } finally {
      await reader.stop();
      await writer.stop();
      const admin = knexFactory({ client: 'pg', connection: url });
      await admin.raw(`drop schema "${schema}" cascade`);
      await admin.destroy();
    }
  }, 10_000);

  it('coalesces the NOTIFYs of a burst of appends and still wakes the subscriber for the last one', async () => {
    const schema = `es_burst_${randomBytes(6).toString('hex')}`;
    const writer = createPostgresEventStore({ url, schema, poolSize: 8 });
    const reader = createPostgresEventStore({ url, schema, pollIntervalMs: 3_600_000 });
    await writer.start();
    await reader.start();
    const admin = knexFactory({ client: 'pg', connection: url });
    try {
      const subscription = reader.subscribe();
      const count = 200;
      const all = (async () => {
        let seen = 0;
        for await (const _event of subscription) if (++seen === count) return seen;
        return seen;
      })();
      await new Promise((resolve) => setTimeout(resolve, 100));
      // 200 appends on 8 connections at once: far fewer NOTIFYs, but none of the events waits for a poll.
      await Promise.all(
        Array.from({ length: count }, (_, i) => writer.append(`s-${i}`, [{ type: 'Burst', data: { i } }], 'no_stream')),
      );
      expect(await all).toBe(count);
      await subscription.stop();
      const { rows } = await admin.raw<{ rows: { triggers: string }[] }>(
        `select count(*)::text as triggers from information_schema.triggers where event_object_schema = ?`,
        [schema],
      );
      expect(rows[0]!.triggers).toBe('0'); // migration 002: no NOTIFY inside the appending transactions
    } finally {
      await reader.stop();
      await writer.stop();
      await admin.raw(`drop schema "${schema}" cascade`);
      await admin.destroy();
    }
  }, 20_000);
});

describeWithServer('postgres', 'PostgreSQL event store: group commit across processes', (url) => {
  const admin = knexFactory({ client: 'pg', connection: url, pool: { min: 0, max: 4 } });
  const schema = `es_group_${randomBytes(6).toString('hex')}`;
  // Two gateways and a worker: three stores, each batching its own appends, on one schema.
  const stores = [0, 1, 2].map(() => createPostgresEventStore({ url, schema, pollIntervalMs: 200 }));
  const event = (data: Record<string, unknown>): NewEvent => ({ type: 'Tagged', data });
  let run = 0;
  let prefix = '';

  beforeAll(async () => {
    for (const store of stores) await store.start();
  });
  beforeEach(() => {
    prefix = `r${++run}-`;
  });
  afterAll(async () => {
    for (const store of stores) await store.stop();
    await admin.raw(`drop schema "${schema}" cascade`);
    await admin.destroy();
  });

  it('batches of several processes over the same streams, in different orders, all succeed', async () => {
    const streams = Array.from({ length: 40 }, (_, i) => `${prefix}session-${i}`);
    await Promise.all(
      stores.flatMap((store, p) =>
        [0, 1, 2, 3].flatMap((round) =>
          // Each process meets the streams in an order of its own.
          (p % 2 === 0 ? streams : [...streams].reverse()).map((stream) =>
            store.append(stream, [event({ p, round, k: 0 }), event({ p, round, k: 1 })], 'any'),
          ),
        ),
      ),
    );
    for (const stream of streams) {
      const events = await stores[0]!.readStream(stream);
      expect(events.map((e) => e.revision)).toEqual(Array.from({ length: 24 }, (_, i) => BigInt(i)));
      for (let i = 0; i < 24; i += 2) {
        expect(events[i + 1]!.data).toEqual({ ...events[i]!.data, k: 1 });
      }
    }
  });

  it('no_stream on a stream another process creates at the same moment: exactly one wins; any: all do', async () => {
    const fresh = Array.from({ length: 10 }, (_, i) => `${prefix}fresh-${i}`);
    const attempts = await Promise.allSettled(
      stores.flatMap((store, p) => fresh.map((stream) => store.append(stream, [event({ p })], 'no_stream'))),
    );
    const won = attempts.filter((a) => a.status === 'fulfilled');
    const lost = attempts.filter((a): a is PromiseRejectedResult => a.status === 'rejected');
    expect(won).toHaveLength(fresh.length);
    for (const failure of lost) {
      expect(failure.reason).toBeInstanceOf(VersionConflictError);
      expect((failure.reason as VersionConflictError).actual).toBe(0n);
    }

    const busy = Array.from({ length: 10 }, (_, i) => `${prefix}any-${i}`);
    const results = await Promise.all(
      stores.flatMap((store, p) => busy.map((stream) => store.append(stream, [event({ p })], 'any'))),
    );
    expect(results.map((r) => r.revision).sort()).toEqual(busy.flatMap(() => [0n, 1n, 2n]).sort());
  });

  it('a deadlock with a caller’s transaction runs the batch again instead of failing its appends', async () => {
    const [a, b] = [`${prefix}a`, `${prefix}b`];
    const store = stores[0]!;
    await store.append(a, [event({ n: 0 })], 'no_stream');
    await store.append(b, [event({ n: 0 })], 'no_stream');
    // The caller's transaction holds b; the batch takes a (stream id order), then waits for b.
    const caller = await admin.transaction();
    await store.appendWithin(caller, b, [event({ from: 'caller' })], 'any');
    const batch = Promise.all([
      store.append(a, [event({ from: 'batch' })], 'any'),
      store.append(b, [event({ from: 'batch' })], 'any'),
    ]);
    for (;;) {
      const { rows } = await admin.raw<{ rows: { waiting: string }[] }>(
        `select count(*)::text as waiting from pg_stat_activity
         where wait_event_type = 'Lock' and query like '%append_batch%'`,
      );
      if (rows[0]!.waiting === '1') break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    // Now the caller wants a: a deadlock. The batch waited first, so PostgreSQL aborts it.
    await store.appendWithin(caller, a, [event({ from: 'caller' })], 'any');
    await caller.commit();
    expect((await batch).map((r) => r.revision)).toEqual([2n, 2n]);
    const from = async (stream: string): Promise<unknown[]> =>
      (await store.readStream(stream)).map((e) => e.data['from']);
    expect(await from(a)).toEqual([undefined, 'caller', 'batch']);
    expect(await from(b)).toEqual([undefined, 'caller', 'batch']);
  }, 15_000);

  it('an event PostgreSQL refuses (a lone surrogate) fails its own append only', async () => {
    const store = stores[1]!;
    const outcomes = await Promise.allSettled([
      store.append(`${prefix}ok-1`, [event({ text: 'fine' })], 'no_stream'),
      store.append(`${prefix}bad`, [event({ text: 'half \ud800 of a pair' })], 'no_stream'),
      store.append(`${prefix}ok-2`, [event({ text: 'fine too' })], 'no_stream'),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(await store.readStream(`${prefix}bad`)).toEqual([]);
    expect(await store.readStream(`${prefix}ok-2`)).toHaveLength(1);
  });
});
