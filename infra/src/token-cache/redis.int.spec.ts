import { redisPerTest } from '../../../test-support/redis-keys';
import { describeWithServer } from '../../../test-support/servers';
import { tokenCacheContract } from './contract';
import { RedisTokenCache } from './redis';

describeWithServer('redis', 'token cache in Redis', (url) => {
  const scratch = redisPerTest(url);

  // Two caches on two connections, as two worker processes have.
  tokenCacheContract(async () => ({
    cache: new RedisTokenCache({ redis: scratch.connect(), prefix: scratch.prefix }),
    other: new RedisTokenCache({ redis: scratch.connect(), prefix: scratch.prefix }),
    dispose: async () => undefined,
  }));

  it('stores the token under <prefix>token:<key> with an expiry before the token expires', async () => {
    const redis = scratch.connect();
    const cache = new RedisTokenCache({ redis, prefix: scratch.prefix });
    expect(await cache.get('wechat:app', async () => ({ token: 'abc', expiresInMs: 7200_000 }))).toBe('abc');
    expect(await redis.get(`${scratch.prefix}token:wechat:app`)).toBe('abc');
    const ttl = await redis.pttl(`${scratch.prefix}token:wechat:app`);
    expect(ttl).toBeGreaterThan(6890_000);
    expect(ttl).toBeLessThanOrEqual(6900_000);
    expect(await redis.exists(`${scratch.prefix}token-lock:wechat:app`)).toBe(0);
  });

  it('waits for the worker holding the lock, and fetches itself when that worker never stores', async () => {
    const redis = scratch.connect();
    const cache = new RedisTokenCache({ redis, prefix: scratch.prefix, pollMs: 20, waitMs: 400 });
    // A worker that took the lock and died.
    await redis.set(`${scratch.prefix}token-lock:wechat:app`, 'dead-worker', 'PX', 10_000);
    const fetch = jest.fn(async () => ({ token: 'mine', expiresInMs: 7200_000 }));
    const started = Date.now();
    expect(await cache.get('wechat:app', fetch)).toBe('mine');
    expect(Date.now() - started).toBeGreaterThanOrEqual(390);
    expect(fetch).toHaveBeenCalledTimes(1);
    // Its lock is not ours to release.
    expect(await redis.get(`${scratch.prefix}token-lock:wechat:app`)).toBe('dead-worker');
  });

  it('takes the token another worker stores while it waits', async () => {
    const redis = scratch.connect();
    const cache = new RedisTokenCache({ redis, prefix: scratch.prefix, pollMs: 20 });
    await redis.set(`${scratch.prefix}token-lock:wechat:app`, 'other-worker', 'PX', 10_000);
    const fetch = jest.fn(async () => ({ token: 'mine', expiresInMs: 7200_000 }));
    const got = cache.get('wechat:app', fetch);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await redis.set(`${scratch.prefix}token:wechat:app`, 'theirs', 'PX', 60_000);
    expect(await got).toBe('theirs');
    expect(fetch).not.toHaveBeenCalled();
  });
});
