import Redis from 'ioredis';
import { InMemoryFeedPeers } from './memory';
import type { FeedPeers } from './port';
import { RedisFeedPeers } from './redis';

export * from './memory';
export * from './port';
export * from './redis';

/** Redis when a URL is given (shared by every gateway), memory otherwise (embedded: one process, no peers). */
export const openFeedPeers = (options: {
  readonly redisUrl?: string | undefined;
  readonly prefix: string;
}): { readonly peers: FeedPeers; stop(): Promise<void> } => {
  if (options.redisUrl === undefined) return { peers: new InMemoryFeedPeers(), stop: async () => undefined };
  const redis = new Redis(options.redisUrl, { maxRetriesPerRequest: 3 });
  return {
    peers: new RedisFeedPeers({ redis, prefix: options.prefix }),
    stop: async () => {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
};
