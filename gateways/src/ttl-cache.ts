// A small time-bounded cache for what may be a few seconds old (not configuration: that is
// versioned, see infra/src/company-config/directory.ts).

/**
 * Remembers `load(key)` for `ttlMs` (at most `max` keys, oldest dropped first); a failed load is
 * forgotten at once. Concurrent callers share one load.
 */
export const ttlCache = <T>(
  ttlMs: number,
  load: (key: string) => Promise<T>,
  now: () => number = Date.now,
  max = 10_000,
): ((key: string) => Promise<T>) => {
  const cached = new Map<string, { readonly at: number; readonly value: Promise<T> }>();
  return (key) => {
    const hit = cached.get(key);
    if (hit !== undefined && now() - hit.at < ttlMs) return hit.value;
    const value = load(key);
    cached.delete(key);
    cached.set(key, { at: now(), value });
    value.catch(() => cached.delete(key));
    if (cached.size > max) cached.delete(cached.keys().next().value!);
    return value;
  };
};
