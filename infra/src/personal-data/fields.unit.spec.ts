// The table of personal fields against the domain's codecs: every event type is classified, and
// every free string of every event is either personal or listed as not personal with a reason.
import * as t from 'io-ts';
import { DomainCommand, DomainEvent } from '@cschat/domain';
import { NOT_PERSONAL_EVENT_FIELDS, PERSONAL_COMMAND_FIELDS, PERSONAL_EVENT_FIELDS } from './fields';

/** Brands of ids and instants: strings, but never free text. */
const NOT_FREE = new Set(['Id', 'CompanyId', 'IsoInstant']);

type AnyCodec = t.Mixed & { _tag?: string };

/** The free-text leaves of a codec (strings, string maps), as paths of the table's syntax. */
const freeLeaves = (codec: AnyCodec, path: string): string[] => {
  const join = (name: string) => (path === '' ? name : `${path}.${name}`);
  const c = codec as unknown as Record<string, unknown> & { _tag?: string; name: string };
  switch (c._tag) {
    case 'InterfaceType':
    case 'PartialType':
      return Object.entries(c['props'] as Record<string, AnyCodec>).flatMap(([name, prop]) =>
        name === 'type' ? [] : freeLeaves(prop, join(name)),
      );
    case 'IntersectionType':
    case 'UnionType':
      return [...new Set((c['types'] as AnyCodec[]).flatMap((member) => freeLeaves(member, path)))];
    case 'ArrayType':
    case 'ReadonlyArrayType':
      return freeLeaves(c['type'] as AnyCodec, `${path}[]`);
    case 'ReadonlyType':
    case 'ExactType':
      return freeLeaves(c['type'] as AnyCodec, path);
    case 'RefinementType':
      if (NOT_FREE.has(c.name)) return [];
      return freeLeaves(c['type'] as AnyCodec, path).length > 0 ? [path] : [];
    case 'StringType':
    case 'DictionaryType':
      return [path];
    default:
      return [];
  }
};

const typeName = (codec: AnyCodec): string => {
  const c = codec as unknown as Record<string, unknown> & { _tag?: string };
  if (c._tag === 'InterfaceType') {
    const type = (c['props'] as Record<string, AnyCodec & { value?: string }>)['type'];
    if (type?.value !== undefined) return type.value;
  }
  if (c._tag === 'IntersectionType') {
    for (const member of c['types'] as AnyCodec[]) {
      try {
        return typeName(member);
      } catch {
        // the next member names it
      }
    }
  }
  throw new Error(`no type literal in ${codec.name}`);
};

const members = (union: t.Mixed): AnyCodec[] =>
  ((union as unknown as { types: AnyCodec[] }).types ?? []).flatMap((member) =>
    (member as unknown as { _tag: string })._tag === 'UnionType' ? members(member) : [member],
  );

const events = members(DomainEvent).map((codec) => ({ type: typeName(codec), leaves: freeLeaves(codec, '') }));
const commands = members(DomainCommand).map((codec) => ({ type: typeName(codec), leaves: freeLeaves(codec, '') }));

describe('the personal fields of events', () => {
  it('finds the domain events (the walker works)', () => {
    expect(events.length).toBeGreaterThan(20);
    expect(events.find((e) => e.type === 'MessagePosted')?.leaves).toEqual(
      expect.arrayContaining(['text', 'attachments[].name', 'bot.question']),
    );
    expect(events.find((e) => e.type === 'VisitorProfileUpdated')?.leaves).toEqual(
      expect.arrayContaining(['changed.name', 'changed.email', 'changed.phone', 'changed.attributes']),
    );
  });

  it.each(events.map((e) => [e.type, e.leaves] as const))(
    '%s is classified: each free string personal or listed as not',
    (type, leaves) => {
      const personal = PERSONAL_EVENT_FIELDS[type];
      expect(personal).toBeDefined();
      const notPersonal = NOT_PERSONAL_EVENT_FIELDS[type] ?? [];
      const unclassified = leaves.filter((leaf) => personal?.[leaf] === undefined && !notPersonal.includes(leaf));
      expect(unclassified).toEqual([]);
      // And the table names fields that exist.
      expect(Object.keys(personal ?? {}).filter((path) => !leaves.includes(path))).toEqual([]);
      expect(notPersonal.filter((path) => !leaves.includes(path))).toEqual([]);
    },
  );

  it('lists no event type the domain does not have', () => {
    const known = new Set(events.map((e) => e.type));
    expect(Object.keys(PERSONAL_EVENT_FIELDS).filter((type) => !known.has(type))).toEqual([]);
  });

  it('classifies the personal fields of every command a workflow may record refused', () => {
    // The names of personal leaves of events: a command carrying one lists it.
    const personalNames = new Set(
      Object.values(PERSONAL_EVENT_FIELDS).flatMap((fields) => Object.keys(fields).map((p) => p.split('.').pop()!)),
    );
    const missing = commands.flatMap(({ type, leaves }) =>
      leaves
        .filter((leaf) => personalNames.has(leaf.split('.').pop()!))
        .filter((leaf) => PERSONAL_COMMAND_FIELDS[type]?.[leaf] === undefined)
        .map((leaf) => `${type}.${leaf}`),
    );
    expect(missing).toEqual([]);
    for (const [type, fields] of Object.entries(PERSONAL_COMMAND_FIELDS)) {
      const leaves = commands.find((c) => c.type === type)?.leaves ?? [];
      expect(Object.keys(fields).filter((path) => !leaves.includes(path))).toEqual([]);
    }
  });
});
