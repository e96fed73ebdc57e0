// `npm run audit`: who did what in a company's sessions, agents and queues (`--help` says how).
import { loadConfig, silentLogger } from '@cschat/infra';
import { runAuditCli } from './audit/cli';
import { openStorage, standaloneEventStore } from './storage';

// A reader that stops early (`| head`) is not a failure of the audit.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

void runAuditCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  // Silent: pino writes to stdout, where it would mix with the JSONL, and the store logs only a
  // lost LISTEN connection, which an audit (no subscription) does not use.
  openStore: () =>
    standaloneEventStore(openStorage(loadConfig(), silentLogger(), { mustExist: true, holder: 'npm run audit' })),
}).then((code) => {
  process.exitCode = code;
});
