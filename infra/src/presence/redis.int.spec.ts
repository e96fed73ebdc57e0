import { redisPerTest } from '../../../test-support/redis-keys';
import { describeWithServer } from '../../../test-support/servers';
import { presenceContract } from './contract';
import { PRESENCE_KEEP_MS, type SocketLease } from './port';
import { RedisPresence } from './redis';

const T0 = 1_800_000_000_000;

describeWithServer('redis', 'presence in Redis', (url) => {
  const scratch = redisPerTest(url);

  // Two handles on two connections, as two gateway processes have.
  presenceContract(async () => ({
    presence: new RedisPresence({ redis: scratch.connect(), prefix: scratch.prefix }),
    other: new RedisPresence({ redis: scratch.connect(), prefix: scratch.prefix }),
    flush: scratch.dropKeys,
    dispose: async () => undefined,
  }));

  const socket = (connectionId: string, gatewayId = 'g1', agentId = 'a1'): SocketLease => ({
    companyId: 'acme',
    agentId,
    gatewayId,
    connectionId,
  });

  it('keeps an agent in <prefix>presence:<companyId>:<agentId>, its sockets scored by lease end, for 7 days', async () => {
    const redis = scratch.connect();
    const presence = new RedisPresence({ redis, prefix: scratch.prefix, leaseMs: 10_000 });
    await presence.open(socket('c1'), T0);
    await presence.close(socket('c2', 'g2'), T0 + 500);
    const key = `${scratch.prefix}presence:acme:a1`;
    expect(await redis.zrange(key, '0', '-1', 'WITHSCORES')).toEqual([
      'g2/c2',
      String(T0 + 500),
      'g1/c1',
      String(T0 + 10_000),
    ]);
    const ttl = await redis.pttl(key);
    expect(ttl).toBeGreaterThan(PRESENCE_KEEP_MS - 60_000);
    expect(ttl).toBeLessThanOrEqual(PRESENCE_KEEP_MS);
  });

  it('drops the ended leases as it answers, but the latest when none is live', async () => {
    const redis = scratch.connect();
    const presence = new RedisPresence({ redis, prefix: scratch.prefix });
    const key = `${scratch.prefix}presence:acme:a1`;
    await presence.open(socket('live'), T0 + 100_000);
    for (let n = 0; n < 5; n += 1) await presence.close(socket(`c${n}`), T0 + n);
    await presence.seen([{ companyId: 'acme', agentId: 'a1' }], T0 + 100_000);
    expect(await redis.zrange(key, '0', '-1')).toEqual(['g1/live']);
    await presence.close(socket('live'), T0 + 200_000);
    await presence.close(socket('late'), T0 + 150_000);
    expect(await presence.seen([{ companyId: 'acme', agentId: 'a1' }], T0 + 300_000)).toEqual([
      { connected: false, until: T0 + 200_000 },
    ]);
    expect(await redis.zrange(key, '0', '-1')).toEqual(['g1/live']);
  });

  it('fails a renew that Redis refused rather than dropping it', async () => {
    const redis = scratch.connect();
    await redis.set(`${scratch.prefix}presence:acme:a2`, 'not a sorted set');
    const presence = new RedisPresence({ redis, prefix: scratch.prefix });
    await expect(presence.renew([socket('c1'), socket('c1', 'g1', 'a2')], T0)).rejects.toThrow(/WRONGTYPE/);
  });

  it('measures seen for 1,000 agents and renew of 1,000 sockets (one round trip each)', async () => {
    const presence = new RedisPresence({ redis: scratch.connect(), prefix: scratch.prefix });
    const sockets = Array.from({ length: 1000 }, (_, n) => socket(`c${n}`, `g${n % 4}`, `a${n}`));
    const agents = sockets.map(({ companyId, agentId }) => ({ companyId, agentId }));
    const median = async (run: (i: number) => Promise<unknown>): Promise<number> => {
      for (let i = 0; i < 3; i += 1) await run(i); // warm: script loaded, code compiled
      const times: number[] = [];
      for (let i = 3; i < 24; i += 1) {
        const started = performance.now();
        await run(i);
        times.push(performance.now() - started);
      }
      return times.sort((a, b) => a - b)[10] as number;
    };
    const renewMs = await median((i) => presence.renew(sockets, T0 + i));
    const seenMs = await median((i) => presence.seen(agents, T0 + 100 + i));
    expect((await presence.seen(agents, T0 + 200)).every((s) => s.connected)).toBe(true);
    console.log(
      `presence on ${new URL(url).host}: renew of 1,000 sockets median ${renewMs.toFixed(2)} ms, ` +
        `seen of 1,000 agents median ${seenMs.toFixed(2)} ms (21 runs each)`,
    );
  });
});
