// `npm start`: runs the service with the configuration of the environment (see README).
import { mkdirSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigError, createLogger, loadConfig } from '@cschat/infra';
import { createApp } from './app';

const HELP = `Usage: npm start [-- --no-demo] [-- --help]

Runs the customer-service chat backend. With no servers configured it runs in embedded
mode: events in an embedded PostgreSQL (PGlite) under ./data, an in-process bus.

Options:
  --no-demo       do not create the demo company on an empty data folder
  -h, --help      this text

Environment:
  PORT            port for the gateway and HTTP API (default 8080)
  DATA_DIR        folder for embedded data (default ./data)
  DATABASE_URL    PostgreSQL server for events (postgres://...)
  EVENTSTORE_URL  EventStoreDB for events instead (esdb://host:2113?tls=false)
  KAFKA_BROKERS   Kafka brokers for the bus (host:port,host:port)
  REDIS_URL       Redis for deadlines and the schedule (redis://host:6379)
  REDIS_PREFIX    prefix of this deployment's Redis keys (default cschat:)
  TIMEOUT_POLL_MS longest sleep of the timeout worker when nothing is due sooner (default 1000)
  TELEGRAM_API_URL, WHATSAPP_API_URL, MESSENGER_API_URL, INSTAGRAM_API_URL, WECHAT_API_URL
                  the platforms' API base URLs (default: the real ones)
  ROLES           roles of this process: gateway,api,projector,relay,worker (default all)
  LOG_LEVEL       fatal, error, warn, info (default), debug, trace, silent
  TOKEN_SECRET    secret that signs login tokens, 32 bytes or more (default: one kept in DATA_DIR)
  PLATFORM_ADMIN_TOKEN  enables POST /api/companies for the platform operator
  DEMO_PASSWORD   password of the demo users alice, bob and admin (default demo)
  WS_MAX_CONNECTIONS_PER_IP    sockets from one address (default 1000; raise behind a proxy)
  WS_MAX_CONNECTIONS_PER_USER  sockets of one visitor or agent (default 20)
`;

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
  if (error instanceof ConfigError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
    process.stderr.write(`cschat: ${(error as Error).message}\nRun "npm start -- --help" for the options.\n`);
    process.exit(2);
  }
  process.stderr.write(`cschat: could not start: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
