// `npm run rebuild`: rebuild read models from the event store (`--help` says how).
import { ConfigError, loadConfig, silentLogger } from '@cschat/infra';
import { EXIT, HELP, parseRequest, runRebuild } from './rebuild/cli';
import { openStorage } from './storage';

const main = async (): Promise<number> => {
  let request: ReturnType<typeof parseRequest>;
  try {
    request = parseRequest(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`rebuild: ${(error as Error).message}\nRun "npm run rebuild -- --help" for the options.\n`);
    return EXIT.usage;
  }
  if (request === 'help') {
    process.stdout.write(HELP);
    return EXIT.ok;
  }
  let storage;
  try {
    storage = openStorage(loadConfig(), silentLogger(), { mustExist: true, holder: 'npm run rebuild' });
    await storage.start();
  } catch (error) {
    process.stderr.write(`rebuild: ${(error as Error).message}\n`);
    return error instanceof ConfigError ? EXIT.usage : EXIT.failed;
  }
  try {
    await runRebuild(storage, request, { stdout: process.stdout, stderr: process.stderr });
    return EXIT.ok;
  } catch (error) {
    process.stderr.write(
      `rebuild failed, the active read models are unchanged: ${(error as Error).stack ?? String(error)}\n`,
    );
    return EXIT.failed;
  } finally {
    await storage.stop();
  }
};

void main().then((code) => {
  process.exitCode = code;
});
