import type { Knex } from 'knex';
import { agent, session, type GroupHours } from '@cschat/domain';
import {
  createPgliteEventStore,
  createPgliteKnex,
  loadAggregate,
  silentLogger,
  type Position,
  type SqlEventStore,
} from '@cschat/infra';
import { decodeDomainEvent } from '@cschat/projections';
import { ChatError, ChatService } from './service';
import type { AgentProfile, Directory } from './directory';
import { Commands } from './commands';
import { Reactions } from './reactions';
import { Router } from './router';

/** A directory in memory: company -> agents, groups, hours, settings. */
const directoryOf = (
  companies: Record<string, { agents: AgentProfile[]; groups: string[]; hours?: Record<string, GroupHours> }>,
): Directory => ({
  settings: async (companyId) => ({
    inactivityTimeoutSeconds: 900,
    defaultGroupId: companies[companyId]?.groups[0] ?? 'none',
    presenceGraceSeconds: 30,
    offlineRequeueSeconds: 120,
  }),
  hoursOfGroup: async (companyId, groupId) => companies[companyId]?.hours?.[groupId] ?? {},
  agent: async (companyId, agentId) => companies[companyId]?.agents.find((a) => a.agentId === agentId),
  agentsOfGroup: async (companyId, groupId) =>
    companies[companyId]?.agents.filter((a) => a.groupIds.includes(groupId)) ?? [],
  groupExists: async (companyId, groupId) => companies[companyId]?.groups.includes(groupId) ?? false,
});

const refusal = async (promise: Promise<unknown>): Promise<string> => {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof ChatError)) throw new Error(`expected a ChatError, got ${String(error)}`);
  return error.code;
};

describe('chat service and its reactions on PGlite', () => {
  let knex: Knex;
  let store: SqlEventStore;
  let chat: ChatService;
  let chatWithoutRouter: ChatService;
  let reactions: Reactions;
  let after: Position | undefined;

  /** Runs the reactions on every event not yet seen, until nothing new happens (the reactor's work, in line). */
  const settle = async (): Promise<void> => {
    for (;;) {
      const batch = await store.readAll({ ...(after === undefined ? {} : { after }), maxCount: 100 });
      if (batch.length === 0) return;
      for (const recorded of batch) {
        after = recorded.position;
        const decoded = decodeDomainEvent(recorded);
        if (decoded?._tag === 'Right') await reactions.react(decoded.right);
      }
    }
  };
  let n = 0;
  let acme: string;
  let globex: string;

  beforeAll(() => {
    knex = createPgliteKnex();
  });
  afterAll(() => knex.destroy());

  beforeEach(async () => {
    n += 1;
    acme = `acme${n}`;
    globex = `globex${n}`;
    store = createPgliteEventStore({ knex, schema: `chat_${n}` });
    await store.start();
    after = undefined;
    const directory = directoryOf({
      [acme]: {
        groups: ['support', 'billing'],
        agents: [
          { agentId: 'alice', capacity: 1, groupIds: ['support'], role: 'agent' },
          { agentId: 'bob', capacity: 2, groupIds: ['support', 'billing'], role: 'agent' },
        ],
        hours: { billing: { regular: { type: 'regular', timeZone: 'UTC', weekly: [] } } as unknown as GroupHours },
      },
      [globex]: {
        groups: ['support'],
        agents: [{ agentId: 'alice', capacity: 5, groupIds: ['support'], role: 'agent' }],
      },
    });
    // As in one process with the worker role: a human request is routed at once.
    const commands = new Commands(store, directory, () => new Date());
    const router = new Router({ store, directory, commands, logger: silentLogger() });
    chat = new ChatService({ store, logger: silentLogger(), directory, router });
    chatWithoutRouter = new ChatService({ store, logger: silentLogger(), directory });
    reactions = new Reactions({
      store,
      directory,
      commands,
      routeGroup: (companyId, groupId) => router.route(companyId, groupId),
    });
  });
  afterEach(() => store.stop());

  const v = (visitorId: string, companyId = acme) => ({ companyId, visitorId });
  const a = (agentId: string, companyId = acme) => ({ companyId, agentId });
  const sessionOf = async (companyId: string, sessionId: string) =>
    (await loadAggregate(store, session.sessionAggregate, session.sessionStream(companyId, sessionId))).state;

  it('opens a session on the first message, keeps it, and answers a resent message with the same id', async () => {
    const first = await chat.visitorMessage(v('v1'), { text: 'hello', clientMsgId: 'c1' });
    const second = await chat.visitorMessage(v('v1'), { text: 'anyone?', clientMsgId: 'c2' });
    const again = await chat.visitorMessage(v('v1'), { text: 'hello', clientMsgId: 'c1' });
    expect(second.sessionId).toBe(first.sessionId);
    expect(again).toEqual(first);
    expect(await sessionOf(acme, first.sessionId)).toMatchObject({ status: 'bot', groupId: 'support', unread: true });
  });

  it.each([
    ['after the reactions closed it', true],
    ['before the reactions closed it', false],
  ])('answers a message resent after its session ended with the first one (%s)', async (_case, settled) => {
    const first = await chat.visitorMessage(v('v1'), { text: 'hello', clientMsgId: 'c1' });
    await chat.visitorEnds(v('v1'));
    if (settled) await settle();
    expect(await chat.visitorMessage(v('v1'), { text: 'hello', clientMsgId: 'c1' })).toEqual(first);
    const next = await chat.visitorMessage(v('v1'), { text: 'new question', clientMsgId: 'c2' });
    expect(next.sessionId).not.toBe(first.sessionId);
  });

  it('opens one session when two tabs send the first message at once', async () => {
    const [x, y] = await Promise.all([
      chat.visitorMessage(v('v1'), { text: 'one', clientMsgId: 'a' }),
      chat.visitorMessage(v('v1'), { text: 'two', clientMsgId: 'b' }),
    ]);
    expect(x.sessionId).toBe(y.sessionId);
  });

  it('assigns at once when an agent is idle, queues with positions otherwise, and moves the queue on', async () => {
    await chat.agentStatus(a('alice'), 'idle');
    await settle();
    const one = await chat.requestHuman(v('v1'));
    expect(one).toMatchObject({ state: 'assigned', agentId: 'alice' });
    const two = await chat.requestHuman(v('v2'));
    const three = await chat.requestHuman(v('v3'));
    expect([two, three]).toMatchObject([
      { state: 'queued', queuePosition: 1 },
      { state: 'queued', queuePosition: 2 },
    ]);
    expect(await chat.agentState(a('alice'))).toEqual({ status: 'idle', load: 1, capacity: 1 });

    await chat.agentEnds(a('alice'), one.sessionId);
    await settle();
    expect(await sessionOf(acme, two.sessionId)).toMatchObject({ status: 'assigned', agentId: 'alice' });
    expect(await chat.queuePosition(acme, 'support', three.sessionId)).toBe(1);

    // bob becomes idle and takes the last one.
    await chat.agentStatus(a('bob'), 'idle');
    await settle();
    expect(await sessionOf(acme, three.sessionId)).toMatchObject({ status: 'assigned', agentId: 'bob' });
  });

  it('without a router in this process, answers queued and lets the reactions assign it', async () => {
    await chat.agentStatus(a('alice'), 'idle');
    await settle();
    const asked = await chatWithoutRouter.requestHuman(v('v1'));
    expect(asked).toMatchObject({ state: 'queued', queuePosition: 1 });
    await settle();
    expect(await sessionOf(acme, asked.sessionId)).toMatchObject({ status: 'assigned', agentId: 'alice' });
    expect(await chat.queuePosition(acme, 'support', asked.sessionId)).toBeUndefined();
  });

  it('survives its reactions running twice (a redelivered event changes nothing)', async () => {
    await chat.agentStatus(a('alice'), 'idle');
    const { sessionId } = await chat.requestHuman(v('v1'));
    await chat.agentEnds(a('alice'), sessionId);
    await settle();
    const before = await store.lastPosition();
    after = undefined; // everything again, from the first event
    await settle();
    expect(await store.lastPosition()).toEqual(before);
    expect(await chat.agentState(a('alice'))).toMatchObject({ load: 0 });
  });

  it('never exceeds capacity when many visitors ask at once', async () => {
    await chat.agentStatus(a('alice'), 'idle');
    await settle();
    await chat.agentStatus(a('bob'), 'idle');
    await settle();
    const results = await Promise.all(['v1', 'v2', 'v3', 'v4', 'v5'].map((id) => chat.requestHuman(v(id))));
    expect(results.filter((r) => r.state === 'assigned')).toHaveLength(3);
    expect(results.filter((r) => r.state === 'queued')).toHaveLength(2);
    expect(await chat.agentState(a('alice'))).toMatchObject({ load: 1 });
    expect(await chat.agentState(a('bob'))).toMatchObject({ load: 2 });
  });

  it('transfers to an agent with room, and refuses one without', async () => {
    await chat.agentStatus(a('alice'), 'idle');
    await settle();
    await chat.agentStatus(a('bob'), 'busy');
    await settle();
    const { sessionId } = await chat.requestHuman(v('v1'));
    await chat.transfer(a('alice'), sessionId, { agentId: 'bob' });
    await settle();
    expect(await sessionOf(acme, sessionId)).toMatchObject({ status: 'assigned', agentId: 'bob' });
    expect(await chat.agentState(a('alice'))).toMatchObject({ load: 0 });
    expect(await chat.agentState(a('bob'))).toMatchObject({ load: 1 });
    expect(await refusal(chat.transfer(a('alice'), sessionId, { agentId: 'bob' }))).toBe('not_assigned_to_you');

    const other = await chat.requestHuman(v('v2')); // alice is idle with room again
    expect(other).toMatchObject({ state: 'assigned', agentId: 'alice' });
    await chat.agentMessage(a('bob'), { sessionId, text: 'hi', clientMsgId: 'x' });
    const full = await chat.requestHuman(v('v3'));
    expect(full.state).toBe('queued');
    expect(await refusal(chat.transfer(a('alice'), other.sessionId, { agentId: 'alice' }))).toBe('invalid_transition');
  });

  it('transfers back to a group queue, where the next idle agent takes it', async () => {
    await chat.agentStatus(a('alice'), 'idle');
    await settle();
    const { sessionId } = await chat.requestHuman(v('v1'));
    await chat.transfer(a('alice'), sessionId, { groupId: 'billing' });
    await settle();
    expect(await sessionOf(acme, sessionId)).toMatchObject({ status: 'queued', groupId: 'billing' });
    await chat.agentStatus(a('bob'), 'idle');
    await settle();
    expect(await sessionOf(acme, sessionId)).toMatchObject({ status: 'assigned', agentId: 'bob', groupId: 'billing' });
  });

  it('lets the visitor end the session, drops the agent load, and opens a new session on the next message', async () => {
    await chat.agentStatus(a('alice'), 'idle');
    await settle();
    const { sessionId } = await chat.requestHuman(v('v1'));
    await chat.visitorEnds(v('v1'));
    await settle();
    expect(await sessionOf(acme, sessionId)).toMatchObject({ status: 'ended', endReason: 'visitor' });
    expect(await chat.agentState(a('alice'))).toMatchObject({ load: 0 });
    const next = await chat.visitorMessage(v('v1'), { text: 'me again', clientMsgId: 'n1' });
    expect(next.sessionId).not.toBe(sessionId);
    expect(await refusal(chat.visitorEnds(v('v9')))).toBe('session_not_found');
  });

  it('says when a closed group opens next', async () => {
    const closed = new ChatService({
      store,
      logger: silentLogger(),
      directory: {
        ...directoryOf({ [acme]: { groups: ['support'], agents: [] } }),
        hoursOfGroup: async () =>
          ({
            regular: { type: 'regular', timeZone: 'UTC', weekly: [{ day: 'mon', from: '09:00', to: '17:00' }] },
          }) as unknown as GroupHours,
      },
      now: () => new Date('2026-11-25T10:00:00.000Z'),
    });
    expect(await closed.requestHuman(v('v1'))).toMatchObject({
      state: 'closed_hours',
      nextOpeningAt: '2026-11-30T09:00:00.000Z',
    });
  });

  it("keeps companies apart: another company's agent can neither write, read, transfer nor end a session", async () => {
    await chat.agentStatus(a('alice'), 'idle');
    await settle();
    const { sessionId } = await chat.requestHuman(v('v1'));
    const intruder = a('alice', globex);
    expect(await refusal(chat.agentMessage(intruder, { sessionId, text: 'x', clientMsgId: 'x' }))).toBe(
      'session_not_found',
    );
    expect(await refusal(chat.markRead(intruder, sessionId))).toBe('session_not_found');
    expect(await refusal(chat.transfer(intruder, sessionId, { groupId: 'support' }))).toBe('session_not_found');
    expect(await refusal(chat.agentEnds(intruder, sessionId))).toBe('session_not_found');
    expect(await sessionOf(acme, sessionId)).toMatchObject({ status: 'assigned', agentId: 'alice' });
    const { state } = await loadAggregate(store, agent.agentAggregate, agent.agentStream(globex, 'alice'));
    expect(state.sessions).toEqual([]);
  });
});
