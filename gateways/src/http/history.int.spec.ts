// Profiles, past conversations and search over HTTP on PGlite: a login's profile reaches
// `GET /api/visitors/:id`; who may read what (an agent never sees a session it did not hold; a
// visitor token is refused); cursor paging; search in Chinese and English; errors naming the field.
import type { FastifyInstance } from 'fastify';
import type { Knex } from 'knex';
import { Id } from '@cschat/domain';
import {
  createPgliteCompanyConfigStore,
  createPgliteEventStore,
  createPgliteKnex,
  NewCompany,
  type CompanyConfigStore,
  type EventStore,
  type Logger,
  type Metrics,
} from '@cschat/infra';
import { applyBatch, decodeBatch, memo, prepareReadModels, PROJECTIONS } from '@cschat/projections';
import { decodeOrThrow, valueOrThrow } from '../../../test-support/fixtures';
import { issueToken, TokenSubject, type TokenRole } from '../auth';
import { visitorStreamKnown, visitRecorder } from '../visitors';
import { buildHttpApi } from './server';

const SECRET = 'a test secret of at least thirty-two bytes';

/** A JSON answer: an error's body, or a route's. */
type Answer = Record<string, unknown> & { error: { code: string; message: string } };
const SCHEMA = 'read_models';
const T = (minute: number): string => new Date(Date.UTC(2026, 10, 25, 10, minute)).toISOString();

describe('profiles, past conversations and search over HTTP', () => {
  let knex: Knex;
  let config: CompanyConfigStore;
  let store: EventStore;
  let app: FastifyInstance;
  let base: string;
  const tokens: Record<string, string> = {};
  const once = memo();

  const tokenOf = (role: TokenRole, sub: string, company = 'acme'): Promise<string> =>
    issueToken(decodeOrThrow(TokenSubject)({ company, role, sub }), { secret: SECRET });

  const call = async (method: string, path: string, token?: string, body?: unknown) => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: {
        ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: (text === '' ? undefined : JSON.parse(text)) as Answer };
  };

  const project = async () => {
    const recorded = await store.readAll({ maxCount: 100_000 });
    await knex.transaction((trx) =>
      applyBatch(
        trx,
        PROJECTIONS.map((projection) => ({ projection, generation: 1 })),
        decodeBatch(recorded),
        { schema: SCHEMA, once, redelivered: true },
      ),
    );
  };

  /** An ended session of `visitorId` held by `agents` in turn, with the visitor's texts. */
  const conversation = async (
    sessionId: string,
    visitorId: string,
    minute: number,
    agents: string[],
    texts: string[],
  ) => {
    const at = (m: number) => T(minute + m);
    const data: Record<string, unknown>[] = [
      { type: 'SessionStarted', sessionId, at: at(0), visitorId, channel: 'web', groupId: 'support' },
      ...agents.map((agentId, i) =>
        i === 0
          ? { type: 'SessionAssigned', sessionId, at: at(1), agentId, groupId: 'support' }
          : { type: 'SessionTransferred', sessionId, at: at(1), fromAgentId: agents[i - 1], to: { agentId } },
      ),
      ...texts.map((text, i) => ({
        type: 'MessagePosted',
        sessionId,
        at: at(2),
        messageId: `${sessionId}-m${i}`,
        from: { role: 'visitor', id: visitorId },
        text,
      })),
      { type: 'SessionEnded', sessionId, at: at(3), reason: 'agent' },
    ];
    await store.append(
      `session-acme-${sessionId}`,
      data.map((d) => ({ type: d['type'] as string, data: { v: 1, companyId: 'acme', ...d } })),
      'any',
    );
  };

  beforeAll(async () => {
    knex = createPgliteKnex();
    config = createPgliteCompanyConfigStore({ knex, hashPassword: async (plain) => `fake$${plain}` });
    await config.start();
    store = createPgliteEventStore({ knex, schema: 'history_http_es' });
    await store.start();
    await prepareReadModels(knex, SCHEMA, PROJECTIONS);
    valueOrThrow(
      await config.createCompany(
        decodeOrThrow(NewCompany)({
          companyId: 'acme',
          name: 'ACME',
          timeZone: 'UTC',
          adminUsername: 'admin',
          adminPassword: 'pw',
        }),
        { adminId: decodeOrThrow(Id)('acme-admin') },
      ),
    );
    app = buildHttpApi({
      config,
      readModels: knex,
      readModelSchema: SCHEMA,
      tokenSecret: SECRET,
      metrics: {} as Metrics,
      logger: { error: () => undefined } as unknown as Logger,
      ready: async () => true,
      recordVisit: visitRecorder(store),
      visitorKnown: visitorStreamKnown(store),
    });
    base = await app.listen({ port: 0, host: '127.0.0.1' });
    tokens['admin'] = await tokenOf('admin', 'acme-admin');
    tokens['alice'] = await tokenOf('agent', 'alice');
    tokens['bob'] = await tokenOf('agent', 'bob');
    tokens['visitor'] = await tokenOf('visitor', 'v1');
    tokens['otherAdmin'] = await tokenOf('admin', 'other-admin', 'other');
    for (let i = 0; i < 5; i++) await conversation(`a${i}`, 'v9', i * 5, ['alice'], [`order ${i} 我要退款`]);
    await conversation('b1', 'v8', 40, ['bob'], ['bob only: 退款 please']);
    await conversation('ab', 'v8', 45, ['alice', 'bob'], ['transferred 退款']);
  }, 180_000);
  afterAll(async () => {
    await app?.close();
    await store?.stop();
    await config?.stop();
    await knex?.destroy();
  });

  it('a login records the profile; a returning login replaces the values it gives; staff read it', async () => {
    const first = await call('POST', '/api/visitors/login', undefined, {
      companyId: 'acme',
      name: 'Ann',
      email: 'ann@example.com',
      attributes: { plan: 'gold', city: 'Paris' },
      pageUrl: 'https://shop.example/cart',
    });
    expect(first.status).toBe(200);
    const { visitorId, resumeToken } = first.body as unknown as { visitorId: string; resumeToken: string };
    const again = await call('POST', '/api/visitors/login', undefined, {
      companyId: 'acme',
      visitorId,
      resumeToken,
      phone: '+33 1 23 45',
      attributes: { plan: 'silver' },
    });
    expect(again.status).toBe(200);
    await project();
    for (const who of ['admin', 'alice']) {
      const profile = await call('GET', `/api/visitors/${visitorId}`, tokens[who]);
      expect(profile).toEqual({
        status: 200,
        body: {
          visitorId,
          name: 'Ann',
          email: 'ann@example.com',
          phone: '+33 1 23 45',
          attributes: { plan: 'silver' },
          channel: 'web',
          pageUrl: 'https://shop.example/cart',
          firstSeenAt: expect.any(String) as unknown,
          lastSeenAt: expect.any(String) as unknown,
          sessions: [],
        },
      });
    }
    expect((await call('GET', `/api/visitors/${visitorId}`, tokens['otherAdmin'])).status).toBe(404);
    expect((await call('GET', '/api/visitors/nobody', tokens['admin'])).status).toBe(404);
    expect((await call('GET', `/api/visitors/${visitorId}`, tokens['visitor'])).status).toBe(403);
    expect((await call('GET', `/api/visitors/${visitorId}`)).status).toBe(401);
  });

  it('a visitor from before resume tokens (events, no credential) is not continued by its id alone', async () => {
    await project();
    // v8 is known only by its sessions (the read model); a visitor who logged in has its own stream too.
    const legacy = await call('POST', '/api/visitors/login', undefined, { companyId: 'acme', visitorId: 'v8' });
    expect(legacy.status).toBe(401);
    expect(legacy.body.error).toEqual({
      code: 'unauthorized',
      message: expect.stringMatching(/^resumeToken: /) as unknown,
      field: 'resumeToken',
    });
    await visitRecorder(store)('acme', 'v-seen', { channel: 'web', profile: {} });
    const seen = await call('POST', '/api/visitors/login', undefined, { companyId: 'acme', visitorId: 'v-seen' });
    expect(seen.status).toBe(401);
    const guessed = await call('POST', '/api/visitors/login', undefined, {
      companyId: 'acme',
      visitorId: 'v-seen',
      resumeToken: 'a-guess',
    });
    expect(guessed.body.error).toEqual(legacy.body.error);
    // An id nobody used is a new visitor (first-edition clients choose their ids), with its first token.
    const fresh = await call('POST', '/api/visitors/login', undefined, { companyId: 'acme', visitorId: 'v-chosen' });
    expect(fresh.status).toBe(200);
    expect(fresh.body).toEqual({
      token: expect.any(String) as unknown,
      visitorId: 'v-chosen',
      resumeToken: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) as unknown,
    });
    expect(
      (await call('POST', '/api/visitors/login', undefined, { companyId: 'acme', visitorId: 'v-chosen' })).status,
    ).toBe(401);
  });

  it('a visitor profile lists its sessions', async () => {
    await project();
    const profile = await call('GET', '/api/visitors/v8', tokens['alice']);
    expect(profile.body['sessions']).toEqual([
      { sessionId: 'ab', state: 'ended', startedAt: T(45), endedAt: T(48), agentId: 'bob', tags: [] },
      { sessionId: 'b1', state: 'ended', startedAt: T(40), endedAt: T(43), agentId: 'bob', tags: [] },
    ]);
  });

  it('login refuses a bad profile, naming the field and the rule', async () => {
    const tooMany = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, 'v']));
    const refused = await call('POST', '/api/visitors/login', undefined, { companyId: 'acme', attributes: tooMany });
    expect(refused.status).toBe(400);
    expect(refused.body['error']).toEqual({
      code: 'bad_request',
      message: expect.stringMatching(/^attributes: must be an object of at most 50 string values/) as unknown,
      field: 'attributes',
    });
    const email = await call('POST', '/api/visitors/login', undefined, { companyId: 'acme', email: 'nope' });
    expect(email.body['error'].message).toMatch(/^email: must be an email address/);
    const value = await call('POST', '/api/visitors/login', undefined, { companyId: 'acme', attributes: { a: 1 } });
    // The value itself is named, by its key.
    expect(value.body['error']).toEqual({
      code: 'bad_request',
      message: 'attributes.a: must be a string',
      field: 'attributes.a',
    });
  });

  it('past conversations: agents see what they held, admins the company; the cursor pages without repeats', async () => {
    await project();
    const ids = async (token: string, query: string) => {
      const answer = await call('GET', `/api/sessions?${query}`, token);
      expect(answer.status).toBe(200);
      return answer.body as unknown as { sessions: { sessionId: string }[]; nextCursor?: string };
    };
    expect((await ids(tokens['bob']!, 'state=ended')).sessions.map((s) => s.sessionId)).toEqual(['ab', 'b1']);
    expect((await ids(tokens['alice']!, 'state=ended')).sessions.map((s) => s.sessionId)).toEqual([
      'ab',
      'a4',
      'a3',
      'a2',
      'a1',
      'a0',
    ]);
    expect(
      (await ids(tokens['alice']!, 'state=ended&visitorId=v8&agentId=bob')).sessions.map((s) => s.sessionId),
    ).toEqual(['ab']);
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 5; page++) {
      const answer = await ids(
        tokens['admin']!,
        `state=ended&limit=3${cursor === undefined ? '' : `&cursor=${cursor}`}`,
      );
      seen.push(...answer.sessions.map((s) => s.sessionId));
      if (page === 0) {
        // A session ends between pages: it is newer than the cursor, so the next pages are as before.
        await conversation('late', 'v7', 55, ['alice'], ['late']);
        await project();
      }
      cursor = answer.nextCursor;
      if (cursor === undefined) break;
    }
    expect(seen).toEqual(['ab', 'b1', 'a4', 'a3', 'a2', 'a1', 'a0']);
    const [row] = (await ids(tokens['admin']!, 'state=ended&limit=1')).sessions;
    expect(row).toEqual({
      sessionId: 'late',
      visitorId: 'v7',
      channel: 'web',
      state: 'ended',
      unread: true,
      firstUnreadAt: T(57),
      lastMessage: { text: 'late', at: T(57), from: { role: 'visitor', id: 'v7' } },
      updatedAt: T(58),
      tags: [],
      slaBreached: [],
      startedAt: T(55),
      endedAt: T(58),
      agentId: 'alice',
    });
    // Without `state`: the caller's current list, as before.
    expect(await call('GET', '/api/sessions', tokens['alice'])).toEqual({ status: 200, body: { sessions: [] } });
    expect(await call('GET', '/api/sessions?visitorId=v8', tokens['alice'])).toEqual({
      status: 200,
      body: { sessions: [] },
    });
    expect((await call('GET', '/api/sessions?state=ended', tokens['visitor'])).status).toBe(403);
    expect((await call('GET', '/api/sessions?state=ended')).status).toBe(401);
    const bad = await call('GET', '/api/sessions?state=gone', tokens['admin']);
    expect(bad).toEqual({
      status: 400,
      body: {
        error: { code: 'bad_request', message: 'state: must be bot, queued, assigned or ended', field: 'state' },
      },
    });
    expect((await call('GET', '/api/sessions?state=ended&cursor=xyz', tokens['admin'])).status).toBe(400);
    expect((await call('GET', '/api/sessions?state=ended&limit=0', tokens['admin'])).body.error.message).toBe(
      'limit: must be a whole number from 1 to 100',
    );
  });

  it('search: Chinese and English, newest first, with the visibility of past conversations', async () => {
    await project();
    const hits = async (token: string, q: string, extra = '') => {
      const answer = await call('GET', `/api/search/messages?q=${encodeURIComponent(q)}${extra}`, token);
      expect(answer.status).toBe(200);
      return (answer.body as unknown as { hits: { sessionId: string; text: string }[] }).hits;
    };
    expect((await hits(tokens['admin']!, '退款')).map((h) => h.sessionId)).toEqual([
      'ab',
      'b1',
      'a4',
      'a3',
      'a2',
      'a1',
      'a0',
    ]);
    expect((await hits(tokens['bob']!, '退款')).map((h) => h.sessionId)).toEqual(['ab', 'b1']);
    expect((await hits(tokens['alice']!, '退款', '&limit=2')).map((h) => h.sessionId)).toEqual(['ab', 'a4']);
    expect((await hits(tokens['alice']!, 'BOB ONLY')).map((h) => h.sessionId)).toEqual([]);
    expect(await hits(tokens['admin']!, 'order 3')).toEqual([
      { sessionId: 'a3', messageId: 'a3-m0', text: 'order 3 我要退款', at: T(17), from: { role: 'visitor', id: 'v9' } },
    ]);
    expect((await call('GET', '/api/search/messages?q=x', tokens['visitor'])).status).toBe(403);
    expect((await call('GET', '/api/search/messages?q=%20', tokens['admin'])).body.error.message).toBe(
      'q: must be 1 to 200 characters',
    );
    expect((await call('GET', '/api/search/messages', tokens['admin'])).body.error.message).toBe('q: is required');
  });
});
