// Past conversations, visitor profiles and the message search on their read models, written from
// events the way the projector writes them, on PGlite and on PostgreSQL: visibility (an agent sees
// the sessions it held, even transferred away; never another's), cursor paging stable under
// inserts, and search in English and Chinese (a 2-character Chinese word included).
import { randomBytes } from 'node:crypto';
import knexFactory, { type Knex } from 'knex';
import { createPgliteEventStore, createPgliteKnex, createPostgresEventStore, type EventStore } from '@cschat/infra';
import { describeWithServer } from '../../../test-support/servers';
import { applyBatch, decodeBatch } from '../batch';
import { prepareReadModels } from '../generations';
import { PROJECTIONS } from '../index';
import { memo } from '../projector';
import { containsPattern, searchIndexOf, searchMessages, searchSql } from './message-search';
import { pastSessions, visitorProfileOf } from './session-history';

interface Fixture {
  readonly db: Knex;
  readonly store: EventStore;
  readonly schema: string;
}

const T = (minute: number): string => new Date(Date.UTC(2026, 10, 25, 10, minute)).toISOString();

const historySuite = (setup: () => Promise<Fixture & { dispose(): Promise<void> }>) => {
  let fixture: (Fixture & { dispose(): Promise<void> }) | undefined;
  let db: Knex;
  let schema: string;
  const once = memo();

  const append = async (streamId: string, data: Record<string, unknown>[]) => {
    await fixture!.store.append(
      streamId,
      data.map((d) => ({ type: d['type'] as string, data: { v: 1, companyId: 'acme', ...d } })),
      'any',
    );
  };
  /** Applies the whole log to every read model (again: applied events are skipped). */
  const project = async () => {
    const recorded = await fixture!.store.readAll({ maxCount: 100_000 });
    await db.transaction((trx) =>
      applyBatch(
        trx,
        PROJECTIONS.map((projection) => ({ projection, generation: 1 })),
        decodeBatch(recorded),
        { schema, once, redelivered: true },
      ),
    );
  };
  let messageNo = 0;
  const say = (sessionId: string, minute: number, role: string, id: string | undefined, text: string) => ({
    type: 'MessagePosted',
    sessionId,
    at: T(minute),
    messageId: `m${++messageNo}`,
    from: id === undefined ? { role } : { role, id },
    text,
  });
  /** A session of visitor `visitorId` started at `minute`, held by `agents` in turn, ended at minute + 10 (or open). */
  const conversation = async (
    sessionId: string,
    visitorId: string,
    minute: number,
    agents: string[],
    texts: string[],
    ended = true,
  ) => {
    const events: Record<string, unknown>[] = [
      { type: 'SessionStarted', sessionId, at: T(minute), visitorId, channel: 'web', groupId: 'support' },
    ];
    agents.forEach((agentId, i) =>
      events.push(
        i === 0
          ? { type: 'SessionAssigned', sessionId, at: T(minute + 1), agentId, groupId: 'support' }
          : {
              type: 'SessionTransferred',
              sessionId,
              at: T(minute + 1 + i),
              fromAgentId: agents[i - 1],
              to: { agentId },
            },
      ),
    );
    texts.forEach((text, i) => events.push(say(sessionId, minute + 5, 'visitor', visitorId, text + ' '.repeat(i))));
    if (ended) events.push({ type: 'SessionEnded', sessionId, at: T(minute + 10), reason: 'agent' });
    await append(`session-acme-${sessionId}`, events);
  };

  beforeAll(async () => {
    fixture = await setup();
    db = fixture.db;
    schema = fixture.schema;
    await prepareReadModels(db, schema, PROJECTIONS);
    await append('visitor-acme-v1', [
      {
        type: 'VisitorProfileUpdated',
        visitorId: 'v1',
        at: T(0),
        changed: { name: 'Ann', attributes: { plan: 'gold' } },
      },
      { type: 'VisitorSeen', visitorId: 'v1', at: T(0), channel: 'web', pageUrl: 'https://shop.example/' },
    ]);
    await conversation('s1', 'v1', 0, ['alice'], ['I want a refund please', '我要退款']);
    await conversation('s2', 'v2', 1, ['alice', 'bob'], ['where is my parcel', '快递到哪里了']);
    await conversation('s3', 'v3', 2, ['bob'], ['refund for order 100%_off', '退款多久到账']);
    await conversation('s4', 'v1', 30, ['carol'], ['still open: refund?'], false);
    await append('session-acme-s3', [
      {
        type: 'SessionTagsChanged',
        sessionId: 's3',
        at: T(11),
        agentId: 'bob',
        added: ['refund'],
        removed: [],
        tags: ['refund'],
      },
    ]);
    await append('session-other-x1', [
      {
        type: 'SessionStarted',
        companyId: 'other',
        sessionId: 'x1',
        at: T(0),
        visitorId: 'v1',
        channel: 'web',
        groupId: 'g',
      },
      {
        type: 'MessagePosted',
        companyId: 'other',
        sessionId: 'x1',
        at: T(1),
        messageId: 'x',
        from: { role: 'visitor', id: 'v1' },
        text: '我要退款',
      },
    ]);
    await project();
  }, 180_000);
  afterAll(() => fixture?.dispose());

  it('past conversations: admins see the company, agents the sessions they held (transferred away too)', async () => {
    const ids = async (viewerAgentId?: string, extra: object = {}) =>
      (
        await pastSessions(db, schema, {
          companyId: 'acme',
          state: 'ended',
          limit: 10,
          ...(viewerAgentId === undefined ? {} : { viewerAgentId }),
          ...extra,
        })
      ).map((row) => row.sessionId);
    expect(await ids()).toEqual(['s3', 's2', 's1']);
    expect(await ids('alice')).toEqual(['s2', 's1']);
    expect(await ids('bob')).toEqual(['s3', 's2']);
    expect(await ids('carol')).toEqual([]);
    expect(await ids('mallory')).toEqual([]);
    expect(await ids(undefined, { tag: 'refund' })).toEqual(['s3']);
    expect(await ids(undefined, { visitorId: 'v1' })).toEqual(['s1']);
    expect(await ids(undefined, { agentId: 'alice' })).toEqual(['s2', 's1']);
    expect(await ids('alice', { agentId: 'bob' })).toEqual(['s2']);
    expect(await ids(undefined, { from: T(11), to: T(12) })).toEqual(['s2']);
    const [s3] = await pastSessions(db, schema, { companyId: 'acme', state: 'ended', limit: 1 });
    expect(s3).toMatchObject({
      sessionId: 's3',
      visitorId: 'v3',
      state: 'ended',
      agentId: 'bob',
      tags: ['refund'],
      startedAt: T(2),
      endedAt: T(12),
      lastMessage: { text: '退款多久到账 ', from: { role: 'visitor', id: 'v3' } },
    });
    const [s1] = await pastSessions(db, schema, { companyId: 'acme', visitorId: 'v1', state: 'ended', limit: 1 });
    expect(s1).toMatchObject({ sessionId: 's1', visitorName: 'Ann', tags: [] });
  });

  it('cursor paging: no row twice or skipped when sessions end meanwhile', async () => {
    const page1 = await pastSessions(db, schema, { companyId: 'acme', state: 'ended', limit: 2 });
    expect(page1.map((r) => r.sessionId)).toEqual(['s3', 's2']);
    // A newer session ends between the pages: it belongs before the first page, not in the second.
    await conversation('s5', 'v5', 40, ['alice'], ['late']);
    await project();
    const last = page1[1]!;
    const page2 = await pastSessions(db, schema, {
      companyId: 'acme',
      state: 'ended',
      limit: 2,
      after: { at: last.endedAt!, sessionId: last.sessionId },
    });
    expect(page2.map((r) => r.sessionId)).toEqual(['s1']);
  });

  it("a visitor's profile: what it said, first and last seen, its sessions newest first", async () => {
    expect(await visitorProfileOf(db, schema, 'acme', 'v1')).toEqual({
      visitorId: 'v1',
      name: 'Ann',
      attributes: { plan: 'gold' },
      channel: 'web',
      pageUrl: 'https://shop.example/',
      firstSeenAt: T(0),
      lastSeenAt: T(35),
      sessions: [
        { sessionId: 's4', state: 'assigned', startedAt: T(30), agentId: 'carol', tags: [] },
        { sessionId: 's1', state: 'ended', startedAt: T(0), endedAt: T(10), agentId: 'alice', tags: [] },
      ],
    });
    expect(await visitorProfileOf(db, schema, 'acme', 'nobody')).toBeUndefined();
    expect((await visitorProfileOf(db, schema, 'other', 'v1'))?.sessions.map((s) => s.sessionId)).toEqual(['x1']);
  });

  it('search: English and Chinese words, 2 Chinese characters included, newest first, with visibility', async () => {
    const texts = async (q: string, agentId?: string) =>
      (
        await searchMessages(db, schema, {
          companyId: 'acme',
          q,
          limit: 10,
          ...(agentId === undefined ? {} : { agentId }),
        })
      ).map((hit) => hit.text.trim());
    expect(await texts('退款')).toEqual(['退款多久到账', '我要退款']);
    expect(await texts('我要退款')).toEqual(['我要退款']);
    expect(await texts('REFUND')).toEqual([
      'still open: refund?',
      'refund for order 100%_off',
      'I want a refund please',
    ]);
    expect(await texts('refund', 'alice')).toEqual(['I want a refund please']);
    expect(await texts('退款', 'bob')).toEqual(['退款多久到账']);
    expect(await texts('快递', 'bob')).toEqual(['快递到哪里了']);
    expect(await texts('快递', 'carol')).toEqual([]);
    // LIKE's wildcards are the user's characters, not patterns.
    expect(await texts('100%_')).toEqual(['refund for order 100%_off']);
    expect(await texts('%')).toEqual(['refund for order 100%_off']);
    expect(await texts('0_o')).toEqual([]);
    expect(await texts('退')).toEqual(['退款多久到账', '我要退款']);
    const [hit] = await searchMessages(db, schema, { companyId: 'acme', q: '我要退款', limit: 1 });
    expect(hit).toEqual({
      sessionId: 's1',
      messageId: expect.any(String) as unknown,
      text: '我要退款 ',
      at: T(5),
      from: { role: 'visitor', id: 'v1' },
    });
    const within = await searchMessages(db, schema, { companyId: 'acme', q: '退款', limit: 10, from: T(6), to: T(8) });
    expect(within.map((h) => h.sessionId)).toEqual(['s3']);
    // An agent with many sessions is searched by the text's index, then the sessions it held: the same hits.
    for (const [q, agentId] of [
      ['退款', 'bob'],
      ['refund', 'alice'],
      ['快递', 'carol'],
    ] as const) {
      const { sql, bindings } = searchSql(schema, { companyId: 'acme', q, limit: 10, agentId });
      const { rows } = await db.raw<{ rows: { message_id: string }[] }>(sql, bindings as Knex.RawBinding[]);
      const held = await searchMessages(db, schema, { companyId: 'acme', q, limit: 10, agentId });
      expect(held.map((hit) => hit.messageId)).toEqual(rows.map((row) => row.message_id));
    }
    // The baseline plan (no search index) finds the same.
    expect(
      (await searchMessages(db, schema, { companyId: 'acme', q: '退款', limit: 10, plan: 'scan' })).map(
        (h) => h.sessionId,
      ),
    ).toEqual(['s3', 's1']);
  });

  it('the search indexes serve the queries they are meant for', async () => {
    expect(searchIndexOf('退款')).toBe('bigram');
    expect(searchIndexOf('ok')).toBe('none');
    expect(searchIndexOf('refund')).toBe('trigram');
    expect(containsPattern('a%b_c\\')).toBe('%a\\%b\\_c\\\\%');
    const plan = async (sql: string) =>
      JSON.stringify(
        (
          await db.transaction(async (trx) => {
            // A few rows: without these, any plan is as good; the question is whether the GIN index fits.
            await trx.raw('set local enable_seqscan = off');
            await trx.raw('set local enable_indexscan = off');
            return trx.raw<{ rows: unknown[] }>(`explain ${sql}`);
          })
        ).rows,
      );
    expect(await plan(`select 1 from "${schema}".messages where text ilike '%refund%'`)).toMatch(
      /Bitmap Index Scan on \S*text_(trgm|idx).*Index Cond: \(text ~~\* '%refund%'/,
    );
    expect(
      await plan(
        `select 1 from "${schema}".messages where "${schema}".message_bigrams(text) @> "${schema}".message_bigrams('退款')`,
      ),
    ).toMatch(/Bitmap Index Scan on \S*bigrams\S*.*Index Cond: \(\S*message_bigrams\(text\)/);
  });
};

describe('history and search on PGlite', () => {
  historySuite(async () => {
    const db = createPgliteKnex();
    const store = createPgliteEventStore({ knex: db, schema: 'history_es' });
    await store.start();
    return {
      db,
      store,
      schema: 'history_rm',
      dispose: async () => {
        await store.stop();
        await db.destroy();
      },
    };
  });
});

describeWithServer('postgres', 'history and search on PostgreSQL', (url) => {
  historySuite(async () => {
    const db = knexFactory({ client: 'pg', connection: url, pool: { min: 0, max: 4 } });
    const suffix = randomBytes(4).toString('hex');
    const store = createPostgresEventStore({ url, schema: `history_es_${suffix}`, poolSize: 2 });
    await store.start();
    const schema = `history_rm_${suffix}`;
    return {
      db,
      store,
      schema,
      dispose: async () => {
        await store.stop();
        await db.raw(`drop schema if exists "${schema}" cascade`);
        await db.raw(`drop schema if exists "history_es_${suffix}" cascade`);
        await db.destroy();
      },
    };
  });
});
