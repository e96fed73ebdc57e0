// The HTTP side of PROTOCOL.md: logins, the read-model queries, canned responses, company
// administration, the platform operator's company creation, and the operations endpoints.
// Every read and write is scoped to the company of the caller's token; another company's id in a
// path is simply not found.
import { createHash, timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { isLeft, isRight } from 'fp-ts/Either';
import * as t from 'io-ts';
import type { Knex } from 'knex';
import { CompanyId, Id, session, visitor } from '@cschat/domain';
import {
  type Attachments,
  AgentPatch,
  CannedResponsePatch,
  ChannelAccountPatch,
  FaqEntryPatch,
  GroupPatch,
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
  SettingsPatch,
  SuggestedQuestions,
  UnansweredDismissal,
  type CompanyConfigStore,
  type ConfigResult,
  hashResumeToken,
  newResumeToken,
  InMemoryLoginThrottle,
  type Logger,
  type LoginThrottle,
  type Metrics,
  type ThrottleRule,
  type TokenVersions,
  type VisitorErasure,
  type WebhookStore,
} from '@cschat/infra';
import {
  agentBoardOf,
  historyPage,
  queuesOf,
  unansweredQuestions,
  visitorProfileOf,
  type HandledQuestion,
} from '@cschat/projections';
import {
  agentLoginRules,
  bearerToken,
  checkToken,
  issueToken,
  passwordProblem,
  refusalMessage,
  retryAfterSeconds,
  verifyPassword,
  visitorLoginRules,
  type TokenClaims,
} from '../auth';
import type { HttpAnswer, WebhookRequest } from '../channels/port';
import { RETRY_AFTER_MS, type LoadShedder } from '../load-shedding';
import { isStorableText, isStorableValue, unstorableField } from '../text';
import type { RecordVisit, VisitorKnown } from '../visitors';
import { badField, codeOfStatus, decodeBody, HttpError, sendError, unwrap } from './errors';
import { visitorAdminRoutes } from './visitors-admin';
import { historyRoutes } from './history';
import { reportRoutes } from './reports';
import { uploadRoutes } from './uploads';
import { liveBoard } from '../live';
import { webhookRoutes } from './webhooks';

export interface HttpApiOptions {
  readonly config: CompanyConfigStore;
  readonly readModels: Knex;
  readonly readModelSchema: string;
  readonly tokenSecret: string;
  /**
   * The agents' token versions (the company directory): a staff token is refused (401) once its agent was deleted,
   * given another role or password, or signed out. The service always passes it; absent, a token is checked for its
   * signature and expiry only (route tests that build the API alone).
   */
  readonly tokenVersions?: TokenVersions;
  /** `POST /api/companies` answers 404 while this is unset. */
  readonly platformAdminToken?: string;
  readonly metrics: Metrics;
  readonly logger: Logger;
  /**
   * Whether the service can take traffic (`/readyz`): true; false while starting or stopping; or why not (a gateway
   * whose event feed is lost).
   */
  readonly ready: () => Promise<boolean | string>;
  /** A random id for a new visitor. */
  readonly newId?: () => string;
  /** The platforms' webhooks (`/webhooks/:platform/:accountId`); absent: those paths answer 404. */
  readonly webhooks?: (platform: string, accountId: string, request: WebhookRequest) => Promise<HttpAnswer>;
  /**
   * The process's work in hand, shared with the websocket gateway: an API or webhook request takes a
   * slot until its response is sent, and is answered 503 `overloaded` when there is none. Absent: no bound.
   */
  readonly load?: LoadShedder;
  /** Records a visitor's login and profile (visitors.ts); absent: logins record nothing. */
  readonly recordVisit?: RecordVisit;
  /**
   * Whether a visitor id is already somebody's by its events (visitors.ts); the visitors read model is asked too.
   * An id known so and without a credential (a visitor from before resume tokens) is not continued by its id alone.
   */
  readonly visitorKnown?: VisitorKnown;
  /** Uploaded files (`POST /api/uploads`, `GET /api/attachments/:id`); absent: those paths answer 404. */
  readonly attachments?: Attachments;
  /** The largest upload in bytes (UPLOAD_MAX_BYTES). */
  readonly uploadMaxBytes?: number;
  /** Outbound webhooks' endpoints and delivery log (`/api/admin/webhooks`); absent: those paths answer 404. */
  readonly outboundWebhooks?: { readonly store: WebhookStore; readonly allowPrivate: boolean };
  /** Visitors' erasure (`DELETE /api/admin/visitors/:id`); absent: that path answers 404. */
  readonly erasure?: VisitorErasure;
  /**
   * Failed logins per username and per address (auth/throttle.ts): shared through Redis in distributed mode.
   * Absent: a throttle in this process's memory, so that no API is built without one.
   */
  readonly loginThrottle?: LoginThrottle;
  /**
   * Which proxies' `X-Forwarded-For` gives the client's address that logins are counted by (TRUST_PROXY):
   * true (any), or the proxies' addresses and CIDR ranges. Absent: the connection's own address.
   */
  readonly trustProxy?: TrustProxy;
  /** `GET /metrics` then needs `Authorization: Bearer <metricsToken>` (METRICS_TOKEN); absent: open. */
  readonly metricsToken?: string;
}

export type TrustProxy = boolean | readonly string[];

/** Work that takes a slot; the operations endpoints and the static pages never wait for one. */
const isLoadedPath = (url: string): boolean => url.startsWith('/api/') || url.startsWith('/webhooks/');

const VisitorLogin = t.intersection([
  t.type({ companyId: t.string }),
  t.partial({ visitorId: t.string, resumeToken: t.string }),
  visitor.VisitorProfile,
  t.partial({ pageUrl: visitor.PageUrl }),
]);
const AgentLogin = t.type({ companyId: t.string, username: t.string, password: t.string });
const HistoryQuery = t.partial({ before: t.string, limit: t.string });
const ReportQuery = t.partial({ days: t.string, limit: t.string });

/**
 * A platform user's visitor id (`telegram:<account>:<chat id>`, channels/inbound.ts): only the platform's signed
 * webhook speaks for it. A web login giving one would read and write that user's chat, so it is refused.
 */
const isChannelVisitor = (visitorId: string): boolean =>
  Object.keys(session.Channel.keys).some((channel) => channel !== 'web' && visitorId.startsWith(`${channel}:`));

const unstorable = (field: string): HttpError =>
  field === ''
    ? new HttpError(400, 'bad_request', 'body: NUL characters and unpaired surrogates are not accepted')
    : badField(field, 'must not hold NUL characters or unpaired surrogates');

/** A whole number from a query string within bounds, or the fallback when absent. */
const wholeNumber = (name: string, value: string | undefined, fallback: number, min: number, max: number): number => {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw badField(name, `must be a whole number from ${min} to ${max}`);
  return n;
};

declare module 'fastify' {
  interface FastifyRequest {
    claims?: TokenClaims;
  }
}

const claimsOf = (request: FastifyRequest): TokenClaims => {
  if (request.claims === undefined) throw new HttpError(401, 'unauthorized', 'a bearer token is required');
  return request.claims;
};

export const buildHttpApi = (options: HttpApiOptions): FastifyInstance => {
  const { config, readModels, readModelSchema: schema } = options;
  const newId = options.newId ?? (() => crypto.randomUUID());
  const app = Fastify({
    logger: false,
    bodyLimit: 256 * 1024,
    frameworkErrors: routerError,
    trustProxy: typeof options.trustProxy === 'object' ? [...options.trustProxy] : (options.trustProxy ?? false),
  });
  const throttle = options.loginThrottle ?? new InMemoryLoginThrottle();
  /** Refuses (429 with retry-after) a login whose username or address has too many recent failures. */
  const throttled = async (rules: readonly ThrottleRule[], reply: FastifyReply): Promise<boolean> => {
    const verdict = await throttle.check(rules);
    if (verdict.allowed) return false;
    const seconds = retryAfterSeconds(verdict);
    void reply.header('retry-after', String(seconds));
    await sendError(reply, 429, 'too_many_requests', `too many failed logins: try again in ${seconds} seconds`);
    return true;
  };
  /** A password set through the API must pass the policy (auth/password-policy.ts); the field is named. */
  const checkPassword = (field: string, password: string | undefined, username: string | undefined): void => {
    if (password === undefined) return;
    const problem = passwordProblem(password, username);
    if (problem !== undefined) throw badField(field, problem);
  };

  app.setErrorHandler((error: Error, _request, reply) => {
    if (error instanceof HttpError) return sendError(reply, error.status, error.code, error.message, error.field);
    const status = (error as { statusCode?: number }).statusCode;
    if (status !== undefined && status >= 400 && status < 500) {
      return sendError(reply, status, codeOfStatus(status), error.message);
    }
    options.logger.error({ err: error }, 'request failed');
    return sendError(reply, 500, 'internal', 'internal error');
  });
  app.setNotFoundHandler((_request, reply) => sendError(reply, 404, 'not_found', 'no such route'));
  const { load } = options;
  if (load !== undefined) {
    app.addHook('onRequest', async (request, reply) => {
      if (!isLoadedPath(request.url)) return;
      const release = load.admit();
      if (release === undefined) {
        void reply.header('retry-after', String(Math.ceil(RETRY_AFTER_MS / 1000)));
        return sendError(reply, 503, 'overloaded', 'the service is overloaded: try again later');
      }
      // 'close' comes when the response was sent and when the client went away first.
      reply.raw.once('close', release);
    });
  }
  // Text the database cannot hold (NUL, unpaired surrogates) is refused here, before a query would fail on it
  // with a 500: in a path parameter it names nothing (404), in a JSON body it is the client's mistake (400).
  // Of the query strings only the canned responses' `q` reaches the database; it is checked there.
  app.addHook('preValidation', async (request) => {
    if (!isStorableValue(request.params)) throw new HttpError(404, 'not_found', 'no such route');
    const unstorableAt = Buffer.isBuffer(request.body) ? undefined : unstorableField(request.body);
    if (unstorableAt !== undefined) throw unstorable(unstorableAt);
  });

  const tokenCheck = { secret: options.tokenSecret, versions: options.tokenVersions };
  /** Token check for a route: any role of the list. */
  const requires =
    (...roles: TokenClaims['role'][]) =>
    async (request: FastifyRequest): Promise<void> => {
      const token = bearerToken(request.headers.authorization);
      if (token === undefined) throw new HttpError(401, 'unauthorized', 'a bearer token is required');
      const verified = await checkToken(token, tokenCheck);
      if (!verified.ok) throw new HttpError(401, 'unauthorized', refusalMessage(verified.reason));
      if (!roles.includes(verified.claims.role)) throw new HttpError(403, 'forbidden', 'not allowed for this role');
      request.claims = verified.claims;
    };
  const staff = requires('agent', 'supervisor', 'admin');
  const admin = requires('admin');
  /** The floor's overview: admins and supervisors (who have no configuration rights). */
  const floor = requires('supervisor', 'admin');
  const anyone = requires('visitor', 'agent', 'supervisor', 'admin');

  // ---- operations ----
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const ready = await options.ready();
    if (ready === true) return { status: 'ready' };
    return sendError(reply, 503, 'not_ready', ready === false ? 'starting or stopping' : ready);
  });
  const { metricsToken } = options;
  app.get('/metrics', async (request, reply) => {
    if (metricsToken !== undefined) {
      const token = bearerToken(request.headers.authorization);
      if (token === undefined || !constantTimeEqual(token, metricsToken))
        return sendError(reply, 401, 'unauthorized', 'the metrics token is required');
    }
    return reply.type(options.metrics.registry.contentType).send(await options.metrics.registry.metrics());
  });

  // ---- platform webhooks: the raw body, untouched, for the signature ----
  const { webhooks } = options;
  if (webhooks !== undefined) {
    void app.register(async (scope) => {
      scope.removeAllContentTypeParsers();
      scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
      const handler = async (
        request: FastifyRequest<{ Params: { platform: string; accountId: string } }>,
        reply: FastifyReply,
      ) => {
        const headers: Record<string, string | undefined> = {};
        for (const [name, value] of Object.entries(request.headers))
          headers[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
        const query: Record<string, string> = {};
        for (const [name, value] of Object.entries((request.query ?? {}) as Record<string, unknown>))
          if (typeof value === 'string') query[name] = value;
        const answer = await webhooks(request.params.platform, request.params.accountId, {
          method: request.method === 'GET' ? 'GET' : 'POST',
          query,
          headers,
          rawBody: Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0),
        });
        return reply.status(answer.status).type(answer.contentType).send(answer.body);
      };
      scope.get('/webhooks/:platform/:accountId', handler);
      scope.post('/webhooks/:platform/:accountId', handler);
    });
  }

  // ---- attachments ----
  if (options.attachments !== undefined)
    void app.register(uploadRoutes({ ...options, attachments: options.attachments }));

  // ---- logins ----
  /**
   * PROTOCOL second edition, "Security": a visitor id continues an existing visitor only with one of its resume
   * tokens. An id nobody has used yet (a new id of ours, or one a first-edition client chose) becomes a visitor with
   * its first token. Every refusal says the same, so that an id's owner is not told apart from an id's use.
   * Answers the new token (each login rotates; visitor-credentials.ts keeps the five newest valid).
   */
  const admitVisitor = async (
    companyId: string,
    visitorId: string,
    generated: boolean,
    presented: string | undefined,
  ): Promise<string> => {
    const credentials = config.visitorCredentials;
    const next = newResumeToken();
    const refused = () =>
      new HttpError(
        401,
        'unauthorized',
        "resumeToken: a visitorId continues a visitor only with that visitor's resumeToken",
        'resumeToken',
      );
    if (presented !== undefined) {
      if (!(await credentials.rotate(companyId, visitorId, hashResumeToken(presented), next.hash))) throw refused();
      return next.token;
    }
    // A visitor from before resume tokens has events but no credential: its id alone never logs in as it.
    if (!generated && (await visitorKnown(companyId, visitorId))) throw refused();
    if (!(await credentials.claim(companyId, visitorId, next.hash))) throw refused();
    return next.token;
  };
  const visitorKnown = async (companyId: string, visitorId: string): Promise<boolean> =>
    (options.visitorKnown !== undefined && (await options.visitorKnown(companyId, visitorId))) ||
    (await visitorProfileOf(readModels, schema, companyId, visitorId)) !== undefined;

  app.post('/api/visitors/login', async (request, reply) => {
    const body = decodeBody(VisitorLogin, request.body);
    const rules = visitorLoginRules(request.ip);
    if (await throttled(rules, reply)) return reply;
    // What someone guessing ids sends is counted: an unknown company, a visitor id that is not one.
    const refused = async (error: HttpError): Promise<never> => {
      await throttle.fail(rules);
      throw error;
    };
    // A code of its own, so that a widget embedded with a wrong company says so instead of retrying.
    const noCompany = () => new HttpError(404, 'company_not_found', `no company ${JSON.stringify(body.companyId)}`);
    if (!CompanyId.is(body.companyId) || isLeft(await config.getCompany(body.companyId))) return refused(noCompany());
    if (body.visitorId !== undefined && (!Id.is(body.visitorId) || isChannelVisitor(body.visitorId)))
      return refused(badField('visitorId', 'must be a web visitor id this service gave'));
    const visitorId = body.visitorId ?? `v-${newId()}`;
    // A wrong resume token is not counted: 256 random bits are not guessed, and a widget holding one that five
    // newer logins replaced is normal, not an attack (counting it would lock out the visitors behind one address).
    const resumeToken = await admitVisitor(body.companyId, visitorId, body.visitorId === undefined, body.resumeToken);
    if (options.recordVisit !== undefined) {
      const { name, email, phone, attributes, pageUrl } = body;
      const profile = { name, email, phone, attributes };
      unwrap(
        await options.recordVisit(body.companyId, visitorId, {
          channel: 'web',
          profile: Object.fromEntries(Object.entries(profile).filter(([, v]) => v !== undefined)),
          ...(pageUrl === undefined ? {} : { pageUrl }),
        }),
      );
    }
    const token = await issueToken(
      { company: body.companyId, role: 'visitor', sub: visitorId as Id },
      { secret: options.tokenSecret },
    );
    return { token, visitorId, resumeToken };
  });

  app.post('/api/agents/login', async (request, reply) => {
    const body = decodeBody(AgentLogin, request.body);
    const rules = agentLoginRules(body.companyId, body.username, request.ip);
    // Checked before the hash: a blocked attempt costs no scrypt, and the right password is refused too.
    if (await throttled(rules.all, reply)) return reply;
    const refused = async () => {
      await throttle.fail(rules.all);
      return sendError(reply, 401, 'unauthorized', 'wrong company, username or password');
    };
    if (!CompanyId.is(body.companyId)) return refused();
    const found = await config.findAgentByUsername(body.companyId, body.username);
    // The hash is checked even for an unknown user, so that timing does not tell which it was.
    const valid = await verifyPassword(body.password, isRight(found) ? found.right.passwordHash : undefined);
    if (isLeft(found) || !valid) return refused();
    // The agent proved itself: its username's failures go; the address's count (others' failures) stays.
    await throttle.succeed([rules.username]);
    const account = found.right;
    const token = await issueToken(
      { company: body.companyId, role: account.role, sub: account.id as Id, tv: account.tokenVersion },
      { secret: options.tokenSecret },
    );
    return { token, agentId: account.id };
  });

  // Ends every token of the caller's agent, on all its devices and every process (its version moves): a token
  // cannot be taken back one by one, and a sign-out on a shared computer should end them all.
  app.post('/api/agents/logout', { preHandler: staff }, async (request, reply) => {
    const claims = claimsOf(request);
    unwrap(await config.revokeTokens(claims.company, claims.sub, claims.sub));
    return reply.status(204).send();
  });

  // ---- read models ----
  void app.register(historyRoutes, { readModels, schema, staff, claimsOf });

  app.get<{ Params: { id: string } }>('/api/sessions/:id/messages', { preHandler: anyone }, async (request) => {
    const claims = claimsOf(request);
    const query = decodeBody(HistoryQuery, request.query, 'query');
    const limit = wholeNumber('limit', query.limit, 50, 1, 200);
    if (query.before !== undefined && Number.isNaN(Date.parse(query.before))) {
      throw badField('before', 'must be an ISO-8601 time');
    }
    const { rows } = await readModels.raw<{ rows: { visitor_id: string; started_at: Date }[] }>(
      `select visitor_id, started_at from "${schema}".session_list where company_id = ? and session_id = ?`,
      [claims.company, request.params.id],
    );
    const found = rows[0];
    // A visitor reads only its own sessions; staff read their company's.
    if (found === undefined || (claims.role === 'visitor' && found.visitor_id !== claims.sub)) {
      throw new HttpError(404, 'session_not_found', 'no such session');
    }
    const messages = await historyPage(readModels, schema, {
      companyId: claims.company,
      sessionId: request.params.id,
      since: found.started_at.toISOString(),
      ...(query.before === undefined ? {} : { before: new Date(query.before).toISOString() }),
      limit,
      // Private notes are for staff only, never for the visitor.
      notes: claims.role !== 'visitor',
    });
    return { messages };
  });

  app.get('/api/queues', { preHandler: staff }, async (request) => {
    const claims = claimsOf(request);
    const entries = await queuesOf(readModels, schema, claims.company);
    const groups = new Map<string, { sessionId: string; since: string; position: number }[]>();
    // The console names the groups (its transfer menu, its board); ids are no names for people.
    const names = new Map<string, string>();
    for (const group of await config.listGroups(claims.company)) {
      groups.set(group.id, []);
      names.set(group.id, group.name);
    }
    for (const e of entries)
      groups.set(e.groupId, [
        ...(groups.get(e.groupId) ?? []),
        { sessionId: e.sessionId, since: e.since, position: e.position },
      ]);
    return {
      queues: [...groups.entries()].map(([groupId, waiting]) => ({
        groupId,
        ...(names.has(groupId) ? { name: names.get(groupId) } : {}),
        waiting,
      })),
    };
  });

  app.get('/api/agents', { preHandler: staff }, async (request) => {
    const claims = claimsOf(request);
    const board = new Map((await agentBoardOf(readModels, schema, claims.company)).map((row) => [row.agentId, row]));
    return {
      agents: (await config.listAgents(claims.company)).map((account) => {
        const row = board.get(account.id);
        return {
          agentId: account.id,
          username: account.username,
          name: account.name ?? account.username,
          role: account.role,
          groupIds: account.groupIds,
          status: row?.status ?? 'offline',
          load: row?.load ?? 0,
          capacity: account.capacity,
          ...(row?.idleSince === undefined ? {} : { idleSince: row.idleSince }),
        };
      }),
    };
  });

  // ---- canned responses ----
  app.get<{ Querystring: { q?: string } }>('/api/canned-responses', { preHandler: staff }, async (request) => {
    const claims = claimsOf(request);
    const q = typeof request.query.q === 'string' ? request.query.q : undefined;
    if (q !== undefined && !isStorableText(q)) throw unstorable('q');
    return { cannedResponses: await config.listCannedResponses(claims.company, claims.sub, q) };
  });
  app.post('/api/canned-responses', { preHandler: staff }, async (request, reply) => {
    const claims = claimsOf(request);
    const created = unwrap(
      await config.createCannedResponse(claims.company, claims.sub, decodeBody(NewCannedResponse, request.body)),
    );
    return reply.status(201).send(created);
  });
  app.put<{ Params: { id: string } }>('/api/canned-responses/:id', { preHandler: staff }, async (request) => {
    const claims = claimsOf(request);
    return unwrap(
      await config.updateCannedResponse(
        claims.company,
        claims.sub,
        request.params.id,
        decodeBody(CannedResponsePatch, request.body),
      ),
    );
  });
  app.delete<{ Params: { id: string } }>('/api/canned-responses/:id', { preHandler: staff }, async (request, reply) => {
    const claims = claimsOf(request);
    unwrap(await config.deleteCannedResponse(claims.company, claims.sub, request.params.id));
    return reply.status(204).send();
  });

  // ---- administration ----
  const crud = <New, Patch>(
    path: string,
    codecs: { create: t.Decoder<unknown, New>; update: t.Decoder<unknown, Patch> },
    store: {
      list: (companyId: string) => Promise<unknown>;
      create: (companyId: string, actorId: string, body: New) => Promise<ConfigResult<unknown>>;
      update: (companyId: string, actorId: string, id: string, body: Patch) => Promise<ConfigResult<unknown>>;
      remove: (companyId: string, actorId: string, id: string) => Promise<ConfigResult<void>>;
      key: string;
    },
  ): void => {
    app.get(`/api/admin/${path}`, { preHandler: admin }, async (request) => ({
      [store.key]: await store.list(claimsOf(request).company),
    }));
    app.post(`/api/admin/${path}`, { preHandler: admin }, async (request, reply: FastifyReply) => {
      const claims = claimsOf(request);
      return reply
        .status(201)
        .send(unwrap(await store.create(claims.company, claims.sub, decodeBody(codecs.create, request.body))));
    });
    app.put<{ Params: { id: string } }>(`/api/admin/${path}/:id`, { preHandler: admin }, async (request) => {
      const claims = claimsOf(request);
      return unwrap(
        await store.update(claims.company, claims.sub, request.params.id, decodeBody(codecs.update, request.body)),
      );
    });
    app.delete<{ Params: { id: string } }>(
      `/api/admin/${path}/:id`,
      { preHandler: admin },
      async (request, reply: FastifyReply) => {
        const claims = claimsOf(request);
        unwrap(await store.remove(claims.company, claims.sub, request.params.id));
        return reply.status(204).send();
      },
    );
  };

  crud(
    'groups',
    { create: NewGroup, update: GroupPatch },
    {
      key: 'groups',
      list: (c) => config.listGroups(c),
      create: (c, a, b) => config.createGroup(c, a, b),
      update: (c, a, id, b) => config.updateGroup(c, a, id, b),
      remove: (c, a, id) => config.deleteGroup(c, a, id),
    },
  );
  crud(
    'agents',
    { create: NewAgent, update: AgentPatch },
    {
      key: 'agents',
      list: (c) => config.listAgents(c),
      create: (c, a, b) => {
        checkPassword('password', b.password, b.username);
        return config.createAgent(c, a, b);
      },
      update: async (c, a, id, b) => {
        if (b.password !== undefined) {
          const current = b.username === undefined ? await config.agentById(c, id) : undefined;
          checkPassword(
            'password',
            b.password,
            b.username ?? (current !== undefined && isRight(current) ? current.right.username : undefined),
          );
        }
        return config.updateAgent(c, a, id, b);
      },
      remove: (c, a, id) => config.deleteAgent(c, a, id),
    },
  );
  crud(
    'channel-accounts',
    { create: NewChannelAccount, update: ChannelAccountPatch },
    {
      key: 'channelAccounts',
      list: (c) => config.listChannelAccounts(c),
      create: (c, a, b) => config.createChannelAccount(c, a, b),
      update: (c, a, id, b) => config.updateChannelAccount(c, a, id, b),
      remove: (c, a, id) => config.deleteChannelAccount(c, a, id),
    },
  );
  crud(
    'working-hours',
    { create: NewWorkingHours, update: NewWorkingHours },
    {
      key: 'workingHours',
      list: (c) => config.listWorkingHours(c),
      create: (c, a, b) => config.createWorkingHours(c, a, b),
      update: (c, a, id, b) => config.updateWorkingHours(c, a, id, b),
      remove: (c, a, id) => config.deleteWorkingHours(c, a, id),
    },
  );
  crud(
    'faq',
    { create: NewFaqEntry, update: FaqEntryPatch },
    {
      key: 'faq',
      list: (c) => config.listFaqEntries(c),
      create: (c, a, b) => config.createFaqEntry(c, a, b),
      update: (c, a, id, b) => config.updateFaqEntry(c, a, id, b),
      remove: (c, a, id) => config.deleteFaqEntry(c, a, id),
    },
  );
  crud(
    'intents',
    { create: NewIntent, update: IntentPatch },
    {
      key: 'intents',
      list: (c) => config.listIntents(c),
      create: (c, a, b) => config.createIntent(c, a, b),
      update: (c, a, id, b) => config.updateIntent(c, a, id, b),
      remove: (c, a, id) => config.deleteIntent(c, a, id),
    },
  );

  // What visitors asked that the bot did not understand, most often first: what to add to the FAQ.
  // The floor now, for supervisors and admins (`live.update` pushes the same body).
  app.get('/api/admin/live', { preHandler: floor }, async (request) =>
    liveBoard(config, readModels, schema, claimsOf(request).company),
  );

  app.get('/api/admin/reports/unanswered', { preHandler: admin }, async (request) => {
    const query = decodeBody(ReportQuery, request.query, 'query');
    const days = wholeNumber('days', query.days, 30, 1, 366);
    const limit = wholeNumber('limit', query.limit, 20, 1, 200);
    const since = new Date(Date.now() - days * 86_400_000);
    const company = claimsOf(request).company;
    return { questions: await unansweredQuestions(readModels, schema, company, since, limit, await handled(company)) };
  });
  // What the report leaves out: a phrasing the bot knows now, up to its entry's last change, and a dismissal.
  const handled = async (company: string): Promise<HandledQuestion[]> => {
    const [faq, intents, dismissals] = await Promise.all([
      config.listFaqEntries(company, { enabledOnly: true }),
      config.listIntents(company, { enabledOnly: true }),
      config.listUnansweredDismissals(company),
    ]);
    return [
      ...faq.flatMap((f) => [f.question, ...f.alternatives].map((text) => ({ text, at: f.updatedAt }))),
      ...intents.flatMap((i) => i.phrases.map((text) => ({ text, at: i.updatedAt }))),
      ...dismissals.map((d) => ({ text: d.question, at: d.dismissedAt })),
    ];
  };
  app.post('/api/admin/reports/unanswered/dismissals', { preHandler: admin }, async (request) => {
    const claims = claimsOf(request);
    const body = decodeBody(UnansweredDismissal, request.body);
    return unwrap(await config.dismissUnansweredQuestion(claims.company, claims.sub, body.question));
  });
  // One click of the report: one more phrasing of an FAQ entry or an intent, without sending (and racing) the rest.
  app.post<{ Params: { id: string } }>('/api/admin/faq/:id/alternatives', { preHandler: admin }, async (request) => {
    const claims = claimsOf(request);
    const body = decodeBody(NewFaqAlternative, request.body);
    return unwrap(await config.addFaqAlternative(claims.company, claims.sub, request.params.id, body.text));
  });
  app.post<{ Params: { id: string } }>('/api/admin/intents/:id/phrases', { preHandler: admin }, async (request) => {
    const claims = claimsOf(request);
    const body = decodeBody(NewIntentPhrase, request.body);
    return unwrap(await config.addIntentPhrase(claims.company, claims.sub, request.params.id, body.text));
  });

  // The summary and its charts: for supervisors too.
  void app.register(reportRoutes, { readModels, schema, config, reporters: requires('admin', 'supervisor'), claimsOf });

  app.get('/api/admin/suggested-questions', { preHandler: admin }, async (request) => ({
    questions: await config.getSuggestedQuestions(claimsOf(request).company),
  }));
  app.put('/api/admin/suggested-questions', { preHandler: admin }, async (request) => {
    const claims = claimsOf(request);
    const body = decodeBody(SuggestedQuestions, request.body);
    return { questions: unwrap(await config.setSuggestedQuestions(claims.company, claims.sub, body.questions)) };
  });

  if (options.outboundWebhooks !== undefined)
    void app.register(webhookRoutes({ ...options.outboundWebhooks, admin, claimsOf }));
  if (options.erasure !== undefined)
    void app.register(visitorAdminRoutes({ erasure: options.erasure, admin, claimsOf }));

  app.get('/api/admin/settings', { preHandler: admin }, async (request) =>
    unwrap(await config.getSettings(claimsOf(request).company)),
  );
  app.put('/api/admin/settings', { preHandler: admin }, async (request) => {
    const claims = claimsOf(request);
    return unwrap(await config.updateSettings(claims.company, claims.sub, decodeBody(SettingsPatch, request.body)));
  });

  // ---- the platform operator ----
  app.post('/api/companies', async (request, reply) => {
    if (options.platformAdminToken === undefined) return sendError(reply, 404, 'not_found', 'no such route');
    const token = bearerToken(request.headers.authorization);
    if (token === undefined || !constantTimeEqual(token, options.platformAdminToken)) {
      return sendError(reply, 401, 'unauthorized', 'the platform admin token is required');
    }
    const body = decodeBody(NewCompany, request.body);
    checkPassword('adminPassword', body.adminPassword, body.adminUsername);
    const created = unwrap(await config.createCompany(body));
    return reply.status(201).send(created);
  });

  return app;
};

/**
 * The router's own refusals (a path parameter over Fastify's 100 characters, a percent-encoding that does
 * not decode) in the API's error body: such a path names nothing.
 */
const routerError = (_error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void => {
  void sendError(reply, 404, 'not_found', 'no such route');
};

/** Compared as SHA-256 digests, so that neither the bytes nor the length of the secret show in the timing. */
const constantTimeEqual = (a: string, b: string): boolean =>
  timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
