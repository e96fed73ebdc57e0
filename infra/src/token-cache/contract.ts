// The one contract both token caches pass (in memory, Redis). Each test gets a fresh cache: for
// Redis a key prefix of its own, and a second cache on another connection as another worker has.
import { setTimeout as sleep } from 'node:timers/promises';
import type { FetchedToken, TokenCache } from './index';

export interface TokenCacheFixture {
  readonly cache: TokenCache;
  /** A second handle on the same tokens, as another worker process has. */
  readonly other: TokenCache;
  dispose(): Promise<void>;
}

const TWO_HOURS_MS = 2 * 60 * 60_000;

/** A fetcher that answers `t1`, `t2`, ... after `delayMs`, counting its calls. */
const fetcher = (expiresInMs = TWO_HOURS_MS, delayMs = 20) => {
  const fetch = jest.fn(async (): Promise<FetchedToken> => {
    await sleep(delayMs);
    return { token: `t${fetch.mock.calls.length}`, expiresInMs };
  });
  return fetch;
};

export const tokenCacheContract = (setup: () => Promise<TokenCacheFixture>): void => {
  let f: TokenCacheFixture;
  beforeEach(async () => {
    f = await setup();
  });
  afterEach(() => f.dispose());

  it('fetches once for many concurrent gets, then answers from the cache', async () => {
    const fetch = fetcher();
    const tokens = await Promise.all(Array.from({ length: 20 }, () => f.cache.get('wechat:app', fetch)));
    expect(new Set(tokens)).toEqual(new Set(['t1']));
    expect(await f.cache.get('wechat:app', fetch)).toBe('t1');
    expect(fetch).toHaveBeenCalledTimes(1);
  });

  it('keeps keys apart', async () => {
    const fetch = fetcher();
    expect(await f.cache.get('wechat:a', fetch)).toBe('t1');
    expect(await f.cache.get('wechat:b', fetch)).toBe('t2');
    expect(await f.cache.get('wechat:a', fetch)).toBe('t1');
  });

  it('caches a token until shortly before it expires, then fetches a new one', async () => {
    // Lives 1 s: refreshed a tenth of its lifetime early, at 900 ms.
    const fetch = fetcher(1_000, 0);
    expect(await f.cache.get('wechat:app', fetch)).toBe('t1');
    await sleep(100);
    expect(await f.cache.get('wechat:app', fetch)).toBe('t1');
    await sleep(850);
    expect(await f.cache.get('wechat:app', fetch)).toBe('t2');
    expect(fetch).toHaveBeenCalledTimes(2);
  });

  it('fetches anew after the token is invalidated, but not for a token already replaced', async () => {
    const fetch = fetcher();
    expect(await f.cache.get('wechat:app', fetch)).toBe('t1');
    await f.cache.invalidate('wechat:app', 't1');
    expect(await f.other.get('wechat:app', fetch)).toBe('t2');
    // A worker that still held t1 reports it invalid late: t2 stays.
    await f.other.invalidate('wechat:app', 't1');
    expect(await f.cache.get('wechat:app', fetch)).toBe('t2');
    expect(fetch).toHaveBeenCalledTimes(2);
  });

  it('lets a failed fetch fail its caller and fetches again on the next get', async () => {
    const failing = jest.fn(async (): Promise<FetchedToken> => {
      throw new Error('token endpoint down');
    });
    await expect(f.cache.get('wechat:app', failing)).rejects.toThrow('token endpoint down');
    const fetch = fetcher();
    expect(await f.cache.get('wechat:app', fetch)).toBe('t1');
    expect(failing).toHaveBeenCalledTimes(1);
  });

  it('does not cache a token that expires at once', async () => {
    const fetch = fetcher(0, 0);
    expect(await f.cache.get('wechat:app', fetch)).toBe('t1');
    expect(await f.cache.get('wechat:app', fetch)).toBe('t2');
  });

  it('calls the fetcher exactly once when two workers race for a missing token', async () => {
    const fetch = fetcher(TWO_HOURS_MS, 150);
    const gets = Array.from({ length: 10 }, (_, n) => (n % 2 === 0 ? f.cache : f.other).get('wechat:app', fetch));
    expect(new Set(await Promise.all(gets))).toEqual(new Set(['t1']));
    expect(fetch).toHaveBeenCalledTimes(1);
  });
};
