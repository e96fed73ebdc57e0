import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { describeWithServer } from '../../../test-support/servers';
import { timeoutContract } from './contract';
import { RedisDeadlines, RedisTimeoutSchedule } from './redis';

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
      deadlines: new RedisDeadlines({ redis: a, prefix }),
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
