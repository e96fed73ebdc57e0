// `npm run backup`: the source of truth of a PostgreSQL deployment to a folder (`--help` says how).
import knexFactory from 'knex';
import { ConfigError, loadConfig } from '@cschat/infra';
import { HELP, parseRequest, runBackup, runErasureExport } from './ops/backup-cli';
import { EXIT, failureLine, postgresUrlOf, QUIET_KNEX_LOG, UsageError } from './ops/backup-set';

const main = async (): Promise<number> => {
  let request: ReturnType<typeof parseRequest>;
  let url: string;
  try {
    request = parseRequest(process.argv.slice(2));
    if (request === 'help') {
      process.stdout.write(HELP);
      return EXIT.ok;
    }
    url = postgresUrlOf(loadConfig());
  } catch (error) {
    if (!(error instanceof UsageError || error instanceof ConfigError)) throw error;
    process.stderr.write(`backup: ${error.message}\nRun "npm run backup -- --help" for the options.\n`);
    return EXIT.usage;
  }
  const db = knexFactory({ client: 'pg', connection: url, pool: { min: 0, max: 2 }, log: QUIET_KNEX_LOG });
  try {
    if (request.kind === 'erasures') await runErasureExport(db, request.out, { stdout: process.stdout });
    else await runBackup(db, url, request, { stdout: process.stdout });
    return EXIT.ok;
  } catch (error) {
    process.stderr.write(`backup failed: ${failureLine(error, url)}\n`);
    return EXIT.failed;
  } finally {
    await db.destroy();
  }
};

void main().then((code) => {
  process.exitCode = code;
});
