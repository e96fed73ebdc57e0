// `npm run bench -- e2e`: visitor/agent pairs over real sockets, the visitors sending at a fixed
// total rate, the time from each message.send to the agent's `message` frame; the rate doubles
// until p99 passes 100 ms, messages are lost or the sender falls behind. Against the service in
// embedded and distributed mode, and in the same run against two baselines: a bare `ws` relay (the
// practical ceiling) and a durable relay (the same, storing each message in PostgreSQL first: what
// a plain CRUD chat server costs). After the ladder of each mode of ours, an overload step.
import { copyFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { renderLatencyChart } from './chart';
import {
  databaseActivity,
  infraOf,
  type DatabaseActivity,
  startDistributed,
  startDurableRelay,
  startEmbedded,
  startRelay,
  type Deployment,
} from './deployments';
import {
  cpuByProcess,
  pairSet,
  refusedOf,
  relayPairs,
  runStep,
  servicePairs,
  SOCKET_LIMIT_PER_SECOND,
  sustainedBy,
  topUp,
  type PairSet,
  type StepOutcome,
} from './e2e-load';
import { HEALTH_POLL_MS, HEALTH_TIMEOUT_MS, overloadAndRecovery, type OverloadStep } from './overload';
import { raiseFileLimit, sleep } from './processes';
import { positiveNumber, wholeNumber } from './options';
import { fmt, ratio, resultFile, ROOT, type BenchResult, type Row, type Section } from './results';
import { summarize } from './stats';

export const E2E_HELP = `Usage: npm run bench -- e2e [--pairs 50] [--max-pairs 1000] [--sessions-per-agent 1] [--step-seconds 4]
                          [--start-rate 50] [--max-rate 100000] [--modes relay,durable,embedded,distributed]
                          [--p99-ms 100] [--overload-grace-seconds 10] [--profile]

Visitor/agent pairs (an agent holds --sessions-per-agent visitors' sessions, one socket each side:
an agent costs two password hashes to set up, a visitor does not); each step sends --start-rate, then twice that, ... messages a second in
total, spread evenly over the visitors, for --step-seconds, and measures message.send -> the
agent's message frame (p50, p99, p99.9). A step is sustained when every message arrived, p99
stayed under --p99-ms and the sender kept to its schedule (a step that is not is tried once more:
the machine is shared); after the first step that is not, one step halfway (geometrically) is tried;
when the first rate is not sustained, half of it, then a quarter. The service refuses more than
20 frames a second from one socket, so its modes start with --pairs pairs and open more as a rate
needs them (19 msg/s per visitor), up to --max-pairs; so does the durable relay (it stores a
socket's messages one at a time, as the gateway handles them). The bare relay keeps --pairs.

After the ladder of each mode of ours: one step at 4x its max sustained rate (with none, its
lowest rate tried), each frame with an id (acks and errors counted: overloaded, rate_limited,
others), /healthz polled every ${HEALTH_POLL_MS} ms, then at most --overload-grace-seconds for what is
missing; then a recovery step at the max sustained rate.

Modes: relay (bare ws relay, a baseline: a visitor's frame forwarded to its agent's socket),
durable (durable relay, a baseline: the same, each message INSERTed into PostgreSQL first, in a
database of its own on DATABASE_URL's server), embedded (one process, PGlite), distributed (a
worker and a gateway process, PostgreSQL + Kafka + Redis; needs DATABASE_URL, KAFKA_BROKERS and
REDIS_URL as scripts/infra/up.sh prints). Without them, durable and distributed are skipped.
--profile writes the servers' CPU profiles to bench/profiles/.
`;

const MODES = ['relay', 'durable', 'embedded', 'distributed'] as const;
type Mode = (typeof MODES)[number];
const BASELINES: readonly string[] = ['relay', 'durable'];
/**
 * Modes whose visitors send at most 19 msg/s each, pairs opened as a rate needs them: ours (the
 * service's limit), and the durable relay, which stores a socket's messages one at a time as the
 * gateway handles them, so that the number of sockets is the same at the same rate.
 */
const growsPairs = (mode: Mode): boolean => mode !== 'relay';
/** The highest rate the ladder offers a mode. */
const ceilingOf = (mode: Mode, options: E2eOptions): number =>
  growsPairs(mode) ? Math.min(options.maxRate, options.maxPairs * SOCKET_LIMIT_PER_SECOND) : options.maxRate;
const LABELS: Record<Mode, string> = {
  relay: 'bare relay (baseline)',
  durable: 'durable relay (baseline)',
  embedded: 'embedded',
  distributed: 'distributed',
};

export interface Step {
  readonly mode: string;
  readonly rate: number;
  readonly pairs: number;
  readonly sent: number;
  readonly delivered: number;
  /** Messages answered with an error (the relays never answer). */
  readonly refused: number;
  readonly p50: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
  /** How late the sender was against its schedule (p99): large means the load generator was the limit. */
  readonly sendLagP99: number;
  /** CPU of the server processes over the step, in cores (1 = one core busy). */
  readonly serverCores: number;
  /** CPU of the server processes over the step and its grace, per delivered message (ms). */
  readonly cpuMsPerMessage: number | undefined;
  /** The same per server process (distributed: the gateway and the worker apart), for the capacity model. */
  readonly cpuMsPerMessageByProcess: Readonly<Record<string, number>>;
  readonly sustained: boolean;
}

/** The ladder of rates against one deployment; its steps and every message it sent (warm-up included). */
const climb = async (
  mode: Mode,
  deployment: Deployment,
  pairs: PairSet,
  options: E2eOptions,
  log: (line: string) => void,
): Promise<{ steps: Step[]; sent: number; notes: string[] }> => {
  const cap = ceilingOf(mode, options);
  let sent = 0;
  const notes: string[] = [];
  const run = async (rate: number, seconds: number): Promise<StepOutcome> => {
    const wanted = growsPairs(mode)
      ? Math.max(options.pairs, Math.ceil(rate / SOCKET_LIMIT_PER_SECOND))
      : options.pairs;
    const failure = await topUp(pairs, wanted, mode, log);
    if (failure !== undefined)
      notes.push(
        `${mode}: at ${fmt(rate, 0)} msg/s only ${pairs.all.length} of ${wanted} pairs could be opened (${failure}).`,
      );
    const outcome = await runStep(pairs.all, rate, seconds);
    sent += outcome.offered - outcome.notSent;
    return outcome;
  };
  const measure = async (rate: number): Promise<Step> => {
    const before = cpuByProcess(deployment);
    const wallBefore = performance.now();
    const outcome = await run(rate, options.stepSeconds);
    const spent = Object.fromEntries(
      Object.entries(cpuByProcess(deployment)).map(([name, ms]) => [name, ms - (before[name] ?? 0)]),
    );
    const cpuMs = Object.values(spent).reduce((sum, ms) => sum + ms, 0);
    const cores = cpuMs / (performance.now() - wallBefore);
    const s = summarize([
      ...outcome.latencies,
      ...Array<number>(outcome.offered - outcome.latencies.length).fill(Infinity),
    ]);
    const lag = summarize(outcome.lags);
    const delivered = outcome.latencies.length;
    const refused = refusedOf(outcome);
    const step: Step = {
      mode,
      rate,
      pairs: pairs.all.length,
      sent: outcome.offered,
      delivered,
      refused,
      p50: s.p50,
      p99: s.p99,
      p999: s.p999,
      max: s.max,
      sendLagP99: lag.p99,
      serverCores: cores,
      cpuMsPerMessage: delivered > 0 ? cpuMs / delivered : undefined,
      cpuMsPerMessageByProcess:
        delivered > 0 ? Object.fromEntries(Object.entries(spent).map(([name, ms]) => [name, ms / delivered])) : {},
      sustained: sustainedBy(outcome, options.p99Ms),
    };
    log(
      `  ${mode} ${rate} msg/s: p50 ${fmt(s.p50)} ms, p99 ${fmt(s.p99)} ms, p99.9 ${fmt(s.p999)} ms, ` +
        `${delivered}/${outcome.offered} delivered${refused > 0 ? ` (${JSON.stringify(outcome.answers)})` : ''}, ` +
        `sender lag p99 ${fmt(lag.p99)} ms, server CPU ${fmt(cores)} cores, ${fmt(step.cpuMsPerMessage)} ms/msg` +
        (deployment.services.length > 1
          ? ` (${Object.entries(step.cpuMsPerMessageByProcess)
              .map(([name, ms]) => `${name} ${fmt(ms)}`)
              .join(', ')})`
          : '') +
        `${step.sustained ? '' : ' - not sustained'}`,
    );
    return step;
  };
  /** A step, and once more when it was not sustained: the machine is shared, a stall of a few
   * hundred milliseconds (another process, a GC) must not decide a rate. */
  const settled = async (rate: number): Promise<Step> => {
    const step = await measure(rate);
    if (step.sustained) return step;
    log(`  ${mode} ${rate} msg/s: once more`);
    const again = await measure(rate);
    return again.sustained || again.p99 < step.p99 ? again : step;
  };
  // Warm-up (JIT, pools, caches), not recorded.
  await run(Math.min(options.startRate, cap), 2);
  const steps: Step[] = [];
  let rate = Math.min(options.startRate, cap);
  for (;;) {
    const step = await settled(rate);
    steps.push(step);
    if (!step.sustained) break;
    if (rate >= cap) return { steps, sent, notes };
    rate = Math.min(cap, rate * 2);
  }
  // Not even the first rate: halve it until one is sustained (or a quarter of it was not either).
  for (let down = rate / 2; steps.every((s) => !s.sustained) && down >= options.startRate / 4; down /= 2) {
    rate = Math.round(down);
    steps.push(await settled(rate));
  }
  // One step halfway (geometrically) between the highest sustained rate and the next that was not.
  const good = maxSustained([...steps].sort((a, b) => a.rate - b.rate));
  const above = steps
    .filter((s) => !s.sustained && s.rate > (good?.rate ?? Infinity))
    .sort((a, b) => a.rate - b.rate)[0];
  if (good !== undefined && above !== undefined && above.rate / good.rate > 1.3)
    steps.push(await settled(Math.round(Math.sqrt(good.rate * above.rate))));
  return { steps: steps.sort((a, b) => a.rate - b.rate), sent, notes };
};

export interface E2eOptions {
  readonly pairs: number;
  readonly maxPairs: number;
  readonly sessionsPerAgent: number;
  readonly stepSeconds: number;
  readonly startRate: number;
  readonly maxRate: number;
  readonly p99Ms: number;
  readonly overloadGraceSeconds: number;
  readonly modes: readonly Mode[];
  readonly profile: boolean;
}

const isMode = (mode: string): mode is Mode => (MODES as readonly string[]).includes(mode);

export const parseE2e = (argv: readonly string[]): E2eOptions | 'help' => {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      pairs: { type: 'string' },
      'max-pairs': { type: 'string' },
      'sessions-per-agent': { type: 'string' },
      'step-seconds': { type: 'string' },
      'start-rate': { type: 'string' },
      'max-rate': { type: 'string' },
      'p99-ms': { type: 'string' },
      'overload-grace-seconds': { type: 'string' },
      modes: { type: 'string' },
      profile: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help === true) return 'help';
  const modes = (values.modes ?? MODES.join(',')).split(',').map((m) => m.trim());
  const known = modes.filter(isMode);
  if (known.length < modes.length)
    throw new Error(`unknown mode "${modes.find((m) => !isMode(m))}" (modes: ${MODES.join(', ')})`);
  const pairs = wholeNumber('pairs', values.pairs, 50);
  return {
    pairs,
    maxPairs: wholeNumber('max-pairs', values['max-pairs'], Math.max(1000, pairs), pairs),
    sessionsPerAgent: wholeNumber('sessions-per-agent', values['sessions-per-agent'], 1),
    stepSeconds: positiveNumber('step-seconds', values['step-seconds'], 4),
    startRate: positiveNumber('start-rate', values['start-rate'], 50),
    maxRate: positiveNumber('max-rate', values['max-rate'], 100_000),
    p99Ms: positiveNumber('p99-ms', values['p99-ms'], 100),
    overloadGraceSeconds: positiveNumber('overload-grace-seconds', values['overload-grace-seconds'], 10),
    modes: known,
    profile: values.profile === true,
  };
};

/**
 * PostgreSQL's counters of a database once every backend has reported: from version 15 a backend
 * that goes idle less than a second after its last report holds its counts for up to 10 s.
 */
const settledActivity = async (url: string): Promise<DatabaseActivity> => {
  await sleep(11_000);
  return databaseActivity(url);
};

const maxSustained = (steps: readonly Step[]): Step | undefined => steps.filter((s) => s.sustained).pop();

const start = (mode: Mode, profile: boolean): Promise<Deployment> | string => {
  const infra = infraOf();
  const databaseUrl = process.env['DATABASE_URL'];
  switch (mode) {
    case 'relay':
      return startRelay({ profile });
    case 'durable':
      return databaseUrl
        ? startDurableRelay(databaseUrl, { profile })
        : 'durable relay skipped: DATABASE_URL is not set (scripts/infra/up.sh)';
    case 'embedded':
      return startEmbedded({ profile });
    case 'distributed':
      return infra !== undefined
        ? startDistributed(infra, { profile })
        : 'distributed mode skipped: DATABASE_URL, KAFKA_BROKERS and REDIS_URL are not all set (scripts/infra/up.sh)';
  }
};

export const runE2e = async (
  options: E2eOptions,
  log: (line: string) => void,
  startedAt: Date,
): Promise<BenchResult> => {
  raiseFileLimit(4 * options.maxPairs + 1024);
  const notes: string[] = [];
  const steps: Step[] = [];
  const overloads: OverloadStep[] = [];
  for (const mode of options.modes) {
    const starting = start(mode, options.profile);
    if (typeof starting === 'string') {
      notes.push(starting);
      continue;
    }
    log(`e2e: ${mode}: starting`);
    const deployment = await starting;
    const ours = !BASELINES.includes(mode);
    const pairs = pairSet(
      ours ? servicePairs(deployment, options.sessionsPerAgent) : relayPairs(deployment, options.sessionsPerAgent),
    );
    const counted = deployment.databaseUrl;
    try {
      const setup = performance.now();
      const failure = (await pairs.ensure(options.pairs)).failure;
      if (failure !== undefined) throw new Error(`${mode}: opening ${options.pairs} pairs: ${failure}`);
      log(`e2e: ${mode}: ${pairs.all.length} pairs ready in ${fmt((performance.now() - setup) / 1000)} s`);
      const before = counted === undefined ? undefined : await settledActivity(counted);
      const opened = pairs.all.length;
      const ladder = await climb(mode, deployment, pairs, options, log);
      steps.push(...ladder.steps);
      notes.push(...ladder.notes);
      if (before !== undefined) {
        const after = await settledActivity(counted!);
        const more = pairs.all.length - opened;
        const writes = Object.entries(after.writes)
          .map(([table, n]) => [table, (n - (before.writes[table] ?? 0)) / ladder.sent] as const)
          .filter(([, n]) => n >= 0.05)
          .sort((a, b) => b[1] - a[1]);
        notes.push(
          `${LABELS[mode]}: per chat message, PostgreSQL committed ${fmt((after.transactions - before.transactions) / ladder.sent)} transactions and wrote ` +
            `${fmt(writes.reduce((sum, [, n]) => sum + n, 0))} rows (${writes.map(([t, n]) => `${t} ${fmt(n)}`).join(', ')}), over the ladder's ${ladder.sent} messages` +
            `${more > 0 && ours ? ` (the logins and assignments of the ${more} pairs it opened count in it)` : ''}.`,
        );
      }
      if (ours) {
        // With no rate sustained (a busy machine, a slow build) the step still shows how the
        // service takes more than it can: from the lowest rate tried.
        const base = maxSustained(ladder.steps) ?? ladder.steps[0]!;
        if (!base.sustained)
          notes.push(
            `${mode}: no rate sustained; its overload and recovery steps start from the lowest rate tried, ${fmt(base.rate, 0)} msg/s.`,
          );
        overloads.push(
          ...(await overloadAndRecovery(
            mode,
            deployment,
            pairs,
            base.rate,
            { ...options, overloadGraceMs: options.overloadGraceSeconds * 1000 },
            log,
          )),
        );
      }
    } finally {
      pairs.close();
      await deployment.stop();
    }
  }

  const rows = options.modes.filter((m) => steps.some((s) => s.mode === m)).map((m) => rowOf(m, steps, options));
  notes.push(
    `Pairs: the bare relay ${options.pairs}; ours and the durable relay ${options.pairs} and more as a rate needs them (19 msg/s per visitor socket: the service refuses more than 20), at most ${options.maxPairs}; an agent holds ${options.sessionsPerAgent} of them. ${options.stepSeconds} s a step; "max sustained" = the highest offered rate at which every message arrived, p99 < ${options.p99Ms} ms and the sender kept up.`,
    'Throughput ratios = ours max sustained / the relay’s (the bare relay is usually limited by the load generator on the same 2 cores: a practical ceiling, not the relay alone; the durable relay stores each message in PostgreSQL, one INSERT in autocommit through a pool of 10, a socket’s messages one at a time as the gateway does, before forwarding it).',
    'p99 ratios = ours p99 / the relay’s p99 at the same offered rate (its nearest step); server CPU ms/msg = CPU time of the server processes (not PostgreSQL, Kafka or Redis) over the max sustained step and its grace, per delivered message; server cores = the same over the step’s time.',
  );
  if (rows.some((r) => String(r['maxRate']).startsWith('≥')))
    notes.push(
      `"≥": the ladder stopped at its ceiling (--max-rate ${options.maxRate}, or ${options.maxPairs} pairs x 19 msg/s for ours and the durable relay); raise it to go on.`,
    );
  const chart = resultFile('e2e', 'svg', startedAt);
  await renderLatencyChart(steps, chart);
  // The README shows the latest one.
  copyFileSync(chart, path.join(path.dirname(chart), 'e2e-latest.svg'));
  notes.push(`Chart: ${path.relative(ROOT, chart)} (latency percentiles against offered load).`);
  return {
    name: 'e2e',
    title: 'End-to-end chat: message.send to the agent’s message frame',
    params: { ...options },
    columns: [
      { key: 'mode', title: 'mode' },
      { key: 'maxRate', title: 'max sustained msg/s' },
      { key: 'durableRatio', title: 'throughput ours/durable relay' },
      { key: 'bareRatio', title: 'throughput ours/bare relay' },
      { key: 'at', title: 'at msg/s' },
      { key: 'p50', title: 'p50 ms' },
      { key: 'p99', title: 'p99 ms' },
      { key: 'p999', title: 'p99.9 ms' },
      { key: 'durableP99', title: 'durable relay p99 ms' },
      { key: 'p99Durable', title: 'p99 ours/durable' },
      { key: 'bareP99', title: 'bare relay p99 ms' },
      { key: 'p99Bare', title: 'p99 ours/bare' },
      { key: 'cpu', title: 'server CPU ms/msg' },
      { key: 'cores', title: 'server cores' },
    ],
    rows,
    notes,
    sections: overloads.length === 0 ? [] : [overloadSection(overloads, options)],
    // Summaries, not every latency: a result file stays small.
    series: {
      steps,
      overloads: overloads.map(
        ({ outcome: { latencies, lags, ...counts }, health: { answeredMs, ...health }, ...step }) => ({
          ...step,
          ...counts,
          delivered: latencies.length,
          latency: summarize(latencies),
          sendLag: summarize(lags),
          health: { ...health, answered: summarize(answeredMs) },
        }),
      ),
    },
  };
};

/** A mode's row: its max sustained step, and for ours the ratios to each relay. */
const rowOf = (mode: Mode, steps: readonly Step[], options: E2eOptions): Row => {
  const own = steps.filter((s) => s.mode === mode);
  const best = maxSustained(own);
  const ours = !BASELINES.includes(mode);
  const capped = best !== undefined && best === own[own.length - 1] && best.rate >= ceilingOf(mode, options);
  // Latencies compared where both ran the same rate: at ours' highest sustained one (or its first step).
  const at = best ?? own[0]!;
  const baseline = (relay: Mode): { max: Step | undefined; near: Step | undefined } => {
    const theirs = steps.filter((s) => s.mode === relay);
    return {
      max: maxSustained(theirs),
      near: [...theirs].sort((a, b) => Math.abs(Math.log(a.rate / at.rate)) - Math.abs(Math.log(b.rate / at.rate)))[0],
    };
  };
  const durable = baseline('durable');
  const bare = baseline('relay');
  return {
    mode: LABELS[mode],
    maxRate: best === undefined ? 'none' : `${capped ? '≥ ' : ''}${fmt(best.rate, 0)}`,
    durableRatio: ours ? ratio(best?.rate, durable.max?.rate) : '',
    bareRatio: ours ? ratio(best?.rate, bare.max?.rate) : '',
    at: fmt(at.rate, 0),
    p50: fmt(at.p50),
    p99: fmt(at.p99),
    p999: fmt(at.p999),
    durableP99: ours ? fmt(durable.near?.p99) : '',
    p99Durable: ours ? ratio(at.p99, durable.near?.p99) : '',
    bareP99: ours ? fmt(bare.near?.p99) : '',
    p99Bare: ours ? ratio(at.p99, bare.near?.p99) : '',
    cpu: fmt(at.cpuMsPerMessage, at.cpuMsPerMessage !== undefined && at.cpuMsPerMessage < 0.1 ? 3 : undefined),
    cores: fmt(at.serverCores),
  };
};

const overloadSection = (overloads: readonly OverloadStep[], options: E2eOptions): Section => {
  const rows: Row[] = overloads.map((s) => {
    const o = s.outcome;
    const l = summarize(o.latencies);
    const h = summarize(s.health.answeredMs);
    const other = Object.entries(o.answers)
      .filter(([kind]) => !['ack', 'overloaded', 'rate_limited'].includes(kind))
      .reduce((sum, [, n]) => sum + n, 0);
    return {
      mode: LABELS[s.mode as Mode] ?? s.mode,
      step: s.kind === 'overload' ? '4× max sustained' : 'recovery (1×)',
      rate: fmt(s.rate, 0),
      pairs: s.pairs,
      offered: o.offered,
      acked: o.answers['ack'] ?? 0,
      overloaded: o.answers['overloaded'] ?? 0,
      rateLimited: o.answers['rate_limited'] ?? 0,
      other,
      unanswered: o.unanswered,
      delivered: o.latencies.length,
      lost: o.lost,
      p50: fmt(l.p50),
      p99: fmt(l.p99),
      max: fmt(l.max),
      healthP99: fmt(h.p99),
      healthMax: fmt(h.max),
      healthTimeouts: `${s.health.timeouts} / ${s.health.polls}`,
      cores: fmt(s.serverCores),
      sustained: s.kind === 'recovery' ? (s.sustained ? 'yes' : 'no') : '',
    };
  });
  const notes = [
    `After the ladder of each mode of ours: ${options.stepSeconds} s at 4× its max sustained rate (or its lowest rate tried, when none was sustained; pairs enough for 19 msg/s per visitor socket, at most ${options.maxPairs}), every message.send with an \`id\` so that each gets an ack or an error; then at most ${options.overloadGraceSeconds} s for the missing deliveries and answers; then a recovery step of ${options.stepSeconds} s at that rate (at most 5 s of grace).`,
    '"unanswered": neither ack nor error within the grace; "acked, undelivered": acknowledged and not delivered to the agent within the grace; latencies are of the delivered messages (message.send → the agent’s message frame).',
    `/healthz: the gateway’s, polled every ${HEALTH_POLL_MS} ms from the load process during the step and its grace; a timeout is no answer within ${HEALTH_TIMEOUT_MS} ms (timeouts / polls). A recovery step is sustained by the ladder’s rule, and with nothing refused.`,
  ];
  for (const s of overloads) {
    const o = s.outcome;
    const odd = [
      s.pairsFailure !== undefined ? `only ${s.pairs} pairs could be opened (${s.pairsFailure})` : '',
      o.notSent > 0 ? `${o.notSent} not sent (visitor socket closed)` : '',
      o.closedPairs > 0 ? `${o.closedPairs} pairs with a socket closed at the end` : '',
      o.refusedDelivered > 0 ? `${o.refusedDelivered} refused and delivered all the same` : '',
      s.health.failures > 0 ? `${s.health.failures} /healthz polls failed or not 200` : '',
      Object.keys(o.answers).some((k) => !['ack', 'overloaded', 'rate_limited'].includes(k))
        ? `answers ${JSON.stringify(o.answers)}`
        : '',
    ].filter((x) => x !== '');
    if (odd.length > 0) notes.push(`${s.mode}, ${s.kind}: ${odd.join('; ')}.`);
  }
  return {
    title: 'Overload: 4× the max sustained rate, then the max sustained rate again',
    columns: [
      { key: 'mode', title: 'mode' },
      { key: 'step', title: 'step' },
      { key: 'rate', title: 'offered msg/s' },
      { key: 'pairs', title: 'pairs' },
      { key: 'offered', title: 'messages' },
      { key: 'acked', title: 'acked' },
      { key: 'overloaded', title: 'refused overloaded' },
      { key: 'rateLimited', title: 'refused rate_limited' },
      { key: 'other', title: 'other errors' },
      { key: 'unanswered', title: 'unanswered' },
      { key: 'delivered', title: 'delivered' },
      { key: 'lost', title: 'acked, undelivered' },
      { key: 'p50', title: 'p50 ms' },
      { key: 'p99', title: 'p99 ms' },
      { key: 'max', title: 'max ms' },
      { key: 'healthP99', title: '/healthz p99 ms' },
      { key: 'healthMax', title: '/healthz max ms' },
      { key: 'healthTimeouts', title: '/healthz timeouts' },
      { key: 'cores', title: 'server cores' },
      { key: 'sustained', title: 'sustained' },
    ],
    rows,
    notes,
  };
};
