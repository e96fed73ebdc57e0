// `npm run restore`: a backup of `npm run backup` into an empty PostgreSQL database, read models
// rebuilt and erasures re-applied (`--help` says how).
import { ConfigError, loadConfig, type Config } from '@cschat/infra';
import { EXIT, failureLine, postgresUrlOf, UsageError } from './ops/backup-set';
import { HELP, parseRequest, runRestore } from './ops/restore-cli';

const main = async (): Promise<number> => {
  let request: ReturnType<typeof parseRequest>;
  let config: Config;
  let url: string;
  try {
    request = parseRequest(process.argv.slice(2));
    if (request === 'help') {
      process.stdout.write(HELP);
      return EXIT.ok;
    }
    config = loadConfig();
    url = postgresUrlOf(config);
  } catch (error) {
    if (!(error instanceof UsageError || error instanceof ConfigError)) throw error;
    process.stderr.write(`restore: ${error.message}\nRun "npm run restore -- --help" for the options.\n`);
    return EXIT.usage;
  }
  try {
    await runRestore(config, request, { stdout: process.stdout, stderr: process.stderr });
    return EXIT.ok;
  } catch (error) {
    process.stderr.write(`restore failed: ${failureLine(error, url)}\n`);
    return EXIT.failed;
  }
};

void main().then((code) => {
  process.exitCode = code;
});
