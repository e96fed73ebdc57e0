import Redis from 'ioredis';
import { InMemoryPresence } from './memory';
import type { Presence } from './port';
import { RedisPresence } from './redis';

export * from './port';
export * from './memory';
export * from './redis';

export interface OpenPresence {
  readonly presence: Presence;
  readonly description: string;
  stop(): Promise<void>;
}

/** Redis when a URL is given (shared by every gateway and worker), memory otherwise (embedded: one process). */
export const openPresence = (options: {
  readonly redisUrl?: string | undefined;
  readonly prefix: string;
  /** Default 15 s. */
  readonly leaseMs?: number | undefined;
}): OpenPresence => {
  if (options.redisUrl === undefined) {
    const presence = new InMemoryPresence({ leaseMs: options.leaseMs });
    return {
      presence,
      description: `presence: in memory (leases of ${presence.leaseMs} ms)`,
      stop: async () => undefined,
    };
  }
  const redis = new Redis(options.redisUrl, { maxRetriesPerRequest: 3 });
  const presence = new RedisPresence({ redis, prefix: options.prefix, leaseMs: options.leaseMs });
  return {
    presence,
    description: `presence: Redis at ${new URL(options.redisUrl).host} (leases of ${presence.leaseMs} ms)`,
    stop: async () => {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
};
export * from './monitor';
