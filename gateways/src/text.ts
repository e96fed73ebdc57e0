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

/** Whether every string of a parsed JSON value (object keys too) is storable. Iterative: any depth. */
export const isStorableValue = (value: unknown): boolean => {
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const next = pending.pop();
    if (typeof next === 'string') {
      if (!isStorableText(next)) return false;
    } else if (Array.isArray(next)) {
      for (const item of next as unknown[]) pending.push(item);
    } else if (typeof next === 'object' && next !== null && !Buffer.isBuffer(next)) {
      for (const [key, child] of Object.entries(next)) {
        if (!isStorableText(key)) return false;
        pending.push(child);
      }
    }
  }
  return true;
};
