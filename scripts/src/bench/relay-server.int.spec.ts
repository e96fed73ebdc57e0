// The e2e benchmark's baselines as it runs them: the bare relay forwards every message; the durable
// relay stores each one (a row, in order per session) before forwarding it, in a database of its
// own that goes when it stops.
import knexFactory from 'knex';
import { describeWithServer } from '../../../test-support/servers';
import { startDurableRelay, startRelay } from './deployments';
import { pairSet, relayPairs, runStep } from './e2e-load';

describe('the bare relay', () => {
  jest.setTimeout(60_000);
  it('forwards every visitor message to its agent', async () => {
    const relay = await startRelay();
    const pairs = pairSet(relayPairs(relay, 1));
    try {
      await pairs.ensure(3);
      const outcome = await runStep(pairs.all, 60, 1, { graceMs: 20_000 });
      expect([outcome.offered, outcome.latencies.length, outcome.lost]).toEqual([60, 60, 0]);
    } finally {
      pairs.close();
      await relay.stop();
    }
  });
});

describeWithServer('postgres', 'the durable relay', (url) => {
  jest.setTimeout(60_000);
  it('stores each message as a row before forwarding it, in order per session, and drops its database at the end', async () => {
    const relay = await startDurableRelay(url);
    const pairs = pairSet(relayPairs(relay, 2));
    const admin = knexFactory({ client: 'pg', connection: url, pool: { min: 0, max: 1 } });
    const database = new URL(relay.databaseUrl!).pathname.slice(1);
    try {
      await pairs.ensure(3);
      const outcome = await runStep(pairs.all, 60, 1, { graceMs: 20_000 });
      expect([outcome.offered, outcome.latencies.length]).toEqual([60, 60]);
      const db = knexFactory({ client: 'pg', connection: relay.databaseUrl!, pool: { min: 0, max: 1 } });
      try {
        const rows = await db<{ session_id: string; client_msg_id: string }>('chat_messages')
          .select('session_id', 'client_msg_id')
          .orderBy('id');
        expect(rows).toHaveLength(60);
        const bySession = new Map<string, number[]>();
        for (const row of rows)
          bySession.set(row.session_id, [...(bySession.get(row.session_id) ?? []), Number(row.client_msg_id.slice(1))]);
        expect([...bySession.keys()].sort()).toEqual(['1', '2', '3']);
        for (const probes of bySession.values()) expect(probes).toEqual([...probes].sort((a, b) => a - b));
      } finally {
        await db.destroy();
      }
    } finally {
      pairs.close();
      await relay.stop();
    }
    try {
      const { rows } = await admin.raw<{ rows: unknown[] }>('select 1 from pg_database where datname = ?', [database]);
      expect(rows).toEqual([]);
    } finally {
      await admin.destroy();
    }
  });
});
