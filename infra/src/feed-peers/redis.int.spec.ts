import { redisPerTest } from '../../../test-support/redis-keys';
import { describeWithServer } from '../../../test-support/servers';
import { feedPeersContract } from './contract';
import { RedisFeedPeers } from './redis';

describeWithServer('redis', 'feed peers in Redis', (url) => {
  const scratch = redisPerTest(url);

  // Two stores on two connections, as two gateways have.
  feedPeersContract(async () => ({
    peers: new RedisFeedPeers({ redis: scratch.connect(), prefix: scratch.prefix }),
    other: new RedisFeedPeers({ redis: scratch.connect(), prefix: scratch.prefix }),
    dispose: async () => undefined,
  }));

  it('keeps one sorted set <prefix>feed-peers, one member per gateway, expiring a retention after the last report', async () => {
    const redis = scratch.connect();
    const peers = new RedisFeedPeers({ redis, prefix: scratch.prefix, retentionMs: 60_000 });
    const now = Date.now();
    for (let i = 0; i < 10; i += 1) await peers.report(i % 2 === 0 ? 'gw-a' : 'gw-b', now + i);
    const key = `${scratch.prefix}feed-peers`;
    expect(await redis.zrange(key, '0', '-1', 'WITHSCORES')).toEqual([
      'gw-a',
      String(now + 8),
      'gw-b',
      String(now + 9),
    ]);
    const ttl = await redis.pttl(key);
    expect(ttl).toBeGreaterThan(50_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });
});
