import Redis from 'ioredis';
import { InMemorySessionActivity, InMemoryTimeoutSchedule } from './memory';
import type { SessionActivity, TimeoutSchedule } from './port';
import { RedisSessionActivity, RedisTimeoutSchedule } from './redis';

export * from './port';
export * from './memory';
export * from './redis';
export * from './worker';
export * from './reactions';

export interface Timeouts {
  readonly schedule: TimeoutSchedule;
  readonly activity: SessionActivity;
  readonly description: string;
  stop(): Promise<void>;
}

/** Redis when a URL is given (distributed), memory otherwise (embedded: one process holds all). */
export const openTimeouts = (options: {
  readonly redisUrl?: string | undefined;
  readonly prefix: string;
}): Timeouts => {
  if (options.redisUrl === undefined) {
    return {
      schedule: new InMemoryTimeoutSchedule(),
      activity: new InMemorySessionActivity(),
      description: 'timeouts: in memory (rebuilt from the read model at start)',
      stop: async () => undefined,
    };
  }
  const redis = new Redis(options.redisUrl, { maxRetriesPerRequest: 3, lazyConnect: false });
  return {
    schedule: new RedisTimeoutSchedule({ redis, prefix: options.prefix }),
    activity: new RedisSessionActivity({ redis, prefix: options.prefix }),
    description: `timeouts: Redis at ${new URL(options.redisUrl).host}`,
    stop: async () => {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
};
