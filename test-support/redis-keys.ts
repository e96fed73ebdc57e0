// A Redis suite on the shared server: each test gets a key prefix of its own and connections
// that are closed, and its keys deleted, after it (FLUSHALL would wipe other suites' keys).
import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';

export interface RedisPerTest {
  /** This test's key prefix. */
  readonly prefix: string;
  /** A new connection, as another process has; closed after the test. */
  readonly connect: () => Redis;
  /** Deletes this test's keys: all of its Redis, so this is its flush. */
  readonly dropKeys: () => Promise<void>;
}

/** Call inside a describe: registers the beforeEach / afterEach that keep tests apart. */
export const redisPerTest = (url: string): RedisPerTest => {
  const connections: Redis[] = [];
  let prefix = '';
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
  return {
    get prefix() {
      return prefix;
    },
    connect: () => {
      const redis = new Redis(url, { maxRetriesPerRequest: 1 });
      connections.push(redis);
      return redis;
    },
    dropKeys,
  };
};
