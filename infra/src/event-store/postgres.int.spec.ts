import { randomBytes } from 'node:crypto';
import knexFactory from 'knex';
import { describeWithServer } from '../../../test-support/servers';
import { createPostgresEventStore } from './index';
import { eventStoreContract } from './contract';

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
