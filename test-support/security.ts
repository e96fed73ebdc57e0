// The embedded app as the security and fuzz suites use it: a fresh data folder, known secrets, HTTP calls
// that cannot hang, a fingerprint of everything stored, and the operations openapi.yaml documents.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parse } from 'yaml';
import { loadConfig, silentLogger, type Logger } from '@cschat/infra';
import type { GatewayLimits } from '../gateways/src/ws/limits';
import { startFakePlatform, type FakePlatform } from '../gateways/src/channels/fake-platform';
import { createApp, type App } from '../scripts/src/app';

export const PLATFORM_ADMIN_TOKEN = 'platform-operator-token-for-security-tests';
export const TOKEN_SECRET = 'the-token-secret-of-the-security-tests-0123456789';
/** METRICS_TOKEN of the harness: `GET /metrics` needs it. */
export const METRICS_TOKEN = 'metrics-scrape-token-of-the-security-tests';
export const DEMO_PASSWORD = 'demo-password-of-the-security-tests';

export interface Answer {
  readonly status: number;
  readonly text: string;
  /** The body as JSON, or undefined when it is not JSON. */
  readonly json: unknown;
  readonly contentType: string;
  /** `retry-after` of a 429 or 503, when sent. */
  readonly retryAfter?: string;
}

export interface Harness {
  readonly app: App;
  readonly fake: FakePlatform;
  readonly base: string;
  readonly wsBase: string;
  /** A request with a 15 s limit: a hang fails the test instead of stalling it. */
  call(
    method: string,
    pathAndQuery: string,
    options?: { headers?: Record<string, string>; body?: string | Uint8Array; token?: string },
  ): Promise<Answer>;
  /** POST/PUT of a JSON body. */
  json(method: string, pathAndQuery: string, body: unknown, token?: string): Promise<Answer>;
  /** A token for an agent or admin of a company. */
  login(companyId: string, username: string, password?: string): Promise<{ token: string; agentId: string }>;
  /** A new visitor's login: its token, id and first resume token. */
  visitor(companyId: string): Promise<{ token: string; visitorId: string; resumeToken: string }>;
  /** Every row count of the configuration, the audit's last id and the event store's last position. */
  fingerprint(): Promise<string>;
  /** The fingerprint once it stopped changing (the worker role records sends and routes in the background). */
  settled(): Promise<string>;
  stop(): Promise<void>;
}

export interface HarnessOptions {
  readonly logger?: Logger;
  /** Websocket limits beyond what the environment can set (the fuzzers raise the frame rate). */
  readonly socketLimits?: Partial<GatewayLimits>;
  readonly env?: Record<string, string>;
}

const CONFIG_TABLES = [
  'companies',
  'groups',
  'agents',
  'agent_groups',
  'channel_accounts',
  'working_hours',
  'suggested_questions',
  'faq_entries',
  'canned_responses',
  'settings',
  'config_audit',
  'intents',
  'knowledge_versions',
  'unanswered_dismissals',
  'visitor_resume_tokens',
];

export const startHarness = async (options: HarnessOptions = {}): Promise<Harness> => {
  const fake = await startFakePlatform();
  // Every send succeeds (WeChat's after an access token), so that no retry outlives the test.
  fake.respond((request) =>
    request.path === '/cgi-bin/token'
      ? { status: 200, body: { access_token: 'AT-fake-wechat-access-token', expires_in: 7200 } }
      : request.path.startsWith('/cgi-bin/')
        ? { status: 200, body: { errcode: 0, errmsg: 'ok' } }
        : undefined,
  );
  const dataDir = mkdtempSync(path.join(tmpdir(), 'cschat-security-'));
  const config = loadConfig({
    DATA_DIR: dataDir,
    PORT: '0',
    PLATFORM_ADMIN_TOKEN,
    TOKEN_SECRET,
    METRICS_TOKEN,
    DEMO_PASSWORD,
    TELEGRAM_API_URL: fake.baseUrl,
    WHATSAPP_API_URL: fake.baseUrl,
    MESSENGER_API_URL: fake.baseUrl,
    INSTAGRAM_API_URL: fake.baseUrl,
    WECHAT_API_URL: fake.baseUrl,
    ...options.env,
  });
  // The config's type names only what the environment sets; the gateway takes any of its limits.
  const socketLimits: Partial<GatewayLimits> = { ...config.socketLimits, ...options.socketLimits };
  const app = createApp({ ...config, socketLimits }, options.logger ?? silentLogger());
  await app.start();
  const port = app.frontDoor!.port;
  const base = `http://127.0.0.1:${port}`;

  const call: Harness['call'] = async (method, pathAndQuery, callOptions = {}) => {
    const response = await fetch(`${base}${pathAndQuery}`, {
      method,
      headers: {
        ...(callOptions.token === undefined ? {} : { authorization: `Bearer ${callOptions.token}` }),
        ...callOptions.headers,
      },
      ...(callOptions.body === undefined ? {} : { body: callOptions.body }),
      signal: AbortSignal.timeout(15_000),
    });
    const text = await response.text();
    let json: unknown;
    try {
      json = JSON.parse(text) as unknown;
    } catch {
      json = undefined;
    }
    const retryAfter = response.headers.get('retry-after');
    return {
      status: response.status,
      text,
      json,
      contentType: response.headers.get('content-type') ?? '',
      ...(retryAfter === null ? {} : { retryAfter }),
    };
  };
  const jsonCall: Harness['json'] = (method, pathAndQuery, body, token) =>
    call(method, pathAndQuery, {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      ...(token === undefined ? {} : { token }),
    });

  const fingerprint = async (): Promise<string> => {
    const counts = CONFIG_TABLES.map((table) => `(select count(*) from config.${table}) as ${table}`).join(', ');
    const { rows } = await app.storage.readModels.raw<{ rows: Record<string, unknown>[] }>(
      `select ${counts}, (select coalesce(max(id), 0) from config.config_audit) as last_audit,
              (select coalesce(sum(version), 0) from config.knowledge_versions) as knowledge,
              (select count(*) from webhooks.endpoints) as webhook_endpoints,
              (select coalesce(max(updated_at)::text, '') from webhooks.endpoints) as webhooks_changed`,
    );
    const position = await app.storage.eventStore.lastPosition();
    const events = JSON.stringify(position ?? null, (_key, value: unknown) =>
      typeof value === 'bigint' ? String(value) : value,
    );
    return JSON.stringify({ ...rows[0], events });
  };

  return {
    app,
    fake,
    base,
    wsBase: `ws://127.0.0.1:${port}`,
    call,
    json: jsonCall,
    login: async (companyId, username, password = DEMO_PASSWORD) => {
      const answer = await jsonCall('POST', '/api/agents/login', { companyId, username, password });
      if (answer.status !== 200) throw new Error(`login of ${username}@${companyId}: ${answer.status} ${answer.text}`);
      const body = answer.json as { token: string; agentId: string };
      return { token: body.token, agentId: body.agentId };
    },
    visitor: async (companyId) => {
      const answer = await jsonCall('POST', '/api/visitors/login', { companyId });
      if (answer.status !== 200) throw new Error(`visitor login: ${answer.status} ${answer.text}`);
      return answer.json as { token: string; visitorId: string; resumeToken: string };
    },
    fingerprint,
    settled: async () => {
      let last = await fingerprint();
      for (let quiet = 0, tries = 0; quiet < 3 && tries < 100; tries += 1) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        const now = await fingerprint();
        quiet = now === last ? quiet + 1 : 0;
        last = now;
      }
      return last;
    },
    stop: async () => {
      await app.stop();
      await fake.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
};

// ---- openapi.yaml ----

export interface Operation {
  readonly method: string;
  /** As OpenAPI writes it: `/api/sessions/{id}/messages`. */
  readonly path: string;
  /** The statuses it documents. */
  readonly statuses: ReadonlySet<number>;
  /** `bearerJwt` roles, `platformAdminToken`, or none. */
  readonly security: readonly string[];
}

export interface OpenApi {
  readonly operations: readonly Operation[];
  /** `x-error-codes`: each error code and its status. */
  readonly errorCodes: Readonly<Record<string, number>>;
}

type Node = Record<string, unknown>;
const isNode = (value: unknown): value is Node => typeof value === 'object' && value !== null && !Array.isArray(value);

export const loadOpenApi = (): OpenApi => {
  const doc = parse(readFileSync(path.join(__dirname, '../docs/api/openapi.yaml'), 'utf8')) as Node;
  const operations: Operation[] = [];
  for (const [p, item] of Object.entries(doc['paths'] as Node)) {
    for (const method of ['get', 'put', 'post', 'delete']) {
      const op = (item as Node)[method];
      if (!isNode(op)) continue;
      const security = (Array.isArray(op['security']) ? (op['security'] as Node[]) : []).flatMap((requirement) =>
        Object.entries(requirement).flatMap(([scheme, roles]) =>
          scheme === 'bearerJwt' && Array.isArray(roles) ? roles.map(String) : [scheme],
        ),
      );
      operations.push({
        method: method.toUpperCase(),
        path: p,
        statuses: new Set(Object.keys(op['responses'] as Node).map(Number)),
        security,
      });
    }
  }
  return { operations, errorCodes: doc['x-error-codes'] as Record<string, number> };
};

/** Whether an error answer is the documented error body, `{"error": {"code", "message"}}` with a known code. */
/** Values a message may name without a `field` (`body: must be an object`): the input itself. */
const WHOLE_INPUTS = new Set(['body', 'query', 'frame']);

/**
 * PROTOCOL "Security": an error that names a field and its rule (`capacity: must be ...`) carries that
 * field in `field`, and a `field` is the one its message names. Of an HTTP body or an `error` frame.
 */
export const namesItsField = (error: Readonly<Record<string, unknown>>): boolean => {
  const message = error['message'];
  const field = error['field'];
  if (typeof message !== 'string' || message === '') return false;
  if (field !== undefined) return typeof field === 'string' && field !== '' && message.startsWith(`${field}: `);
  const named = /^([^\s:]+): (must|is) /.exec(message);
  return named === null || WHOLE_INPUTS.has(named[1]!);
};

export const isDocumentedError = (answer: Answer, errorCodes: Readonly<Record<string, number>>): boolean => {
  const body = answer.json;
  if (!isNode(body) || Object.keys(body).join() !== 'error') return false;
  const error = body['error'];
  if (!isNode(error) || !['code,message', 'code,field,message'].includes(Object.keys(error).sort().join()))
    return false;
  const code = error['code'];
  if (typeof code !== 'string' || typeof error['message'] !== 'string' || errorCodes[code] === undefined) return false;
  if (!namesItsField(error)) return false;
  // The framework's other 4xx without a code of their own come as bad_request; a 415 says unsupported_media_type.
  return errorCodes[code] === answer.status || (code === 'bad_request' && answer.status !== 415);
};

/** A valid body for each route that takes one (by `METHOD /path`), so that a missing check would let it through. */
export const validBodies = (groupId: string, companyId: string): Readonly<Record<string, unknown>> => {
  const schedule = {
    groupId,
    type: 'irregular',
    timeZone: 'UTC',
    dates: [{ date: '2026-10-01', from: '10:00', to: '16:00' }],
  };
  return {
    'POST /api/visitors/login': { companyId, name: 'Visitor' },
    'POST /api/agents/login': { companyId, username: 'nobody', password: 'wrong-password' },
    'POST /api/canned-responses': { shortcut: 'bye', text: 'Goodbye', scope: 'personal' },
    'PUT /api/canned-responses/{id}': { text: 'Hello again' },
    'POST /api/admin/groups': { name: 'Another group' },
    'PUT /api/admin/groups/{id}': { name: 'Renamed' },
    'POST /api/admin/agents': {
      username: `agent-${Math.random().toString(36).slice(2, 8)}`,
      password: 'pw-agent-2-long-enough',
      role: 'agent',
      groupIds: [groupId],
      capacity: 1,
      name: 'Two',
    },
    'PUT /api/admin/agents/{id}': { capacity: 3, name: 'Renamed' },
    'POST /api/admin/channel-accounts': {
      platform: 'wechat',
      name: 'W',
      groupId,
      credentials: { appId: 'wx1', appSecret: 's', token: 'tok' },
    },
    'PUT /api/admin/channel-accounts/{id}': { name: 'T2', enabled: true },
    'POST /api/admin/working-hours': schedule,
    'PUT /api/admin/working-hours/{id}': schedule,
    'POST /api/admin/faq': { question: 'q?', alternatives: ['q2?'], answer: 'a', tags: ['t'], enabled: true },
    'PUT /api/admin/faq/{id}': { answer: 'new answer' },
    'POST /api/admin/intents': {
      name: `bye-${Math.random().toString(36).slice(2, 8)}`,
      phrases: ['goodbye'],
      action: 'end',
    },
    'PUT /api/admin/intents/{id}': { enabled: false },
    'POST /api/admin/faq/{id}/alternatives': { text: 'Another way to ask?' },
    'POST /api/admin/intents/{id}/phrases': { text: 'another phrase' },
    'POST /api/admin/reports/unanswered/dismissals': { question: 'asdf qwer' },
    'PUT /api/admin/suggested-questions': { questions: ['Where is my order?'] },
    'POST /api/admin/webhooks': { url: 'https://hooks.example.com/cschat', events: ['sla.breached'] },
    'PUT /api/admin/webhooks/{id}': { enabled: false, events: ['csat.submitted'] },
    'PUT /api/admin/settings': { greeting: 'Hi', suggestionCount: 3, inactivityTimeoutSeconds: 600 },
    'POST /api/companies': {
      companyId: `c${Math.random().toString(36).slice(2, 8)}`,
      name: 'Other',
      timeZone: 'UTC',
      adminUsername: 'a',
      adminPassword: 'pw-123456-of-the-operator',
    },
  };
};
