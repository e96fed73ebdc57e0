// `npm run bench -- timeouts`: the inactivity-timeout scheduler under load. --sessions open
// sessions with deadlines spread over the next --timeout-seconds, a load process recording random
// sessions' last activity at --rate messages a second (as chat messages do), and the real
// TimeoutWorker claiming the checks as they come due: how late each check is handled (from its due
// time to the worker reading its activity), and the Redis commands a message costs. Baseline: plain timers
// (setTimeout at the same due times) in the worker's process, whose lateness is what the event
// loop adds anyway. Also the in-memory schedule of embedded mode under the same load.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { right } from 'fp-ts/Either';
import Redis from 'ioredis';
import {
  InMemorySessionActivity,
  InMemoryTimeoutSchedule,
  RedisSessionActivity,
  RedisTimeoutSchedule,
  silentLogger,
  TimeoutWorker,
  type Commands,
  type Directory,
  type EventStore,
  type SessionActivity,
  type TimeoutSchedule,
} from '@cschat/infra';
import { removeRedisKeys } from './deployments';
import { ROOT, fmt, ratio, type BenchResult, type Row } from './results';
import { positiveNumber, wholeNumber } from './options';
import { countCommands } from './redis-commands';
import { measureScheduleCosts } from './redis-costs';
import { sleep } from './processes';
import { summarize, type Summary } from './stats';

export const TIMEOUTS_HELP = `Usage: npm run bench -- timeouts [--sessions 100000] [--rate 2000] [--seconds 20]
                              [--timeout-seconds 900] [--schedules redis,memory]

--sessions open sessions, each with a last activity and a pending check due at a random time
within the next --timeout-seconds (a steady state: about sessions / timeout-seconds checks come
due each second); a separate process sends --rate messages a second for --seconds, each recording
a random session's last activity as now (one SET, as the gateway does); the real TimeoutWorker
runs the checks as they come due, with a --timeout-seconds timeout (the session itself is a stub
that ends: the event store is not measured here). Lateness = when the worker reads the check's
activity - its due time.
Baseline: setTimeout timers at the same due times in the worker's process.
Schedules: redis (REDIS_URL, keys on a scratch prefix, deleted afterwards), memory (embedded mode;
its messages come from the worker's own process, as in embedded mode).
`;

export interface TimeoutsOptions {
  readonly sessions: number;
  readonly rate: number;
  readonly seconds: number;
  readonly timeoutSeconds: number;
  readonly schedules: readonly ('redis' | 'memory')[];
}

export const parseTimeouts = (argv: readonly string[]): TimeoutsOptions | 'help' => {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      sessions: { type: 'string' },
      rate: { type: 'string' },
      seconds: { type: 'string' },
      'timeout-seconds': { type: 'string' },
      schedules: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help === true) return 'help';
  const schedules = (values.schedules ?? 'redis,memory').split(',').map((s) => s.trim());
  for (const s of schedules) if (s !== 'redis' && s !== 'memory') throw new Error(`unknown schedule "${s}"`);
  return {
    sessions: wholeNumber('sessions', values.sessions, 100_000),
    rate: positiveNumber('rate', values.rate, 2000),
    seconds: positiveNumber('seconds', values.seconds, 20),
    timeoutSeconds: positiveNumber('timeout-seconds', values['timeout-seconds'], 900),
    schedules: schedules as ('redis' | 'memory')[],
  };
};

/** A small seeded generator (mulberry32): the same due times on every run. */
const seeded = (seed: number): (() => number) => {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};

interface Measured {
  readonly schedule: 'redis' | 'memory';
  readonly checks: number;
  readonly moved: number;
  readonly ended: number;
  readonly lateness: Summary;
  readonly timers: Summary;
  /** How long one claim of due checks takes (the in-memory schedule's blocks the event loop). */
  readonly claims: Summary;
  readonly messages: number;
  readonly messageCommands: number;
  readonly workerCommands: number;
  readonly workerByName: Record<string, number>;
  readonly updateP99: number;
  readonly pingP99: number;
}

const COMPANY = 'bench';

/** The message load: a process of its own for Redis; in this process for the in-memory schedule. */
const messageLoad = async (
  kind: 'redis' | 'memory',
  options: TimeoutsOptions,
  url: string | undefined,
  prefix: string,
  activity: SessionActivity,
): Promise<{ messages: number; commands: number; p99: number }> => {
  if (kind === 'memory') {
    const random = seeded(7);
    const total = Math.round(options.rate * options.seconds);
    const start = performance.now();
    const latencies: number[] = [];
    for (let sent = 0; sent < total;) {
      while (sent < total && start + (sent * 1000) / options.rate <= performance.now()) {
        const t0 = performance.now();
        await activity.record(
          { companyId: COMPANY, sessionId: `s${Math.floor(random() * options.sessions)}` },
          Date.now(),
        );
        latencies.push(performance.now() - t0);
        sent += 1;
      }
      await sleep(Math.max(0, start + (sent * 1000) / options.rate - performance.now()));
    }
    return { messages: total, commands: 0, p99: summarize(latencies).p99 };
  }
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'scripts/src/bench/timeouts-load.ts',
      ...['--url', url!, '--prefix', prefix, '--rate', String(options.rate), '--seconds', String(options.seconds)],
      ...['--sessions', String(options.sessions)],
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`the message load process failed (exit ${String(code)}): ${output}`);
  const result = JSON.parse(output.trim().split('\n').pop()!) as { messages: number; commands: number; p99: number };
  return result;
};

const measure = async (
  kind: 'redis' | 'memory',
  options: TimeoutsOptions,
  log: (line: string) => void,
): Promise<Measured> => {
  const url = process.env['REDIS_URL'];
  if (kind === 'redis' && (url === undefined || url === ''))
    throw new Error('needs REDIS_URL (eval "$(scripts/infra/up.sh)")');
  const prefix = `bench:timeouts:${randomBytes(4).toString('hex')}:`;
  const redis = kind === 'redis' ? new Redis(url!, { maxRetriesPerRequest: 1 }) : undefined;
  let schedule: TimeoutSchedule =
    redis === undefined ? new InMemoryTimeoutSchedule() : new RedisTimeoutSchedule({ redis, prefix });
  let activity: SessionActivity =
    redis === undefined ? new InMemorySessionActivity() : new RedisSessionActivity({ redis, prefix });
  const timeoutMs = options.timeoutSeconds * 1000;
  try {
    // The sessions: an activity and a check each, due within the next timeout (from 2 s on, once the worker runs).
    const random = seeded(42);
    const dueOf = new Map<string, number>();
    const fillStart = Date.now();
    const lead = 2000 + options.sessions / 50;
    for (let start = 0; start < options.sessions; start += 5000) {
      const work: Promise<unknown>[] = [];
      for (let i = start; i < Math.min(options.sessions, start + 5000); i += 1) {
        const ref = { companyId: COMPANY, sessionId: `s${i}` };
        const due = fillStart + lead + Math.floor(random() * options.timeoutSeconds * 1000);
        dueOf.set(ref.sessionId, due);
        work.push(activity.record(ref, due - timeoutMs), schedule.schedule(ref, due));
      }
      await Promise.all(work);
    }
    await schedule.markRebuilt();

    // What the worker does, observed: claims, then the first look at each claimed check's activity.
    const claimed = new Set<string>();
    const lateness: number[] = [];
    let moved = 0;
    const claims: number[] = [];
    const inner = { schedule, activity };
    schedule = Object.assign(Object.create(inner.schedule) as TimeoutSchedule, {
      claimDue: async (now: number, limit: number, leaseMs: number) => {
        const t0 = performance.now();
        const checks = await inner.schedule.claimDue(now, limit, leaseMs);
        claims.push(performance.now() - t0);
        for (const check of checks) claimed.add(check.sessionId);
        return checks;
      },
      schedule: async (ref: { companyId: string; sessionId: string }, dueAt: number) => {
        // Only the worker schedules from here on: a check whose session a message kept alive.
        moved += 1;
        dueOf.set(ref.sessionId, dueAt);
        return inner.schedule.schedule(ref, dueAt);
      },
    });
    activity = Object.assign(Object.create(inner.activity) as SessionActivity, {
      get: async (ref: { companyId: string; sessionId: string }) => {
        if (claimed.delete(ref.sessionId)) lateness.push(Date.now() - dueOf.get(ref.sessionId)!);
        return inner.activity.get(ref);
      },
    });
    let ended = 0;
    const commands = {
      onSession: async () => {
        ended += 1;
        return right({ state: { status: 'ended' }, events: [{ type: 'SessionEnded' }] });
      },
    } as unknown as Commands;
    const worker = new TimeoutWorker({
      store: {} as EventStore,
      commands,
      // The company's timeout; a deployment's directory reads it once per company and claimed batch.
      directory: {
        settings: async () => ({
          inactivityTimeoutSeconds: options.timeoutSeconds,
          presenceGraceSeconds: 30,
          offlineRequeueSeconds: 120,
        }),
      } as unknown as Directory,
      schedule,
      activity,
      openSessions: async () => [],
      logger: silentLogger(),
      pollIntervalMs: 1000,
    });

    // The baseline: a timer per check due while the load runs.
    const timers: number[] = [];
    const handles: NodeJS.Timeout[] = [];
    const runStart = Date.now();
    const runEnd = runStart + lead + options.seconds * 1000;
    for (const [, due] of dueOf) {
      if (due > runEnd) continue;
      handles.push(setTimeout(() => timers.push(Date.now() - due), Math.max(0, due - Date.now())));
    }

    const counter = redis === undefined ? undefined : countCommands(redis);
    worker.start();
    await sleep(Math.max(0, fillStart + lead - Date.now()));
    log(`  ${kind}: ${options.sessions} sessions scheduled; ${options.rate} messages/s for ${options.seconds} s`);
    const load = await messageLoad(kind, options, url, prefix, inner.activity);
    await worker.stop();
    for (const handle of handles) clearTimeout(handle);
    const pings: number[] = [];
    if (redis !== undefined)
      for (let i = 0; i < 500; i += 1) {
        const t0 = performance.now();
        await redis.ping();
        pings.push(performance.now() - t0);
      }
    const result: Measured = {
      schedule: kind,
      checks: lateness.length,
      moved,
      ended,
      lateness: summarize(lateness),
      timers: summarize(timers),
      claims: summarize(claims),
      messages: load.messages,
      messageCommands: load.commands,
      workerCommands: counter?.total() ?? 0,
      workerByName: counter?.byName() ?? {},
      updateP99: load.p99,
      pingP99: summarize(pings).p99,
    };
    log(
      `  ${kind}: ${result.checks} checks (${moved} moved by a message, ${ended} ended), lateness p50 ${fmt(result.lateness.p50)} ms, p99 ${fmt(result.lateness.p99)} ms; ` +
        `timers p99 ${fmt(result.timers.p99)} ms; Redis commands: ${result.messageCommands} for ${result.messages} messages, ${result.workerCommands} by the worker`,
    );
    return result;
  } finally {
    if (redis !== undefined) {
      redis.disconnect();
      await removeRedisKeys(url!, prefix);
    }
  }
};

export const runTimeouts = async (options: TimeoutsOptions, log: (line: string) => void): Promise<BenchResult> => {
  const measured: Measured[] = [];
  for (const kind of options.schedules) measured.push(await measure(kind, options, log));
  // The schedule's own costs on this Redis, as `npm run timeouts -- measure` reports them.
  const costs: string[] = [];
  const url = process.env['REDIS_URL'];
  if (options.schedules.includes('redis') && url !== undefined && url !== '')
    await measureScheduleCosts(url, Math.max(1000, options.sessions), (line) => costs.push(line.trim()));
  const rows: Row[] = measured.map((m) => ({
    schedule: m.schedule === 'redis' ? 'Redis (distributed)' : 'in memory (embedded)',
    checks: m.checks,
    p50: fmt(m.lateness.p50),
    p99: fmt(m.lateness.p99),
    timersP99: fmt(m.timers.p99),
    claimP99: fmt(m.claims.p99),
    latenessRatio: ratio(m.lateness.p99, m.timers.p99),
    perMessage: m.schedule === 'redis' ? fmt(m.messageCommands / m.messages) : '-',
    allPerMessage: m.schedule === 'redis' ? fmt((m.messageCommands + m.workerCommands) / m.messages) : '-',
    perCheck: m.schedule === 'redis' ? fmt(m.workerCommands / Math.max(1, m.checks)) : '-',
    update: fmt(m.updateP99),
    ping: m.schedule === 'redis' ? fmt(m.pingP99) : '-',
  }));
  return {
    name: 'timeouts',
    title: 'Inactivity timeouts: lateness of checks and Redis commands per message',
    params: { ...options },
    columns: [
      { key: 'schedule', title: 'schedule' },
      { key: 'checks', title: 'checks due' },
      { key: 'p50', title: 'lateness p50 ms' },
      { key: 'p99', title: 'lateness p99 ms' },
      { key: 'timersP99', title: 'timers p99 ms' },
      { key: 'latenessRatio', title: 'p99 ours/timers' },
      { key: 'claimP99', title: 'claim p99 ms' },
      { key: 'perMessage', title: 'Redis cmds/message (message path)' },
      { key: 'allPerMessage', title: 'all Redis cmds/message' },
      { key: 'perCheck', title: 'worker cmds/check' },
      { key: 'update', title: 'activity write p99 ms' },
      { key: 'ping', title: 'PING p99 ms' },
    ],
    rows,
    notes: [
      `${options.sessions} sessions with checks due over ${options.timeoutSeconds} s (about ${fmt(options.sessions / options.timeoutSeconds, 0)} come due a second), ${options.rate} messages/s for ${options.seconds} s.`,
      'Lateness: from a check’s due time to the worker reading its session’s last activity (its first step); timers: setTimeout at the same due times in the worker’s process (what the event loop adds anyway).',
      'Redis commands are counted at the clients (the load process and the worker), so other users of the server do not count; "all" includes the worker’s checks and its idle looks, per message sent. The minimum for a message is 1 (its activity; the timeout is applied by the worker, so a message reads neither Redis nor the configuration).',
      'Claim: one claimDue call (a look at the schedule for due checks; the worker makes one at least every second, and right after each batch).',
      'The check’s session is a stub that ends (no event store) and the company’s timeout a stub directory (a deployment reads the configuration once per company per claimed batch of checks): this measures the scheduler, not the command handler.',
      ...costs.map((line) => `npm run timeouts -- measure: ${line}`),
    ],
    series: measured,
  };
};
