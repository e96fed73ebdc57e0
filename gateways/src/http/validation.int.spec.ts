// Errors that name the field and the rule (PROTOCOL "Security", issue 22): bodies, query strings, unions
// (working hours), arrays, absent fields and enums answer `{"error": {"code": "bad_request", "message":
// "<field>: <rule>", "field": "<field>"}}`; Fastify's own refusals carry the code of their status; a taken
// group name is 409 `conflict` naming `name`. On an in-memory PGlite configuration store.
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
import { issueToken, TokenSubject } from '../auth';
import { buildHttpApi } from './server';

const SECRET = 'a test secret of at least thirty-two bytes';

describe('validation errors over HTTP', () => {
  let knex: Knex;
  let config: CompanyConfigStore;
  let app: FastifyInstance;
  let base: string;
  let admin: string;

  const call = async (
    method: string,
    path: string,
    body?: unknown,
    contentType = 'application/json',
  ): Promise<{ status: number; body: unknown }> => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${admin}`,
        ...(body === undefined ? {} : { 'content-type': contentType }),
      },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
  };
  const refused = (message: string, field?: string) => ({
    status: 400,
    body: { error: { code: 'bad_request', message, ...(field === undefined ? {} : { field }) } },
  });

  beforeAll(async () => {
    knex = createPgliteKnex();
    config = createPgliteCompanyConfigStore({ knex, hashPassword: async (plain) => `fake$${plain}` });
    await config.start();
    valueOrThrow(
      await config.createCompany(
        decodeOrThrow(NewCompany)({
          companyId: 'acme',
          name: 'ACME',
          timeZone: 'UTC',
          adminUsername: 'admin',
          adminPassword: 'a long enough password',
        }),
        { adminId: decodeOrThrow(Id)('acme-admin') },
      ),
    );
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
    admin = await issueToken(decodeOrThrow(TokenSubject)({ company: 'acme', role: 'admin', sub: 'acme-admin' }), {
      secret: SECRET,
    });
    // PGlite's first start is slow on a loaded machine.
  }, 120_000);
  afterAll(async () => {
    await app.close();
    await config.stop();
    await knex.destroy();
  });

  const agent = (fields: Record<string, unknown>) => ({
    username: 'carol',
    password: 'a long enough password',
    role: 'agent',
    groupIds: [],
    capacity: 3,
    ...fields,
  });

  it('names the field and the rule of a body: a refinement, an enum, an absent field, an array item', async () => {
    expect(await call('POST', '/api/admin/agents', agent({ capacity: 101 }))).toEqual(
      refused('capacity: must be an integer from 0 to 100', 'capacity'),
    );
    expect(await call('POST', '/api/admin/agents', agent({ role: 'boss' }))).toEqual(
      refused('role: must be one of agent, supervisor, admin', 'role'),
    );
    const { username: _none, ...withoutUsername } = agent({});
    expect(await call('POST', '/api/admin/agents', withoutUsername)).toEqual(
      refused('username: is required', 'username'),
    );
    expect(await call('POST', '/api/admin/agents', agent({ groupIds: ['ok', '-no'] }))).toEqual(
      refused(
        'groupIds.1: must be an id of 1 to 100 letters, digits or _.:@- starting with a letter or digit',
        'groupIds.1',
      ),
    );
    expect(await call('PUT', '/api/admin/settings', { suggestionCount: 'five' })).toEqual(
      refused('suggestionCount: must be an integer from 0 to 20', 'suggestionCount'),
    );
    expect(await call('POST', '/api/admin/groups', { name: 'a\u0000b' })).toEqual(
      refused('name: must not hold NUL characters or unpaired surrogates', 'name'),
    );
  });

  it('says a body that is not an object is the body, without a field', async () => {
    expect(await call('POST', '/api/admin/groups', [1])).toEqual(refused('body: must be an object'));
  });

  it('follows the branch of a union (working hours) that the body meant, into its arrays', async () => {
    const group = (await call('POST', '/api/admin/groups', { name: 'Support' })).body as { id: string };
    const regular = {
      groupId: group.id,
      type: 'regular',
      timeZone: 'Asia/Shanghai',
      weekly: [
        { day: 'mon', from: '09:00', to: '18:00' },
        { day: 'tue', from: '9 am', to: '18:00' },
      ],
    };
    expect(await call('POST', '/api/admin/working-hours', regular)).toEqual(
      refused('weekly.1.from: must be a time HH:MM from 00:00 to 23:59', 'weekly.1.from'),
    );
    expect(
      await call('POST', '/api/admin/working-hours', {
        ...regular,
        weekly: [{ day: 'someday', from: '09:00', to: '18:00' }],
      }),
    ).toEqual(refused('weekly.0.day: must be one of mon, tue, wed, thu, fri, sat, sun', 'weekly.0.day'));
    expect(await call('POST', '/api/admin/working-hours', { ...regular, type: 'weekly' })).toEqual(
      refused('type: must be one of regular, irregular', 'type'),
    );
    expect(
      await call('POST', '/api/admin/working-hours', {
        groupId: group.id,
        type: 'irregular',
        timeZone: 'Asia/Shanghai',
        dates: [
          { date: '2026-10-01', closed: true },
          { date: '2026-10-02', from: '10:00' },
        ],
      }),
    ).toEqual(refused('dates.1.to: is required', 'dates.1.to'));
  });

  it('names a query parameter', async () => {
    expect(await call('GET', '/api/admin/reports/unanswered?days=0')).toEqual(
      refused('days: must be a whole number from 1 to 366', 'days'),
    );
    expect(await call('GET', '/api/sessions?state=gone')).toEqual(
      refused('state: must be bot, queued, assigned or ended', 'state'),
    );
  });

  it('answers Fastify’s own refusals with the code of their status', async () => {
    expect(await call('POST', '/api/admin/groups', '<group/>', 'application/xml')).toMatchObject({
      status: 415,
      body: { error: { code: 'unsupported_media_type' } },
    });
    expect(await call('POST', '/api/admin/groups', '{"name": ', 'application/json')).toMatchObject({
      status: 400,
      body: { error: { code: 'bad_request' } },
    });
  });

  it('refuses a group name the company has, trimmed and without case, with 409 naming the field', async () => {
    expect((await call('POST', '/api/admin/groups', { name: 'Billing' })).status).toBe(201);
    expect(await call('POST', '/api/admin/groups', { name: ' billing ' })).toEqual({
      status: 409,
      body: { error: { code: 'conflict', message: 'name: a group named "billing" exists', field: 'name' } },
    });
  });
});
