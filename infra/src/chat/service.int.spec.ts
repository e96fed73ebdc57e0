// The chat's use cases on PGlite, with the worker role in line (test-support/inline-worker.ts):
// each use case is one command; queueing, assignment, transfer and the end's follow-ups are the
// workflows' work, run by `settle()`.
import type { Knex } from 'knex';
import { agent, session, type GroupHours, type Id } from '@cschat/domain';
import { inlineWorker, must, refusal } from '../../../test-support/inline-worker';
import { Commands } from '../command-handler/commands';
import { loadAggregate } from '../command-handler/handler';
import type { AgentProfile, Directory } from '../company-config/directory';
import { createPgliteEventStore, createPgliteKnex } from '../event-store';
import type { SqlEventStore } from '../event-store/sql';
import { silentLogger } from '../logging';
import { InMemorySessionActivity } from '../timeouts/memory';
import { ChatService, type Bot } from './service';

/** A directory in memory: company -> agents, groups, hours, settings. */
const directoryOf = (
  companies: Record<string, { agents: AgentProfile[]; groups: string[]; hours?: Record<string, GroupHours> }>,
): Directory => ({
  settings: async (companyId) => ({
    inactivityTimeoutSeconds: 900,
    presenceGraceSeconds: 30,
    offlineRequeueSeconds: 120,
    defaultGroupId: companies[companyId]?.groups[0] ?? 'none',
  }),
  hoursOfGroup: async (companyId, groupId) => companies[companyId]?.hours?.[groupId] ?? {},
  agent: async (companyId, agentId) => companies[companyId]?.agents.find((a) => a.agentId === agentId),
  agentsOfGroup: async (companyId, groupId) =>
    companies[companyId]?.agents.filter((a) => a.groupIds.includes(groupId)) ?? [],
  groupExists: async (companyId, groupId) => companies[companyId]?.groups.includes(groupId) ?? false,
});

describe('chat use cases and the workflows after them, on PGlite', () => {
  let knex: Knex;
  let store: SqlEventStore;
  let chat: ChatService;
  let commands: Commands;
  let directory: Directory;
  let worker: ReturnType<typeof inlineWorker>;
  let n = 0;
  let acme: string;
  let globex: string;
  const settle = () => worker.settle();

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
    directory = directoryOf({
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
    commands = new Commands(store, directory, () => new Date());
    chat = new ChatService({ store, commands, logger: silentLogger(), directory });
    worker = inlineWorker({ store, commands, directory });
  });
  afterEach(() => store.stop());

  const v = (visitorId: string, companyId = acme) => ({ companyId, visitorId });
  const a = (agentId: string, companyId = acme) => ({ companyId, agentId });
  const sessionOf = async (companyId: string, sessionId: string) =>
    (await loadAggregate(store, session.sessionAggregate, session.sessionStream(companyId, sessionId))).state;
  const loadOf = async (agentId: string) => must(await chat.agentState(a(agentId))).load;
  const ask = async (visitorId: string) => {
    const asked = must(await chat.requestHuman(v(visitorId)));
    await settle();
    return { ...asked, session: await sessionOf(acme, asked.sessionId) };
  };

  it('opens a session on the first message, keeps it, and answers a resent message with the same id', async () => {
    const first = must(await chat.visitorMessage(v('v1'), { text: 'hello', clientMsgId: 'c1' }));
    const second = must(await chat.visitorMessage(v('v1'), { text: 'anyone?', clientMsgId: 'c2' }));
    const again = must(await chat.visitorMessage(v('v1'), { text: 'hello', clientMsgId: 'c1' }));
    expect(second.sessionId).toBe(first.sessionId);
    expect(again).toEqual(first);
    expect(await sessionOf(acme, first.sessionId)).toMatchObject({ status: 'bot', groupId: 'support', unread: true });
  });

  it.each([
    ['after the end workflow closed it', true],
    ['before the end workflow closed it', false],
  ])('answers a message resent after its session ended with the first one (%s)', async (_case, settled) => {
    const first = must(await chat.visitorMessage(v('v1'), { text: 'hello', clientMsgId: 'c1' }));
    must(await chat.visitorEnds(v('v1')));
    if (settled) await settle();
    expect(must(await chat.visitorMessage(v('v1'), { text: 'hello', clientMsgId: 'c1' }))).toEqual(first);
    const next = must(await chat.visitorMessage(v('v1'), { text: 'new question', clientMsgId: 'c2' }));
    expect(next.sessionId).not.toBe(first.sessionId);
  });

  it.each([
    ['after the end workflow closed it', true],
    ['before the end workflow closed it', false],
  ])('a message after the session ended on another process goes to a new session (%s)', async (_case, settled) => {
    // This process remembers the visitor's open session; another one (an agent's gateway) ends it.
    const first = must(await chat.visitorMessage(v('v1'), { text: 'hello', clientMsgId: 'c1' }));
    const elsewhere = new ChatService({
      store,
      commands: new Commands(store, directory, () => new Date()),
      logger: silentLogger(),
      directory,
    });
    must(await elsewhere.visitorEnds(v('v1')));
    if (settled) await settle();
    const next = must(await chat.visitorMessage(v('v1'), { text: 'still there?', clientMsgId: 'c2' }));
    expect(next.sessionId).not.toBe(first.sessionId);
    expect(await sessionOf(acme, next.sessionId)).toMatchObject({ status: 'bot', visitorId: 'v1' });
    expect(await chat.currentSession(v('v1'))).toBe(next.sessionId);
  });

  it('opens one session when two tabs send the first message at once', async () => {
    const [x, y] = await Promise.all([
      chat.visitorMessage(v('v1'), { text: 'one', clientMsgId: 'a' }),
      chat.visitorMessage(v('v1'), { text: 'two', clientMsgId: 'b' }),
    ]);
    expect(must(x).sessionId).toBe(must(y).sessionId);
  });

  it('assigns when an agent is idle, queues with positions otherwise, and moves the queue on', async () => {
    must(await chat.agentStatus(a('alice'), 'idle'));
    await settle();
    const one = await ask('v1');
    expect(one.session).toMatchObject({ status: 'assigned', agentId: 'alice' });
    const two = await ask('v2');
    const three = await ask('v3');
    expect(await chat.queuePosition(acme, 'support', two.sessionId)).toBe(1);
    expect(await chat.queuePosition(acme, 'support', three.sessionId)).toBe(2);
    expect(must(await chat.requestHuman(v('v3')))).toMatchObject({ state: 'queued', queuePosition: 2 });
    expect(must(await chat.agentState(a('alice')))).toEqual({ status: 'idle', load: 1, capacity: 1, name: 'alice' });

    must(await chat.agentEnds(a('alice'), one.sessionId));
    await settle();
    expect(await sessionOf(acme, two.sessionId)).toMatchObject({ status: 'assigned', agentId: 'alice' });
    expect(await chat.queuePosition(acme, 'support', three.sessionId)).toBe(1);

    // bob becomes idle and takes the last one.
    must(await chat.agentStatus(a('bob'), 'idle'));
    await settle();
    expect(await sessionOf(acme, three.sessionId)).toMatchObject({ status: 'assigned', agentId: 'bob' });
  });

  it('answers queued, with the position it will have, before the workflows ran', async () => {
    must(await chat.agentStatus(a('alice'), 'idle'));
    await settle();
    const asked = must(await chat.requestHuman(v('v1')));
    expect(asked).toMatchObject({ state: 'queued', queuePosition: 1 });
    await settle();
    expect(await sessionOf(acme, asked.sessionId)).toMatchObject({ status: 'assigned', agentId: 'alice' });
    expect(await chat.queuePosition(acme, 'support', asked.sessionId)).toBeUndefined();
    expect(must(await chat.requestHuman(v('v1')))).toEqual({
      sessionId: asked.sessionId,
      state: 'assigned',
      agentId: 'alice',
    });
  });

  it('survives the workflows running twice (a redelivered event changes nothing)', async () => {
    must(await chat.agentStatus(a('alice'), 'idle'));
    const { sessionId } = await ask('v1');
    must(await chat.agentEnds(a('alice'), sessionId));
    await settle();
    const before = await store.lastPosition();
    // Everything again from the first event, through a runner that knows nothing (a new process).
    worker = inlineWorker({ store, commands, directory });
    await settle();
    expect(await store.lastPosition()).toEqual(before);
    expect(await loadOf('alice')).toBe(0);
  });

  it('never exceeds capacity when many visitors ask at once', async () => {
    must(await chat.agentStatus(a('alice'), 'idle'));
    must(await chat.agentStatus(a('bob'), 'idle'));
    await settle();
    const results = await Promise.all(['v1', 'v2', 'v3', 'v4', 'v5'].map((id) => chat.requestHuman(v(id))));
    await settle();
    const states = await Promise.all(results.map((r) => sessionOf(acme, must(r).sessionId)));
    expect(states.filter((s) => s.status === 'assigned')).toHaveLength(3);
    expect(states.filter((s) => s.status === 'queued')).toHaveLength(2);
    expect(await loadOf('alice')).toBe(1);
    expect(await loadOf('bob')).toBe(2);
  });

  it('transfers to an agent with room, and refuses one without', async () => {
    must(await chat.agentStatus(a('alice'), 'idle'));
    must(await chat.agentStatus(a('bob'), 'busy'));
    await settle();
    const { sessionId } = await ask('v1');
    must(await chat.transfer(a('alice'), sessionId, { agentId: 'bob' }));
    await settle();
    expect(await sessionOf(acme, sessionId)).toMatchObject({ status: 'assigned', agentId: 'bob' });
    expect(await loadOf('alice')).toBe(0);
    expect(await loadOf('bob')).toBe(1);
    expect(refusal(await chat.transfer(a('alice'), sessionId, { agentId: 'bob' }))).toBe('not_assigned_to_you');

    const other = await ask('v2'); // alice is idle with room again
    expect(other.session).toMatchObject({ status: 'assigned', agentId: 'alice' });
    must(await chat.agentMessage(a('bob'), { sessionId, text: 'hi', clientMsgId: 'x' }));
    const full = await ask('v3');
    expect(full.session.status).toBe('queued');
    expect(refusal(await chat.transfer(a('alice'), other.sessionId, { agentId: 'alice' }))).toBe('invalid_transition');
    // bob has one of two: alice's session goes to him; alice (capacity 1) cannot take bob's second.
    must(await chat.transfer(a('alice'), other.sessionId, { agentId: 'bob' }));
    await settle();
    expect(await loadOf('bob')).toBe(2);
    expect(refusal(await chat.transfer(a('bob'), sessionId, { agentId: 'bob' }))).toBe('invalid_transition');
  });

  it('gives the slot back when the session ended before the transfer happened', async () => {
    must(await chat.agentStatus(a('alice'), 'idle'));
    must(await chat.agentStatus(a('bob'), 'idle'));
    await settle();
    const { sessionId, session: asked } = await ask('v1');
    const holder = asked.status === 'assigned' ? asked.agentId! : '';
    const colleague = holder === 'alice' ? 'bob' : 'alice';
    must(await chat.transfer(a(holder), sessionId, { agentId: colleague }));
    must(await chat.visitorEnds(v('v1'))); // before the workflow transferred it
    await settle();
    expect(await sessionOf(acme, sessionId)).toMatchObject({ status: 'ended', agentId: holder });
    expect(await loadOf('alice')).toBe(0);
    expect(await loadOf('bob')).toBe(0);
  });

  it('transfers back to a group queue, where the next idle agent takes it', async () => {
    must(await chat.agentStatus(a('alice'), 'idle'));
    await settle();
    const { sessionId } = await ask('v1');
    must(await chat.transfer(a('alice'), sessionId, { groupId: 'billing' }));
    await settle();
    expect(await sessionOf(acme, sessionId)).toMatchObject({ status: 'queued', groupId: 'billing' });
    expect(await chat.queuePosition(acme, 'billing', sessionId)).toBe(1);
    expect(await loadOf('alice')).toBe(0);
    must(await chat.agentStatus(a('bob'), 'idle'));
    await settle();
    expect(await sessionOf(acme, sessionId)).toMatchObject({ status: 'assigned', agentId: 'bob', groupId: 'billing' });
  });

  it('requeues to the front: an offline agent loses its session to the next one, ahead of those waiting', async () => {
    must(await chat.agentStatus(a('alice'), 'idle'));
    await settle();
    const first = await ask('v1');
    const second = await ask('v2'); // alice is full: v2 waits
    must(
      await commands.onSession(acme, first.sessionId, {
        type: 'RequeueSession',
        agentId: 'alice',
        reason: 'agent_offline',
      }),
    );
    must(await chat.agentStatus(a('alice'), 'offline'));
    await settle();
    expect(await sessionOf(acme, first.sessionId)).toMatchObject({ status: 'queued' });
    expect(await chat.queuePosition(acme, 'support', first.sessionId)).toBe(1);
    expect(await chat.queuePosition(acme, 'support', second.sessionId)).toBe(2);
    expect(await loadOf('alice')).toBe(0);
    must(await chat.agentStatus(a('bob'), 'idle'));
    await settle();
    expect(await sessionOf(acme, first.sessionId)).toMatchObject({ status: 'assigned', agentId: 'bob' });
  });

  it('lets the visitor end the session, drops the agent load, and opens a new session on the next message', async () => {
    must(await chat.agentStatus(a('alice'), 'idle'));
    await settle();
    const { sessionId } = await ask('v1');
    must(await chat.visitorEnds(v('v1')));
    await settle();
    expect(await sessionOf(acme, sessionId)).toMatchObject({ status: 'ended', endReason: 'visitor' });
    expect(await loadOf('alice')).toBe(0);
    const next = must(await chat.visitorMessage(v('v1'), { text: 'me again', clientMsgId: 'n1' }));
    expect(next.sessionId).not.toBe(sessionId);
    expect(refusal(await chat.visitorEnds(v('v9')))).toBe('session_not_found');
  });

  it('says when a closed group opens next', async () => {
    const closedDirectory = {
      ...directoryOf({ [acme]: { groups: ['support'], agents: [] } }),
      hoursOfGroup: async () =>
        ({
          regular: { type: 'regular', timeZone: 'UTC', weekly: [{ day: 'mon', from: '09:00', to: '17:00' }] },
        }) as unknown as GroupHours,
    };
    const closed = new ChatService({
      store,
      commands: new Commands(store, closedDirectory, () => new Date('2026-11-25T10:00:00.000Z')),
      logger: silentLogger(),
      directory: closedDirectory,
    });
    expect(must(await closed.requestHuman(v('v1')))).toMatchObject({
      state: 'closed_hours',
      nextOpeningAt: '2026-11-30T09:00:00.000Z',
    });
  });

  it('brings back the chosen status when a socket opens after a disconnection', async () => {
    must(await chat.agentStatus(a('alice'), 'away'));
    must(await commands.onAgent(acme, 'alice', { type: 'MarkAgentDisconnected' }));
    expect(must(await chat.agentState(a('alice'))).status).toBe('offline');
    expect(must(await chat.agentConnected(a('alice')))).toEqual({
      status: 'away',
      load: 0,
      capacity: 1,
      name: 'alice',
    });
    must(await chat.agentStatus(a('alice'), 'offline'));
    expect(must(await chat.agentConnected(a('alice'))).status).toBe('offline');
    expect(refusal(await chat.agentConnected(a('nobody')))).toBe('agent_not_found');
  });

  it("keeps companies apart: another company's agent can neither write, read, transfer nor end a session", async () => {
    must(await chat.agentStatus(a('alice'), 'idle'));
    await settle();
    const { sessionId } = await ask('v1');
    const intruder = a('alice', globex);
    expect(refusal(await chat.agentMessage(intruder, { sessionId, text: 'x', clientMsgId: 'x' }))).toBe(
      'session_not_found',
    );
    expect(refusal(await chat.markRead(intruder, sessionId))).toBe('session_not_found');
    expect(refusal(await chat.transfer(intruder, sessionId, { groupId: 'support' }))).toBe('session_not_found');
    expect(refusal(await chat.transfer(intruder, sessionId, { agentId: 'alice' }))).toBe('invalid_transition');
    expect(refusal(await chat.agentEnds(intruder, sessionId))).toBe('session_not_found');
    expect(await sessionOf(acme, sessionId)).toMatchObject({ status: 'assigned', agentId: 'alice' });
    const { state } = await loadAggregate(store, agent.agentAggregate, agent.agentStream(globex, 'alice'));
    expect(state.sessions).toEqual([]);
  });

  it("never ends a session on the bot's goodbye: the bot asks, and the visitor's own end ends it", async () => {
    const channels: (string | undefined)[] = [];
    // As infra/src/bot/stage.ts answers: an end offer on "bye", not understood otherwise.
    const bot: Bot = {
      reply: async (_companyId, message, state) => {
        channels.push(state.channel);
        const base = { inReplyTo: message.messageId as Id, question: message.text, confidence: 1 };
        return message.text === 'bye'
          ? {
              text: 'Anything else?',
              bot: { ...base, outcome: 'end', actions: [{ type: 'session.end', label: 'End chat' }] },
              then: 'nothing',
            }
          : { text: 'Sorry?', bot: { ...base, outcome: 'not_understood' }, then: 'nothing' };
      },
    };
    const withBot = new ChatService({ store, commands, logger: silentLogger(), directory, bot });
    const { sessionId } = must(await withBot.visitorMessage(v('v1'), { text: 'bye', clientMsgId: 'c1' }));
    await settle();
    expect(await sessionOf(acme, sessionId)).toMatchObject({ status: 'bot', endOffered: true });
    must(await withBot.visitorMessage(v('v1'), { text: 'one more question', clientMsgId: 'c2' }));
    expect(await sessionOf(acme, sessionId)).not.toHaveProperty('endOffered');
    expect(channels).toEqual(['web', 'web']);
    must(await withBot.visitorEnds(v('v1')));
    expect(await sessionOf(acme, sessionId)).toMatchObject({ status: 'ended', endReason: 'visitor' });
  });
  it('records the last activity of a chat message with humans, reading no configuration', async () => {
    // Every directory call is a configuration version check (a PostgreSQL read): a message makes none.
    let reads = 0;
    const read = <T>(answer: T): T => {
      reads += 1;
      return answer;
    };
    const counting: Directory = {
      settings: (companyId) => read(directory.settings(companyId)),
      hoursOfGroup: (companyId, groupId) => read(directory.hoursOfGroup(companyId, groupId)),
      agent: (companyId, agentId) => read(directory.agent(companyId, agentId)),
      agentsOfGroup: (companyId, groupId) => read(directory.agentsOfGroup(companyId, groupId)),
      groupExists: (companyId, groupId) => read(directory.groupExists(companyId, groupId)),
    };
    const activity = new InMemorySessionActivity();
    const recording = new ChatService({
      store,
      commands: new Commands(store, counting, () => new Date()),
      logger: silentLogger(),
      directory: counting,
      activity,
    });
    must(await chat.agentStatus(a('alice'), 'idle'));
    const { sessionId } = await ask('v1');
    const ref = { companyId: acme, sessionId };
    const lastActivity = async () => {
      const state = await sessionOf(acme, sessionId);
      return state.status === 'assigned' ? Date.parse(state.lastActivityAt) : undefined;
    };
    reads = 0;
    must(await recording.visitorMessage(v('v1'), { text: 'still there?', clientMsgId: 'c1' }));
    expect(await activity.get(ref)).toBe(await lastActivity());
    must(await recording.agentMessage(a('alice'), { sessionId, text: 'yes', clientMsgId: 'a1' }));
    expect(await activity.get(ref)).toBe(await lastActivity());
    expect(reads).toBe(0);
  });
});
