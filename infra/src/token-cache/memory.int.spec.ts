import { tokenCacheContract } from './contract';
import { InMemoryTokenCache, tokenRefreshMarginMs, tokenUsableForMs } from './memory';

describe('token cache in memory', () => {
  tokenCacheContract(async () => {
    // One process holds one cache: the "other worker" is the same object.
    const cache = new InMemoryTokenCache();
    return { cache, other: cache, dispose: async () => undefined };
  });

  it('refreshes 5 minutes early, or a tenth of the lifetime for a short-lived token', () => {
    expect(tokenRefreshMarginMs(7200_000)).toBe(300_000);
    expect(tokenUsableForMs(7200_000)).toBe(6900_000);
    expect(tokenRefreshMarginMs(60_000)).toBe(6_000);
    expect(tokenUsableForMs(60_000)).toBe(54_000);
    expect(tokenUsableForMs(0)).toBe(0);
    expect(tokenUsableForMs(Number.NaN)).toBe(0);
  });

  it('follows the clock it is given', async () => {
    let now = 1_000_000;
    const cache = new InMemoryTokenCache({ now: () => now });
    let n = 0;
    const fetch = async () => ({ token: `t${++n}`, expiresInMs: 7200_000 });
    expect(await cache.get('k', fetch)).toBe('t1');
    now += 6899_999;
    expect(await cache.get('k', fetch)).toBe('t1');
    now += 1;
    expect(await cache.get('k', fetch)).toBe('t2');
  });

  it('shares one fetch even when the fetcher throws at once', async () => {
    const cache = new InMemoryTokenCache();
    const failing = jest.fn((): Promise<{ token: string; expiresInMs: number }> => {
      throw new Error('boom');
    });
    const results = await Promise.allSettled([cache.get('k', failing), cache.get('k', failing)]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(failing).toHaveBeenCalledTimes(1);
    expect(await cache.get('k', async () => ({ token: 'ok', expiresInMs: 60_000 }))).toBe('ok');
  });
});
