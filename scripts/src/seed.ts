// `npm run seed`: writes a scripted history of realistic sessions into the configured event store,
// through the real command handler (for benchmarks and trying out the rebuild and audit CLIs).
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, silentLogger } from '@cschat/infra';
import { runScenario } from '@cschat/projections';
import { openStorage } from './storage';

const HELP = `Usage: npm run seed -- [--sessions <n>] [--company <id>] [--start <iso>]

Writes <n> sessions (about 20 events each: messages, bot answers, transfers to humans,
assignments, reads, transfers between agents, ends) of company <id> (default "seeded")
into the event store of the environment (as npm start: DATABASE_URL, EVENTSTORE_URL,
DATA_DIR). Embedded data must not be in use by a running service (exit code 1
if it is). Exit codes: 0 done, 1 failed, 2 wrong arguments.
`;

const main = async (): Promise<number> => {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        sessions: { type: 'string' },
        company: { type: 'string' },
        start: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (error) {
    process.stderr.write(`seed: ${(error as Error).message}\n${HELP}`);
    return 2;
  }
  if (values.help === true) {
    process.stdout.write(HELP);
    return 0;
  }
  const sessions = Number(values.sessions ?? '100');
  const companyId = values.company ?? 'seeded';
  if (!Number.isInteger(sessions) || sessions < 1 || !/^[A-Za-z0-9][A-Za-z0-9_]{0,63}$/.test(companyId)) {
    process.stderr.write(`seed: --sessions must be a positive whole number and --company an id without "-"\n`);
    return 2;
  }
  let storage;
  try {
    storage = openStorage(loadConfig(), silentLogger(), { holder: 'npm run seed' });
    await storage.start();
  } catch (error) {
    process.stderr.write(`seed: ${(error as Error).message}\n`);
    return error instanceof ConfigError ? 2 : 1;
  }
  try {
    const started = Date.now();
    const chunk = 100;
    for (let done = 0; done < sessions; done += chunk) {
      await runScenario(storage.eventStore, {
        companyId,
        sessions: Math.min(chunk, sessions - done),
        firstSession: done,
        // Twenty agents, as a mid-sized team: an agent's stream grows with every session it takes.
        agents: Array.from({ length: 20 }, (_, i) => `agent${i + 1}`),
        ...(values.start === undefined ? {} : { start: values.start }),
      });
      process.stdout.write(
        `seed: ${Math.min(done + chunk, sessions)} of ${sessions} sessions (${((Date.now() - started) / 1000).toFixed(0)} s)\n`,
      );
    }
    return 0;
  } catch (error) {
    process.stderr.write(`seed failed: ${(error as Error).stack ?? String(error)}\n`);
    return 1;
  } finally {
    await storage.stop();
  }
};

void main().then((code) => {
  process.exitCode = code;
});
