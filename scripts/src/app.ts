// Wiring, in one place: which adapter serves each port, and which roles run, for a configuration.
import {
  createMetrics,
  InProcessBus,
  KafkaBus,
  Relay,
  SqlCheckpointStore,
  type Bus,
  type Config,
  type Logger,
  type Metrics,
} from '@cschat/infra';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  openSessionsWithHumans,
  PROJECTIONS,
  prepareReadModels,
  Projector,
  type ListChanged,
} from '@cschat/projections';
import {
  Commands,
  directoryOf,
  FrontDoor,
  hashPassword,
  Reactions,
  Router,
  RoutingReactor,
  TimeoutWorker,
  ADAPTERS,
  ChannelSender,
} from '@cschat/gateways';
import { CompanyConfigStore, openTimeouts, openTokenCache } from '@cschat/infra';
import { ensureDemoCompany } from './demo';
import { openStorage, type Storage } from './storage';

/**
 * The token secret: TOKEN_SECRET, or one made on first start and kept in the data folder so
 * that tokens outlive a restart (several processes must share TOKEN_SECRET instead).
 */
const tokenSecretOf = (config: Config): string => {
  if (config.tokenSecret !== undefined) return config.tokenSecret;
  const file = path.resolve(config.dataDir, 'token-secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const secret = randomBytes(48).toString('base64url');
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return secret;
};

/** Where projectors announce that an agent's session list changed (the gateway pushes it). */
export const LIST_CHANGES_TOPIC = 'session-list-changes';

export interface AppOptions {
  /** Create the demo company when it does not exist (default true). */
  readonly demo?: boolean;
}

export interface App {
  readonly storage: Storage;
  readonly config: CompanyConfigStore;
  /** The front door (HTTP API + websocket gateway) when this process has those roles. */
  readonly frontDoor: FrontDoor | undefined;
  readonly bus: Bus;
  readonly metrics: Metrics;
  /** One line per started part, for the start banner. */
  readonly description: readonly string[];
  start(): Promise<void>;
  stop(): Promise<void>;
}

export const createApp = (config: Config, logger: Logger, options: AppOptions = {}): App => {
  const storage = openStorage(config, logger);
  const companies = new CompanyConfigStore({
    knex: storage.readModels,
    ownsKnex: false,
    hashPassword: (plain) => hashPassword(plain),
  });
  const metrics = createMetrics();
  const bus: Bus =
    config.bus.kind === 'kafka'
      ? new KafkaBus({
          brokers: config.bus.brokers,
          partitions: config.bus.partitions,
          namespace: config.bus.namespace,
          logger,
        })
      : new InProcessBus(logger);
  const roles = new Set(config.roles);

  const relay = roles.has('relay')
    ? new Relay({
        store: storage.eventStore,
        bus,
        checkpoints: new SqlCheckpointStore(storage.readModels, storage.readModelSchema),
        logger,
        onRelayed: (count, lastRecordedAt) => {
          metrics.relayedEvents.inc(count);
          metrics.relayLagSeconds.set((Date.now() - lastRecordedAt.getTime()) / 1000);
        },
      })
    : undefined;

  const announce = async (changes: readonly ListChanged[]): Promise<void> => {
    await bus.publish(
      LIST_CHANGES_TOPIC,
      changes.map((change) => ({ key: `${change.companyId}:${change.agentId}`, value: JSON.stringify(change) })),
    );
  };
  const projectors = roles.has('projector')
    ? PROJECTIONS.map(
        (projection) =>
          new Projector({
            db: storage.readModels,
            schema: storage.readModelSchema,
            projection,
            bus,
            logger,
            ...(projection.name === 'session_list' ? { onListChanged: announce } : {}),
            onParked: (name) => metrics.parkedEvents.inc({ projection: name }),
            onHandled: (name, recordedAt) =>
              metrics.projectorLagSeconds.set({ projection: name }, (Date.now() - recordedAt.getTime()) / 1000),
          }),
      )
    : [];

  // The worker role: routing (and, with it, the follow-ups of a session's end).
  const directory = directoryOf(companies);
  const commands = new Commands(storage.eventStore, directory, () => new Date());
  const router = roles.has('worker')
    ? new Router({
        store: storage.eventStore,
        directory,
        commands,
        logger,
        onAssigned: () => metrics.assignments.inc(),
      })
    : undefined;
  // Inactivity timeouts: deadlines moved by the API's chat messages, checks run by the worker.
  const timeouts = openTimeouts({ redisUrl: config.redisUrl, prefix: config.redisPrefix });
  const timeoutWorker = roles.has('worker')
    ? new TimeoutWorker({
        store: storage.eventStore,
        commands,
        directory,
        schedule: timeouts.schedule,
        deadlines: timeouts.deadlines,
        openSessions: () => openSessionsWithHumans(storage.readModels, storage.readModelSchema),
        logger,
        pollIntervalMs: config.timeoutPollMs,
        onTimedOut: () => metrics.timedOutSessions.inc(),
      })
    : undefined;
  // Channels out: agents' and the bot's messages to the visitors' platforms.
  const tokenCache = openTokenCache({ redisUrl: config.redisUrl, prefix: config.redisPrefix });
  const channelSender = roles.has('worker')
    ? new ChannelSender({
        bus,
        store: storage.eventStore,
        commands,
        config: companies,
        adapters: ADAPTERS,
        baseUrls: config.channelApiUrls,
        tokens: tokenCache.tokens,
        logger,
      })
    : undefined;
  const reactor =
    router === undefined
      ? undefined
      : new RoutingReactor({
          bus,
          router,
          logger,
          reactions: (routeGroup) =>
            new Reactions({
              store: storage.eventStore,
              directory,
              commands,
              routeGroup,
              timeouts: { ...timeouts, scheduled: () => timeoutWorker?.wake() },
            }),
        });

  const frontDoor =
    roles.has('gateway') || roles.has('api')
      ? new FrontDoor({
          store: storage.eventStore,
          bus,
          config: companies,
          readModels: storage.readModels,
          readModelSchema: storage.readModelSchema,
          tokenSecret: tokenSecretOf(config),
          ...(config.platformAdminToken === undefined ? {} : { platformAdminToken: config.platformAdminToken }),
          metrics,
          logger,
          instanceId: randomUUID(),
          listChangesTopic: LIST_CHANGES_TOPIC,
          ...(router === undefined ? {} : { router }),
          socketLimits: config.socketLimits,
          deadlines: timeouts.deadlines,
        })
      : undefined;

  let starting: Promise<void> | undefined;
  const startAll = async (): Promise<void> => {
    await storage.start();
    await companies.start();
    if (options.demo !== false) await ensureDemoCompany(companies, config.demoPassword, logger);
    await bus.start();
    await prepareReadModels(storage.readModels, storage.readModelSchema, PROJECTIONS);
    await Promise.all(projectors.map((p) => p.start()));
    await reactor?.start();
    await channelSender?.start();
    relay?.start();
    timeoutWorker?.start();
    await frontDoor?.listen(config.port);
  };

  return {
    storage,
    config: companies,
    frontDoor,
    bus,
    metrics,
    description: [
      ...storage.description,
      config.bus.kind === 'kafka' ? `bus: Kafka at ${config.bus.brokers.join(',')}` : 'bus: in-process',
      timeouts.description,
      `roles: ${config.roles.join(', ')}`,
    ],
    start: () => {
      starting ??= startAll();
      return starting;
    },
    stop: async () => {
      // A stop during the start (a SIGTERM at once) waits for it, then undoes all of it.
      await starting?.catch(() => undefined);
      // Each step timed: a stop that takes long says which part held it.
      const step = async (name: string, work: () => Promise<unknown>): Promise<void> => {
        const started = Date.now();
        await work();
        const took = Date.now() - started;
        if (took > 2_000) logger.warn({ step: name, ms: took }, 'a step of the stop took long');
      };
      await step('front door', async () => frontDoor?.stop());
      await step('relay and timeout worker', () => Promise.all([relay?.stop(), timeoutWorker?.stop()]));
      await step('reactor, channel sender, projectors', () =>
        Promise.all([reactor?.stop(), channelSender?.stop(), ...projectors.map((p) => p.stop())]),
      );
      await step('bus', () => bus.stop());
      await step('timeouts', () => timeouts.stop());
      await step('token cache', () => tokenCache.stop());
      await step('companies', () => companies.stop());
      await step('storage', () => storage.stop());
    },
  };
};
