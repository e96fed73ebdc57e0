import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { describeWithServer } from '../../../test-support/servers';
import { timeoutContract } from './contract';
import { ACTIVITY_GRACE_MS, ACTIVITY_KEPT_MS, memberOf } from './port';
import { RedisSessionActivity, RedisTimeoutSchedule } from './redis';

describeWithServer('redis', 'timeouts in Redis', (url) => {
  timeoutContract(async () => {
    const prefix = `test:${randomBytes(6).toString('hex')}:`;
    const a = new Redis(url, { maxRetriesPerRequest: 1 });
    const b = new Redis(url, { maxRetriesPerRequest: 1 });
    const dropKeys = async (): Promise<void> => {
      const keys = await a.keys(`${prefix}*`);
      if (keys.length > 0) await a.del(...keys);
    };
    return {
      schedule: new RedisTimeoutSchedule({ redis: a, prefix }),
      other: new RedisTimeoutSchedule({ redis: b, prefix }),
      activity: new RedisSessionActivity({ redis: a, prefix }),
      // FLUSHALL would wipe other suites' keys on the shared server: this test's keys are all of its Redis.
      flush: dropKeys,
      dispose: async () => {
        await dropKeys();
        a.disconnect();
        b.disconnect();
      },
    };
  });
});

describeWithServer('redis', 'session activity keys in Redis', (url) => {
  const prefix = `test:${randomBytes(6).toString('hex')}:`;
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  it('expires a key at most the longest timeout plus the grace after its activity', async () => {
    const activity = new RedisSessionActivity({ redis, prefix });
    const ref = { companyId: 'acme', sessionId: 's1' };
    const at = Date.now() - 60_000;
    await activity.record(ref, at);
    const key = `${prefix}activity:${memberOf(ref)}`;
    const expiresAt = Number(await redis.call('PEXPIRETIME', key));
    expect(expiresAt).toBe(at + ACTIVITY_KEPT_MS);
    expect(ACTIVITY_KEPT_MS).toBe(604_800_000 + ACTIVITY_GRACE_MS);
    await activity.remove(ref);
    expect(await redis.exists(key)).toBe(0);
  });
});
