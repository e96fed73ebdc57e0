// Access tokens that expire (WeChat's access_token): fetched by one caller at a time, shared by
// every worker, refreshed a little before they expire. The same shape as the gateways' port
// (`gateways/src/channels/port.ts`), so either adapter satisfies it structurally.

/** What a token fetch answers: the token and how long it lives from now. */
export interface FetchedToken {
  readonly token: string;
  readonly expiresInMs: number;
}

export interface TokenCache {
  /** The cached token under `key`, or the one `fetch` gets (only one caller fetches at a time). */
  get(key: string, fetch: () => Promise<FetchedToken>): Promise<string>;
  /** Forgets the token (the platform said it is invalid), so the next get fetches a new one. */
  invalidate(key: string, token: string): Promise<void>;
}

import Redis from 'ioredis';
import { InMemoryTokenCache } from './memory';
import { RedisTokenCache } from './redis';

export * from './memory';
export * from './redis';

/** Redis when a URL is given (shared by every worker), memory otherwise (embedded: one process). */
export const openTokenCache = (options: {
  readonly redisUrl?: string | undefined;
  readonly prefix: string;
}): { readonly tokens: TokenCache; stop(): Promise<void> } => {
  if (options.redisUrl === undefined) return { tokens: new InMemoryTokenCache(), stop: async () => undefined };
  const redis = new Redis(options.redisUrl, { maxRetriesPerRequest: 3 });
  return {
    tokens: new RedisTokenCache({ redis, prefix: options.prefix }),
    stop: async () => {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
};
