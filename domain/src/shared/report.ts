// The one reporter over io-ts errors for every edge (HTTP bodies, query strings and path parameters,
// websocket frames, the environment): which field failed and the rule it breaks, in words that a
// client can show (`capacity: must be an integer from 0 to 100`), as PROTOCOL "Security" fixes.
//
// Written here rather than taken from npm: io-ts-reporters (the well-kept one) gives paths but its
// own wording ("Expecting Capacity at 0.capacity but instead got ..."), keeps the member indices of
// intersections and unions in its paths and reports every branch of a union; none says "field: rule"
// with the refinements' own words.
import * as t from 'io-ts';

/** The first broken rule of a value: `field` is the dotted path (absent when the value itself is wrong). */
export interface Violation {
  readonly field: string | undefined;
  readonly rule: string;
  /** `field: rule`, or `<subject>: rule` for the value itself. */
  readonly message: string;
}

const RULES = new WeakMap<t.Decoder<unknown, unknown>, string>();

/**
 * The rule a codec stands for, in words (`must be an IANA time zone such as Asia/Shanghai`), for
 * codecs whose name must stay type-ish (a brand's name is its TypeScript brand). The same codec is
 * returned: its behaviour does not change.
 */
export const withRule = <C extends t.Decoder<unknown, unknown>>(codec: C, rule: string): C => {
  RULES.set(codec, rule);
  return codec;
};

/** Whether a name or message already reads as a rule (`must ...`, `is ...`). */
const isSentence = (s: string | undefined): boolean => s !== undefined && /^(must|is|at most|at least) /.test(s);

type Tagged = t.Decoder<unknown, unknown> & { readonly _tag?: string };
const tagOf = (codec: t.Decoder<unknown, unknown> | undefined): string | undefined =>
  (codec as Tagged | undefined)?._tag;

/** Member indices of these are no field's name. */
const COMBINATORS = new Set(['IntersectionType', 'UnionType']);

/** The codec under wrappers that add no context entry of their own (exact, readonly, refinements). */
const unwrap = (codec: t.Decoder<unknown, unknown>): t.Decoder<unknown, unknown> => {
  const inner = (codec as { type?: unknown }).type;
  return ['ExactType', 'ReadonlyType', 'RefinementType'].includes(tagOf(codec) ?? '') && inner instanceof t.Type
    ? unwrap(inner)
    : codec;
};

const pathOf = (context: t.Context, upTo = context.length): string =>
  context
    .slice(1, upTo)
    .filter((entry, i) => entry.key !== '' && !COMBINATORS.has(tagOf(unwrap(context[i]!.type)) ?? ''))
    .map((entry) => entry.key)
    .join('.');

/** The values of a literal union (`'a' | 'b'`), or undefined when a member is not a literal. */
const literalsOf = (codec: t.Decoder<unknown, unknown>): string[] | undefined => {
  if (tagOf(codec) === 'LiteralType') return [String((codec as t.LiteralType<string>).value)];
  if (tagOf(codec) === 'KeyofType') return Object.keys((codec as t.KeyofType<Record<string, unknown>>).keys);
  if (tagOf(codec) === 'UnionType') {
    const all = (codec as t.UnionType<t.Mixed[]>).types.map(literalsOf);
    return all.every((values) => values !== undefined) ? all.flat() : undefined;
  }
  return undefined;
};

const oneOf = (values: readonly string[]): string =>
  values.length === 1 ? `must be ${values[0]}` : `must be one of ${values.join(', ')}`;

/** The rule of the codec an error ended at, in words. */
const ruleOfCodec = (codec: t.Decoder<unknown, unknown>): string => {
  const registered = RULES.get(codec);
  if (registered !== undefined) return registered;
  if (isSentence(codec.name)) return codec.name;
  const literals = literalsOf(codec);
  if (literals !== undefined) return oneOf(literals);
  switch (tagOf(codec)) {
    case 'StringType':
      return 'must be a string';
    case 'NumberType':
      return 'must be a number';
    case 'BooleanType':
      return 'must be true or false';
    case 'NullType':
      return 'must be null';
    case 'UndefinedType':
      return 'must be absent';
    case 'InterfaceType':
    case 'PartialType':
    case 'StrictType':
    case 'ExactType':
    case 'DictionaryType':
    case 'AnyDictionaryType':
    case 'IntersectionType':
      return 'must be an object';
    case 'ArrayType':
    case 'ReadonlyArrayType':
    case 'AnyArrayType':
      return 'must be an array';
    case 'RefinementType':
      // t.Int, and brands without a registered rule.
      return codec.name === 'Int' ? 'must be an integer' : `must be a valid ${codec.name}`;
    default:
      return `must be a valid ${codec.name}`;
  }
};

const ruleOfError = (error: t.ValidationError): string => {
  const last = error.context[error.context.length - 1];
  if (error.value === undefined && error.context.length > 1) return 'is required';
  if (error.message !== undefined && isSentence(error.message)) return error.message;
  return last === undefined ? 'is invalid' : ruleOfCodec(last.type);
};

/** The properties of an object codec (through exact, readonly and intersections). */
const propsOf = (codec: t.Decoder<unknown, unknown>): t.Props => {
  const inner = unwrap(codec);
  if (tagOf(inner) === 'IntersectionType')
    return Object.assign({}, ...(inner as t.IntersectionType<t.Mixed[]>).types.map(propsOf)) as t.Props;
  return (inner as { props?: t.Props }).props ?? {};
};

/**
 * io-ts checks a union whose members share a literal property (a tagged union) by that property
 * alone, and fails on the union itself when its value matches no member: the property is the field.
 */
const taggedFailure = (error: t.ValidationError): { field: string; rule: string } | undefined => {
  const last = error.context[error.context.length - 1]!;
  const tag = (last.type as { tag?: unknown }).tag;
  if (
    tagOf(last.type) !== 'UnionType' ||
    typeof tag !== 'string' ||
    typeof error.value !== 'object' ||
    error.value === null
  ) {
    return undefined;
  }
  const values = (last.type as t.UnionType<t.Mixed[]>).types.flatMap((member) => {
    const literal = propsOf(member)[tag];
    return literal === undefined ? [] : (literalsOf(literal) ?? []);
  });
  const field = [pathOf(error.context), tag].filter(Boolean).join('.');
  const absent = (error.value as Record<string, unknown>)[tag] === undefined;
  return { field, rule: absent ? 'is required' : oneOf([...new Set(values)]) };
};

/** The index of the first union on the context at or after `from`. */
const unionAt = (context: t.Context, from: number): number =>
  context.findIndex((entry, i) => i >= from && tagOf(entry.type) === 'UnionType' && i < context.length - 1);

const samePrefix = (a: t.Context, b: t.Context, length: number): boolean => {
  if (b.length < length) return false;
  for (let i = 0; i < length; i++) if (a[i]!.type !== b[i]!.type || a[i]!.key !== b[i]!.key) return false;
  return true;
};

/**
 * A branch whose own literal (a discriminant such as `type: 'regular'`, or `closed: true`) failed is
 * not the one the client meant; the literal's relative path and value, when so.
 */
const discriminantOf = (errors: t.Errors, member: number): { path: string; values: string[] } | undefined => {
  for (const error of errors) {
    const last = error.context[error.context.length - 1]!;
    if (tagOf(last.type) !== 'LiteralType') continue;
    // Only a property of the member itself discriminates; a literal deeper down is an error inside the branch.
    const path = pathOf(error.context.slice(member));
    if (path.includes('.')) continue;
    return { path, values: literalsOf(last.type) ?? [] };
  }
  return undefined;
};

const isEmptyish = (codec: t.Decoder<unknown, unknown>): boolean =>
  ['NullType', 'UndefinedType', 'VoidType', 'LiteralType'].includes(tagOf(codec) ?? '');

/** The field and rule to report among errors that share a context prefix up to `from`. */
const pick = (errors: t.Errors, from: number): { readonly field: string; readonly rule: string } => {
  const first = errors[0]!;
  const tagged = taggedFailure(first);
  if (tagged !== undefined) return tagged;
  const u = unionAt(first.context, from);
  if (u < 0) return { field: pathOf(first.context), rule: ruleOfError(first) };
  const union = first.context[u]!.type;
  // A union that states its rule, or a union of literals, is reported as one field.
  if (RULES.has(union) || isSentence(union.name) || literalsOf(union) !== undefined) {
    return {
      field: pathOf(first.context, u + 1),
      rule: first.value === undefined ? 'is required' : ruleOfCodec(union),
    };
  }
  const branches = new Map<string, t.ValidationError[]>();
  for (const error of errors.filter((e) => samePrefix(first.context, e.context, u + 1))) {
    const key = error.context[u + 1]!.key;
    branches.set(key, [...(branches.get(key) ?? []), error]);
  }
  if (branches.size === 1) return pick([...branches.values()][0]!, u + 2);
  const scored = [...branches.values()].map((branch) => ({
    branch,
    discriminant: discriminantOf(branch, u + 1),
    depth: Math.max(...branch.map((e) => e.context.length)),
    member: branch[0]!.context[u + 1]!.type,
  }));
  const matching = scored.filter((s) => s.discriminant === undefined);
  const paths = new Set(scored.map((s) => s.discriminant?.path));
  if (matching.length === 0 && paths.size === 1) {
    // No branch's discriminant matched: say which values it takes (`type: must be one of regular, irregular`).
    const field = [pathOf(first.context, u + 1), [...paths][0]].filter(Boolean).join('.');
    const absent = scored[0]!.branch.some(
      (e) => e.value === undefined && tagOf(e.context[e.context.length - 1]!.type) === 'LiteralType',
    );
    return { field, rule: absent ? 'is required' : oneOf([...new Set(scored.flatMap((s) => s.discriminant!.values))]) };
  }
  const candidates = matching.length > 0 ? matching : scored;
  candidates.sort(
    (a, b) =>
      b.depth - a.depth ||
      a.branch.length - b.branch.length ||
      Number(isEmptyish(a.member)) - Number(isEmptyish(b.member)),
  );
  return pick(candidates[0]!.branch, u + 2);
};

/**
 * The first broken rule in `errors` (io-ts's, from `codec.decode`): its field path without the
 * member indices of intersections and unions (`workingHours.days.2.open`, not `0.capacity`), and its
 * rule in words. Of a union's branches, the one whose discriminant matches, else the one whose error
 * is deepest, is reported. `subject` names the value itself when it has no field (`body`, `frame`).
 */
export const violationOf = (errors: t.Errors, subject = 'body'): Violation => {
  const { field, rule } = errors.length === 0 ? { field: '', rule: 'is invalid' } : pick(errors, 1);
  return field === ''
    ? { field: undefined, rule, message: `${subject}: ${rule}` }
    : { field, rule, message: `${field}: ${rule}` };
};

/** Every distinct `field: rule` of `errors`, for logs and operators (the environment, stored rows). */
export const violationsOf = (errors: t.Errors, subject = 'value'): string[] => {
  const groups = new Map<string, t.ValidationError[]>();
  // Errors are grouped by their first field so that each field is reported once, by violationOf's rules.
  for (const error of errors) {
    const key = pathOf(error.context).split('.')[0]!;
    groups.set(key, [...(groups.get(key) ?? []), error]);
  }
  return [...new Set([...groups.values()].map((group) => violationOf(group, subject).message))];
};
