// `npm run erase`: erase visitors' personal data (`--help` says how).
import { ConfigError, loadConfig, silentLogger, type Config } from '@cschat/infra';
import { EraseError, EXIT, HELP, parseRequest, runErase, UsageError } from './erase/cli';
import { openStorage, type Storage } from './storage';
import { erasureToolsOf } from './visitor-erasure';

const main = async (): Promise<number> => {
  let request: ReturnType<typeof parseRequest>;
  try {
    request = parseRequest(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`erase: ${error.message}\nRun "npm run erase -- --help" for the options.\n`);
    return EXIT.usage;
  }
  if (request === 'help') {
    process.stdout.write(HELP);
    return EXIT.ok;
  }
  const logger = silentLogger();
  let storage: Storage;
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    process.stderr.write(`erase: ${(error as Error).message}\n`);
    return error instanceof ConfigError ? EXIT.usage : EXIT.failed;
  }
  try {
    storage = openStorage(config, logger, { mustExist: true, holder: 'npm run erase' });
    await storage.start();
  } catch (error) {
    process.stderr.write(`erase: ${(error as Error).message}\n`);
    return EXIT.failed;
  }
  const tools = erasureToolsOf(config, storage, logger);
  const { companies, erasure } = tools;
  try {
    await companies.start();
    await tools.startRest();
    await runErase({ storage, companies, erasure }, request, { stdout: process.stdout, stderr: process.stderr });
    return EXIT.ok;
  } catch (error) {
    process.stderr.write(
      error instanceof EraseError
        ? `erase: ${error.message}\n`
        : `erase failed: ${(error as Error).stack ?? String(error)}\n`,
    );
    return EXIT.failed;
  } finally {
    await tools.stop();
  }
};

void main().then((code) => {
  process.exitCode = code;
});
