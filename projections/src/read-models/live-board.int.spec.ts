// The live board (`GET /api/admin/live`) read from the read models the projector writes, on PGlite
// and on PostgreSQL: agents with status and load from the roster, queues with their longest wait,
// and the open sessions with humans, waiting longest first, with what counts as unanswered (a note
// or a bot message is no answer; an agent's message is).
import { randomBytes } from 'node:crypto';
import knexFactory, { type Knex } from 'knex';
import { createPgliteEventStore, createPgliteKnex, createPostgresEventStore, type EventStore } from '@cschat/infra';
import { describeWithServer } from '../../../test-support/servers';
import { applyBatch, decodeBatch } from '../batch';
import { prepareReadModels } from '../generations';
import { PROJECTIONS } from '../index';
import { memo } from '../projector';
import { liveBoardOf } from './live-board';

interface Fixture {
  readonly db: Knex;
  readonly store: EventStore;
  readonly schema: string;
  dispose(): Promise<void>;
}

const T = (minute: number): string => new Date(Date.UTC(2026, 10, 25, 10, minute)).toISOString();

const liveSuite = (setup: () => Promise<Fixture>) => {
  let fixture: Fixture | undefined;
  const once = memo();
  let messageNo = 0;

  const append = async (streamId: string, data: Record<string, unknown>[]) => {
    await fixture!.store.append(
      streamId,
      data.map((d) => ({ type: d['type'] as string, data: { v: 1, companyId: 'acme', ...d } })),
      'any',
    );
  };
  const project = async () => {
    const recorded = await fixture!.store.readAll({ maxCount: 100_000 });
    await fixture!.db.transaction((trx) =>
      applyBatch(
        trx,
        PROJECTIONS.map((projection) => ({ projection, generation: 1 })),
        decodeBatch(recorded),
        { schema: fixture!.schema, once, redelivered: true },
      ),
    );
  };
  const say = (sessionId: string, minute: number, role: string, id?: string) => ({
    type: 'MessagePosted',
    sessionId,
    at: T(minute),
    messageId: `m${++messageNo}`,
    from: id === undefined ? { role } : { role, id },
    text: `${role} at ${minute}`,
  });
  const started = (sessionId: string, minute: number) => ({
    type: 'SessionStarted',
    sessionId,
    at: T(minute),
    visitorId: `v-${sessionId}`,
    channel: 'web',
    groupId: 'support',
    visitorName: `Visitor ${sessionId}`,
  });
  const asked = (sessionId: string, minute: number) => [
    { type: 'HumanRequested', sessionId, at: T(minute), groupId: 'support', handover: 1 },
  ];
  const queued = (sessionId: string, minute: number) => ({
    type: 'SessionQueued',
    sessionId,
    groupId: 'support',
    at: T(minute),
  });

  beforeAll(async () => {
    fixture = await setup();
    await prepareReadModels(fixture.db, fixture.schema, PROJECTIONS);
    // q1: queued at minute 2 (asked at 1); q2: queued at minute 10.
    await append('session-acme-q1', [started('q1', 0), say('q1', 1, 'visitor', 'v-q1'), ...asked('q1', 1)]);
    await append('queue-acme-support', [queued('q1', 2)]);
    // q1 passed its group's waiting target at minute 5: the board flags it.
    await append('session-acme-q1', [
      {
        type: 'SlaBreached',
        sessionId: 'q1',
        at: T(5),
        groupId: 'support',
        target: 'wait',
        targetSeconds: 180,
        handover: 1,
      },
    ]);
    await append('session-acme-q2', [started('q2', 9), say('q2', 9, 'visitor', 'v-q2'), ...asked('q2', 10)]);
    await append('queue-acme-support', [queued('q2', 10)]);
    // a1: alice's, the visitor wrote at 5, alice answered at 6, the visitor again at 7, then a note at 8: unanswered since 7.
    await append('session-acme-a1', [
      started('a1', 3),
      say('a1', 3, 'visitor', 'v-a1'),
      ...asked('a1', 3),
      { type: 'SessionAssigned', sessionId: 'a1', at: T(4), agentId: 'alice', groupId: 'support', handover: 2 },
      say('a1', 5, 'visitor', 'v-a1'),
      say('a1', 6, 'agent', 'alice'),
      say('a1', 7, 'visitor', 'v-a1'),
      {
        type: 'NotePosted',
        sessionId: 'a1',
        at: T(8),
        messageId: `m${++messageNo}`,
        from: { role: 'agent', id: 'alice' },
        text: 'a note is no answer',
        agentId: 'alice',
      },
    ]);
    // a2: bob's, answered.
    await append('session-acme-a2', [
      started('a2', 3),
      say('a2', 3, 'visitor', 'v-a2'),
      ...asked('a2', 3),
      { type: 'SessionAssigned', sessionId: 'a2', at: T(4), agentId: 'bob', groupId: 'support', handover: 2 },
      say('a2', 5, 'agent', 'bob'),
    ]);
    // b1: with the bot only, e1: ended; neither is on the board.
    await append('session-acme-b1', [started('b1', 1), say('b1', 1, 'visitor', 'v-b1'), say('b1', 1, 'bot')]);
    await append('session-acme-e1', [
      started('e1', 1),
      say('e1', 1, 'visitor', 'v-e1'),
      ...asked('e1', 1),
      { type: 'SessionEnded', sessionId: 'e1', at: T(2), reason: 'visitor' },
    ]);
    await append('agent-acme-alice', [
      { type: 'AgentStatusChanged', agentId: 'alice', at: T(0), status: 'idle', previous: 'offline' },
      { type: 'SessionAttached', agentId: 'alice', sessionId: 'a1', at: T(4), load: 1 },
    ]);
    await append('agent-acme-bob', [
      { type: 'AgentStatusChanged', agentId: 'bob', at: T(0), status: 'busy', previous: 'offline' },
      { type: 'SessionAttached', agentId: 'bob', sessionId: 'a2', at: T(4), load: 1 },
    ]);
    await project();
  }, 180_000);
  afterAll(() => fixture?.dispose());

  const board = () =>
    liveBoardOf(fixture!.db, fixture!.schema, 'acme', {
      roster: [
        { agentId: 'alice', name: 'Alice', capacity: 2 },
        { agentId: 'bob', name: 'Bob', capacity: 3 },
        { agentId: 'carol', name: 'Carol', capacity: 1 },
      ],
      groups: [
        { groupId: 'support', name: 'Support' },
        { groupId: 'billing', name: 'Billing' },
      ],
      now: new Date(T(20)),
    });

  it('lists the agents of the roster with their status, load and capacity (never seen: offline, 0)', async () => {
    expect((await board()).agents).toEqual([
      { agentId: 'alice', name: 'Alice', status: 'idle', load: 1, capacity: 2 },
      { agentId: 'bob', name: 'Bob', status: 'busy', load: 1, capacity: 3 },
      { agentId: 'carol', name: 'Carol', status: 'offline', load: 0, capacity: 1 },
    ]);
  });

  it('counts each queue and its longest wait, empty groups included', async () => {
    expect((await board()).queues).toEqual([
      { groupId: 'support', name: 'Support', waiting: 2, longestWaitSeconds: 18 * 60 },
      { groupId: 'billing', name: 'Billing', waiting: 0, longestWaitSeconds: 0 },
    ]);
  });

  it('lists the sessions with humans, waiting longest first, with unanswered as the messages say', async () => {
    const { sessions, at } = await board();
    expect(at).toBe(T(20));
    expect(sessions).toEqual([
      {
        sessionId: 'q1',
        state: 'queued',
        waitingSeconds: 18 * 60,
        unanswered: true,
        groupId: 'support',
        visitorId: 'v-q1',
        visitorName: 'Visitor q1',
        channel: 'web',
        slaBreached: ['wait'],
      },
      {
        sessionId: 'a1',
        agentId: 'alice',
        state: 'assigned',
        waitingSeconds: 13 * 60,
        unanswered: true,
        groupId: 'support',
        visitorId: 'v-a1',
        visitorName: 'Visitor a1',
        channel: 'web',
        slaBreached: [],
      },
      {
        sessionId: 'q2',
        state: 'queued',
        waitingSeconds: 10 * 60,
        unanswered: true,
        groupId: 'support',
        visitorId: 'v-q2',
        visitorName: 'Visitor q2',
        channel: 'web',
        slaBreached: [],
      },
      {
        sessionId: 'a2',
        agentId: 'bob',
        state: 'assigned',
        unanswered: false,
        groupId: 'support',
        visitorId: 'v-a2',
        visitorName: 'Visitor a2',
        channel: 'web',
        slaBreached: [],
      },
    ]);
  });

  it("reads one company's floor only", async () => {
    const other = await liveBoardOf(fixture!.db, fixture!.schema, 'other', {
      roster: [],
      groups: [],
      now: new Date(T(20)),
    });
    expect(other).toEqual({ agents: [], queues: [], sessions: [], at: T(20) });
  });
};

describe('live board on PGlite', () => {
  liveSuite(async () => {
    const db = createPgliteKnex();
    const store = createPgliteEventStore({ knex: db, schema: 'live_es' });
    await store.start();
    return {
      db,
      store,
      schema: 'live_rm',
      dispose: async () => {
        await store.stop();
        await db.destroy();
      },
    };
  });
});

describeWithServer('postgres', 'live board on PostgreSQL', (url) => {
  liveSuite(async () => {
    const db = knexFactory({ client: 'pg', connection: url, pool: { min: 0, max: 4 } });
    const suffix = randomBytes(4).toString('hex');
    const store = createPostgresEventStore({ url, schema: `live_es_${suffix}`, poolSize: 2 });
    await store.start();
    const schema = `live_rm_${suffix}`;
    return {
      db,
      store,
      schema,
      dispose: async () => {
        await store.stop();
        await db.raw(`drop schema if exists "${schema}" cascade`);
        await db.raw(`drop schema if exists "live_es_${suffix}" cascade`);
        await db.destroy();
      },
    };
  });
});
