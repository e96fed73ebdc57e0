// The token cache in this process's memory (embedded mode, tests): concurrent callers of one key
// share one in-flight fetch; a token is used until its refresh time, a little before it expires.
import type { FetchedToken, TokenCache } from './index';

const FIVE_MINUTES_MS = 5 * 60_000;

/**
 * How long before expiry a token is refreshed: 5 minutes, or a tenth of its lifetime when that
 * is shorter (a token living 60 s is refreshed 6 s early rather than never cached).
 */
export const tokenRefreshMarginMs = (lifetimeMs: number): number => Math.min(FIVE_MINUTES_MS, lifetimeMs / 10);

/** How long a token that lives `lifetimeMs` is used: 0 or less means "do not cache it". */
export const tokenUsableForMs = (lifetimeMs: number): number =>
  Number.isFinite(lifetimeMs) && lifetimeMs > 0 ? Math.floor(lifetimeMs - tokenRefreshMarginMs(lifetimeMs)) : 0;

export interface InMemoryTokenCacheOptions {
  /** The clock (ms since the epoch). Default `Date.now`. */
  readonly now?: () => number;
}

export class InMemoryTokenCache implements TokenCache {
  private readonly entries = new Map<string, { readonly token: string; readonly refreshAt: number }>();
  private readonly inFlight = new Map<string, Promise<string>>();
  private readonly now: () => number;

  constructor(options: InMemoryTokenCacheOptions = {}) {
    this.now = options.now ?? Date.now;
  }

  async get(key: string, fetch: () => Promise<FetchedToken>): Promise<string> {
    const entry = this.entries.get(key);
    if (entry !== undefined && this.now() < entry.refreshAt) return entry.token;
    const pending = this.inFlight.get(key);
    if (pending !== undefined) return pending;
    // `fetch` runs in a later microtask, after the promise is registered, so even a fetch that
    // throws at once cannot leave a settled promise behind in `inFlight`.
    const fetching: Promise<string> = Promise.resolve()
      .then(fetch)
      .then(({ token, expiresInMs }) => {
        const usableMs = tokenUsableForMs(expiresInMs);
        if (usableMs > 0) this.entries.set(key, { token, refreshAt: this.now() + usableMs });
        else this.entries.delete(key);
        return token;
      })
      .finally(() => {
        if (this.inFlight.get(key) === fetching) this.inFlight.delete(key);
      });
    this.inFlight.set(key, fetching);
    return fetching;
  }

  async invalidate(key: string, token: string): Promise<void> {
    if (this.entries.get(key)?.token === token) this.entries.delete(key);
  }
}
