// The overload step of `npm run bench -- e2e`: after a mode's ladder, 4x its max sustained rate
// (enough pairs to stay under the per-socket limit), every frame with an id so that each gets an
// ack or an error, `/healthz` polled meanwhile; then a recovery step at the max sustained rate.
// Whatever the service does (refuse, queue, drop) is counted, within a bounded grace.
import {
  cpuOf,
  runStep,
  SOCKET_LIMIT_PER_SECOND,
  sustainedBy,
  topUp,
  type PairSet,
  type StepOutcome,
} from './e2e-load';
import type { Deployment } from './deployments';
import { fmt } from './results';
import { summarize } from './stats';

export const HEALTH_POLL_MS = 100;
export const HEALTH_TIMEOUT_MS = 2000;

export interface HealthAnswers {
  readonly polls: number;
  /** Answer times of the polls answered 200 (ms). */
  readonly answeredMs: readonly number[];
  /** Polls not answered within HEALTH_TIMEOUT_MS. */
  readonly timeouts: number;
  /** Polls answered with another status, or failed otherwise (connection refused, reset). */
  readonly failures: number;
}

/** GETs `url` every HEALTH_POLL_MS (open loop: a slow answer does not delay the next poll) until stopped. */
export const pollHealth = (url: string): { stop(): Promise<HealthAnswers> } => {
  const answeredMs: number[] = [];
  const inFlight = new Set<Promise<void>>();
  let timeouts = 0;
  let failures = 0;
  const poll = (): void => {
    const started = performance.now();
    const done = fetch(url, { signal: AbortSignal.timeout(HEALTH_TIMEOUT_MS) })
      .then(async (response) => {
        await response.arrayBuffer();
        if (response.status === 200) answeredMs.push(performance.now() - started);
        else failures += 1;
      })
      .catch((error: unknown) => {
        if ((error as Error).name === 'TimeoutError') timeouts += 1;
        else failures += 1;
      })
      .finally(() => inFlight.delete(done));
    inFlight.add(done);
  };
  poll();
  const timer = setInterval(poll, HEALTH_POLL_MS);
  return {
    async stop() {
      clearInterval(timer);
      // The polls still out are part of the step: wait for them (at most the timeout).
      await Promise.all(inFlight);
      return { polls: answeredMs.length + timeouts + failures, answeredMs, timeouts, failures };
    },
  };
};

export interface OverloadStep {
  readonly mode: string;
  readonly kind: 'overload' | 'recovery';
  readonly rate: number;
  readonly pairs: number;
  /** Why fewer pairs than the rate needs were open, if so. */
  readonly pairsFailure?: string;
  readonly outcome: StepOutcome;
  readonly health: HealthAnswers;
  /** CPU of the server processes over the step and its grace, in cores. */
  readonly serverCores: number;
  readonly sustained: boolean;
}

export interface OverloadOptions {
  readonly stepSeconds: number;
  readonly maxPairs: number;
  readonly p99Ms: number;
  readonly overloadGraceMs: number;
}

/** 4x `sustainedRate`, then `sustainedRate` again: the two steps. */
export const overloadAndRecovery = async (
  mode: string,
  deployment: Deployment,
  pairs: PairSet,
  sustainedRate: number,
  options: OverloadOptions,
  log: (line: string) => void,
): Promise<OverloadStep[]> => {
  const step = async (kind: OverloadStep['kind'], rate: number, graceMs: number): Promise<OverloadStep> => {
    const wanted = Math.min(options.maxPairs, Math.ceil(rate / SOCKET_LIMIT_PER_SECOND));
    // Sockets the service closed (4408 after 50 refusals a minute) are replaced, if it still lets visitors in.
    const pairsFailure = await topUp(pairs, wanted, mode, log);
    const health = pollHealth(`${deployment.base}/healthz`);
    const cpuBefore = cpuOf(deployment);
    const wallBefore = performance.now();
    const outcome = await runStep(pairs.all, rate, options.stepSeconds, { answered: true, graceMs });
    const serverCores = (cpuOf(deployment) - cpuBefore) / (performance.now() - wallBefore);
    const answers = await health.stop();
    const result: OverloadStep = {
      mode,
      kind,
      rate,
      pairs: pairs.all.length,
      ...(pairsFailure === undefined ? {} : { pairsFailure }),
      outcome,
      health: answers,
      serverCores,
      sustained: sustainedBy(outcome, options.p99Ms),
    };
    log(`  ${mode} ${kind} ${fmt(rate, 0)} msg/s: ${describe(result)}`);
    return result;
  };
  const overload = await step('overload', 4 * sustainedRate, options.overloadGraceMs);
  const recovery = await step('recovery', sustainedRate, 5000);
  return [overload, recovery];
};

/** One line for the log: what came of the messages, and how /healthz answered. */
const describe = (s: OverloadStep): string => {
  const o = s.outcome;
  const l = summarize(o.latencies);
  const h = summarize(s.health.answeredMs);
  return (
    `${o.offered} offered, ${o.answers['ack'] ?? 0} acked, answers ${JSON.stringify(o.answers)}, ${o.unanswered} unanswered, ` +
    `${o.latencies.length} delivered (p50 ${fmt(l.p50)} ms, p99 ${fmt(l.p99)} ms, max ${fmt(l.max)} ms), ${o.lost} acked and undelivered; ` +
    `/healthz p99 ${fmt(h.p99)} ms, max ${fmt(h.max)} ms, ${s.health.timeouts} timeouts of ${s.health.polls}; ` +
    `server CPU ${fmt(s.serverCores)} cores${s.kind === 'recovery' ? (s.sustained ? ', sustained' : ', not sustained') : ''}`
  );
};
