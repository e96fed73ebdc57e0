// An immutable map that only grows (a session's client message ids, its platform deliveries),
// cheap to extend however large it gets. Copying a plain object to add one key costs time in
// proportion to its size (1.5 ms at 1,000 keys, measured): a session of thousands of messages
// made every message slower than the one before. Here the newest keys sit in a small record,
// copied on each addition, and every CHUNK of them moves into a frozen chunk that later states
// share.

/** Keys per chunk: a copy of at most this many keys per addition, a look in ~size/CHUNK records. */
const CHUNK = 32;

export interface GrowingMap<V> {
  /** The newest keys, fewer than CHUNK. */
  readonly recent: Readonly<Record<string, V>>;
  readonly recentSize: number;
  /** Full chunks, oldest first; shared by every state that has them. */
  readonly chunks: readonly Readonly<Record<string, V>>[];
}

export const emptyGrowingMap = <V>(): GrowingMap<V> => ({ recent: {}, recentSize: 0, chunks: [] });

const own = <V>(record: Readonly<Record<string, V>>, key: string): V | undefined =>
  Object.prototype.hasOwnProperty.call(record, key) ? record[key] : undefined;

export const lookup = <V>(map: GrowingMap<V>, key: string): V | undefined => {
  const found = own(map.recent, key);
  if (found !== undefined) return found;
  for (let i = map.chunks.length - 1; i >= 0; i--) {
    const value = own(map.chunks[i]!, key);
    if (value !== undefined) return value;
  }
  return undefined;
};

/** The map with `key` set to `value` (the newest value of a key is the one found). */
export const extend = <V>(map: GrowingMap<V>, key: string, value: V): GrowingMap<V> => {
  const recent = { ...map.recent, [key]: value };
  return map.recentSize + 1 < CHUNK
    ? { recent, recentSize: map.recentSize + 1, chunks: map.chunks }
    : { recent: {}, recentSize: 0, chunks: [...map.chunks, Object.freeze(recent)] };
};
