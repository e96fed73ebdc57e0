// The reports' summary end to end, on PGlite and on PostgreSQL: sessions with known times (the
// commands carry their instants: a fake clock) go through the command handler, the relay and the
// projectors into session_facts; GET /api/admin/reports/summary (JSON and CSV) must give every
// number, a rebuild of the read model the same ones, and the audit's replay of the log the same counts.
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { isLeft } from 'fp-ts/Either';
import knexFactory, { type Knex } from 'knex';
import { agent, Id, session, type IsoInstant } from '@cschat/domain';
import {
  createPgliteCompanyConfigStore,
  createPgliteEventStore,
  createPgliteKnex,
  createPostgresCompanyConfigStore,
  createPostgresEventStore,
  handleCommand,
  InProcessBus,
  NewCompany,
  Relay,
  silentLogger,
  SqlCheckpointStore,
  type CompanyConfigStore,
  type EventStore,
  type Logger,
  type Metrics,
} from '@cschat/infra';
import {
  PROJECTIONS,
  prepareReadModels,
  Projector,
  rebuild,
  reportSummary,
  sessionFacts,
  type LogReader,
} from '@cschat/projections';
import { buildHttpApi, issueToken, TokenSubject, type TokenRole } from '@cschat/gateways';
import { decodeOrThrow, valueOrThrow } from '../../../test-support/fixtures';
import { describeWithServer } from '../../../test-support/servers';
import { waitFor } from '../../../test-support/wait';
import { auditEntries } from '../audit/history';

const SECRET = 'a test secret of at least thirty-two bytes';
const COMPANY = 'acme';
const OPEN = { hours: {}, timeoutSeconds: 900 };

interface Backend {
  readonly knex: Knex;
  readonly store: EventStore;
  readonly config: CompanyConfigStore;
  readonly schema: string;
  readonly readLog: LogReader;
  dispose(): Promise<void>;
}

const at = (base: string, seconds: number): IsoInstant =>
  new Date(Date.parse(base) + seconds * 1000).toISOString() as IsoInstant;

/** What the summary of 2026-12-01 to 2026-12-04 (Shanghai) must say: worked out by hand. */
const EXPECTED = {
  sessions: 3,
  handled: 2,
  abandoned: 1,
  // First responses 2 s and 4 s; waits 1 s and 3 s; handling 61 s and 120 s (percentile_cont).
  firstResponseSeconds: { median: 3, p90: 3.8 },
  waitSeconds: { median: 2, p90: 2.8 },
  handlingSeconds: { median: 90.5, p90: 114.1 },
  csat: { count: 2, average: 4 },
  slaBreached: { firstResponse: 0, wait: 1 },
  byAgent: [
    { agentId: 'alice', sessions: 1, firstResponseSeconds: { median: 2 }, csat: { count: 1, average: 5 } },
    { agentId: 'bob', sessions: 1, firstResponseSeconds: { median: 4 }, csat: { count: 1, average: 3 } },
  ],
  // s2 started on 1 December in UTC but on the 2nd in Shanghai; the 3rd had none.
  byDay: [
    { date: '2026-12-01', sessions: 1, handled: 1 },
    { date: '2026-12-02', sessions: 2, handled: 1 },
    { date: '2026-12-03', sessions: 0, handled: 0 },
  ],
  timeZone: 'Asia/Shanghai',
};

const reportsSuite = (open: () => Promise<Backend>): void => {
  let b: Backend;
  let relay: Relay;
  let projector: Projector;
  let app: FastifyInstance;
  let base: string;

  const tokenOf = (role: TokenRole, sub: string): Promise<string> =>
    issueToken(decodeOrThrow(TokenSubject)({ company: COMPANY, role, sub }), { secret: SECRET });
  const get = async (path: string, role: TokenRole = 'admin') => {
    const response = await fetch(`${base}${path}`, {
      headers: { authorization: `Bearer ${await tokenOf(role, `${role}-1`)}` },
    });
    return {
      status: response.status,
      type: response.headers.get('content-type'),
      response,
      text: await response.text(),
    };
  };
  const json = async (path: string, role: TokenRole = 'admin') => {
    const answer = await get(path, role);
    return { status: answer.status, body: JSON.parse(answer.text) as Record<string, unknown> };
  };

  const must = (result: Awaited<ReturnType<typeof handleCommand>>) => {
    if (isLeft(result)) throw new Error(`${result.left.code}: ${result.left.message}`);
  };
  const onSession = async (sessionId: string, command: Record<string, unknown>) =>
    must(
      await handleCommand(
        b.store,
        session.sessionAggregate,
        session.sessionStream(COMPANY, sessionId),
        { companyId: COMPANY, sessionId, ...command } as session.SessionCommand,
        () => OPEN,
      ),
    );
  const onAgent = async (agentId: string, command: Record<string, unknown>) =>
    must(
      await handleCommand(
        b.store,
        agent.agentAggregate,
        agent.agentStream(COMPANY, agentId),
        { companyId: COMPANY, agentId, ...command } as agent.AgentCommand,
        () => undefined,
      ),
    );
  const post = (sessionId: string, from: { role: string; id?: string }, when: IsoInstant, extra = {}) =>
    onSession(sessionId, {
      type: 'PostMessage',
      at: when,
      messageId: `${sessionId}-${when}`,
      from,
      text: 'hello',
      ...extra,
    });
  const start = (sessionId: string, when: IsoInstant) =>
    post(sessionId, { role: 'visitor', id: `v-${sessionId}` }, when, {
      origin: { visitorId: `v-${sessionId}`, channel: 'web', groupId: 'support' },
    });

  /** A session served by `agentId`: asked at +10 s, taken `wait` s later, answered `firstResponse` s after asking. */
  const served = async (
    sessionId: string,
    started: string,
    agentId: string,
    times: { wait: number; firstResponse: number; handling: number; rating: number },
  ) => {
    const t0 = started;
    await start(sessionId, at(t0, 0));
    await onSession(sessionId, { type: 'RequestHuman', at: at(t0, 10) });
    await onSession(sessionId, { type: 'AssignSession', at: at(t0, 10 + times.wait), agentId });
    await post(sessionId, { role: 'agent', id: agentId }, at(t0, 10 + times.firstResponse));
    await onSession(sessionId, {
      type: 'EndSession',
      at: at(t0, 10 + times.wait + times.handling),
      by: { role: 'agent', id: agentId },
    });
    await onSession(sessionId, {
      type: 'SubmitCsat',
      at: at(t0, 20 + times.wait + times.handling),
      visitorId: `v-${sessionId}`,
      rating: times.rating,
      comment: `a "${times.rating}", thanks`,
    });
  };

  beforeAll(async () => {
    b = await open();
    await b.config.start();
    valueOrThrow(
      await b.config.createCompany(
        decodeOrThrow(NewCompany)({
          companyId: COMPANY,
          name: 'ACME',
          timeZone: 'Asia/Shanghai',
          adminUsername: 'admin',
          adminPassword: 'pw',
        }),
        { adminId: decodeOrThrow(Id)('acme-admin') },
      ),
    );
    await prepareReadModels(b.knex, b.schema, PROJECTIONS);
    const bus = new InProcessBus();
    await bus.start();
    relay = new Relay({
      store: b.store,
      bus,
      checkpoints: new SqlCheckpointStore(b.knex, b.schema),
      topic: 'events',
      logger: silentLogger(),
    });
    relay.start();
    projector = new Projector({
      db: b.knex,
      schema: b.schema,
      projections: PROJECTIONS,
      bus,
      topic: 'events',
      groupId: 'reports-test',
      logger: silentLogger(),
    });
    await projector.start();
    app = buildHttpApi({
      config: b.config,
      readModels: b.knex,
      readModelSchema: b.schema,
      tokenSecret: SECRET,
      metrics: {} as Metrics,
      logger: { error: () => undefined } as unknown as Logger,
      ready: async () => true,
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;

    await onAgent('alice', { type: 'ChangeAgentStatus', status: 'idle', at: '2026-12-01T00:00:00.000Z' });
    await onAgent('bob', { type: 'ChangeAgentStatus', status: 'idle', at: '2026-12-01T00:00:00.000Z' });
    // Outside the range: 30 November 23:00 and 4 December 00:00 in Shanghai.
    await served('before', '2026-11-30T15:00:00.000Z', 'alice', { wait: 9, firstResponse: 9, handling: 9, rating: 1 });
    await served('after', '2026-12-03T16:00:00.000Z', 'bob', { wait: 9, firstResponse: 9, handling: 9, rating: 1 });
    // 1 December 09:00 in Shanghai: answered 2 s after asking.
    await served('s1', '2026-12-01T01:00:00.000Z', 'alice', { wait: 1, firstResponse: 2, handling: 61, rating: 5 });
    // 2 December 00:30 in Shanghai (still 1 December in UTC): answered after 4 s.
    await served('s2', '2026-12-01T16:30:00.000Z', 'bob', { wait: 3, firstResponse: 4, handling: 120, rating: 3 });
    // 2 December 10:00 in Shanghai: missed the 20 s wait target and left the queue.
    await start('s3', at('2026-12-02T02:00:00.000Z', 0));
    await onSession('s3', { type: 'RequestHuman', at: at('2026-12-02T02:00:00.000Z', 10) });
    await onSession('s3', {
      type: 'FlagSlaBreach',
      at: at('2026-12-02T02:00:00.000Z', 30),
      target: 'wait',
      targetSeconds: 20,
    });
    await onSession('s3', {
      type: 'EndSession',
      at: at('2026-12-02T02:00:00.000Z', 40),
      by: { role: 'visitor', id: 'v-s3' },
    });
    await waitFor('the projectors to catch up', async () => {
      const { rows } = await b.knex.raw<{ rows: { n: string }[] }>(
        `select count(*) as n from "${b.schema}".session_facts where company_id = ? and (ended_at is not null)
           and (csat_rating is not null or ended_queued)`,
        [COMPANY],
      );
      return Number(rows[0]!.n) === 5 ? true : undefined;
    });
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    await relay?.stop();
    await projector?.stop();
    await b?.config.stop();
    await b?.dispose();
  });

  const RANGE = 'from=2026-12-01&to=2026-12-04';

  it('gives every number of the summary: percentiles over sessions, days in the company zone', async () => {
    const { status, body } = await json(`/api/admin/reports/summary?${RANGE}`);
    expect(status).toBe(200);
    expect(body).toEqual(EXPECTED);
  });

  it('takes instants too, and answers supervisors but not agents', async () => {
    const { body } = await json(
      `/api/admin/reports/summary?from=2026-11-30T16:00:00Z&to=2026-12-03T16:00:00.000Z`,
      'supervisor',
    );
    expect(body).toEqual(EXPECTED);
    expect((await get(`/api/admin/reports/summary?${RANGE}`, 'agent')).status).toBe(403);
  });

  it('filters by group and by the agent who took the session first', async () => {
    const alice = await json(`/api/admin/reports/summary?${RANGE}&agentId=alice`);
    expect(alice.body).toMatchObject({
      sessions: 1,
      handled: 1,
      abandoned: 0,
      firstResponseSeconds: { median: 2, p90: 2 },
      csat: { count: 1, average: 5 },
      byAgent: [EXPECTED.byAgent[0]],
      byDay: [
        { date: '2026-12-01', sessions: 1, handled: 1 },
        { date: '2026-12-02', sessions: 0, handled: 0 },
        { date: '2026-12-03', sessions: 0, handled: 0 },
      ],
    });
    const other = await json(`/api/admin/reports/summary?${RANGE}&groupId=sales`);
    expect(other.body).toMatchObject({
      sessions: 0,
      handled: 0,
      abandoned: 0,
      firstResponseSeconds: { median: null, p90: null },
      csat: { count: 0, average: null },
      byAgent: [],
    });
    expect((await json(`/api/admin/reports/summary?${RANGE}&groupId=support`)).body).toEqual(EXPECTED);
  });

  it('refuses a bad query naming the field and the rule', async () => {
    const refused = async (query: string, message: string) => {
      const { status, body } = await json(`/api/admin/reports/summary?${query}`);
      expect(status).toBe(400);
      expect(body).toEqual({ error: { code: 'bad_request', message, field: message.split(':')[0] } });
    };
    await refused('from=yesterday&to=2026-12-04', 'from: must be an ISO-8601 date (YYYY-MM-DD) or instant');
    await refused('from=2026-12-04&to=2026-12-01', 'from: must be before to');
    await refused('from=2020-01-01&to=2026-12-04', 'to: must be at most 366 days after from');
    await refused(`${RANGE}&format=xml`, 'format: must be json or csv');
  });

  it('gives the same rows as CSV', async () => {
    const answer = await get(`/api/admin/reports/summary?${RANGE}&format=csv`);
    expect(answer.status).toBe(200);
    expect(answer.type).toBe('text/csv; charset=utf-8');
    expect(answer.response.headers.get('content-disposition')).toBe(
      'attachment; filename="report-2026-12-01-2026-12-04.csv"',
    );
    expect(answer.text.split('\r\n')).toEqual([
      'metric,value',
      'sessions,3',
      'handled,2',
      'abandoned,1',
      'firstResponseSeconds.median,3',
      'firstResponseSeconds.p90,3.8',
      'waitSeconds.median,2',
      'waitSeconds.p90,2.8',
      'handlingSeconds.median,90.5',
      'handlingSeconds.p90,114.1',
      'csat.count,2',
      'csat.average,4',
      'slaBreached.firstResponse,0',
      'slaBreached.wait,1',
      '',
      'agentId,sessions,firstResponseSeconds.median,csat.count,csat.average',
      'alice,1,2,1,5',
      'bob,1,4,1,3',
      '',
      'date,sessions,handled',
      '2026-12-01,1,1',
      '2026-12-02,2,1',
      '2026-12-03,0,0',
      '',
    ]);
  });

  it('draws the charts as SVG', async () => {
    for (const name of ['sessions', 'times', 'csat', 'agents']) {
      const answer = await get(`/api/admin/reports/charts/${name}.svg?${RANGE}&lang=zh-CN`);
      expect(answer.status).toBe(200);
      expect(answer.type).toBe('image/svg+xml; charset=utf-8');
      expect(answer.text).toMatch(/^<svg[^>]*>/);
    }
    const sessions = await get(`/api/admin/reports/charts/sessions.svg?${RANGE}`);
    expect(sessions.text).toContain('Sessions per day');
    expect(sessions.text).toContain('2026-12-03');
    expect((await get(`/api/admin/reports/charts/pie.svg?${RANGE}`)).status).toBe(404);
  });

  it('gives the same numbers after a rebuild of the read model', async () => {
    const [result] = await rebuild({ db: b.knex, schema: b.schema, projections: [sessionFacts], readLog: b.readLog });
    expect(result!.generation).toBe(2);
    expect((await json(`/api/admin/reports/summary?${RANGE}`)).body).toEqual(EXPECTED);
  });

  it('agrees with the audit replay of the log on the counts', async () => {
    const from = Date.parse('2026-11-30T16:00:00.000Z');
    const to = Date.parse('2026-12-03T16:00:00.000Z');
    const inRange = new Set<string>();
    const assigned = new Set<string>();
    const ratings: number[] = [];
    for await (const entry of auditEntries(b.store, { kind: 'company', companyId: COMPANY })) {
      if (isLeft(entry.decoded)) continue;
      const event = entry.decoded.right;
      if (!('sessionId' in event)) continue;
      if (event.type === 'SessionStarted' && Date.parse(event.at) >= from && Date.parse(event.at) < to)
        inRange.add(event.sessionId);
      if (event.type === 'SessionAssigned') assigned.add(event.sessionId);
      if (event.type === 'CsatSubmitted' && inRange.has(event.sessionId)) ratings.push(event.rating);
    }
    const { body } = await json(`/api/admin/reports/summary?${RANGE}`);
    expect(body['sessions']).toBe(inRange.size);
    expect(body['handled']).toBe([...inRange].filter((s) => assigned.has(s)).length);
    expect(body['csat']).toEqual({
      count: ratings.length,
      average: ratings.reduce((a, r) => a + r, 0) / ratings.length,
    });
  });
};

describe('reports on PGlite', () => {
  reportsSuite(async () => {
    const knex = createPgliteKnex();
    const store = createPgliteEventStore({ knex, schema: 'reports_es' });
    await store.start();
    return {
      knex,
      store,
      config: createPgliteCompanyConfigStore({ knex, hashPassword: async (plain) => `fake$${plain}` }),
      schema: 'reports_rm',
      readLog: (options, within) => store.readAllWithin(within ?? knex, options),
      dispose: async () => {
        await store.stop();
        await knex.destroy();
      },
    };
  });
});

describeWithServer('postgres', 'reports on PostgreSQL', (url) => {
  reportsSuite(async () => {
    const id = randomBytes(5).toString('hex');
    const knex = knexFactory({ client: 'pg', connection: url, pool: { min: 0, max: 10 } });
    const store = createPostgresEventStore({ url, schema: `reports_es_${id}` });
    await store.start();
    return {
      knex,
      store,
      config: createPostgresCompanyConfigStore({
        url,
        schema: `reports_cfg_${id}`,
        hashPassword: async (plain) => `fake$${plain}`,
      }),
      schema: `reports_rm_${id}`,
      readLog: (options, within) => store.readAllWithin(within ?? knex, options),
      dispose: async () => {
        await store.stop();
        for (const schema of [`reports_rm_${id}`, `reports_es_${id}`, `reports_cfg_${id}`])
          await knex.raw(`drop schema if exists "${schema}" cascade`);
        await knex.destroy();
      },
    };
  });
});

describe('session_facts made before the reports', () => {
  it('gets the reports columns at start, with their defaults, and the summary reads its sessions', async () => {
    const knex = createPgliteKnex();
    try {
      const schema = 'old_facts';
      // Generation 1 as the read model made it before the reports' columns.
      await knex.raw(`create schema "${schema}"`);
      await knex.raw(`create table "${schema}".projection_generations (
        projection text primary key, active integer not null, building integer)`);
      await knex.raw(`insert into "${schema}".projection_generations values ('session_facts', 1, null)`);
      await knex.raw(`create table "${schema}".session_facts__g1 (
        company_id text not null, session_id text not null, visitor_id text not null, channel text not null,
        group_id text not null, started_at timestamptz not null, human_requested_at timestamptz,
        assigned_at timestamptz, first_agent_id text, first_agent_reply_at timestamptz,
        visitor_messages integer not null default 0, agent_messages integer not null default 0,
        bot_messages integer not null default 0, transfers integer not null default 0,
        ended_at timestamptz, end_reason text, primary key (company_id, session_id))`);
      await knex.raw(`create view "${schema}".session_facts as select * from "${schema}".session_facts__g1`);
      await knex.raw(`insert into "${schema}".session_facts__g1 (company_id, session_id, visitor_id, channel, group_id,
        started_at, human_requested_at, assigned_at, first_agent_id, first_agent_reply_at, ended_at, end_reason)
        values ('acme', 'old', 'v', 'web', 'support', '2026-12-01T01:00:00Z', '2026-12-01T01:00:10Z',
        '2026-12-01T01:00:12Z', 'alice', '2026-12-01T01:00:15Z', '2026-12-01T01:01:12Z', 'agent')`);

      await prepareReadModels(knex, schema, [sessionFacts]);
      const summary = await reportSummary(knex, schema, {
        companyId: COMPANY,
        from: '2026-12-01T00:00:00Z',
        to: '2026-12-02T00:00:00Z',
        timeZone: 'UTC',
        groupId: 'support',
      });
      expect(summary).toMatchObject({
        sessions: 1,
        handled: 1,
        abandoned: 0,
        firstResponseSeconds: { median: 5, p90: 5 },
        waitSeconds: { median: 2, p90: 2 },
        handlingSeconds: { median: 60, p90: 60 },
        csat: { count: 0, average: null },
        slaBreached: { firstResponse: 0, wait: 0 },
        byAgent: [
          { agentId: 'alice', sessions: 1, firstResponseSeconds: { median: 5 }, csat: { count: 0, average: null } },
        ],
        byDay: [{ date: '2026-12-01', sessions: 1, handled: 1 }],
      });
    } finally {
      await knex.destroy();
    }
  });
});
