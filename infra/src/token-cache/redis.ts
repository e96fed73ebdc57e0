// The token cache in Redis, shared by every worker: the token under `<prefix>token:<key>` with an
// expiry at its refresh time (a little before the token's own), and a lock
// `<prefix>token-lock:<key>` (SET NX PX) so that one worker fetches while the others poll for the
// value. A worker that waited too long (the fetcher died holding the lock) fetches itself.
// Within one process, concurrent callers of one key also share one attempt.
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import type { FetchedToken, TokenCache } from './index';
import { tokenUsableForMs } from './memory';

/** Deletes the key only if it still holds the value (our lock, or the token found invalid). */
const COMPARE_AND_DELETE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

export interface RedisTokenCacheOptions {
  readonly redis: Redis;
  /** Prefix of every key (tests and deployments sharing a Redis keep apart). Default `cschat:`. */
  readonly prefix?: string;
  /** How long the fetch lock lasts. Default 10 s. */
  readonly lockMs?: number;
  /** How often a waiting worker looks for the token. Default 50 ms. */
  readonly pollMs?: number;
  /** How long a worker waits for another's fetch before fetching itself. Default 10 s. */
  readonly waitMs?: number;
}

export class RedisTokenCache implements TokenCache {
  private readonly redis: Redis;
  private readonly prefix: string;
  private readonly lockMs: number;
  private readonly pollMs: number;
  private readonly waitMs: number;
  private readonly inFlight = new Map<string, Promise<string>>();

  constructor(options: RedisTokenCacheOptions) {
    this.redis = options.redis;
    this.prefix = options.prefix ?? 'cschat:';
    this.lockMs = options.lockMs ?? 10_000;
    this.pollMs = options.pollMs ?? 50;
    this.waitMs = options.waitMs ?? 10_000;
    this.redis.defineCommand('cschatTokenCompareAndDelete', { numberOfKeys: 1, lua: COMPARE_AND_DELETE });
  }

  private get commands(): Redis & { cschatTokenCompareAndDelete(key: string, value: string): Promise<number> } {
    return this.redis as never;
  }

  private valueKey(key: string): string {
    return `${this.prefix}token:${key}`;
  }

  private lockKey(key: string): string {
    return `${this.prefix}token-lock:${key}`;
  }

  async get(key: string, fetch: () => Promise<FetchedToken>): Promise<string> {
    const cached = await this.redis.get(this.valueKey(key));
    if (cached !== null) return cached;
    const pending = this.inFlight.get(key);
    if (pending !== undefined) return pending;
    const attempt: Promise<string> = Promise.resolve()
      .then(() => this.obtain(key, fetch))
      .finally(() => {
        if (this.inFlight.get(key) === attempt) this.inFlight.delete(key);
      });
    this.inFlight.set(key, attempt);
    return attempt;
  }

  async invalidate(key: string, token: string): Promise<void> {
    await this.commands.cschatTokenCompareAndDelete(this.valueKey(key), token);
  }

  /** Takes the lock and fetches, or waits for the worker that holds it; fetches anyway after `waitMs`. */
  private async obtain(key: string, fetch: () => Promise<FetchedToken>): Promise<string> {
    const deadline = Date.now() + this.waitMs;
    for (;;) {
      const cached = await this.redis.get(this.valueKey(key));
      if (cached !== null) return cached;
      const lock = randomBytes(16).toString('hex');
      if ((await this.redis.set(this.lockKey(key), lock, 'PX', this.lockMs, 'NX')) === 'OK') {
        try {
          // Another worker may have stored the token and released the lock since our last look.
          const stored = await this.redis.get(this.valueKey(key));
          return stored ?? (await this.fetchAndStore(key, fetch));
        } finally {
          await this.commands.cschatTokenCompareAndDelete(this.lockKey(key), lock).catch(() => undefined);
        }
      }
      if (Date.now() >= deadline) return this.fetchAndStore(key, fetch);
      await sleep(this.pollMs);
    }
  }

  private async fetchAndStore(key: string, fetch: () => Promise<FetchedToken>): Promise<string> {
    const { token, expiresInMs } = await fetch();
    const usableMs = tokenUsableForMs(expiresInMs);
    // A token fetched but not stored is still good for this caller (the next one fetches again).
    if (usableMs > 0) await this.redis.set(this.valueKey(key), token, 'PX', usableMs).catch(() => undefined);
    return token;
  }
}
