// `npm run timeouts`: look at the inactivity-timeout schedule, rebuild it from the read model,
// or measure what it costs on this Redis (`--help` says how).
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import Redis from 'ioredis';
import {
  ConfigError,
  loadConfig,
  openTimeouts,
  RedisDeadlines,
  RedisTimeoutSchedule,
  silentLogger,
} from '@cschat/infra';
import { openSessionsWithHumans } from '@cschat/projections';
import { Commands, directoryOf, TimeoutWorker } from '@cschat/gateways';
import { CompanyConfigStore } from '@cschat/infra';
import { openStorage } from './storage';

const HELP = `Usage: npm run timeouts -- <status | rebuild | measure> [--checks <n>]

  status    pending checks, the next one due, whether the schedule is intact
  rebuild   puts back a check and a deadline for every session with humans that has none
            (from the read model and the sessions' events); the worker does this by itself
            when it finds the schedule lost (Redis flushed), this forces it
  measure   on a scratch key prefix of REDIS_URL (deleted afterwards): the cost of one message's
            deadline update, and --checks pending checks (default 100000): memory in Redis and
            the time to claim a batch of 100

The schedule lives in Redis (REDIS_URL, REDIS_PREFIX) in distributed mode; in embedded mode it
lives in the running service's memory and is rebuilt at each start, so there is nothing to show.
The storage comes from the same environment as \`npm start\`.

Exit codes: 0 done, 1 failed, 2 wrong arguments or no REDIS_URL.
`;

const percentile = (sorted: readonly number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

const ms = (n: number): string => `${n.toFixed(3)} ms`;

const measure = async (url: string, checks: number, out: (line: string) => void): Promise<void> => {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  const prefix = `measure:${randomBytes(6).toString('hex')}:`;
  const schedule = new RedisTimeoutSchedule({ redis, prefix });
  const deadlines = new RedisDeadlines({ redis, prefix });
  try {
    const now = Date.now();
    // One message's deadline update: one SET (PXAT) round trip.
    const sets: number[] = [];
    for (let i = 0; i < 2000; i += 1) {
      const started = performance.now();
      await deadlines.set({ companyId: 'c', sessionId: `s${i % 100}` }, now + 900_000);
      sets.push(performance.now() - started);
    }
    const pings: number[] = [];
    for (let i = 0; i < 2000; i += 1) {
      const started = performance.now();
      await redis.ping();
      pings.push(performance.now() - started);
    }
    sets.sort((a, b) => a - b);
    pings.sort((a, b) => a - b);
    out(
      `deadline update (1 round trip, SET ... PXAT): median ${ms(percentile(sets, 50))}, p99 ${ms(percentile(sets, 99))}`,
    );
    out(
      `  baseline PING on the same connection:        median ${ms(percentile(pings, 50))}, p99 ${ms(percentile(pings, 99))}`,
    );

    const before = Number(/used_memory:(\d+)/.exec(await redis.info('memory'))?.[1] ?? NaN);
    const filled = performance.now();
    for (let start = 0; start < checks; start += 5000) {
      const pipeline = redis.pipeline();
      for (let i = start; i < Math.min(checks, start + 5000); i += 1)
        pipeline.zadd(`${prefix}timeouts:due`, now + (i % 3600) * 1000, JSON.stringify(['company', `session-${i}`]));
      await pipeline.exec();
    }
    const fillMs = performance.now() - filled;
    const after = Number(/used_memory:(\d+)/.exec(await redis.info('memory'))?.[1] ?? NaN);
    const usage = await redis.call('MEMORY', 'USAGE', `${prefix}timeouts:due`, 'SAMPLES', '0');
    out(
      `${checks} pending checks: sorted set ${(Number(usage) / 1024 / 1024).toFixed(1)} MiB (MEMORY USAGE), ` +
        `used_memory +${((after - before) / 1024 / 1024).toFixed(1)} MiB, ${(Number(usage) / checks).toFixed(0)} bytes a check; ` +
        `filled in ${(fillMs / 1000).toFixed(1)} s (pipelined ZADD)`,
    );
    const claims: number[] = [];
    let clock = now + 3600_000;
    for (let i = 0; i < Math.min(200, Math.floor(checks / 200)); i += 1) {
      const started = performance.now();
      const batch = await schedule.claimDue(clock, 100, 30_000);
      claims.push(performance.now() - started);
      if (batch.length < 100) throw new Error(`claimed ${batch.length} of 100`);
      clock += 1;
    }
    claims.sort((a, b) => a - b);
    out(
      `claiming a batch of 100 due checks (Lua, with ${checks} pending): median ${ms(percentile(claims, 50))}, p99 ${ms(percentile(claims, 99))}`,
    );
    const next: number[] = [];
    for (let i = 0; i < 500; i += 1) {
      const started = performance.now();
      await schedule.nextDueAt();
      next.push(performance.now() - started);
    }
    next.sort((a, b) => a - b);
    out(`an idle look (next due): median ${ms(percentile(next, 50))}`);
  } finally {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  }
};

const main = async (): Promise<number> => {
  let parsed;
  try {
    parsed = parseArgs({
      options: { checks: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    process.stderr.write(`timeouts: ${(error as Error).message}\n${HELP}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const command = positionals[0];
  if (values.help === true || command === undefined) {
    process.stdout.write(HELP);
    return values.help === true ? 0 : 2;
  }
  if (!['status', 'rebuild', 'measure'].includes(command) || positionals.length > 1) {
    process.stderr.write(`timeouts: unknown command "${positionals.join(' ')}"\n${HELP}`);
    return 2;
  }
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    process.stderr.write(`timeouts: ${(error as Error).message}\n`);
    return error instanceof ConfigError ? 2 : 1;
  }
  if (config.redisUrl === undefined) {
    process.stderr.write('timeouts: REDIS_URL is not set (in embedded mode the schedule lives in the service)\n');
    return 2;
  }
  const out = (line: string): void => void process.stdout.write(`${line}\n`);
  if (command === 'measure') {
    const checks = Number(values.checks ?? '100000');
    if (!Number.isInteger(checks) || checks < 1000) {
      process.stderr.write('timeouts: --checks must be a whole number of at least 1000\n');
      return 2;
    }
    await measure(config.redisUrl, checks, out);
    return 0;
  }
  const timeouts = openTimeouts({ redisUrl: config.redisUrl, prefix: config.redisPrefix });
  try {
    if (command === 'status') {
      const [pending, next, intact] = await Promise.all([
        timeouts.schedule.pending(),
        timeouts.schedule.nextDueAt(),
        timeouts.schedule.intact(),
      ]);
      out(`pending checks: ${pending}`);
      out(`next due: ${next === undefined ? 'none' : new Date(next).toISOString()}`);
      out(`intact: ${intact ? 'yes' : 'no: the worker rebuilds it from the read model on its next look'}`);
      return 0;
    }
    const storage = openStorage(config, silentLogger(), { mustExist: true });
    await storage.start();
    const companies = new CompanyConfigStore({
      knex: storage.readModels,
      ownsKnex: false,
      hashPassword: async () => '',
    });
    await companies.start();
    try {
      const directory = directoryOf(companies);
      const worker = new TimeoutWorker({
        store: storage.eventStore,
        commands: new Commands(storage.eventStore, directory, () => new Date()),
        directory,
        schedule: timeouts.schedule,
        deadlines: timeouts.deadlines,
        openSessions: () => openSessionsWithHumans(storage.readModels, storage.readModelSchema),
        logger: silentLogger(),
      });
      const restored = await worker.rebuild();
      out(`rebuilt: ${restored} checks put back; ${await timeouts.schedule.pending()} pending`);
      return 0;
    } finally {
      await companies.stop();
      await storage.stop();
    }
  } finally {
    await timeouts.stop();
  }
};

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`timeouts: ${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 1;
  },
);
