// Inactivity timeouts through the chat: the timeout reactions schedule a check when a session goes
// to humans, chat messages record its last activity, the worker ends it when the deadline (that
// activity plus the company's timeout at the check) passed. A controllable clock drives the worker,
// the command handler and the activity; the schedule is in memory here and in Redis (two workers,
// a flush) under REQUIRE_INFRA.
import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import type { Knex } from 'knex';
import { session } from '@cschat/domain';
import { inlineWorker, unwrapped } from '../../../test-support/inline-worker';
import { describeWithServer } from '../../../test-support/servers';
import { ChatService } from '../chat/service';
import { Commands } from '../command-handler/commands';
import { loadAggregate } from '../command-handler/handler';
import type { Directory } from '../company-config/directory';
import { createPgliteEventStore, createPgliteKnex } from '../event-store';
import type { SqlEventStore } from '../event-store/sql';
import { silentLogger } from '../logging';
import { InMemorySessionActivity, InMemoryTimeoutSchedule } from './memory';
import type { SessionActivity, SessionRef, TimeoutSchedule } from './port';
import { RedisSessionActivity, RedisTimeoutSchedule } from './redis';
import { TimeoutWorker } from './worker';

const TIMEOUT_S = 60;
const T0 = Date.parse('2026-11-25T10:00:00.000Z');

/** `timeout`: the company's setting, which a test may change while sessions are open. */
const directory = (capacity = 1, timeout = { seconds: TIMEOUT_S }): Directory => ({
  settings: async () => ({
    inactivityTimeoutSeconds: timeout.seconds,
    defaultGroupId: 'support',
    presenceGraceSeconds: 30,
    offlineRequeueSeconds: 120,
  }),
  hoursOfGroup: async () => ({}),
  agent: async (_c, agentId) =>
    agentId === 'alice' ? { agentId, capacity, groupIds: ['support'], role: 'agent' } : undefined,
  agentsOfGroup: async () => [{ agentId: 'alice', capacity, groupIds: ['support'], role: 'agent' }],
  groupExists: async (_c, groupId) => groupId === 'support',
});

interface World {
  readonly store: SqlEventStore;
  readonly chat: ReturnType<typeof unwrapped<ChatService>>;
  readonly workers: TimeoutWorker[];
  readonly schedule: TimeoutSchedule;
  readonly activity: SessionActivity;
  /** Runs the worker role (workflows, routing, timeout reactions) on every new event, until nothing new happens. */
  settle(): Promise<void>;
  at(ms: number): void;
  sessionOf(sessionId: string): Promise<session.SessionState>;
}

const knexes: Knex[] = [];
afterAll(async () => {
  for (const knex of knexes) await knex.destroy();
});

let n = 0;
const world = async (
  timeouts: { schedule: TimeoutSchedule; activity: SessionActivity; others?: TimeoutSchedule[] },
  open: () => Promise<readonly SessionRef[]> = async () => [],
  capacity = 1,
  timeout = { seconds: TIMEOUT_S },
): Promise<World> => {
  const knex = createPgliteKnex();
  knexes.push(knex);
  n += 1;
  const store = createPgliteEventStore({ knex, schema: `timeouts_${n}` });
  await store.start();
  let clock = T0;
  const now = () => new Date(clock);
  const dir = directory(capacity, timeout);
  const commands = new Commands(store, dir, now);
  const chat = new ChatService({
    store,
    commands,
    directory: dir,
    logger: silentLogger(),
    activity: timeouts.activity,
  });
  const inline = inlineWorker({ store, commands, directory: dir, timeouts });
  const worker = (schedule: TimeoutSchedule) =>
    new TimeoutWorker({
      store,
      commands,
      directory: dir,
      schedule,
      activity: timeouts.activity,
      openSessions: open,
      logger: silentLogger(),
      now: () => clock,
      leaseMs: 30_000,
    });
  return {
    store,
    chat: unwrapped(chat),
    schedule: timeouts.schedule,
    activity: timeouts.activity,
    workers: [timeouts.schedule, ...(timeouts.others ?? [])].map(worker),
    at: (ms) => {
      clock = ms;
    },
    settle: () => inline.settle(),
    sessionOf: async (sessionId) =>
      (await loadAggregate(store, session.sessionAggregate, session.sessionStream('acme', sessionId))).state,
  };
};

const memory = () => ({ schedule: new InMemoryTimeoutSchedule(), activity: new InMemorySessionActivity(() => T0) });
const v = (visitorId: string) => ({ companyId: 'acme', visitorId });
const alice = { companyId: 'acme', agentId: 'alice' };
const s = (ms: number) => T0 + ms * 1000;

describe('inactivity timeouts (schedule in memory, controllable clock)', () => {
  it('ends a silent session at its deadline, not before, and lets the agent go', async () => {
    const w = await world(memory());
    const [worker] = w.workers as [TimeoutWorker];
    await w.chat.agentStatus(alice, 'idle');
    const { sessionId } = await w.chat.requestHuman(v('v1'));
    await w.settle();
    expect(await w.schedule.dueAtOf({ companyId: 'acme', sessionId })).toBe(s(TIMEOUT_S));
    w.at(s(TIMEOUT_S) - 1);
    expect(await worker.pass()).toBe(0);
    w.at(s(TIMEOUT_S));
    expect(await worker.pass()).toBe(1);
    expect(await w.sessionOf(sessionId)).toMatchObject({ status: 'ended', endReason: 'timeout' });
    await w.settle();
    expect(await w.chat.agentState(alice)).toMatchObject({ load: 0 });
    expect(await w.schedule.pending()).toBe(0);
    expect(await w.activity.get({ companyId: 'acme', sessionId })).toBeUndefined();
  });

  it('keeps a session alive while messages come, with exactly one pending check, then ends it after the silence', async () => {
    const w = await world(memory());
    const [worker] = w.workers as [TimeoutWorker];
    await w.chat.agentStatus(alice, 'idle');
    const { sessionId } = await w.chat.requestHuman(v('v1'));
    await w.settle();
    const ref = { companyId: 'acme', sessionId };
    // A message every 40 s for four minutes: every due check finds a later activity and moves.
    for (let t = 40; t <= 240; t += 40) {
      w.at(s(t));
      await w.chat.visitorMessage(v('v1'), { text: `still here ${t}`, clientMsgId: `m${t}` });
      await worker.pass();
      await w.settle();
      expect(await w.schedule.pending()).toBe(1);
    }
    for (let t = 241; t < 300; t += 10) {
      w.at(s(t));
      await worker.pass();
      await w.settle();
    }
    expect(await w.sessionOf(sessionId)).toMatchObject({ status: 'assigned' });
    expect(await w.schedule.dueAtOf(ref)).toBe(s(300));
    w.at(s(300));
    await worker.pass();
    expect(await w.sessionOf(sessionId)).toMatchObject({ status: 'ended', endReason: 'timeout' });
  });

  it('counts a timeout shortened after the last message from the next check', async () => {
    const timeout = { seconds: TIMEOUT_S };
    const w = await world(memory(), async () => [], 1, timeout);
    const [worker] = w.workers as [TimeoutWorker];
    await w.chat.agentStatus(alice, 'idle');
    const { sessionId } = await w.chat.requestHuman(v('v1'));
    await w.settle();
    const ref = { companyId: 'acme', sessionId };
    w.at(s(40));
    await w.chat.visitorMessage(v('v1'), { text: 'one more thing', clientMsgId: 'm40' });
    timeout.seconds = 30; // the admin shortens it: the session's deadline is now s(70), not s(100)
    w.at(s(TIMEOUT_S));
    await worker.pass();
    expect(await w.schedule.dueAtOf(ref)).toBe(s(70));
    w.at(s(70));
    await worker.pass();
    expect(await w.sessionOf(sessionId)).toMatchObject({ status: 'ended', endReason: 'timeout' });
  });

  it('counts a timeout lengthened after the last message from the next check', async () => {
    const timeout = { seconds: TIMEOUT_S };
    const w = await world(memory(), async () => [], 1, timeout);
    const [worker] = w.workers as [TimeoutWorker];
    await w.chat.agentStatus(alice, 'idle');
    const { sessionId } = await w.chat.requestHuman(v('v1'));
    await w.settle();
    const ref = { companyId: 'acme', sessionId };
    w.at(s(40));
    await w.chat.agentMessage(alice, { sessionId, text: 'let me check', clientMsgId: 'a40' });
    timeout.seconds = 120;
    w.at(s(TIMEOUT_S));
    await worker.pass();
    expect(await w.schedule.dueAtOf(ref)).toBe(s(160));
    w.at(s(159));
    expect(await worker.pass()).toBe(0);
    expect(await w.sessionOf(sessionId)).toMatchObject({ status: 'assigned' });
    w.at(s(160));
    await worker.pass();
    expect(await w.sessionOf(sessionId)).toMatchObject({ status: 'ended', endReason: 'timeout' });
  });

  it('ends a queued session whose visitor gave up, and takes it out of the queue', async () => {
    const w = await world(memory());
    const [worker] = w.workers as [TimeoutWorker];
    const asked = await w.chat.requestHuman(v('v1'));
    expect(asked).toMatchObject({ state: 'queued', queuePosition: 1 });
    await w.settle();
    expect(await w.chat.queuePosition('acme', 'support', asked.sessionId)).toBe(1);
    w.at(s(TIMEOUT_S));
    await worker.pass();
    await w.settle();
    expect(await w.sessionOf(asked.sessionId)).toMatchObject({ status: 'ended', endReason: 'timeout' });
    expect(await w.chat.queuePosition('acme', 'support', asked.sessionId)).toBeUndefined();
  });

  it('does nothing for a session that ended before its check', async () => {
    const w = await world(memory());
    const [worker] = w.workers as [TimeoutWorker];
    const { sessionId } = await w.chat.requestHuman(v('v1'));
    await w.settle();
    await w.chat.visitorEnds(v('v1'));
    // The check is still there when the reactions have not run yet.
    w.at(s(TIMEOUT_S));
    await worker.pass();
    expect(await w.sessionOf(sessionId)).toMatchObject({ status: 'ended', endReason: 'visitor' });
    expect(await w.schedule.pending()).toBe(0);
  });

  it('rebuilds lost checks from the open sessions, each at its deadline from the events', async () => {
    const timeouts = memory();
    const open: SessionRef[] = [];
    const w = await world(timeouts, async () => open, 10);
    const [worker] = w.workers as [TimeoutWorker];
    await w.chat.agentStatus(alice, 'idle');
    for (const [i, id] of ['v1', 'v2', 'v3'].entries()) {
      w.at(s(i * 10));
      open.push({ companyId: 'acme', sessionId: (await w.chat.requestHuman(v(id))).sessionId });
    }
    await w.settle();
    await worker.pass(); // marks the (empty) schedule rebuilt, as at a first start
    // Everything is lost, as when an embedded process restarts: a new, empty schedule.
    const lost = new InMemoryTimeoutSchedule();
    const rebuilding = new TimeoutWorker({
      store: w.store,
      commands: new Commands(w.store, directory(10), () => new Date(s(0))),
      directory: directory(10),
      schedule: lost,
      activity: new InMemorySessionActivity(),
      openSessions: async () => open,
      logger: silentLogger(),
      now: () => s(0),
    });
    expect(await rebuilding.rebuild()).toBe(3);
    expect(await Promise.all(open.map((ref) => lost.dueAtOf(ref)))).toEqual([s(60), s(70), s(80)]);
    expect(await lost.intact()).toBe(true);
  });

  it('puts back the check of a session that the read model showed only after the rebuild', async () => {
    // The fault suite's case: Redis is flushed while the read model is behind the reactions (the
    // bus was restarting), so the rebuild does not see a session whose check the flush took.
    const w = await world(memory(), async () => [], 10);
    await w.chat.agentStatus(alice, 'idle');
    const ref = { companyId: 'acme', sessionId: (await w.chat.requestHuman(v('v1'))).sessionId };
    await w.settle();
    const open: SessionRef[] = [];
    let now = s(1);
    const lost = new InMemoryTimeoutSchedule();
    const worker = new TimeoutWorker({
      store: w.store,
      commands: new Commands(w.store, directory(10), () => new Date(now)),
      directory: directory(10),
      schedule: lost,
      activity: new InMemorySessionActivity(() => now),
      openSessions: async () => open,
      logger: silentLogger(),
      now: () => now,
      reconcileIntervalMs: 5_000,
    });
    await worker.pass(); // the rebuild: the read model shows no open session yet
    expect(await lost.dueAtOf(ref)).toBeUndefined();
    open.push(ref); // the projector caught up
    now = s(3);
    await worker.pass();
    expect(await lost.dueAtOf(ref)).toBeUndefined(); // not compared again so soon
    now = s(7);
    await worker.pass();
    expect(await lost.dueAtOf(ref)).toBe(s(TIMEOUT_S));
    now = s(TIMEOUT_S);
    while ((await worker.pass()) > 0);
    expect(await w.sessionOf(ref.sessionId)).toMatchObject({ status: 'ended', endReason: 'timeout' });
  });
});

describeWithServer('redis', 'inactivity timeouts with the schedule in Redis', (url) => {
  jest.setTimeout(120_000);
  const clients: Redis[] = [];
  const prefixes: string[] = [];
  const redisTimeouts = (workers: number) => {
    const prefix = `test:${randomBytes(6).toString('hex')}:`;
    prefixes.push(prefix);
    const connections = Array.from({ length: workers }, () => new Redis(url, { maxRetriesPerRequest: 1 }));
    clients.push(...connections);
    const [first, ...rest] = connections as [Redis, ...Redis[]];
    return {
      prefix,
      redis: first,
      schedule: new RedisTimeoutSchedule({ redis: first, prefix }),
      activity: new RedisSessionActivity({ redis: first, prefix }),
      others: rest.map((redis) => new RedisTimeoutSchedule({ redis, prefix })),
    };
  };
  afterAll(async () => {
    const [first] = clients;
    for (const prefix of prefixes) {
      const keys = await first!.keys(`${prefix}*`);
      if (keys.length > 0) await first!.del(...keys);
    }
    for (const client of clients) client.disconnect();
  });

  it('ends each of 1,000 sessions due at once exactly once with two workers, one of which dies holding a claim', async () => {
    const timeouts = redisTimeouts(3);
    const w = await world(timeouts, async () => [], 0);
    const sessions: string[] = [];
    for (let i = 0; i < 1000; i += 1) sessions.push((await w.chat.requestHuman(v(`v${i}`))).sessionId);
    await w.settle();
    expect(await w.schedule.pending()).toBe(1000);
    w.at(s(TIMEOUT_S));
    const [a, b] = w.workers as [TimeoutWorker, TimeoutWorker];
    await a.pass(); // marks the schedule rebuilt (nothing lost), and ends its first batch
    // The third worker claims a batch and dies before running it.
    const abandoned = await timeouts.others[1]!.claimDue(s(TIMEOUT_S), 100, 30_000);
    expect(abandoned).toHaveLength(100);
    const drain = async (worker: TimeoutWorker) => {
      while ((await worker.pass()) > 0);
    };
    await Promise.all([drain(a), drain(b)]);
    expect(await w.schedule.pending()).toBe(100);
    w.at(s(TIMEOUT_S) + 30_000); // the dead worker's lease ran out
    await Promise.all([drain(a), drain(b)]);
    expect(await w.schedule.pending()).toBe(0);
    const ended = await w.store.readAll({ maxCount: 100_000 });
    const endings = ended.filter((e) => e.type === 'SessionEnded');
    expect(endings).toHaveLength(1000);
    expect(new Set(endings.map((e) => e.streamId)).size).toBe(1000);
    for (const sessionId of sessions.slice(0, 5))
      expect(await w.sessionOf(sessionId)).toMatchObject({ status: 'ended', endReason: 'timeout' });
  });

  it('still ends 100 open sessions at their deadlines after Redis lost everything', async () => {
    const timeouts = redisTimeouts(1);
    const open: SessionRef[] = [];
    const w = await world(timeouts, async () => open, 0);
    const [worker] = w.workers as [TimeoutWorker];
    await worker.pass(); // a first start: nothing to rebuild, the schedule is marked
    for (let i = 0; i < 100; i += 1) {
      w.at(s(i));
      open.push({ companyId: 'acme', sessionId: (await w.chat.requestHuman(v(`v${i}`))).sessionId });
    }
    await w.settle();
    expect(await timeouts.schedule.pending()).toBe(100);
    const keys = await timeouts.redis.keys(`${timeouts.prefix}*`);
    await timeouts.redis.del(...keys);
    expect(await timeouts.schedule.intact()).toBe(false);
    w.at(s(TIMEOUT_S) - 1);
    expect(await worker.pass()).toBe(0); // rebuilt: 100 checks, none due yet
    expect(await timeouts.schedule.pending()).toBe(100);
    w.at(s(TIMEOUT_S + 49));
    while ((await worker.pass()) > 0);
    const states = await Promise.all(open.map((ref) => w.sessionOf(ref.sessionId)));
    expect(states.filter((st) => st.status === 'ended')).toHaveLength(50);
    w.at(s(TIMEOUT_S + 99));
    while ((await worker.pass()) > 0);
    const after = await Promise.all(open.map((ref) => w.sessionOf(ref.sessionId)));
    expect(after.every((st) => st.status === 'ended' && st.endReason === 'timeout')).toBe(true);
  });
});
