import Redis from 'ioredis';
import { InMemoryLoginThrottle } from './memory';
import type { LoginThrottle } from './port';
import { RedisLoginThrottle } from './redis';

export * from './memory';
export * from './port';
export * from './redis';

/** Redis when a URL is given (shared by every process), memory otherwise (embedded: one process). */
export const openLoginThrottle = (options: {
  readonly redisUrl?: string | undefined;
  readonly prefix: string;
}): { readonly throttle: LoginThrottle; stop(): Promise<void> } => {
  if (options.redisUrl === undefined) return { throttle: new InMemoryLoginThrottle(), stop: async () => undefined };
  const redis = new Redis(options.redisUrl, { maxRetriesPerRequest: 3 });
  return {
    throttle: new RedisLoginThrottle({ redis, prefix: options.prefix }),
    stop: async () => {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
};
