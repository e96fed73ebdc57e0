import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { describeWithServer } from '../../../test-support/servers';
import { tokenCacheContract } from './contract';
import { RedisTokenCache } from './redis';

describeWithServer('redis', 'token cache in Redis', (url) => {
  const connections: Redis[] = [];
  let prefix = '';

  const connect = (): Redis => {
    const redis = new Redis(url, { maxRetriesPerRequest: 1 });
    connections.push(redis);
    return redis;
  };

  const dropKeys = async (): Promise<void> => {
    const redis = connections[0];
    if (redis === undefined) return;
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
  };

  beforeEach(() => {
    prefix = `test:${randomBytes(6).toString('hex')}:`;
  });

  afterEach(async () => {
    await dropKeys();
    for (const redis of connections.splice(0)) redis.disconnect();
  });

  // Two caches on two connections, as two worker processes have.
  tokenCacheContract(async () => ({
    cache: new RedisTokenCache({ redis: connect(), prefix }),
    other: new RedisTokenCache({ redis: connect(), prefix }),
    dispose: async () => undefined,
  }));

  it('stores the token under <prefix>token:<key> with an expiry before the token expires', async () => {
    const cache = new RedisTokenCache({ redis: connect(), prefix });
    expect(await cache.get('wechat:app', async () => ({ token: 'abc', expiresInMs: 7200_000 }))).toBe('abc');
    const redis = connections[0] as Redis;
    expect(await redis.get(`${prefix}token:wechat:app`)).toBe('abc');
    const ttl = await redis.pttl(`${prefix}token:wechat:app`);
    expect(ttl).toBeGreaterThan(6890_000);
    expect(ttl).toBeLessThanOrEqual(6900_000);
    expect(await redis.exists(`${prefix}token-lock:wechat:app`)).toBe(0);
  });

  it('waits for the worker holding the lock, and fetches itself when that worker never stores', async () => {
    const redis = connect();
    const cache = new RedisTokenCache({ redis, prefix, pollMs: 20, waitMs: 400 });
    // A worker that took the lock and died.
    await redis.set(`${prefix}token-lock:wechat:app`, 'dead-worker', 'PX', 10_000);
    const fetch = jest.fn(async () => ({ token: 'mine', expiresInMs: 7200_000 }));
    const started = Date.now();
    expect(await cache.get('wechat:app', fetch)).toBe('mine');
    expect(Date.now() - started).toBeGreaterThanOrEqual(390);
    expect(fetch).toHaveBeenCalledTimes(1);
    // Its lock is not ours to release.
    expect(await redis.get(`${prefix}token-lock:wechat:app`)).toBe('dead-worker');
  });

  it('takes the token another worker stores while it waits', async () => {
    const redis = connect();
    const cache = new RedisTokenCache({ redis, prefix, pollMs: 20 });
    await redis.set(`${prefix}token-lock:wechat:app`, 'other-worker', 'PX', 10_000);
    const fetch = jest.fn(async () => ({ token: 'mine', expiresInMs: 7200_000 }));
    const got = cache.get('wechat:app', fetch);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await redis.set(`${prefix}token:wechat:app`, 'theirs', 'PX', 60_000);
    expect(await got).toBe('theirs');
    expect(fetch).not.toHaveBeenCalled();
  });
});
