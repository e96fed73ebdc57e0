import { redisPerTest } from '../../../test-support/redis-keys';
import { describeWithServer } from '../../../test-support/servers';
import { loginThrottleContract } from './contract';
import { RedisLoginThrottle } from './redis';

describeWithServer('redis', 'login throttle in Redis', (url) => {
  const scratch = redisPerTest(url);

  // Two throttles on two connections, as two processes have.
  loginThrottleContract(async (now) => ({
    throttle: new RedisLoginThrottle({ redis: scratch.connect(), prefix: scratch.prefix, now }),
    other: new RedisLoginThrottle({ redis: scratch.connect(), prefix: scratch.prefix, now }),
    dispose: async () => undefined,
  }));

  it('keeps under <prefix>login-failures:<key> only the newest `limit` failures, expiring a window after the last', async () => {
    const redis = scratch.connect();
    const throttle = new RedisLoginThrottle({ redis, prefix: scratch.prefix });
    const rule = { key: 'agent:acme:alice', limit: 10, windowMs: 15 * 60_000 };
    for (let i = 0; i < 25; i += 1) await throttle.fail([rule]);
    const key = `${scratch.prefix}login-failures:agent:acme:alice`;
    expect(await redis.zcard(key)).toBe(10);
    const ttl = await redis.pttl(key);
    expect(ttl).toBeGreaterThan(14 * 60_000);
    expect(ttl).toBeLessThanOrEqual(15 * 60_000);
    await throttle.succeed([rule]);
    expect(await redis.exists(key)).toBe(0);
  });
});
