// Shared by the fuzz and security suites: hostile text, mutations of valid payloads, and the summary
// each suite prints at its end (inputs tried, or attempts refused, per surface).
import fc from 'fast-check';

/**
 * How many runs a property gets: `runs` times FUZZ_SCALE (default 1). `FUZZ_SCALE=20 npm test -- fuzz`
 * fuzzes longer on a developer's machine; CI keeps the default, sized to run in seconds.
 */
export const runs = (base: number): number => {
  const scale = Number(process.env['FUZZ_SCALE'] ?? '1');
  return Math.max(1, Math.round(base * (Number.isFinite(scale) && scale > 0 ? scale : 1)));
};

/** Pieces that break naive code: NUL, unpaired surrogates, BOM, bidi and line separators, markup, prototype names. */
export const NASTY_PIECES: readonly string[] = [
  '\u0000',
  '\ud800',
  '\udfff',
  '\ufeff',
  '\ufffe',
  '\uffff',
  '\u202e',
  '\u2028',
  '\u0085',
  '\r\n',
  '"',
  "'",
  '\\',
  '\\u0000',
  '<',
  '>',
  '&',
  '&amp;',
  '&#0;',
  '&#xD800;',
  ']]>',
  '<![CDATA[',
  '<!DOCTYPE x [<!ENTITY e "boom">]>',
  '&e;',
  '%00',
  '%2F',
  '../',
  '__proto__',
  'constructor',
  'prototype',
  '${7*7}',
  "' or '1'='1",
  '中文',
  '🙂',
  'e\u0301',
];

/** One unit of hostile text: any code point, or now and then a nasty piece. */
const hostileUnit: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }) },
  { weight: 1, arbitrary: fc.constantFrom(...NASTY_PIECES) },
);

export const hostileText = (maxLength = 40): fc.Arbitrary<string> => fc.string({ unit: hostileUnit, maxLength });

/** Any JSON value, with hostile strings as keys and values. */
export const hostileJson = (maxDepth = 3): fc.Arbitrary<fc.JsonValue> =>
  fc.jsonValue({ maxDepth, stringUnit: hostileUnit });

type Json = fc.JsonValue;
type Path = readonly (string | number)[];

const isObject = (value: unknown): value is Record<string, Json> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Every path into a JSON value, the root (`[]`) first. */
const pathsOf = (value: Json, prefix: Path = []): Path[] => [
  prefix,
  ...(Array.isArray(value)
    ? value.flatMap((child, i) => pathsOf(child, [...prefix, i]))
    : isObject(value)
      ? Object.entries(value).flatMap(([key, child]) => pathsOf(child, [...prefix, key]))
      : []),
];

const at = (value: Json, path: Path): Json | undefined =>
  path.reduce<Json | undefined>(
    (node, key) =>
      Array.isArray(node) && typeof key === 'number'
        ? node[key]
        : isObject(node) && typeof key === 'string'
          ? node[key]
          : undefined,
    value,
  );

/** The value with the node at `path` replaced by `change(node)` (undefined: removed). */
const update = (value: Json, path: Path, change: (node: Json) => Json | undefined): Json | undefined => {
  if (path.length === 0) return change(value);
  const [key, ...rest] = path;
  if (Array.isArray(value) && typeof key === 'number') {
    const child = value[key];
    if (child === undefined) return value;
    const changed = update(child, rest, change);
    return changed === undefined ? value.filter((_, i) => i !== key) : value.map((v, i) => (i === key ? changed : v));
  }
  if (isObject(value) && typeof key === 'string') {
    const child = value[key];
    if (child === undefined) return value;
    const changed = update(child, rest, change);
    const copy: Record<string, Json> = {};
    for (const [k, v] of Object.entries(value)) if (k !== key) copy[k] = v;
    // defineProperty: a key named __proto__ stays a key instead of setting the prototype.
    if (changed !== undefined) Object.defineProperty(copy, key, { value: changed, enumerable: true, writable: true });
    return copy;
  }
  return value;
};

export type Mutation =
  | { readonly op: 'replace'; readonly value: Json }
  | { readonly op: 'delete' }
  | { readonly op: 'add'; readonly key: string; readonly value: Json }
  | { readonly op: 'lengthen'; readonly times: number }
  | { readonly op: 'splice'; readonly piece: string; readonly where: number }
  | { readonly op: 'retype' };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('replace' as const), value: hostileJson(2) }),
  fc.record({ op: fc.constant('delete' as const) }),
  fc.record({ op: fc.constant('add' as const), key: hostileText(12), value: hostileJson(2) }),
  fc.record({ op: fc.constant('lengthen' as const), times: fc.integer({ min: 2, max: 3000 }) }),
  fc.record({ op: fc.constant('splice' as const), piece: fc.constantFrom(...NASTY_PIECES), where: fc.nat() }),
  fc.record({ op: fc.constant('retype' as const) }),
);

const apply = (node: Json, m: Mutation): Json | undefined => {
  switch (m.op) {
    case 'replace':
      return m.value;
    case 'delete':
      return undefined;
    case 'add':
      if (Array.isArray(node)) return [...node, m.value];
      if (isObject(node)) {
        const copy = { ...node };
        Object.defineProperty(copy, m.key, { value: m.value, enumerable: true, writable: true });
        return copy;
      }
      return m.value;
    case 'lengthen':
      if (typeof node === 'string') return node.repeat(Math.max(2, Math.ceil(m.times / Math.max(1, node.length))));
      if (Array.isArray(node))
        return Array.from({ length: Math.min(m.times, 40) }, (_, i) => node[i % node.length] ?? null);
      if (typeof node === 'number') return node * 10 ** Math.min(m.times, 400);
      return node;
    case 'splice':
      if (typeof node !== 'string') return m.piece;
      return node.slice(0, m.where % (node.length + 1)) + m.piece + node.slice(m.where % (node.length + 1));
    case 'retype':
      if (typeof node === 'string') return /^-?\d+(\.\d+)?$/.test(node) ? Number(node) : [node];
      if (typeof node === 'number') return String(node);
      if (typeof node === 'boolean') return node ? 1 : 'false';
      if (node === null) return {};
      return Array.isArray(node) ? { ...node } : (Object.values(node) as Json[]);
  }
};

/** 1 to `max` mutations of `valid`, each at a path of what the previous ones left. */
export const mutated = (valid: Json, max = 3): fc.Arbitrary<Json> =>
  fc.array(fc.tuple(fc.nat(), mutation), { minLength: 1, maxLength: max }).map((steps) =>
    steps.reduce<Json>((value, [pick, m]) => {
      const paths = pathsOf(value);
      const path = paths[pick % paths.length] ?? [];
      const node = at(value, path);
      return node === undefined ? value : (update(value, path, (n) => apply(n, m)) ?? null);
    }, valid),
  );

/** Counts per surface, printed as one block at the end of a suite so that CI's output shows them. */
export class Tally {
  private readonly counts = new Map<string, number>();

  add(surface: string, n = 1): void {
    this.counts.set(surface, (this.counts.get(surface) ?? 0) + n);
  }

  get total(): number {
    return [...this.counts.values()].reduce((a, b) => a + b, 0);
  }

  /** Writes `title`, one line per surface and the total, to stdout (not through jest's console). */
  print(title: string): void {
    const width = Math.max(...[...this.counts.keys()].map((k) => k.length), 5);
    const lines = [...this.counts].map(([surface, n]) => `  ${surface.padEnd(width)}  ${n}`);
    process.stdout.write(`\n${title}\n${lines.join('\n')}\n  ${'total'.padEnd(width)}  ${this.total}\n`);
  }
}
