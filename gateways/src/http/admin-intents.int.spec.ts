// The admin API of intents and of the bot's settings over HTTP, on an in-memory PGlite configuration store: the
// routes, the admin-only access, and how the store's refusals come out (400, 404, 409).
import type { FastifyInstance } from 'fastify';
import type { Knex } from 'knex';
import { Id } from '@cschat/domain';
import {
  createPgliteCompanyConfigStore,
  createPgliteKnex,
  NewCompany,
  type CompanyConfigStore,
  type Logger,
  type Metrics,
} from '@cschat/infra';
import { decodeOrThrow, valueOrThrow } from '../../../test-support/fixtures';
import { issueToken, TokenSubject, type TokenRole } from '../auth';
import { buildHttpApi } from './server';

const SECRET = 'a test secret of at least thirty-two bytes';

describe('the admin API of intents and bot settings', () => {
  let knex: Knex;
  let config: CompanyConfigStore;
  let app: FastifyInstance;
  let base: string;
  let admin: string;
  let agent: string;

  const tokenOf = (role: TokenRole, sub: string): Promise<string> =>
    issueToken(decodeOrThrow(TokenSubject)({ company: 'acme', role, sub }), { secret: SECRET });

  const call = async (
    method: string,
    path: string,
    token: string,
    body?: unknown,
  ): Promise<{ status: number; body: unknown }> => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
  };

  beforeAll(async () => {
    knex = createPgliteKnex();
    config = createPgliteCompanyConfigStore({ knex, hashPassword: async (plain) => `fake$${plain}` });
    await config.start();
    const created = await config.createCompany(
      decodeOrThrow(NewCompany)({
        companyId: 'acme',
        name: 'ACME',
        timeZone: 'UTC',
        adminUsername: 'admin',
        adminPassword: 'pw',
      }),
      { adminId: decodeOrThrow(Id)('acme-admin') },
    );
    valueOrThrow(created);
    app = buildHttpApi({
      config,
      readModels: knex,
      readModelSchema: 'read_models',
      tokenSecret: SECRET,
      metrics: {} as Metrics,
      logger: { error: () => undefined } as unknown as Logger,
      ready: async () => true,
    });
    base = await app.listen({ port: 0, host: '127.0.0.1' });
    admin = await tokenOf('admin', 'acme-admin');
    agent = await tokenOf('agent', 'someone');
  });
  afterAll(async () => {
    await app.close();
    await config.stop();
    await knex.destroy();
  });

  it('creates, lists, updates and deletes intents', async () => {
    const created = await call('POST', '/api/admin/intents', admin, {
      name: 'refund',
      phrases: ['money back'],
      action: 'answer',
      answer: '30 days',
    });
    expect(created).toEqual({ status: 201, body: { id: expect.any(String) as unknown } });
    const { id } = created.body as { id: string };
    expect(await call('GET', '/api/admin/intents', admin)).toEqual({
      status: 200,
      body: {
        intents: [
          {
            id,
            name: 'refund',
            phrases: ['money back'],
            action: 'answer',
            answer: '30 days',
            enabled: true,
            updatedAt: expect.any(String) as unknown,
          },
        ],
      },
    });
    const updated = await call('PUT', `/api/admin/intents/${id}`, admin, { action: 'transfer', enabled: false });
    expect(updated.status).toBe(200);
    expect(updated.body).toEqual({
      id,
      name: 'refund',
      phrases: ['money back'],
      action: 'transfer',
      enabled: false,
      updatedAt: expect.any(String) as unknown,
    });
    expect(await call('DELETE', `/api/admin/intents/${id}`, admin)).toEqual({ status: 204, body: undefined });
    expect((await call('DELETE', `/api/admin/intents/${id}`, admin)).status).toBe(404);
    expect((await call('PUT', `/api/admin/intents/${id}`, admin, { enabled: true })).status).toBe(404);
    expect((await call('GET', '/api/admin/intents', admin)).body).toEqual({ intents: [] });
  });

  it('answers 400 for a bad body or an action without its answer, 409 for a taken name, 403 for an agent', async () => {
    expect(await call('POST', '/api/admin/intents', admin, { name: 'x', phrases: ['x'], action: 'answer' })).toEqual({
      status: 400,
      body: { error: { code: 'bad_request', message: 'an intent whose action is answer needs an answer' } },
    });
    expect(
      await call('POST', '/api/admin/intents', admin, { name: 'x', phrases: ['x'], action: 'transfer', answer: 'Hi' }),
    ).toEqual({
      status: 400,
      body: { error: { code: 'bad_request', message: 'an intent whose action is transfer has no answer' } },
    });
    const empty = await call('POST', '/api/admin/intents', admin, { name: 'x', phrases: [], action: 'end' });
    expect(empty).toEqual({
      status: 400,
      body: { error: { code: 'bad_request', message: 'phrases: must be 1 to 200 items', field: 'phrases' } },
    });
    const body = { name: 'bye', phrases: ['bye'], action: 'transfer' };
    const { id } = (await call('POST', '/api/admin/intents', admin, body)).body as { id: string };
    expect(await call('POST', '/api/admin/intents', admin, body)).toEqual({
      status: 409,
      body: { error: { code: 'conflict', message: 'an intent named bye exists' } },
    });
    expect((await call('PUT', `/api/admin/intents/${id}`, admin, { answer: 'Bye' })).status).toBe(400);
    expect((await call('GET', '/api/admin/intents', agent)).status).toBe(403);
    expect((await call('POST', '/api/admin/intents', agent, body)).status).toBe(403);
    expect((await call('DELETE', `/api/admin/intents/${id}`, admin)).status).toBe(204);
  });

  it("reads and writes the bot's settings with the others", async () => {
    const DEFAULTS = {
      inactivityTimeoutSeconds: 900,
      suggestionCount: 5,
      presenceGraceSeconds: 30,
      offlineRequeueSeconds: 120,
      language: 'zh-CN',
    };
    expect(await call('GET', '/api/admin/settings', admin)).toEqual({
      status: 200,
      body: { ...DEFAULTS, botConfidence: 0.15, botMissesBeforeHuman: 2 },
    });
    expect(await call('PUT', '/api/admin/settings', admin, { botConfidence: 0.75, botMissesBeforeHuman: 3 })).toEqual({
      status: 200,
      body: { ...DEFAULTS, botConfidence: 0.75, botMissesBeforeHuman: 3 },
    });
    expect((await call('PUT', '/api/admin/settings', admin, { botConfidence: 1.5 })).status).toBe(400);
    expect((await call('PUT', '/api/admin/settings', admin, { botMissesBeforeHuman: 0 })).status).toBe(400);
    expect((await call('GET', '/api/admin/settings', admin)).body).toMatchObject({
      botConfidence: 0.75,
      botMissesBeforeHuman: 3,
    });
  });
});
