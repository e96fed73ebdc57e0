// `npm start`: runs the service with the configuration of the environment (see README).
import { mkdirSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigError, createLogger, loadConfig } from '@cschat/infra';
import { createApp } from './app';
import { HELP } from './start-help';
import { DataFolderInUseError } from './storage';

const main = async (): Promise<void> => {
  const { values } = parseArgs({
    options: { help: { type: 'boolean', short: 'h' }, 'no-demo': { type: 'boolean' } },
    strict: true,
  });
  if (values.help === true) {
    process.stdout.write(HELP);
    return;
  }
  const config = loadConfig();
  const logger = createLogger({ level: config.logLevel, name: 'cschat' });
  mkdirSync(config.dataDir, { recursive: true });
  const app = createApp(config, logger, { demo: values['no-demo'] !== true });
  // Signals are handled from the start: one during start-up stops what has started, cleanly.
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    app.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'stop failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  await app.start();
  if (stopping) return;
  logger.info({ mode: config.mode, roles: config.roles }, `started in ${config.mode} mode`);
  const tryIt =
    app.frontDoor === undefined
      ? ['  no gateway or API role in this process']
      : [
          `  HTTP API and websockets on http://localhost:${config.port} (ws://localhost:${config.port}/ws/visitor, /ws/agent)`,
          '',
          'In a browser:',
          `  visitor widget  http://localhost:${config.port}/widget.html?company=demo`,
          `  agent console   http://localhost:${config.port}/console.html`,
          `  admin pages     http://localhost:${config.port}/admin.html`,
          '',
          'Try it (demo company "demo"; users alice, bob and admin, password from DEMO_PASSWORD, default "demo"):',
          `  curl -s -X POST localhost:${config.port}/api/agents/login -H 'content-type: application/json' \\`,
          `       -d '{"companyId":"demo","username":"alice","password":"demo"}'`,
          `  curl -s -X POST localhost:${config.port}/api/visitors/login -H 'content-type: application/json' -d '{"companyId":"demo"}'`,
        ];
  process.stdout.write(
    [
      `cschat is running in ${config.mode} mode:`,
      ...app.description.map((line) => `  ${line}`),
      ...tryIt,
      'Stop with Ctrl-C.',
      '',
    ].join('\n'),
  );
};

main().catch((error: unknown) => {
  if (error instanceof DataFolderInUseError) {
    process.stderr.write(`cschat: ${error.message}\n`);
    process.exit(1);
  }
  if (error instanceof ConfigError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
    process.stderr.write(`cschat: ${(error as Error).message}\nRun "npm start -- --help" for the options.\n`);
    process.exit(2);
  }
  process.stderr.write(`cschat: could not start: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
