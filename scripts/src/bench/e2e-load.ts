// The load of `npm run bench -- e2e`: visitor/agent pairs (opened as a rate needs them), probe
// messages sent at a fixed total rate over them (open loop: a message leaves at its time whether
// or not the earlier ones arrived), timed from message.send to the agent's frame, and the
// service's answers (ack, error codes) counted.
import { ChatSocket, connectIdleAgent, describeFailure, probeFrame, probeOf, startAssignedSession } from './chat';
import { BENCH_AGENT_PASSWORD, createAgents, DEMO, type Deployment } from './deployments';
import { sleep } from './processes';
import { summarize } from './stats';

/** The service refuses more than 20 frames a second from one socket: a visitor sends at most this many. */
export const SOCKET_LIMIT_PER_SECOND = 19;

export interface Pair {
  readonly visitor: ChatSocket;
  readonly agent: ChatSocket;
}

/** What opens pairs on a server, and holds the sockets they share. */
export interface PairOpener {
  /** Opens `count` more pairs, numbered from `first`, handing each to `add` once ready; throws on the first failure. */
  open(count: number, first: number, add: (pair: Pair) => void): Promise<void>;
  /** Closes the agents' sockets (a pair closes its visitor's). */
  close(): void;
}

export interface PairSet {
  readonly all: readonly Pair[];
  /**
   * Drops the pairs with a closed socket, then opens pairs until there are `count`: how many it
   * opened and, when it could not open them all (a server too busy to log in or assign), why.
   */
  ensure(count: number): Promise<{ opened: number; failure?: string }>;
  close(): void;
}

export const pairSet = (opener: PairOpener): PairSet => {
  let all: Pair[] = [];
  let numbered = 0;
  return {
    get all() {
      return all;
    },
    async ensure(count) {
      const closed = all.filter((p) => !p.visitor.open || !p.agent.open);
      // An agent socket serves other pairs too: only the visitor goes.
      for (const pair of closed) pair.visitor.terminate();
      all = all.filter((p) => !closed.includes(p));
      const missing = count - all.length;
      if (missing <= 0) return { opened: 0 };
      const before = all.length;
      try {
        await opener.open(missing, numbered + 1, (pair) => all.push(pair));
        return { opened: missing };
      } catch (error) {
        return { opened: all.length - before, failure: describeFailure(error) };
      } finally {
        numbered += missing;
      }
    },
    close() {
      for (const pair of all) pair.visitor.terminate();
      opener.close();
      all = [];
    },
  };
};

/** `pairs.ensure(count)`, said in the log; why not all could be opened, if so. */
export const topUp = async (
  pairs: PairSet,
  count: number,
  mode: string,
  log: (line: string) => void,
): Promise<string | undefined> => {
  const started = performance.now();
  const { opened, failure } = await pairs.ensure(count);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  if (opened > 0) log(`  ${mode}: ${opened} more pairs (${pairs.all.length}) in ${seconds} s`);
  if (failure !== undefined)
    log(`  ${mode}: could not open ${count} pairs, going on with ${pairs.all.length}: ${failure}`);
  return failure;
};

/**
 * Runs `work` on each item, `workers` at a time; after a failure no new item starts, and once the
 * ones under way have finished (nothing is left opening behind the caller's back), it throws.
 */
const eachInParallel = async <T>(items: readonly T[], workers: number, work: (item: T) => Promise<void>) => {
  const queue = [...items];
  const failures: unknown[] = [];
  const one = async (): Promise<void> => {
    for (let item = queue.shift(); item !== undefined && failures.length === 0; item = queue.shift()) {
      try {
        await work(item);
      } catch (error) {
        failures.push(error);
      }
    }
  };
  await Promise.all(Array.from({ length: workers }, one));
  if (failures.length > 0) throw failures[0];
};

/**
 * Pairs on a relay: visitor n's frames go to the agent socket ceil(n / sessionsPerAgent), as the
 * service's agents hold several sessions.
 */
export const relayPairs = (deployment: Deployment, sessionsPerAgent: number): PairOpener => {
  const ws = deployment.base.replace(/^http/, 'ws');
  const agents = new Map<number, Promise<ChatSocket>>();
  const agentOf = (agent: number): Promise<ChatSocket> => {
    const known = agents.get(agent);
    if (known !== undefined) return known;
    const opened = ChatSocket.open(`${ws}/agent?pair=${agent}`);
    agents.set(agent, opened);
    return opened;
  };
  return {
    open: (count, first, add) =>
      eachInParallel(
        Array.from({ length: count }, (_, i) => first + i),
        32,
        async (n) => {
          const agentNo = Math.ceil(n / sessionsPerAgent);
          const agent = await agentOf(agentNo);
          add({ agent, visitor: await ChatSocket.open(`${ws}/visitor?pair=${agentNo}&session=${n}`) });
        },
      ),
    close: () => {
      for (const agent of agents.values())
        agent.then(
          (socket) => socket.terminate(),
          () => undefined,
        );
    },
  };
};

/**
 * Pairs on the service: new agents, idle, each holding up to `sessionsPerAgent` sessions, then one
 * new visitor a pair, assigned by the routing (to a new agent or one with room left).
 */
export const servicePairs = (deployment: Deployment, sessionsPerAgent: number): PairOpener => {
  const agentSockets = new Map<string, ChatSocket>();
  let agentsCreated = 0;
  /** Sessions assigned so far (a pair whose visitor closed still holds its agent's capacity). */
  let assigned = 0;
  return {
    async open(count, _first, add) {
      const room = agentsCreated * sessionsPerAgent - assigned;
      const needed = Math.max(0, Math.ceil((count - room) / sessionsPerAgent));
      const agents = await createAgents(deployment.base, needed, agentsCreated + 1, sessionsPerAgent);
      agentsCreated += needed;
      // Logins check a password (scrypt, on libuv's threads): a few at a time keep them busy.
      await eachInParallel(agents, 4, async (agent) => {
        agentSockets.set(
          agent.id,
          await connectIdleAgent(deployment.base, {
            companyId: DEMO.companyId,
            username: agent.username,
            password: BENCH_AGENT_PASSWORD,
          }),
        );
      });
      await eachInParallel(
        Array.from({ length: count }, (_, i) => i),
        8,
        async () => {
          const session = await startAssignedSession(deployment.base, DEMO.companyId);
          assigned += 1;
          const agent = agentSockets.get(session.agentId);
          if (agent === undefined) {
            session.visitor.terminate();
            throw new Error(`assigned to ${session.agentId}, not one of the benchmark's agents`);
          }
          add({ visitor: session.visitor, agent });
        },
      );
    },
    close() {
      for (const socket of agentSockets.values()) socket.terminate();
    },
  };
};

export interface StepOptions {
  /** Frames carry an `id`, so that the service answers each (ack or error); the relays never answer. */
  readonly answered?: boolean;
  /** After the last message, how long to wait for the missing deliveries (and answers). */
  readonly graceMs?: number;
}

export interface StepOutcome {
  /** Messages the schedule had. */
  readonly offered: number;
  /** Messages not sent: their visitor's socket had closed. */
  readonly notSent: number;
  /** message.send -> the agent's message frame, of the messages delivered within the grace. */
  readonly latencies: readonly number[];
  /** How late the sender was against its schedule, per message. */
  readonly lags: readonly number[];
  /** Answers by kind, `ack` or the error code (an error frame is counted even without an id). */
  readonly answers: Readonly<Record<string, number>>;
  /** Sent with an id, and neither acknowledged nor refused within the grace. */
  readonly unanswered: number;
  /** Not delivered within the grace, though acknowledged (without ids, where no refusal names its message: not delivered). */
  readonly lost: number;
  /** Refused with an error, and delivered all the same. */
  readonly refusedDelivered: number;
  /** Pairs with a socket closed at the end. */
  readonly closedPairs: number;
}

let probes = 0;
/** Probe numbers are unique in the run, so that a late delivery of an earlier step is never taken for a later one. */
const nextProbe = (): number => (probes += 1);

/** Sends `rate` messages a second for `seconds`, round robin over the pairs; what came of them. */
export const runStep = async (
  pairs: readonly Pair[],
  rate: number,
  seconds: number,
  options: StepOptions = {},
): Promise<StepOutcome> => {
  const answered = options.answered ?? false;
  const firstProbe = probes + 1;
  /** Probes not delivered yet, and when they left. */
  const sentAt = new Map<number, number>();
  const latencies: number[] = [];
  /** Per probe (frames with ids only): `ack` or the error code. */
  const answerOf = new Map<number, string>();
  const answers: Record<string, number> = {};
  /** Probes refused and not delivered: nothing more will come of them. */
  let refusedPending = 0;
  const onDelivery = (raw: string): void => {
    const probe = probeOf(raw);
    const started = probe === undefined ? undefined : sentAt.get(probe);
    if (started === undefined) return;
    latencies.push(performance.now() - started);
    sentAt.delete(probe!);
    const answer = answerOf.get(probe!);
    if (answer !== undefined && answer !== 'ack') refusedPending -= 1;
  };
  const onAnswer = (raw: string): void => {
    if (!raw.includes('"type":"ack"') && !raw.includes('"type":"error"')) return;
    const frame = JSON.parse(raw) as { type?: unknown; id?: unknown; code?: unknown };
    if (frame.type !== 'ack' && frame.type !== 'error') return;
    // A late answer to an earlier step's message is that step's, not this one's.
    if (typeof frame.id === 'number' && frame.id < firstProbe) return;
    const kind = frame.type === 'ack' ? 'ack' : String(frame.code);
    answers[kind] = (answers[kind] ?? 0) + 1;
    if (typeof frame.id !== 'number' || answerOf.has(frame.id)) return;
    answerOf.set(frame.id, kind);
    if (kind !== 'ack' && sentAt.has(frame.id)) refusedPending += 1;
  };
  for (const pair of pairs) {
    pair.agent.keepFrames = false;
    pair.visitor.keepFrames = false;
    pair.agent.onRaw(onDelivery);
    pair.visitor.onRaw(onAnswer);
  }
  const interval = 1000 / rate;
  const total = Math.max(1, Math.round(rate * seconds));
  const lags: number[] = [];
  let notSent = 0;
  const start = performance.now();
  let k = 0;
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const now = performance.now();
      while (k < total && start + k * interval <= now) {
        const probe = nextProbe();
        lags.push(now - (start + k * interval));
        // No pairs at all (none could be opened): every message counts as not sent.
        const visitor = pairs[k % pairs.length]?.visitor;
        k += 1;
        if (visitor === undefined || !visitor.open) {
          notSent += 1;
          continue;
        }
        sentAt.set(probe, performance.now());
        visitor.send(probeFrame(probe, answered));
      }
      if (k >= total) return resolve();
      setTimeout(tick, Math.max(0, start + k * interval - performance.now()));
    };
    tick();
  });
  const sent = total - notSent;
  const waiting = (): boolean => sentAt.size > refusedPending || (answered && answerOf.size < sent);
  const deadline = performance.now() + (options.graceMs ?? 5000);
  while (waiting() && performance.now() < deadline) await sleep(5);
  for (const pair of pairs) {
    pair.agent.onRaw(undefined);
    pair.visitor.onRaw(undefined);
  }
  let lost = 0;
  for (const probe of sentAt.keys()) {
    const answer = answerOf.get(probe);
    if (answer === 'ack' || (!answered && answer === undefined)) lost += 1;
  }
  let refusedDelivered = 0;
  for (const [probe, answer] of answerOf) if (answer !== 'ack' && !sentAt.has(probe)) refusedDelivered += 1;
  return {
    offered: total,
    notSent,
    latencies,
    lags,
    answers,
    unanswered: answered ? sent - answerOf.size : 0,
    lost,
    refusedDelivered,
    closedPairs: pairs.filter((p) => !p.visitor.open || !p.agent.open).length,
  };
};

/** Messages refused with an error (any code). */
export const refusedOf = (outcome: StepOutcome): number =>
  Object.entries(outcome.answers).reduce((sum, [kind, n]) => (kind === 'ack' ? sum : sum + n), 0);

/** Every message delivered, p99 under `p99Ms`, the sender on schedule (lag p99 under half of it), none refused. */
export const sustainedBy = (outcome: StepOutcome, p99Ms: number): boolean =>
  outcome.latencies.length === outcome.offered &&
  summarize(outcome.latencies).p99 < p99Ms &&
  summarize(outcome.lags).p99 < p99Ms / 2 &&
  refusedOf(outcome) === 0;

/** CPU time of each running process of the deployment so far (ms), by its name. */
export const cpuByProcess = (deployment: Deployment): Record<string, number> =>
  Object.fromEntries(
    deployment.services.filter((s) => s.exitCode === undefined).map((s) => [s.options.name, s.usage().cpuMs]),
  );

/** CPU time of the deployment's running processes so far (ms). */
export const cpuOf = (deployment: Deployment): number =>
  Object.values(cpuByProcess(deployment)).reduce((sum, ms) => sum + ms, 0);
