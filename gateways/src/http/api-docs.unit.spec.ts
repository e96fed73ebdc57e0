// docs/api/openapi.yaml and docs/api/asyncapi.yaml checked against the code, so that they cannot drift: the
// routes Fastify registers and the roles each admits, the bodies that have io-ts codecs, and the websocket
// frames per socket with their fields, limits, close codes and error codes.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import * as t from 'io-ts';
import type { Knex } from 'knex';
import { DomainErrorCode, WorkingHours } from '@cschat/domain';
import {
  AgentAccount,
  AgentPatch,
  type Attachments,
  type VisitorErasure,
  CannedResponse,
  CannedResponsePatch,
  ChannelAccount,
  ChannelAccountPatch,
  FaqEntry,
  FaqEntryPatch,
  Group,
  GroupPatch,
  Intent,
  IntentPatch,
  NewAgent,
  NewCannedResponse,
  NewChannelAccount,
  NewCompany,
  NewFaqAlternative,
  NewFaqEntry,
  NewGroup,
  NewIntent,
  NewIntentPhrase,
  NewWorkingHours,
  Settings,
  SettingsPatch,
  SuggestedQuestions,
  UnansweredDismissal,
  type CompanyConfigStore,
  type Logger,
  type Metrics,
  NewWebhook,
  WebhookDelivery,
  WebhookEndpoint,
  WebhookPatch,
  type WebhookStore,
} from '@cschat/infra';
import { decodeOrThrow } from '../../../test-support/fixtures';
import { issueToken, TokenSubject, type TokenRole } from '../auth';
import { AgentFrame, CLIENT_FRAMES, ServerFrame, SessionListRow, VisitorFrame } from '../ws/frames';
import { CloseCode, DEFAULT_LIMITS, GatewayErrorCode } from '../ws/limits';
import type { PrincipalKind } from '../ws/ports';
import { statusOf } from './errors';
import { buildHttpApi } from './server';
import { parse } from 'yaml';

const load = (source: string): unknown => parse(source);

type Node = Record<string, unknown>;

const isNode = (value: unknown): value is Node => typeof value === 'object' && value !== null && !Array.isArray(value);

const asNode = (value: unknown, what: string): Node => {
  if (!isNode(value)) throw new Error(`${what} is not an object`);
  return value;
};

const readDoc = (name: string): Node =>
  asNode(load(readFileSync(join(__dirname, '../../../docs/api', name), 'utf8')), name);

const openapi = readDoc('openapi.yaml');
const asyncapi = readDoc('asyncapi.yaml');

/** Follows local `$ref`s (`#/components/schemas/Id`) to the node they name; other keys beside a `$ref` are ignored. */
const dereference =
  (doc: Node) =>
  (value: unknown): Node => {
    let node = asNode(value, 'a schema');
    for (let hops = 0; typeof node['$ref'] === 'string'; hops++) {
      const ref = node['$ref'];
      if (!ref.startsWith('#/') || hops > 20) throw new Error(`cannot follow $ref ${ref}`);
      node = asNode(
        ref
          .slice(2)
          .split('/')
          .map((key) => key.replace(/~1/g, '/').replace(/~0/g, '~'))
          .reduce<unknown>((at, key) => asNode(at, ref)[key], doc),
        ref,
      );
    }
    return node;
  };

// ---- shapes: what an io-ts codec and a JSON schema say about an object ----

/** One alternative of an object: its required and optional properties; `open` admits any others. */
interface Shape<P> {
  readonly required: ReadonlyMap<string, P>;
  readonly optional: ReadonlyMap<string, P>;
  readonly open: boolean;
}

const merge = <P>(a: Shape<P>, b: Shape<P>): Shape<P> => {
  const required = new Map([...a.required, ...b.required]);
  const optional = new Map([...a.optional, ...b.optional].filter(([key]) => !required.has(key)));
  return { required, optional, open: a.open || b.open };
};

/** Every combination of one alternative from each part (an intersection of unions). */
const product = <P>(parts: readonly (readonly Shape<P>[])[]): Shape<P>[] =>
  parts.reduce<Shape<P>[]>(
    (combined, part) => combined.flatMap((left) => part.map((right) => merge(left, right))),
    [{ required: new Map(), optional: new Map(), open: false }],
  );

const all = <A>(items: readonly (A | undefined)[]): A[] | undefined =>
  items.every((item) => item !== undefined) ? (items as A[]) : undefined;

/** The object alternatives of a codec; undefined when it is not an object codec. */
const codecShapes = (codec: t.Mixed): Shape<t.Mixed>[] | undefined => {
  if (codec instanceof t.ExactType || codec instanceof t.RefinementType) return codecShapes(codec.type as t.Mixed);
  if (codec instanceof t.InterfaceType) {
    return [{ required: new Map(Object.entries(codec.props as t.Props)), optional: new Map(), open: false }];
  }
  if (codec instanceof t.PartialType) {
    // An optional `t.undefined` is a property that must be absent (`toGroupId` beside `toAgentId`).
    const optional = Object.entries(codec.props as t.Props).filter(([, prop]) => !(prop instanceof t.UndefinedType));
    return [{ required: new Map(), optional: new Map(optional), open: false }];
  }
  if (codec instanceof t.AnyDictionaryType) return [{ required: new Map(), optional: new Map(), open: true }];
  if (codec instanceof t.IntersectionType) {
    const parts = all((codec.types as t.Mixed[]).map(codecShapes));
    return parts === undefined ? undefined : product(parts);
  }
  if (codec instanceof t.UnionType) return all((codec.types as t.Mixed[]).map(codecShapes))?.flat();
  return undefined;
};

/** The object alternatives of a schema (`properties`, `allOf`, `oneOf`); properties marked `x-not-in-codec` left out. */
const schemaShapes = (deref: (value: unknown) => Node, value: unknown): Shape<unknown>[] | undefined => {
  const schema = deref(value);
  const parts: Shape<unknown>[][] = [];
  if (isNode(schema['properties']) || schema['type'] === 'object') {
    const required = new Set(Array.isArray(schema['required']) ? (schema['required'] as string[]) : []);
    const properties = Object.entries(isNode(schema['properties']) ? schema['properties'] : {}).filter(
      ([, property]) => !(isNode(property) && property['x-not-in-codec'] === true),
    );
    parts.push([
      {
        required: new Map(properties.filter(([key]) => required.has(key))),
        optional: new Map(properties.filter(([key]) => !required.has(key))),
        open: schema['additionalProperties'] !== false,
      },
    ]);
  }
  for (const member of Array.isArray(schema['allOf']) ? (schema['allOf'] as unknown[]) : []) {
    const shapes = schemaShapes(deref, member);
    if (shapes === undefined) return undefined;
    parts.push(shapes);
  }
  const alternatives = schema['oneOf'] ?? schema['anyOf'];
  if (Array.isArray(alternatives)) {
    const shapes = all(alternatives.map((alternative) => schemaShapes(deref, alternative)));
    if (shapes === undefined) return undefined;
    parts.push(shapes.flat());
  }
  return parts.length === 0 ? undefined : product(parts);
};

const signature = (shape: Shape<unknown>): string => {
  const optional = [...shape.optional.keys()].sort();
  return `{${[...shape.required.keys()].sort().join(', ')}${optional.length === 0 ? '' : `; optional ${optional.join(', ')}`}}`;
};

/** A schema fits a closed codec alternative when the properties are the same; an open one, when it has them. */
const fits = (codec: Shape<t.Mixed>, doc: Shape<unknown>): boolean =>
  codec.open
    ? [...codec.required.keys()].every((key) => doc.required.has(key)) &&
      [...codec.optional.keys()].every((key) => doc.optional.has(key))
    : signature(codec) === signature(doc);

const jsonTypeOf = (value: unknown): string => (value === null ? 'null' : typeof value);

/** The JSON types a codec admits; undefined when it cannot tell (a custom `t.Type`). */
const codecTypes = (codec: t.Mixed): Set<string> | undefined => {
  if (codec instanceof t.StringType || codec instanceof t.KeyofType) return new Set(['string']);
  if (codec instanceof t.NumberType) return new Set(['number']);
  if (codec instanceof t.BooleanType) return new Set(['boolean']);
  if (codec instanceof t.NullType) return new Set(['null']);
  if (codec instanceof t.LiteralType) return new Set([jsonTypeOf(codec.value)]);
  if (codec instanceof t.ArrayType || codec instanceof t.ReadonlyArrayType) return new Set(['array']);
  if (codec instanceof t.DictionaryType || codecShapes(codec) !== undefined) return new Set(['object']);
  if (codec instanceof t.RefinementType) return codecTypes(codec.type as t.Mixed);
  if (codec instanceof t.UnionType) {
    const members = all((codec.types as t.Mixed[]).map(codecTypes));
    return members === undefined ? undefined : new Set(members.flatMap((types) => [...types]));
  }
  return undefined;
};

/** The JSON types a schema admits (`integer` counts as `number`); undefined when it does not say. */
const schemaTypes = (deref: (value: unknown) => Node, value: unknown): Set<string> | undefined => {
  const schema = deref(value);
  const type = schema['type'];
  if (typeof type === 'string' || Array.isArray(type)) {
    return new Set(([] as unknown[]).concat(type).map((name) => (name === 'integer' ? 'number' : String(name))));
  }
  if ('const' in schema) return new Set([jsonTypeOf(schema['const'])]);
  if (Array.isArray(schema['enum'])) return new Set(schema['enum'].map(jsonTypeOf));
  const alternatives = schema['oneOf'] ?? schema['anyOf'];
  if (Array.isArray(alternatives)) {
    const members = all(alternatives.map((alternative) => schemaTypes(deref, alternative)));
    return members === undefined ? undefined : new Set(members.flatMap((types) => [...types]));
  }
  if (isNode(schema['properties']) || Array.isArray(schema['allOf'])) return new Set(['object']);
  return undefined;
};

const sorted = (values: Iterable<unknown>): string[] => [...values].map(String).sort();

/**
 * What the schema at `path` says that the codec does not (or the other way round): object properties and
 * which are required, alternatives, literals and enums, array items and JSON types, recursively.
 */
const compare = (doc: Node, codec: t.Mixed, value: unknown, path: string, problems: string[]): void => {
  const deref = dereference(doc);
  const schema = deref(value);
  if (codec instanceof t.LiteralType) {
    if (schema['const'] !== codec.value) {
      problems.push(
        `${path}: the doc says ${JSON.stringify(schema['const'])}, the code ${JSON.stringify(codec.value)}`,
      );
    }
    return;
  }
  if (codec instanceof t.KeyofType) {
    const expected = sorted(Object.keys(codec.keys as object));
    const documented = Array.isArray(schema['enum']) ? sorted(schema['enum']) : undefined;
    if (JSON.stringify(documented) !== JSON.stringify(expected)) {
      problems.push(`${path}: the doc's enum is ${JSON.stringify(documented)}, the code's ${JSON.stringify(expected)}`);
    }
    return;
  }
  const shapes = codecShapes(codec);
  if (shapes !== undefined) {
    const documented = schemaShapes(deref, schema);
    if (documented === undefined) {
      problems.push(`${path}: an object in the code, not in the doc`);
      return;
    }
    const unmatched = shapes.filter((shape) => !documented.some((other) => fits(shape, other)));
    const extra = documented.filter((other) => !shapes.some((shape) => fits(shape, other)));
    if (unmatched.length > 0 || extra.length > 0) {
      problems.push(
        `${path}: the code has ${shapes.map(signature).join(' | ')}, the doc ${documented.map(signature).join(' | ')}`,
      );
      return;
    }
    for (const other of documented) {
      const shape = shapes.find((candidate) => fits(candidate, other))!;
      for (const [key, prop] of [...shape.required, ...shape.optional]) {
        compare(doc, prop, other.required.get(key) ?? other.optional.get(key), `${path}.${key}`, problems);
      }
    }
    return;
  }
  if (codec instanceof t.ArrayType || codec instanceof t.ReadonlyArrayType) {
    if (schema['items'] === undefined) problems.push(`${path}: an array in the code, no items in the doc`);
    else compare(doc, codec.type as t.Mixed, schema['items'], `${path}[]`, problems);
    return;
  }
  const expected = codecTypes(codec);
  const documented = schemaTypes(deref, schema);
  if (expected !== undefined && documented !== undefined && sorted(expected).join() !== sorted(documented).join()) {
    problems.push(`${path}: the doc says ${sorted(documented).join('|')}, the code ${sorted(expected).join('|')}`);
  }
};

/** The `type` literals of a codec of frames. */
const typeLiterals = (codec: t.Mixed): string[] => [
  ...new Set(
    (codecShapes(codec) ?? []).map((shape) => {
      const type = shape.required.get('type');
      if (!(type instanceof t.LiteralType)) throw new Error(`${codec.name} has a frame without a literal type`);
      return String(type.value);
    }),
  ),
];

// ---- the HTTP app, built with buildHttpApi as the front door builds it, on stubs ----

const SECRET = 'a test secret of at least thirty-two bytes';
const PLATFORM_ADMIN_TOKEN = 'the-platform-operator-token';

const buildApp = (platformAdminToken?: string): FastifyInstance =>
  buildHttpApi({
    // Registering routes and checking tokens touch none of these: a request that passes the token check
    // fails in its handler (500), or on its body (400), which is all the role checks below need.
    config: {} as CompanyConfigStore,
    readModels: {} as Knex,
    readModelSchema: 'read_models',
    tokenSecret: SECRET,
    ...(platformAdminToken === undefined ? {} : { platformAdminToken }),
    metrics: {} as Metrics,
    logger: { error: () => undefined } as unknown as Logger,
    ready: async () => true,
    webhooks: async () => ({ status: 200, contentType: 'text/plain', body: 'ok' }),
    attachments: {} as Attachments,
    outboundWebhooks: { store: {} as WebhookStore, allowPrivate: false },
    erasure: {} as VisitorErasure,
  });

interface Route {
  readonly method: string;
  /** As OpenAPI writes it: `/api/sessions/{id}/messages`. */
  readonly path: string;
  /** As Fastify does: `/api/sessions/:id/messages`. */
  readonly url: string;
}

/** Every route of the app from its `printRoutes` tree, without the HEAD routes Fastify adds beside a GET. */
const routesOf = (app: FastifyInstance): Route[] => {
  const routes: Route[] = [];
  const ancestors: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    if (line.trim() === '') continue;
    const match = /^((?:[│ ] {3})*)[├└]── (\S+)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (match === null) throw new Error(`a line of printRoutes that this test cannot read: ${line}`);
    ancestors.length = (match[1] ?? '').length / 4;
    ancestors.push(match[2] ?? '');
    const url = ancestors.join('');
    for (const method of (match[3] ?? '').split(', ').filter(Boolean)) {
      routes.push({ method, url, path: url.replace(/:(\w+)/g, '{$1}') });
    }
  }
  const gets = new Set(routes.filter((route) => route.method === 'GET').map((route) => route.url));
  return routes.filter((route) => !(route.method === 'HEAD' && gets.has(route.url)));
};

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'options', 'head', 'trace'] as const;

interface Operation {
  readonly method: string;
  readonly path: string;
  readonly url: string;
  readonly node: Node;
}

const operations: Operation[] = Object.entries(asNode(openapi['paths'], 'paths')).flatMap(([path, item]) =>
  METHODS.filter((method) => isNode(asNode(item, path)[method])).map((method) => ({
    method: method.toUpperCase(),
    path,
    url: path.replace(/\{(\w+)\}/g, ':$1'),
    node: asNode(asNode(item, path)[method], `${method} ${path}`),
  })),
);

const operation = (method: string, path: string): Node => {
  const found = operations.find((candidate) => candidate.method === method && candidate.path === path);
  if (found === undefined) throw new Error(`openapi.yaml has no ${method} ${path}`);
  return found.node;
};

/** The security requirements of an operation (its own, or the document's). */
const securityOf = (node: Node): Node[] => {
  const security: unknown = node['security'] ?? openapi['security'];
  return Array.isArray(security) ? security.filter(isNode) : [];
};

const tokenOf = async (role: TokenRole): Promise<string> =>
  issueToken(decodeOrThrow(TokenSubject)({ company: 'acme', role, sub: `${role}-1` }), { secret: SECRET });

const ROLES: readonly TokenRole[] = ['visitor', 'agent', 'supervisor', 'admin'];

/**
 * The status of a request without a body. On a loopback port, since light-my-request (`inject`) needs an ES
 * module that jest cannot load as CommonJS on Node 20.
 */
const statusFor = async (
  base: string,
  route: { method: string; url: string },
  authorization?: string,
): Promise<number> => {
  const response = await fetch(`${base}${route.url.replace(/:(\w+)/g, 'x1')}`, {
    method: route.method,
    headers: authorization === undefined ? {} : { authorization },
  });
  await response.arrayBuffer();
  return response.status;
};

describe('docs/api/openapi.yaml', () => {
  let app: FastifyInstance;
  let base: string;
  beforeAll(async () => {
    app = buildApp(PLATFORM_ADMIN_TOKEN);
    base = await app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await app.close();
  });

  it('describes exactly the routes the server registers', () => {
    const registered = routesOf(app);
    // The tree was read right: Fastify knows every route read from it.
    for (const route of registered) expect(app.hasRoute({ method: route.method, url: route.url })).toBe(true);
    expect(registered.length).toBeGreaterThan(20);
    expect(sorted(operations.map((o) => `${o.method} ${o.path}`))).toEqual(
      sorted(registered.map((r) => `${r.method} ${r.path}`)),
    );
  });

  it('admits exactly the roles each operation names, and documents the 401 and 403', async () => {
    const tokens = Object.fromEntries(
      await Promise.all(ROLES.map(async (role) => [role, `Bearer ${await tokenOf(role)}`] as const)),
    ) as Record<TokenRole, string>;
    const problems: string[] = [];
    for (const op of operations) {
      const where = `${op.method} ${op.path}`;
      const security = securityOf(op.node);
      const responses = asNode(op.node['responses'], `${where} responses`);
      const schemes = security.flatMap((requirement) => Object.keys(requirement));
      if (schemes.length === 0) {
        if ([401, 403].includes(await statusFor(base, op))) problems.push(`${where}: documented without a token`);
        continue;
      }
      if (responses['401'] === undefined) problems.push(`${where}: no 401 documented`);
      if ((await statusFor(base, op)) !== 401) problems.push(`${where}: no 401 without a token`);
      if ((await statusFor(base, op, 'Bearer not-a-token')) !== 401) problems.push(`${where}: no 401 for a bad token`);
      if (schemes.includes('platformAdminToken')) {
        if ((await statusFor(base, op, `Bearer ${PLATFORM_ADMIN_TOKEN}`)) === 401) {
          problems.push(`${where}: the platform admin token is refused`);
        }
        if ((await statusFor(base, op, tokens.admin)) !== 401) problems.push(`${where}: an admin's JWT is let in`);
        continue;
      }
      const admitted = security.flatMap((requirement) => {
        const roles = requirement['bearerJwt'];
        return Array.isArray(roles) ? roles.map(String) : [];
      });
      if (admitted.length < ROLES.length && responses['403'] === undefined)
        problems.push(`${where}: no 403 documented`);
      for (const role of ROLES) {
        const status = await statusFor(base, op, tokens[role]);
        if (admitted.includes(role) && [401, 403].includes(status))
          problems.push(`${where}: ${role} refused (${status})`);
        if (!admitted.includes(role) && status !== 403) problems.push(`${where}: ${role} not refused (${status})`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('says that company creation is not found while the platform admin token is unset', async () => {
    const without = buildApp();
    const withoutBase = await without.listen({ port: 0, host: '127.0.0.1' });
    try {
      const status = await statusFor(withoutBase, { method: 'POST', url: '/api/companies' }, `Bearer x`);
      expect(status).toBe(404);
      expect(asNode(operation('POST', '/api/companies')['responses'], 'responses')['404']).toBeDefined();
    } finally {
      await without.close();
    }
  });

  it('documents the bodies as their io-ts codecs decode them', () => {
    const problems: string[] = [];
    const deref = dereference(openapi);
    const jsonSchema = (container: unknown, where: string): Node =>
      asNode(asNode(asNode(deref(container)['content'], where)['application/json'], where)['schema'], where);
    const request = (method: string, path: string): Node =>
      jsonSchema(operation(method, path)['requestBody'], `${method} ${path} request`);
    const response = (method: string, path: string, status: string): Node =>
      jsonSchema(asNode(operation(method, path)['responses'], 'responses')[status], `${method} ${path} ${status}`);
    const listItems = (path: string, key: string): unknown =>
      asNode(asNode(deref(response('GET', path, '200'))['properties'], path)[key], `${path} ${key}`)['items'];
    const check = (codec: t.Mixed, schema: unknown, where: string) => compare(openapi, codec, schema, where, problems);

    const collections: [string, string, t.Mixed, t.Mixed, t.Mixed][] = [
      ['/api/admin/groups', 'groups', NewGroup, GroupPatch, Group],
      ['/api/admin/agents', 'agents', NewAgent, AgentPatch, AgentAccount],
      ['/api/admin/channel-accounts', 'channelAccounts', NewChannelAccount, ChannelAccountPatch, ChannelAccount],
      ['/api/admin/working-hours', 'workingHours', NewWorkingHours, NewWorkingHours, WorkingHours],
      ['/api/admin/faq', 'faq', NewFaqEntry, FaqEntryPatch, FaqEntry],
      ['/api/admin/intents', 'intents', NewIntent, IntentPatch, Intent],
    ];
    for (const [path, key, create, update, item] of collections) {
      check(create, request('POST', path), `POST ${path}`);
      check(update, request('PUT', `${path}/{id}`), `PUT ${path}/{id}`);
      check(item, response('PUT', `${path}/{id}`, '200'), `PUT ${path}/{id} 200`);
      check(item, listItems(path, key), `GET ${path} 200 ${key}[]`);
    }
    check(NewFaqAlternative, request('POST', '/api/admin/faq/{id}/alternatives'), 'POST faq/{id}/alternatives');
    check(FaqEntry, response('POST', '/api/admin/faq/{id}/alternatives', '200'), 'POST faq/{id}/alternatives 200');
    check(NewIntentPhrase, request('POST', '/api/admin/intents/{id}/phrases'), 'POST intents/{id}/phrases');
    check(Intent, response('POST', '/api/admin/intents/{id}/phrases', '200'), 'POST intents/{id}/phrases 200');
    check(UnansweredDismissal, request('POST', '/api/admin/reports/unanswered/dismissals'), 'POST dismissals');
    check(NewCannedResponse, request('POST', '/api/canned-responses'), 'POST /api/canned-responses');
    check(CannedResponsePatch, request('PUT', '/api/canned-responses/{id}'), 'PUT /api/canned-responses/{id}');
    check(CannedResponse, response('PUT', '/api/canned-responses/{id}', '200'), 'PUT /api/canned-responses/{id} 200');
    check(CannedResponse, listItems('/api/canned-responses', 'cannedResponses'), 'GET /api/canned-responses 200');
    check(SuggestedQuestions, request('PUT', '/api/admin/suggested-questions'), 'PUT /api/admin/suggested-questions');
    check(SuggestedQuestions, response('GET', '/api/admin/suggested-questions', '200'), 'GET suggested-questions');
    check(SettingsPatch, request('PUT', '/api/admin/settings'), 'PUT /api/admin/settings');
    check(Settings, response('PUT', '/api/admin/settings', '200'), 'PUT /api/admin/settings 200');
    check(Settings, response('GET', '/api/admin/settings', '200'), 'GET /api/admin/settings 200');
    check(NewCompany, request('POST', '/api/companies'), 'POST /api/companies');
    check(NewWebhook, request('POST', '/api/admin/webhooks'), 'POST /api/admin/webhooks');
    check(WebhookPatch, request('PUT', '/api/admin/webhooks/{id}'), 'PUT /api/admin/webhooks/{id}');
    check(WebhookEndpoint, response('PUT', '/api/admin/webhooks/{id}', '200'), 'PUT /api/admin/webhooks/{id} 200');
    check(WebhookEndpoint, listItems('/api/admin/webhooks', 'webhooks'), 'GET /api/admin/webhooks 200 webhooks[]');
    check(
      WebhookDelivery,
      listItems('/api/admin/webhooks/{id}/deliveries', 'deliveries'),
      'GET /api/admin/webhooks/{id}/deliveries 200 deliveries[]',
    );
    check(SessionListRow, listItems('/api/sessions', 'sessions'), 'GET /api/sessions 200 sessions[]');
    expect(problems).toEqual([]);
  });

  it('gives every error the error body and the status the code gives its code', () => {
    const deref = dereference(openapi);
    const problems: string[] = [];
    for (const op of operations) {
      for (const [status, value] of Object.entries(asNode(op.node['responses'], 'responses'))) {
        if (Number(status) < 400) continue;
        const content = asNode(deref(value)['content'], `${op.method} ${op.path} ${status}`);
        const schema = asNode(content['application/json'], 'application/json')['schema'];
        if (!isNode(schema) || schema['$ref'] !== '#/components/schemas/Error') {
          problems.push(`${op.method} ${op.path} ${status}: not the error body`);
        }
      }
    }
    expect(problems).toEqual([]);
    // Sent with their status by server.ts itself rather than through errors.ts `statusOf`.
    const sentDirectly: Record<string, number> = {
      // Fastify's own refusals, coded by errors.ts `codeOfStatus`.
      method_not_allowed: 405,
      not_acceptable: 406,
      payload_too_large: 413,
      not_ready: 503,
      overloaded: 503,
      too_many_requests: 429,
      company_not_found: 404,
      visitor_not_found: 404,
    };
    for (const [code, status] of Object.entries(asNode(openapi['x-error-codes'], 'x-error-codes'))) {
      expect([code, status]).toEqual([code, sentDirectly[code] ?? statusOf(code)]);
    }
  });
});

describe('docs/api/asyncapi.yaml', () => {
  const deref = dereference(asyncapi);
  const channels = asNode(asyncapi['channels'], 'channels');
  const kindOf = (channel: unknown): PrincipalKind => {
    const address = deref(channel)['address'];
    if (address === '/ws/visitor') return 'visitor';
    if (address === '/ws/agent') return 'agent';
    throw new Error(`a channel of unknown address ${String(address)}`);
  };
  const asyncOperations = Object.entries(asNode(asyncapi['operations'], 'operations')).map(([name, value]) => {
    const node = asNode(value, name);
    const messagesOf = (holder: unknown): Node[] =>
      (Array.isArray(asNode(holder, name)['messages']) ? (asNode(holder, name)['messages'] as unknown[]) : []).map(
        deref,
      );
    return {
      name,
      node,
      action: node['action'],
      kind: kindOf(node['channel']),
      messages: messagesOf(node),
      replies: node['reply'] === undefined ? [] : messagesOf(node['reply']),
    };
  });
  /** The `type` const of a message's payload, also through `allOf` and `oneOf`. */
  const typeConsts = (value: unknown): string[] => {
    const schema = deref(value);
    const own = isNode(schema['properties']) ? deref(schema['properties']['type'] ?? {})['const'] : undefined;
    const members = [schema['allOf'], schema['oneOf']].flatMap((list): unknown[] => (Array.isArray(list) ? list : []));
    return [...new Set([...(typeof own === 'string' ? [own] : []), ...members.flatMap(typeConsts)])];
  };
  const payloadType = (message: Node): string => {
    const [type, ...more] = typeConsts(message['payload']);
    if (type === undefined || more.length > 0) throw new Error(`a message of type ${String(type)} and ${more.join()}`);
    return type;
  };

  it('has the sockets of the gateway', () => {
    expect(sorted(Object.values(channels).map(kindOf))).toEqual(sorted(Object.keys(CLIENT_FRAMES)));
  });

  it.each<[PrincipalKind, t.Mixed]>([
    ['visitor', VisitorFrame],
    ['agent', AgentFrame],
  ])('lists the client frames the codecs accept on the %s socket', (kind, codec) => {
    const documented = asyncOperations
      .filter((op) => op.action === 'receive' && op.kind === kind)
      .flatMap((op) => op.messages.map(payloadType));
    expect(sorted(documented)).toEqual(sorted(typeLiterals(codec)));
    // The gateway decodes with the codec of each type it knows: the same types.
    expect(sorted(CLIENT_FRAMES[kind].keys())).toEqual(sorted(typeLiterals(codec)));
  });

  it('lists the server frames of the server frame union', () => {
    const documented = asyncOperations.flatMap((op) => [...(op.action === 'send' ? op.messages : []), ...op.replies]);
    expect(sorted(new Set(documented.map(payloadType)))).toEqual(sorted(typeLiterals(ServerFrame)));
  });

  it('documents the fields of every frame as its codec has them', () => {
    const problems: string[] = [];
    const serverFrames = new Map(
      (ServerFrame.types as readonly t.Mixed[]).map((member) => [typeLiterals(member)[0] ?? '', member]),
    );
    for (const op of asyncOperations) {
      for (const message of op.messages) {
        const type = payloadType(message);
        const codec = op.action === 'receive' ? CLIENT_FRAMES[op.kind].get(type) : serverFrames.get(type);
        if (codec === undefined) problems.push(`${op.name}: no codec for ${type}`);
        else compare(asyncapi, codec as t.Mixed, message['payload'], `${op.name} ${type}`, problems);
      }
      for (const message of op.replies) {
        const type = payloadType(message);
        const codec = serverFrames.get(type);
        if (codec === undefined) problems.push(`${op.name} reply: no codec for ${type}`);
        else compare(asyncapi, codec, message['payload'], `${op.name} reply ${type}`, problems);
      }
      if (op.action === 'receive') {
        const answers = sorted(new Set(op.replies.map(payloadType)));
        if (JSON.stringify(answers) !== JSON.stringify(['ack', 'error'])) {
          problems.push(`${op.name}: answered by ${answers.join(', ')}, not by an ack or an error`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('states the limits and close codes of the gateway', () => {
    expect(asyncapi['x-limits']).toEqual(DEFAULT_LIMITS);
    const closeCodes = Object.entries(asNode(asyncapi['x-close-codes'], 'x-close-codes')).map(([name, value]) => [
      name,
      asNode(value, name)['code'],
    ]);
    expect(Object.fromEntries(closeCodes)).toEqual(CloseCode);
  });

  it('names only error codes the gateway or the domain has', () => {
    const documented = Object.keys(asNode(asyncapi['x-error-codes'], 'x-error-codes'));
    const gateway: string[] = Object.values(GatewayErrorCode);
    const domain = Object.keys(DomainErrorCode.keys);
    expect(documented).toEqual(expect.arrayContaining(gateway));
    expect(documented.filter((code) => !gateway.includes(code) && !domain.includes(code))).toEqual([]);
    for (const op of asyncOperations) {
      const codes = Array.isArray(op.node['x-error-codes']) ? (op.node['x-error-codes'] as string[]) : [];
      expect([op.name, codes.filter((code) => !documented.includes(code) || !domain.includes(code))]).toEqual([
        op.name,
        [],
      ]);
    }
  });
});
