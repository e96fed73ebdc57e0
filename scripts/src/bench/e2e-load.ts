// The load of `npm run bench -- e2e`: visitor/agent pairs (opened as a rate needs them), probe
// messages sent at a fixed total rate over them (open loop: a message leaves at its time whether
// or not the earlier ones arrived), timed from message.send to the agent's frame, and the
// service's answers (ack, error codes) counted.
import { ChatSocket, connectIdleAgent, probeFrame, probeOf, startAssignedSession } from './chat';
import { createAgents, DEMO, type Deployment } from './deployments';
import { sleep } from './processes';
import { summarize } from './stats';

/** The service refuses more than 20 frames a second from one socket: a visitor sends at most this many. */
export const SOCKET_LIMIT_PER_SECOND = 19;

export interface Pair {
  readonly visitor: ChatSocket;
  readonly agent: ChatSocket;
}

/** Opens `count` more pairs, numbered from `first` (the relays' pair numbers). */
export type OpenPairs = (count: number, first: number) => Promise<Pair[]>;

export interface PairSet {
  readonly all: readonly Pair[];
  /** Drops the pairs with a closed socket, then opens pairs until there are `count`; how many it opened. */
  ensure(count: number): Promise<number>;
  close(): void;
}

export const pairSet = (open: OpenPairs): PairSet => {
  let all: Pair[] = [];
  let opened = 0;
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
      if (missing <= 0) return 0;
      all = [...all, ...(await open(missing, opened + 1))];
      opened += missing;
      return missing;
    },
    close() {
      for (const pair of all) {
        pair.visitor.terminate();
        pair.agent.terminate();
      }
      all = [];
    },
  };
};

/** Runs `work` on each item, `workers` at a time. */
const eachInParallel = async <T>(items: readonly T[], workers: number, work: (item: T) => Promise<void>) => {
  const queue = [...items];
  const one = async (): Promise<void> => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) await work(item);
  };
  await Promise.all(Array.from({ length: workers }, one));
};

/** Pairs on a relay: visitor n's frames go to the agent socket ceil(n / sessionsPerAgent), as the service's agents hold several sessions. */
export const relayPairs = (deployment: Deployment, sessionsPerAgent: number): OpenPairs => {
  const ws = deployment.base.replace(/^http/, 'ws');
  const agents = new Map<number, Promise<ChatSocket>>();
  const agentOf = (agent: number): Promise<ChatSocket> => {
    const known = agents.get(agent);
    if (known !== undefined) return known;
    const opened = ChatSocket.open(`${ws}/agent?pair=${agent}`);
    agents.set(agent, opened);
    return opened;
  };
  return async (count, first) =>
    Promise.all(
      Array.from({ length: count }, async (_, i) => {
        const agentNo = Math.ceil((first + i) / sessionsPerAgent);
        const agent = await agentOf(agentNo);
        return { agent, visitor: await ChatSocket.open(`${ws}/visitor?pair=${agentNo}&session=${first + i}`) };
      }),
    );
};

/**
 * Pairs on the service: new agents, idle, each holding up to `sessionsPerAgent` sessions, then one
 * new visitor a pair, assigned by the routing (to a new agent or one with room left).
 */
export const servicePairs = (deployment: Deployment, sessionsPerAgent: number): OpenPairs => {
  const agentSockets = new Map<string, ChatSocket>();
  let agentsCreated = 0;
  let room = 0;
  return async (count) => {
    const needed = Math.max(0, Math.ceil((count - room) / sessionsPerAgent));
    const agents = await createAgents(deployment.base, needed, agentsCreated + 1, sessionsPerAgent);
    agentsCreated += needed;
    room += needed * sessionsPerAgent - count;
    // Logins check a password (scrypt, on libuv's threads): a few at a time keep them busy.
    await eachInParallel(agents, 4, async (agent) => {
      agentSockets.set(
        agent.id,
        await connectIdleAgent(deployment.base, {
          companyId: DEMO.companyId,
          username: agent.username,
          password: DEMO.password,
        }),
      );
    });
    const pairs: Pair[] = [];
    await eachInParallel(
      Array.from({ length: count }, (_, i) => i),
      8,
      async () => {
        const session = await startAssignedSession(deployment.base, DEMO.companyId);
        const agent = agentSockets.get(session.agentId);
        if (agent === undefined) throw new Error(`assigned to ${session.agentId}, not one of the benchmark's agents`);
        pairs.push({ visitor: session.visitor, agent });
      },
    );
    return pairs;
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
        const visitor = pairs[k % pairs.length]!.visitor;
        k += 1;
        if (!visitor.open) {
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

/** CPU time of the deployment's processes so far (ms). */
export const cpuOf = (deployment: Deployment): number =>
  deployment.services.reduce((sum, s) => sum + (s.exitCode === undefined ? s.usage().cpuMs : 0), 0);
