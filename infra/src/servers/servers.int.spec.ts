// The servers CI starts are the ones the adapters need: versions and features, checked once
// with a clear message, so that a wrong server fails here rather than deep inside a suite.
import { Kafka, logLevel } from 'kafkajs';
import knexFactory from 'knex';
import Redis from 'ioredis';
import { describeWithServer } from '../../../test-support/servers';

describeWithServer('postgres', 'PostgreSQL server', (url) => {
  it('is version 13 or later (xid8 and pg_snapshot_xmin) and runs plpgsql', async () => {
    const knex = knexFactory({ client: 'pg', connection: url });
    try {
      const { rows } = await knex.raw<{ rows: { version: string; xmin: string }[] }>(
        `select current_setting('server_version_num') as version,
                pg_snapshot_xmin(pg_current_snapshot())::text as xmin`,
      );
      expect(Number(rows[0]!.version)).toBeGreaterThanOrEqual(130000);
      expect(BigInt(rows[0]!.xmin)).toBeGreaterThan(0n);
      const { rows: languages } = await knex.raw<{ rows: unknown[] }>(
        `select 1 from pg_language where lanname = 'plpgsql'`,
      );
      expect(languages).toHaveLength(1);
    } finally {
      await knex.destroy();
    }
  });
});

describeWithServer('redis', 'Redis server', (url) => {
  it('answers and supports Lua scripts and sorted sets', async () => {
    const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await redis.connect();
      expect(await redis.ping()).toBe('PONG');
      const key = `servers-check-${Date.now()}`;
      await redis.zadd(key, 2, 'b', 1, 'a');
      expect(await redis.eval(`return redis.call('zrange', KEYS[1], 0, 0)`, 1, key)).toEqual(['a']);
      await redis.del(key);
    } finally {
      redis.disconnect();
    }
  });
});

describeWithServer('kafka', 'Kafka broker', (brokers) => {
  it('answers metadata requests and has a controller', async () => {
    const admin = new Kafka({ brokers: brokers.split(','), logLevel: logLevel.NOTHING }).admin();
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      expect(cluster.brokers.length).toBeGreaterThanOrEqual(1);
      expect(cluster.controller).not.toBeNull();
    } finally {
      await admin.disconnect();
    }
  });
});
