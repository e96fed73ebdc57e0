// `npm run timeouts`: look at the inactivity-timeout schedule, rebuild it from the read model,
// or measure what it costs on this Redis (`--help` says how).
import { parseArgs } from 'node:util';
import {
  Commands,
  companyDirectory,
  CompanyConfigStore,
  ConfigError,
  loadConfig,
  openTimeouts,
  silentLogger,
  TimeoutWorker,
} from '@cschat/infra';
import { openSessionsWithHumans } from '@cschat/projections';
import { DataFolderInUseError, openStorage, StorageError } from './storage';
import { measureScheduleCosts } from './bench/redis-costs';

const HELP = `Usage: npm run timeouts -- <status | rebuild | measure> [--checks <n>]

  status    pending checks, the next one due, whether the schedule is intact
  rebuild   puts back a check and a last activity for every session with humans that has none
            (from the read model and the sessions' events); the worker does this by itself
            when it finds the schedule lost (Redis flushed), this forces it
  measure   on a scratch key prefix of REDIS_URL (deleted afterwards): the cost of one message's
            activity write, and --checks pending checks (default 100000): memory in Redis and
            the time to claim a batch of 100

The schedule lives in Redis (REDIS_URL, REDIS_PREFIX) in distributed mode; in embedded mode it
lives in the running service's memory and is rebuilt at each start, so there is nothing to show.
The storage comes from the same environment as \`npm start\`.

Exit codes: 0 done, 1 failed, 2 wrong arguments or no REDIS_URL.
`;

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
    await measureScheduleCosts(config.redisUrl, checks, out);
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
    let storage;
    try {
      storage = openStorage(config, silentLogger(), { mustExist: true, holder: 'npm run timeouts' });
    } catch (error) {
      if (!(error instanceof DataFolderInUseError || error instanceof StorageError)) throw error;
      process.stderr.write(`timeouts: ${error.message}\n`);
      return 1;
    }
    await storage.start();
    const companies = new CompanyConfigStore({
      knex: storage.readModels,
      ownsKnex: false,
      hashPassword: async () => '',
    });
    await companies.start();
    try {
      const directory = companyDirectory(companies);
      const worker = new TimeoutWorker({
        store: storage.eventStore,
        commands: new Commands(storage.eventStore, directory, () => new Date()),
        directory,
        schedule: timeouts.schedule,
        activity: timeouts.activity,
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
