// The HTTP edge of issue 22's login rules over a stand-in configuration store (the throttle's own
// contract runs on memory and Redis in infra/src/login-throttle): 429 with retry-after after 10 failed
// logins of a username or 50 from an address, the right password included, until the window passes on
// a clock the test moves; the password policy wherever the API sets a password; METRICS_TOKEN. The app
// listens on loopback and trusts it as a proxy, so that X-Forwarded-For stands for the client's address.
import type { FastifyInstance } from 'fastify';
import { left, right } from 'fp-ts/Either';
import type { Knex } from 'knex';
import { domainError } from '@cschat/domain';
import { InMemoryLoginThrottle, type CompanyConfigStore, type Logger, type Metrics } from '@cschat/infra';
import { hashPassword, issueToken } from '../auth';
import { buildHttpApi, type HttpApiOptions } from './server';

const SECRET = 'a test secret of at least thirty-two bytes';
const PASSWORD = 'the right password, long enough';
/** Cheap scrypt parameters: the hash carries them, and these tests check hundreds of logins. */
const CHEAP = { N: 2 ** 10, r: 8, p: 1 };

const MINUTE = 60_000;
let now = Date.UTC(2026, 0, 1, 9);
let hash: string;
beforeAll(async () => {
  hash = await hashPassword(PASSWORD, CHEAP);
});

const agentNamed = (username: string) => ({
  id: `agent-${username}`,
  username,
  name: username,
  role: 'agent' as const,
  capacity: 3,
  groupIds: [],
  createdAt: new Date(0).toISOString(),
});

/** Company `acme` with any username as an agent of PASSWORD; records what the admin routes were asked. */
const stubConfig = () => {
  const created: unknown[] = [];
  const config = {
    getCompany: async (companyId: string) =>
      companyId === 'acme' ? right({ companyId }) : left(domainError('not_found', 'no such company')),
    findAgentByUsername: async (_companyId: string, username: string) =>
      right({ ...agentNamed(username), passwordHash: hash }),
    agentById: async (_companyId: string, id: string) =>
      id === 'agent-carol' ? right(agentNamed('carol-the-admin')) : left(domainError('not_found', 'no such agent')),
    createAgent: async (_c: string, _a: string, body: unknown) => {
      created.push(body);
      return right({ id: 'agent-new' });
    },
    updateAgent: async (_c: string, _a: string, _id: string, body: unknown) => {
      created.push(body);
      return right({ id: 'agent-carol' });
    },
    // Every visitor is new here: the resume tokens' own rules are tested on the real stores.
    visitorCredentials: { claim: async () => true, rotate: async () => false },
    createCompany: async (body: unknown) => {
      created.push(body);
      return right({ companyId: 'globex' });
    },
  };
  return { config: config as unknown as CompanyConfigStore, created };
};

const apps: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

interface Answer {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
  json(): { error: { code: string; message: string } } & Record<string, unknown>;
}

interface Request {
  readonly method: string;
  readonly url: string;
  readonly payload?: object;
  /** The client's address, sent as X-Forwarded-For. */
  readonly remoteAddress?: string;
  readonly headers?: Record<string, string>;
}

/** The listening app: one request and its answer. */
interface Served {
  inject(request: Request): Promise<Answer>;
  close(): Promise<void>;
}

const appWith = async (options: Partial<HttpApiOptions> = {}): Promise<{ app: Served; created: unknown[] }> => {
  const stub = stubConfig();
  const app = buildHttpApi({
    config: stub.config,
    readModels: {} as Knex,
    readModelSchema: 'read_models',
    tokenSecret: SECRET,
    platformAdminToken: 'the-platform-operator-token',
    metrics: {
      registry: { contentType: 'text/plain; version=0.0.4', metrics: async () => 'cschat_up 1\n' },
    } as unknown as Metrics,
    logger: { error: () => undefined } as unknown as Logger,
    ready: async () => true,
    loginThrottle: new InMemoryLoginThrottle({ now: () => now }),
    trustProxy: ['127.0.0.1', '::1'],
    ...options,
  });
  apps.push(app);
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  const inject = async (request: Request): Promise<Answer> => {
    const response = await fetch(`${base}${request.url}`, {
      method: request.method,
      headers: {
        ...(request.payload === undefined ? {} : { 'content-type': 'application/json' }),
        ...(request.remoteAddress === undefined ? {} : { 'x-forwarded-for': request.remoteAddress }),
        ...request.headers,
      },
      ...(request.payload === undefined ? {} : { body: JSON.stringify(request.payload) }),
    });
    const body = await response.text();
    return {
      statusCode: response.status,
      headers: Object.fromEntries(response.headers),
      body,
      json: () => JSON.parse(body) as ReturnType<Answer['json']>,
    };
  };
  return { app: { inject, close: () => app.close() }, created: stub.created };
};

const agentLogin = (app: Served, username: string, password: string, remoteAddress = '203.0.113.7') =>
  app.inject({
    method: 'POST',
    url: '/api/agents/login',
    payload: { companyId: 'acme', username, password },
    remoteAddress,
  });

describe('login throttling over HTTP', () => {
  it('answers the 11th attempt after 10 wrong passwords with 429 and retry-after, the right password included, until the window passes', async () => {
    const { app } = await appWith();
    for (let i = 0; i < 10; i += 1) {
      now += 30_000;
      expect((await agentLogin(app, 'alice', `wrong password ${i}`)).statusCode).toBe(401);
    }
    const refused = await agentLogin(app, 'alice', PASSWORD);
    expect(refused.statusCode).toBe(429);
    // The first failure was 4.5 minutes ago: it leaves the 15-minute window in 10.5 minutes.
    expect(refused.headers['retry-after']).toBe('630');
    expect(refused.json()).toEqual({
      error: { code: 'too_many_requests', message: 'too many failed logins: try again in 630 seconds' },
    });
    // Another username of the company, from the same address, still logs in.
    expect((await agentLogin(app, 'bob', PASSWORD)).statusCode).toBe(200);
    now += 630_000 - 1_000;
    expect((await agentLogin(app, 'alice', PASSWORD)).headers['retry-after']).toBe('1');
    now += 1_000;
    const welcomed = await agentLogin(app, 'alice', PASSWORD);
    expect(welcomed.statusCode).toBe(200);
    expect(welcomed.json()).toMatchObject({ agentId: 'agent-alice' });
  });

  it("lets a success clear its username's failures, not the address's count of the others'", async () => {
    const { app } = await appWith();
    for (let i = 0; i < 9; i += 1) expect((await agentLogin(app, 'alice', 'wrong password!')).statusCode).toBe(401);
    expect((await agentLogin(app, 'alice', PASSWORD)).statusCode).toBe(200);
    for (let i = 0; i < 9; i += 1) expect((await agentLogin(app, 'alice', 'wrong password!')).statusCode).toBe(401);
    expect((await agentLogin(app, 'alice', PASSWORD)).statusCode).toBe(200);
    // 18 failures from this address so far; 32 more over other usernames reach 50.
    for (let i = 0; i < 32; i += 1)
      expect((await agentLogin(app, `u${i % 4}`, 'wrong password!')).statusCode).toBe(401);
    const refused = await agentLogin(app, 'someone-new', PASSWORD);
    expect([refused.statusCode, refused.headers['retry-after']]).toEqual([429, '900']);
    // From another address the same username logs in.
    expect((await agentLogin(app, 'someone-new', PASSWORD, '198.51.100.9')).statusCode).toBe(200);
  });

  it('counts by the connection address, or by X-Forwarded-For only when the proxy is trusted', async () => {
    const forwarded = (app: Served, client: string, username: string) =>
      app.inject({
        method: 'POST',
        url: '/api/agents/login',
        payload: { companyId: 'acme', username, password: 'wrong password!' },
        remoteAddress: client,
      });
    // Not trusted: every attempt is loopback's, whatever the header says.
    const direct = (await appWith({ trustProxy: false })).app;
    for (let i = 0; i < 50; i += 1) await forwarded(direct, `198.51.100.${i}`, `u${i}`);
    expect((await forwarded(direct, '192.0.2.1', 'fresh')).statusCode).toBe(429);

    const proxied = (await appWith({ trustProxy: ['127.0.0.0/8'] })).app;
    for (let i = 0; i < 50; i += 1) await forwarded(proxied, `198.51.100.${i}`, `u${i}`);
    expect((await forwarded(proxied, '192.0.2.1', 'fresh')).statusCode).toBe(401);
    for (let i = 0; i < 49; i += 1) await forwarded(proxied, '192.0.2.1', `v${i}`);
    expect((await forwarded(proxied, '192.0.2.1', 'fresh')).statusCode).toBe(429);
  });

  it("refuses an address's visitor logins after 50 refused ones, a valid login included, for 15 minutes", async () => {
    const { app } = await appWith();
    const visitorLogin = (companyId: string, remoteAddress = '203.0.113.7') =>
      app.inject({ method: 'POST', url: '/api/visitors/login', payload: { companyId }, remoteAddress });
    expect((await visitorLogin('acme')).statusCode).toBe(200);
    for (let i = 0; i < 50; i += 1) expect((await visitorLogin(`guess-${i}`)).statusCode).toBe(404);
    const refused = await visitorLogin('acme');
    expect([refused.statusCode, refused.headers['retry-after'], refused.json().error.code]).toEqual([
      429,
      '900',
      'too_many_requests',
    ]);
    expect((await visitorLogin('acme', '198.51.100.9')).statusCode).toBe(200);
    // Agents' logins from that address are counted apart.
    expect((await agentLogin(app, 'alice', PASSWORD)).statusCode).toBe(200);
    now += 15 * MINUTE;
    expect((await visitorLogin('acme')).statusCode).toBe(200);
  });

  it('does not count a body that is not a login, nor a refused attempt', async () => {
    const { app } = await appWith();
    for (let i = 0; i < 20; i += 1)
      expect(
        (await app.inject({ method: 'POST', url: '/api/agents/login', payload: { companyId: 'acme' } })).statusCode,
      ).toBe(400);
    for (let i = 0; i < 10; i += 1) await agentLogin(app, 'alice', 'wrong password!');
    for (let i = 0; i < 20; i += 1) expect((await agentLogin(app, 'alice', 'wrong password!')).statusCode).toBe(429);
    expect((await agentLogin(app, 'bob', PASSWORD)).statusCode).toBe(200);
  });
});

describe('the password policy where the API sets a password', () => {
  const adminToken = () =>
    issueToken({ company: 'acme' as never, role: 'admin', sub: 'agent-admin' as never }, { secret: SECRET });
  const newAgent = { username: 'dave', role: 'agent', groupIds: [], capacity: 2 };

  it.each([
    ['secret', 'password: must be at least 10 characters'],
    ['qwertyuiop', 'password: is one of the most common passwords'],
    ['DAVE-AT-ACME', undefined],
  ])('creating an agent with %j', async (password, message) => {
    const { app, created } = await appWith();
    const answer = await app.inject({
      method: 'POST',
      url: '/api/admin/agents',
      headers: { authorization: `Bearer ${await adminToken()}` },
      payload: { ...newAgent, password },
    });
    if (message === undefined) {
      expect(answer.statusCode).toBe(201);
      expect(created).toHaveLength(1);
    } else {
      expect([answer.statusCode, answer.json()]).toEqual([
        400,
        { error: { code: 'bad_request', message, field: 'password' } },
      ]);
      expect(created).toHaveLength(0);
    }
  });

  it("refuses a new password equal to the agent's username, the one given or the one it has", async () => {
    const { app, created } = await appWith();
    const put = async (payload: object) =>
      app.inject({
        method: 'PUT',
        url: '/api/admin/agents/agent-carol',
        headers: { authorization: `Bearer ${await adminToken()}` },
        payload,
      });
    expect((await put({ password: 'Carol-The-Admin' })).json()).toEqual({
      error: { code: 'bad_request', message: 'password: must not be the username', field: 'password' },
    });
    expect((await put({ username: 'carol-renamed', password: 'CAROL-RENAMED' })).statusCode).toBe(400);
    expect((await put({ password: 'x' })).json().error.message).toBe('password: must be at least 10 characters');
    expect(created).toHaveLength(0);
    expect((await put({ password: 'carol has a good one now' })).statusCode).toBe(200);
    expect((await put({ name: 'Carol' })).statusCode).toBe(200);
    expect(created).toHaveLength(2);
  });

  it("checks the first admin's password of a company the platform operator creates", async () => {
    const { app, created } = await appWith();
    const post = (adminPassword: string) =>
      app.inject({
        method: 'POST',
        url: '/api/companies',
        headers: { authorization: 'Bearer the-platform-operator-token' },
        payload: { companyId: 'globex', name: 'Globex', timeZone: 'UTC', adminUsername: 'hank', adminPassword },
      });
    expect((await post('password123')).json()).toEqual({
      error: {
        code: 'bad_request',
        message: 'adminPassword: is one of the most common passwords',
        field: 'adminPassword',
      },
    });
    expect((await post('hank')).json().error.message).toBe('adminPassword: must be at least 10 characters');
    expect(created).toHaveLength(0);
    expect((await post('hank of globex, admin')).statusCode).toBe(201);
  });
});

describe('GET /metrics', () => {
  it('needs the bearer METRICS_TOKEN when one is set', async () => {
    const { app } = await appWith({ metricsToken: 'scrape-token-of-the-test' });
    const scrape = (authorization?: string) =>
      app.inject({ method: 'GET', url: '/metrics', headers: authorization === undefined ? {} : { authorization } });
    for (const refused of [undefined, 'Bearer wrong', 'Bearer scrape-token-of-the-tes', 'scrape-token-of-the-test'])
      expect([refused, (await scrape(refused)).statusCode, (await scrape(refused)).json()]).toEqual([
        refused,
        401,
        { error: { code: 'unauthorized', message: 'the metrics token is required' } },
      ]);
    const scraped = await scrape('Bearer scrape-token-of-the-test');
    expect([scraped.statusCode, scraped.body]).toEqual([200, 'cschat_up 1\n']);
  });

  it('stays open when no token is set', async () => {
    const { app } = await appWith();
    expect((await app.inject({ method: 'GET', url: '/metrics' })).body).toBe('cschat_up 1\n');
  });
});
