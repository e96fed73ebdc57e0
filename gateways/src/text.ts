// Text that PostgreSQL can store, where the event store and the configuration live: no NUL character
// (jsonb and text refuse it) and no unpaired UTF-16 surrogate (jsonb refuses its `\uD800` escape, a text
// column would quietly turn it into U+FFFD). Clients' input holding either is refused at the edge
// (`bad_request`) rather than failing in the database (`internal`); a platform's message has it replaced.

// eslint-disable-next-line no-control-regex -- the NUL character is what it looks for
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const UNSTORABLE_ALL = new RegExp(UNSTORABLE.source, 'g');

export const isStorableText = (text: string): boolean => !UNSTORABLE.test(text);

/** The text with each NUL and unpaired surrogate replaced by U+FFFD. */
export const storableText = (text: string): string => text.replace(UNSTORABLE_ALL, '\ufffd');

/**
 * The dotted path (`attributes.plan`, `weekly.0.day`; `''` for the value itself) of the first string of a
 * parsed JSON value that is not storable, an object key counting as its own field; undefined when every
 * one is. Iterative: any depth.
 */
export const unstorableField = (value: unknown): string | undefined => {
  const pending: [unknown, string][] = [[value, '']];
  const at = (path: string, key: string): string => (path === '' ? key : `${path}.${key}`);
  while (pending.length > 0) {
    const [next, path] = pending.pop()!;
    if (typeof next === 'string') {
      if (!isStorableText(next)) return path;
    } else if (Array.isArray(next)) {
      (next as unknown[]).forEach((item, i) => pending.push([item, at(path, String(i))]));
    } else if (typeof next === 'object' && next !== null && !Buffer.isBuffer(next)) {
      for (const [key, child] of Object.entries(next)) {
        if (!isStorableText(key)) return path;
        pending.push([child, at(path, key)]);
      }
    }
  }
  return undefined;
};

/** Whether every string of a parsed JSON value (object keys too) is storable. */
export const isStorableValue = (value: unknown): boolean => unstorableField(value) === undefined;
