// The workflows survive a crash at any step. Each scenario (an assignment, an end, transfers to
// an agent and to a group, a requeue, a slot given back after a refused assignment or transfer)
// runs first without a fault, counting the worker's steps (each decision, each command of each
// workflow, each record, each slot routing took); then once per step of its own (the assignment
// that most of them start with is the first scenario's), the worker dying right there: its consumers are abandoned mid-step, uncommitted, as SIGKILL would leave them, and a new
// worker (new event store client, so nothing of the old one's memory) starts on the same data and
// bus. Afterwards the events must show: no agent holds a slot for a session it does not hold, no
// session is held by two agents, every queued session is waiting in its group's queue and every
// waiting one is queued, and the scenario's own outcome.
import type { Knex } from 'knex';
import { agent, queue, session, visitor, workflows } from '@cschat/domain';
import { must } from '../../../test-support/inline-worker';
import { InProcessBus } from '../bus/in-process';
import { ChatService } from '../chat/service';
import { Commands } from '../command-handler/commands';
import type { AgentProfile, Directory } from '../company-config/directory';
import { createPgliteEventStore, createPgliteKnex } from '../event-store';
import type { RecordedEvent } from '../event-store/port';
import { SqlEventStore } from '../event-store/sql';
import { silentLogger } from '../logging';
import { SqlCheckpointStore } from '../relay/checkpoints';
import { EVENTS_TOPIC } from '../relay/envelope';
import { Relay } from '../relay/relay';
import { ROUTING_TOPIC, RoutingTriggers, RoutingWorker, routingRequestsOn } from '../routing/requests';
import { Router } from '../routing/router';
import { EventReactor } from './reactor';
import { WorkflowRunner, type FaultPoint } from './runner';

const COMPANY = 'acme';
const AGENTS: readonly AgentProfile[] = [
  { agentId: 'alice', capacity: 1, groupIds: ['support'], role: 'agent' },
  { agentId: 'bob', capacity: 2, groupIds: ['support', 'billing'], role: 'agent' },
];
const directory: Directory = {
  settings: async () => ({
    inactivityTimeoutSeconds: 900,
    defaultGroupId: 'support',
    presenceGraceSeconds: 30,
    offlineRequeueSeconds: 120,
  }),
  hoursOfGroup: async () => ({}),
  agent: async (_c, agentId) => AGENTS.find((a) => a.agentId === agentId),
  agentsOfGroup: async (_c, groupId) => AGENTS.filter((a) => a.groupIds.includes(groupId)),
  groupExists: async (_c, groupId) => groupId === 'support' || groupId === 'billing',
};

/** Where a worker's steps are counted; the step numbered `crashAt` kills it. */
interface Faults {
  hits: number;
  /** Steps before this one were the scenario's setup (an assignment the first scenario tests already). */
  ownFrom: number;
  crashAt: number | undefined;
  crashed: boolean;
  /** Where it died, for a failure's message. */
  where?: string;
}

/** The worker role of one process: relay, the event reactor (workflows + routing triggers), routing. */
const startWorker = async (knex: Knex, schema: string, bus: InProcessBus, faults: Faults | undefined) => {
  const logger = silentLogger();
  // A client of its own: a new process knows nothing of what the last one had folded. The API's
  // appends (another client here) do not wake its subscribers: it polls often instead.
  const store = new SqlEventStore({ knex, ownsKnex: false, schema, pollIntervalMs: 20 });
  await store.start();
  const commands = new Commands(store, directory, () => new Date());
  let stopping: Promise<unknown> | undefined;
  const kill = () => (stopping ??= Promise.all([reactor.stop(), routing.stop(), relay.stop()]));
  const step = async (where: string): Promise<void> => {
    if (faults === undefined || faults.crashed) return;
    faults.hits += 1;
    if (faults.hits !== faults.crashAt) return;
    faults.crashed = true;
    faults.where = where;
    void kill();
    await new Promise(() => undefined); // dies here: nothing after this step runs
  };
  const runner = new WorkflowRunner({
    store,
    commands,
    workflows: workflows.WORKFLOWS,
    logger,
    fault: (at: FaultPoint) => step(`${at.workflow} ${at.point}${at.command === undefined ? '' : ` ${at.command}`}`),
  });
  const router = new Router({
    store,
    directory,
    commands,
    logger,
    fault: ({ sessionId, agentId }) => step(`routing: slot of ${agentId} for ${sessionId}`),
  });
  const reactor = new EventReactor({
    bus,
    logger,
    stopGraceMs: 50,
    reactions: [runner, new RoutingTriggers(directory, routingRequestsOn(bus))],
  });
  const routing = new RoutingWorker({ bus, router, logger, stopGraceMs: 50 });
  const relay = new Relay({ store, bus, checkpoints: new SqlCheckpointStore(knex, schema), logger });
  await reactor.start();
  await routing.start();
  relay.start();
  return { kill, stop: kill };
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface World {
  readonly store: SqlEventStore;
  readonly chat: ChatService;
  readonly commands: Commands;
  /** Waits until the worker has done all there is to do (or died); restarts a dead one. */
  settle(): Promise<void>;
  /** The scenario's own steps begin here: those before were its setup. */
  own(): void;
  stop(): Promise<void>;
}

const worldOf = async (knex: Knex, schema: string, faults: Faults | undefined): Promise<World> => {
  const store = createPgliteEventStore({ knex, schema });
  await store.start();
  const commands = new Commands(store, directory, () => new Date());
  const chat = new ChatService({ store, commands, directory, logger: silentLogger() });
  const bus = new InProcessBus(silentLogger());
  const checkpoints = new SqlCheckpointStore(knex, schema);
  let worker = await startWorker(knex, schema, bus, faults);
  let restarted = false;
  const quiet = async (): Promise<boolean> => {
    const last = await store.lastPosition();
    const relayed = await checkpoints.load('relay');
    if (
      last !== undefined &&
      (relayed === undefined || relayed.commit !== last.commit || relayed.prepare !== last.prepare)
    )
      return false;
    // Handed on: the reactor and routing consumed what was published (the relay waited for it).
    await Promise.race([Promise.all([bus.drained(EVENTS_TOPIC), bus.drained(ROUTING_TOPIC)]), sleep(50)]);
    const again = await store.lastPosition();
    return again?.commit === last?.commit && again?.prepare === last?.prepare;
  };
  return {
    store,
    chat,
    commands,
    own: () => {
      if (faults !== undefined) faults.ownFrom = faults.hits;
    },
    settle: async () => {
      for (let stable = 0, waited = 0; stable < 2; waited += 10) {
        if (waited > 30_000) throw new Error('the worker never settled');
        if (faults?.crashed === true && !restarted) {
          restarted = true;
          await worker.kill();
          worker = await startWorker(knex, schema, bus, undefined);
        }
        stable = (await quiet()) ? stable + 1 : 0;
        await sleep(10);
      }
    },
    stop: async () => {
      await worker.stop();
      await bus.stop();
      await store.stop();
    },
  };
};

/** Every stream of the company folded, to check what the events say. */
const foldAll = async (store: SqlEventStore) => {
  const events: RecordedEvent[] = [];
  for (let after = undefined as RecordedEvent['position'] | undefined; ;) {
    const batch = await store.readAll({ ...(after === undefined ? {} : { after }), maxCount: 1000 });
    if (batch.length === 0) break;
    events.push(...batch);
    after = batch[batch.length - 1]!.position;
  }
  const sessions = new Map<string, session.SessionState>();
  const agents = new Map<string, agent.AgentState>();
  const queues = new Map<string, queue.QueueState>();
  const visitors = new Map<string, visitor.VisitorState>();
  for (const e of events) {
    const id = e.streamId.split('-').slice(2).join('-');
    const fold = <S, E>(
      map: Map<string, S>,
      aggregate: {
        initialState: S;
        evolve: (s: S, e: E) => S;
        decodeEvent: (t: string, d: Record<string, unknown>) => { _tag: string; right?: E };
      },
    ) => {
      const decoded = aggregate.decodeEvent(e.type, e.data);
      if (decoded._tag !== 'Right') throw new Error(`undecodable ${e.streamId}@${e.revision}`);
      map.set(id, aggregate.evolve(map.get(id) ?? aggregate.initialState, decoded.right as E));
    };
    if (e.streamId.startsWith('session-')) fold(sessions, session.sessionAggregate);
    else if (e.streamId.startsWith('agent-')) fold(agents, agent.agentAggregate);
    else if (e.streamId.startsWith('queue-')) fold(queues, queue.queueAggregate);
    else if (e.streamId.startsWith('visitor-')) fold(visitors, visitor.visitorAggregate);
  }
  return { sessions, agents, queues, visitors };
};

/** The three promises of the issue, and capacity, from the events. */
const invariantsHold = async (store: SqlEventStore): Promise<void> => {
  const { sessions, agents, queues, visitors } = await foldAll(store);
  const holders = new Map<string, string[]>();
  for (const [agentId, state] of agents) {
    const capacity = AGENTS.find((a) => a.agentId === agentId)!.capacity;
    expect({ agentId, load: state.sessions.length <= capacity }).toEqual({ agentId, load: true });
    for (const sessionId of state.sessions) holders.set(sessionId, [...(holders.get(sessionId) ?? []), agentId]);
  }
  for (const [sessionId, owners] of holders) {
    const held = sessions.get(sessionId);
    // No agent holds a slot for a session it does not hold; no session is held by two agents.
    expect({
      sessionId,
      owners,
      status: held?.status,
      agentId: held?.status === 'none' ? undefined : held?.agentId,
    }).toEqual({
      sessionId,
      owners: [owners[0]],
      status: 'assigned',
      agentId: owners[0],
    });
  }
  const waiting = new Set([...queues.values()].flatMap((q) => q.waiting.map((w) => w.sessionId)));
  for (const [sessionId, state] of sessions) {
    if (state.status === 'none') continue;
    if (state.status === 'assigned')
      expect({ sessionId, heldBy: holders.get(sessionId) }).toEqual({ sessionId, heldBy: [state.agentId] });
    // Every queued session waits in its group's queue; nothing else waits.
    const inItsQueue = queues.get(state.groupId)?.waiting.some((w) => w.sessionId === sessionId) ?? false;
    expect({ sessionId, status: state.status, waiting: waiting.has(sessionId) }).toEqual({
      sessionId,
      status: state.status,
      waiting: state.status === 'queued',
    });
    if (state.status === 'queued') expect({ sessionId, inItsQueue }).toEqual({ sessionId, inItsQueue: true });
    if (state.status === 'ended')
      expect({ sessionId, open: visitors.get(state.visitorId)?.openSessionId === sessionId }).toEqual({
        sessionId,
        open: false,
      });
  }
  return undefined;
};

type Api = World;
const v = (visitorId: string) => ({ companyId: COMPANY, visitorId });
const a = (agentId: string) => ({ companyId: COMPANY, agentId });
const sessionOf = async (w: Api, sessionId: string) => (await foldAll(w.store)).sessions.get(sessionId);
const loadOf = async (w: Api, agentId: string) => (await foldAll(w.store)).agents.get(agentId)?.sessions.length ?? 0;

/** An assigned session: alice idle, the visitor asks for a human (the first scenario's steps). */
const assignToAlice = async (w: Api): Promise<string> => {
  must(await w.chat.agentStatus(a('alice'), 'idle'));
  await w.settle();
  const { sessionId } = must(await w.chat.requestHuman(v('v1')));
  await w.settle();
  return sessionId;
};

/** The same as a scenario's setup: its steps were the first scenario's. */
const assignedToAlice = async (w: Api): Promise<string> => {
  const sessionId = await assignToAlice(w);
  w.own();
  return sessionId;
};

const SCENARIOS: readonly { readonly name: string; readonly run: (w: Api) => Promise<void> }[] = [
  {
    name: 'assignment',
    run: async (w) => {
      const sessionId = await assignToAlice(w);
      expect(await sessionOf(w, sessionId)).toMatchObject({ status: 'assigned', agentId: 'alice' });
    },
  },
  {
    name: 'the follow-ups of an end',
    run: async (w) => {
      const sessionId = await assignedToAlice(w);
      must(await w.chat.agentEnds(a('alice'), sessionId));
      await w.settle();
      expect(await sessionOf(w, sessionId)).toMatchObject({ status: 'ended' });
      expect(await loadOf(w, 'alice')).toBe(0);
    },
  },
  {
    name: 'transfer to an agent',
    run: async (w) => {
      const sessionId = await assignedToAlice(w);
      must(await w.chat.agentStatus(a('bob'), 'busy'));
      must(await w.chat.transfer(a('alice'), sessionId, { agentId: 'bob' }));
      await w.settle();
      expect(await sessionOf(w, sessionId)).toMatchObject({ status: 'assigned', agentId: 'bob' });
      expect([await loadOf(w, 'alice'), await loadOf(w, 'bob')]).toEqual([0, 1]);
    },
  },
  {
    name: 'transfer to a group',
    run: async (w) => {
      const sessionId = await assignedToAlice(w);
      must(await w.chat.transfer(a('alice'), sessionId, { groupId: 'billing' }));
      await w.settle();
      must(await w.chat.agentStatus(a('bob'), 'idle'));
      await w.settle();
      expect(await sessionOf(w, sessionId)).toMatchObject({ status: 'assigned', agentId: 'bob', groupId: 'billing' });
      expect(await loadOf(w, 'alice')).toBe(0);
    },
  },
  {
    name: 'requeue',
    run: async (w) => {
      const sessionId = await assignedToAlice(w);
      must(
        await w.commands.onSession(COMPANY, sessionId, {
          type: 'RequeueSession',
          agentId: 'alice',
          reason: 'agent_offline',
        }),
      );
      must(await w.chat.agentStatus(a('alice'), 'offline'));
      await w.settle();
      must(await w.chat.agentStatus(a('bob'), 'idle'));
      await w.settle();
      expect(await sessionOf(w, sessionId)).toMatchObject({ status: 'assigned', agentId: 'bob' });
      expect(await loadOf(w, 'alice')).toBe(0);
    },
  },
  {
    name: 'a slot given back when the assignment was refused',
    run: async (w) => {
      const { sessionId } = must(await w.chat.requestHuman(v('v1')));
      await w.settle();
      const queued = await sessionOf(w, sessionId);
      must(await w.chat.agentStatus(a('alice'), 'away')); // not routed to, but may take a slot
      // A slot taken for it (as routing does), and the visitor leaves before the assignment.
      must(
        await w.commands.onAgent(COMPANY, 'alice', {
          type: 'AttachSession',
          sessionId,
          capacity: 1,
          handover: (queued as session.OpenedSession).handover + 1,
          for: 'assignment',
          groupId: 'support',
        }),
      );
      must(await w.chat.visitorEnds(v('v1')));
      await w.settle();
      expect(await sessionOf(w, sessionId)).toMatchObject({ status: 'ended', endReason: 'visitor' });
      expect(await loadOf(w, 'alice')).toBe(0);
    },
  },
  {
    name: 'a slot given back when the transfer was refused',
    run: async (w) => {
      const sessionId = await assignedToAlice(w);
      must(await w.chat.agentStatus(a('bob'), 'idle'));
      must(await w.chat.transfer(a('alice'), sessionId, { agentId: 'bob' }));
      must(await w.chat.visitorEnds(v('v1'))); // before the transfer happened
      await w.settle();
      expect(await sessionOf(w, sessionId)).toMatchObject({ status: 'ended' });
      expect([await loadOf(w, 'alice'), await loadOf(w, 'bob')]).toEqual([0, 0]);
    },
  },
];

describe('workflows: a worker killed at any step finishes or gives back what it started after a restart', () => {
  jest.setTimeout(600_000);
  let knex: Knex;
  let runs = 0;
  const report: string[] = [];

  beforeAll(() => {
    knex = createPgliteKnex();
  });
  afterAll(async () => {
    await knex.destroy();
    console.log(`workflow crash test: ${report.length} scenarios\n${report.join('\n')}`);
  });

  const attempt = async (scenario: (typeof SCENARIOS)[number], crashAt: number | undefined): Promise<Faults> => {
    runs += 1;
    const faults: Faults = { hits: 0, ownFrom: 0, crashAt, crashed: false };
    const w = await worldOf(knex, `crash_${runs}`, faults);
    try {
      await scenario.run(w);
      await w.settle();
      await invariantsHold(w.store);
    } catch (error) {
      throw new Error(
        `${scenario.name}, killed at step ${crashAt ?? '-'} (${faults.where ?? 'no crash'}): ${String(error)}`,
      );
    } finally {
      await w.stop();
    }
    return faults;
  };

  it.each(SCENARIOS.map((scenario) => [scenario.name, scenario] as const))('%s', async (_name, scenario) => {
    const { hits, ownFrom } = await attempt(scenario, undefined);
    expect(hits - ownFrom).toBeGreaterThan(2);
    const places: string[] = [];
    for (let crashAt = ownFrom + 1; crashAt <= hits; crashAt += 1) {
      const faults = await attempt(scenario, crashAt);
      expect(faults.crashed).toBe(true);
      places.push(faults.where!);
    }
    report.push(
      `  ${scenario.name}: killed at each of its ${places.length} steps${ownFrom === 0 ? '' : ` (after a setup of ${ownFrom})`}, ` +
        `each finished: ${places.join('; ')}`,
    );
  });
});
