// The admin API of outbound webhooks over HTTP, on an in-memory PGlite store: validation naming the
// field and the rule, the refusal of private addresses, the secret shown once, admin-only access,
// another company's endpoint not found, and the delivery log's paging.
import type { FastifyInstance } from 'fastify';
import type { Knex } from 'knex';
import {
  createPgliteKnex,
  createWebhookStore,
  deliveryIdOf,
  type CompanyConfigStore,
  type Logger,
  type Metrics,
  type WebhookStore,
} from '@cschat/infra';
import { decodeOrThrow } from '../../../test-support/fixtures';
import { issueToken, TokenSubject, type TokenRole } from '../auth';
import { buildHttpApi } from './server';

const SECRET = 'a test secret of at least thirty-two bytes';

describe('the admin API of outbound webhooks', () => {
  let knex: Knex;
  let store: WebhookStore;
  let app: FastifyInstance;
  let open: FastifyInstance;
  let base: string;
  let openBase: string;
  let admin: string;
  let rivalAdmin: string;
  let agent: string;

  const tokenOf = (company: string, role: TokenRole, sub: string): Promise<string> =>
    issueToken(decodeOrThrow(TokenSubject)({ company, role, sub }), { secret: SECRET });

  const call = async (
    method: string,
    path: string,
    token: string,
    body?: unknown,
    at = base,
  ): Promise<{ status: number; body: Record<string, unknown> & { error?: { code: string; message: string } } }> => {
    const response = await fetch(`${at}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: text === '' ? {} : (JSON.parse(text) as Record<string, never>) };
  };

  const build = (allowPrivate: boolean): FastifyInstance =>
    buildHttpApi({
      config: {} as CompanyConfigStore,
      readModels: knex,
      readModelSchema: 'read_models',
      tokenSecret: SECRET,
      metrics: {} as Metrics,
      logger: { error: () => undefined } as unknown as Logger,
      ready: async () => true,
      outboundWebhooks: { store, allowPrivate },
    });

  beforeAll(async () => {
    knex = createPgliteKnex();
    store = createWebhookStore({ knex });
    await store.start();
    app = build(false);
    base = await app.listen({ port: 0, host: '127.0.0.1' });
    open = build(true);
    openBase = await open.listen({ port: 0, host: '127.0.0.1' });
    admin = await tokenOf('acme', 'admin', 'acme-admin');
    rivalAdmin = await tokenOf('rival', 'admin', 'rival-admin');
    agent = await tokenOf('acme', 'agent', 'someone');
  });
  afterAll(async () => {
    await app.close();
    await open.close();
    await knex.destroy();
  });

  it('creates an endpoint and shows its secret once; lists, changes, rotates and deletes it', async () => {
    const created = await call('POST', '/api/admin/webhooks', admin, {
      url: 'https://crm.example.com/hooks',
      events: ['session.ended', 'csat.submitted'],
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      id: expect.stringMatching(/^wh-/) as unknown,
      url: 'https://crm.example.com/hooks',
      events: ['session.ended', 'csat.submitted'],
      enabled: true,
      secret: expect.stringMatching(/^whsec_/) as unknown,
    });
    const id = String(created.body['id']);
    const secret = String(created.body['secret']);
    const list = await call('GET', '/api/admin/webhooks', admin);
    expect(list.status).toBe(200);
    expect(JSON.stringify(list.body)).not.toContain(secret);
    expect(list.body['webhooks']).toEqual([expect.objectContaining({ id })]);
    const changed = await call('PUT', `/api/admin/webhooks/${id}`, admin, { enabled: false, events: ['sla.breached'] });
    expect([changed.status, changed.body['enabled'], changed.body['events']]).toEqual([200, false, ['sla.breached']]);
    expect(changed.body['secret']).toBeUndefined();
    const rotated = await call('POST', `/api/admin/webhooks/${id}/rotate-secret`, admin);
    expect(rotated.status).toBe(200);
    expect(rotated.body['secret']).toMatch(/^whsec_/);
    expect(rotated.body['secret']).not.toBe(secret);
    expect((await call('GET', `/api/admin/webhooks/${id}/deliveries`, admin)).body).toEqual({ deliveries: [] });
    expect((await call('DELETE', `/api/admin/webhooks/${id}`, admin)).status).toBe(204);
    expect((await call('DELETE', `/api/admin/webhooks/${id}`, admin)).status).toBe(404);
  });

  it('refuses invalid bodies naming the field and the rule', async () => {
    const cases: [unknown, string][] = [
      [{ events: ['session.ended'] }, 'url: is required'],
      [{ url: 'ftp://example.com/x', events: ['session.ended'] }, 'url: must be an http or https URL'],
      [{ url: `https://example.com/${'a'.repeat(2048)}`, events: ['session.ended'] }, 'url: must be an http or https'],
      [{ url: 'https://user:pw@example.com/x', events: ['session.ended'] }, 'url: must be an http or https'],
      [{ url: 'https://example.com/x', events: [] }, 'events: must be a non-empty list of distinct event kinds'],
      [{ url: 'https://example.com/x', events: ['session.ended', 'session.ended'] }, 'events: must be a non-empty'],
      [{ url: 'https://example.com/x', events: ['session.started'] }, 'must be one of session.ended'],
      [{ url: 'https://example.com/x', events: ['session.ended'], enabled: 'yes' }, 'enabled: must be true or false'],
      [{ url: 'http://127.0.0.1:8080/x', events: ['session.ended'] }, 'url: must not be a private'],
      [{ url: 'http://[::1]/x', events: ['session.ended'] }, 'url: must not be a private'],
      [{ url: 'http://10.1.2.3/x', events: ['session.ended'] }, 'url: must not be a private'],
      [{ url: 'http://169.254.169.254/latest/meta-data', events: ['session.ended'] }, 'url: must not be a private'],
      [{ url: 'http://localhost:5432/', events: ['session.ended'] }, 'url: must not be a private'],
    ];
    for (const [body, message] of cases) {
      const answer = await call('POST', '/api/admin/webhooks', admin, body);
      expect([JSON.stringify(body), answer.status, answer.body.error?.code]).toEqual([
        JSON.stringify(body),
        400,
        'bad_request',
      ]);
      expect(answer.body.error?.message).toContain(message);
      // The field the message names is in `field` too.
      expect(`${(answer.body.error as { field?: string }).field}:`).toBe(answer.body.error?.message.split(' ')[0]);
    }
    expect((await call('GET', '/api/admin/webhooks', admin)).body['webhooks']).toEqual([]);
    // With WEBHOOKS_ALLOW_PRIVATE a loopback receiver is taken.
    const local = await call(
      'POST',
      '/api/admin/webhooks',
      admin,
      { url: 'http://127.0.0.1:9/x', events: ['sla.breached'] },
      openBase,
    );
    expect(local.status).toBe(201);
    await call('DELETE', `/api/admin/webhooks/${String(local.body['id'])}`, admin);
    const bad = await call('GET', '/api/admin/webhooks/x/deliveries?limit=0', admin);
    expect([bad.status, bad.body.error?.message]).toEqual([400, 'limit: must be a whole number from 1 to 100']);
  });

  it('admits admins only, and another company finds nothing of this one', async () => {
    const created = await call('POST', '/api/admin/webhooks', admin, {
      url: 'https://a.example.com/',
      events: ['message.created'],
    });
    const id = String(created.body['id']);
    expect((await call('GET', '/api/admin/webhooks', agent)).status).toBe(403);
    expect(
      (await call('POST', '/api/admin/webhooks', agent, { url: 'https://b.example.com/', events: ['message.created'] }))
        .status,
    ).toBe(403);
    expect((await call('GET', '/api/admin/webhooks', 'not-a-token')).status).toBe(401);
    expect((await call('GET', '/api/admin/webhooks', rivalAdmin)).body).toEqual({ webhooks: [] });
    for (const [method, path, body] of [
      ['PUT', `/api/admin/webhooks/${id}`, { enabled: false }],
      ['DELETE', `/api/admin/webhooks/${id}`, undefined],
      ['POST', `/api/admin/webhooks/${id}/rotate-secret`, undefined],
      ['GET', `/api/admin/webhooks/${id}/deliveries`, undefined],
    ] as const) {
      const answer = await call(method, path, rivalAdmin, body);
      expect([method, path, answer.status, answer.body.error?.code]).toEqual([method, path, 404, 'not_found']);
    }
    expect((await call('GET', '/api/admin/webhooks', admin)).body['webhooks']).toEqual([
      expect.objectContaining({ id, enabled: true }),
    ]);
    await call('DELETE', `/api/admin/webhooks/${id}`, admin);
  });

  it('pages the delivery log', async () => {
    const created = await call('POST', '/api/admin/webhooks', admin, {
      url: 'https://a.example.com/',
      events: ['session.ended'],
    });
    const id = String(created.body['id']);
    const events = Array.from({ length: 3 }, (_, n) => ({
      eventId: `e-${n}`,
      companyId: 'acme',
      kind: 'session.ended' as const,
      sessionId: `s-${n}`,
      createdAt: new Date().toISOString(),
      data: { sessionId: `s-${n}`, reason: 'agent' },
    }));
    for (const event of events) await store.enqueue([event], new Date());
    const first = await call('GET', `/api/admin/webhooks/${id}/deliveries?limit=2`, admin);
    expect((first.body['deliveries'] as { id: string }[]).map((d) => d.id)).toEqual([
      deliveryIdOf('e-2', id),
      deliveryIdOf('e-1', id),
    ]);
    const second = await call(
      'GET',
      `/api/admin/webhooks/${id}/deliveries?limit=2&cursor=${String(first.body['nextCursor'])}`,
      admin,
    );
    expect(second.body).toEqual({
      deliveries: [
        expect.objectContaining({ id: deliveryIdOf('e-0', id), status: 'pending', attempts: 0, history: [] }),
      ],
    });
  });
});
