// The composition root: which adapter serves each port, which roles run, and every service of
// the process built once. A process without the gateway or api role never loads the HTTP server
// or the websocket gateway (they are imported when one of those roles starts), so a worker
// process imports neither Fastify nor ws.
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { workflows } from '@cschat/domain';
import {
  Attachments,
  BotStage,
  ChatService,
  Commands,
  companyDirectory,
  CompanyConfigStore,
  DEFAULT_COMPANY_CONFIG_SCHEMA,
  decryptingBus,
  createMetrics,
  EventReactor,
  Followups,
  InProcessBus,
  KafkaBus,
  knowledgeOf,
  openPresence,
  openTimeouts,
  openFeedPeers,
  openLoginThrottle,
  openTokenCache,
  PresenceMonitor,
  Relay,
  Router,
  RoutingTriggers,
  RoutingWorker,
  routingRequestsOn,
  RetentionJob,
  SlaMonitor,
  SqlCheckpointStore,
  startTracing,
  TimeoutReactions,
  tracedBus,
  TimeoutWorker,
  WorkflowRunner,
  createWebhookStore,
  WebhookOutbox,
  WebhookWorker,
  type Bus,
  type Config,
  type Logger,
  type Metrics,
  type Tracing,
  type VisitorErasure,
} from '@cschat/infra';
import {
  agentsToWatch,
  openSessionsWithHumans,
  PROJECTIONS,
  prepareErasureLedger,
  prepareReadModels,
  Projector,
  slaCandidates,
  type ListChanged,
} from '@cschat/projections';
// Worker-safe parts of the gateways package: the platform senders and password hashing.
import { hashPassword } from '@cschat/gateways/src/auth/passwords';
import { ADAPTERS, ChannelSender } from '@cschat/gateways/src/channels';
import type { FrontDoor } from '@cschat/gateways';
import { ensureDemoCompany } from './demo';
import { attachmentStoreOf, retentionCandidatesOf, visitorErasureOf } from './visitor-erasure';
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
  /** The front door (HTTP API + websocket gateway) once started, when this process has those roles. */
  readonly frontDoor: FrontDoor | undefined;
  readonly bus: Bus;
  readonly metrics: Metrics;
  /** Visitors' erasure: the one the admin route and the retention job use. */
  readonly erasure: VisitorErasure;
  /** One line per started part, for the start banner. */
  readonly description: readonly string[];
  start(): Promise<void>;
  stop(): Promise<void>;
}

export const createApp = (config: Config, logger: Logger, options: AppOptions = {}): App => {
  const roles = new Set(config.roles);
  const worker = roles.has('worker');
  const edge = roles.has('gateway') || roles.has('api');
  const storage = openStorage(config, logger);
  const store = storage.eventStore;
  const companies = new CompanyConfigStore({
    knex: storage.readModels,
    ownsKnex: false,
    hashPassword: (plain) => hashPassword(plain),
    logger,
    // Embedded, nobody else writes the configuration: its versions need no query per message.
    soleWriter: storage.embedded,
    // An agent created or changed (capacity, groups, role) may take waiting visitors at once.
    onCommitted: (change) => {
      if (change.entity === 'agent' && change.action !== 'delete')
        void routeAgentGroups(change.companyId, change.entityId);
    },
  });
  const directory = companyDirectory(companies);
  // Files: metadata beside the read models; bytes on disk when embedded (one process owns DATA_DIR),
  // in PostgreSQL otherwise (every gateway serves what any one stored).
  const attachmentStore = attachmentStoreOf(config, storage);
  // Outbound webhooks: endpoints and the outbox beside the read models (PGlite or PostgreSQL).
  const webhookStore = createWebhookStore({ knex: storage.readModels });
  // A visitor's erasure (DELETE /api/admin/visitors/:id, the retention job): its key, then its copies.
  const erasure = visitorErasureOf({
    storage,
    companies,
    attachments: attachmentStore,
    webhooks: webhookStore,
    logger,
  });
  const attachments = new Attachments({ store: attachmentStore, events: store, logger });
  const metrics = createMetrics();
  // Events travel on the bus as the store holds them (personal fields sealed): consumers open them.
  // Traced, messages carry their trace context in headers (tracing off: the wrapper passes through).
  const bus: Bus = decryptingBus(
    config.bus.kind === 'kafka'
      ? tracedBus(
          new KafkaBus({
            brokers: config.bus.brokers,
            partitions: config.bus.partitions,
            namespace: config.bus.namespace,
            ...(config.bus.replicationFactor === undefined ? {} : { replicationFactor: config.bus.replicationFactor }),
            logger,
          }),
          'kafka',
        )
      : tracedBus(new InProcessBus(logger), 'cschat.in_process'),
    storage.personalData,
  );
  const commands = new Commands(store, directory, () => new Date());
  const timeouts = openTimeouts({ redisUrl: config.redisUrl, prefix: config.redisPrefix });
  const presence = openPresence({
    redisUrl: config.redisUrl,
    prefix: config.redisPrefix,
    leaseMs: config.presenceLeaseMs,
  });
  const tokenCache = openTokenCache({ redisUrl: config.redisUrl, prefix: config.redisPrefix });
  // Failed logins are counted across every gateway through Redis, so that a guesser gains nothing by spreading out.
  const loginThrottle = openLoginThrottle({ redisUrl: config.redisUrl, prefix: config.redisPrefix });
  // Each gateway's last hearing from Kafka, shared through Redis: a gateway cut off from Kafka moves its
  // clients away only when another gateway's feed works (gateways/src/feed-watchdog.ts).
  const feedPeers = openFeedPeers({ redisUrl: config.redisUrl, prefix: config.redisPrefix });
  const requestRouting = routingRequestsOn(bus);
  const routeAgentGroups = async (companyId: string, agentId: string): Promise<void> => {
    try {
      const profile = await directory.agent(companyId, agentId);
      if (profile !== undefined && profile.groupIds.length > 0) await requestRouting(companyId, profile.groupIds);
    } catch (error) {
      logger.warn({ err: error, companyId, agentId }, 'routing after a change of the agent not requested');
    }
  };
  // With the worker role in this process too, a use case may wait for what its command set off.
  const followups = worker && edge ? new Followups() : undefined;

  const relay = roles.has('relay')
    ? new Relay({
        store: storage.storedEvents,
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
  // One projector for every read model: each event decoded once, one transaction per bus batch.
  const projector = roles.has('projector')
    ? new Projector({
        db: storage.readModels,
        schema: storage.readModelSchema,
        projections: PROJECTIONS,
        bus,
        logger,
        onListChanged: announce,
        onParked: (name) => metrics.parkedEvents.inc({ projection: name }),
        onHandled: (name, recordedAt) =>
          metrics.projectorLagSeconds.set({ projection: name }, (Date.now() - recordedAt.getTime()) / 1000),
      })
    : undefined;

  // The worker role: the workflows, routing, presence, the timeout checks, the platform senders.
  const router = worker
    ? new Router({
        store,
        directory,
        commands,
        logger,
        onAssigned: () => metrics.assignments.inc(),
        ...(followups === undefined ? {} : { onRouted: (outcome) => followups.seen({ kind: 'routed', outcome }) }),
      })
    : undefined;
  const routingWorker = router === undefined ? undefined : new RoutingWorker({ bus, router, logger });
  const timeoutWorker = worker
    ? new TimeoutWorker({
        store,
        commands,
        directory,
        schedule: timeouts.schedule,
        activity: timeouts.activity,
        openSessions: () => openSessionsWithHumans(storage.readModels, storage.readModelSchema),
        logger,
        pollIntervalMs: config.timeoutPollMs,
        onTimedOut: () => metrics.timedOutSessions.inc(),
      })
    : undefined;
  const reactor = worker
    ? new EventReactor({
        bus,
        logger,
        reactions: [
          new WorkflowRunner({ store, commands, workflows: workflows.WORKFLOWS, logger }),
          new RoutingTriggers(directory, requestRouting),
          new TimeoutReactions({
            store,
            schedule: timeouts.schedule,
            activity: timeouts.activity,
            scheduled: () => timeoutWorker?.wake(),
          }),
        ],
        ...(followups === undefined ? {} : { onHandled: (event) => followups.seen({ kind: 'event', event }) }),
      })
    : undefined;
  const presenceMonitor = worker
    ? new PresenceMonitor({
        presence: presence.presence,
        store,
        commands,
        directory,
        candidates: () => agentsToWatch(storage.readModels, storage.readModelSchema),
        logger,
      })
    : undefined;
  // The configuration store keeps its tables in its default schema, beside the read models (one database).
  const slaMonitor = worker
    ? new SlaMonitor({
        commands,
        candidates: (now) =>
          slaCandidates(storage.readModels, {
            schema: storage.readModelSchema,
            configSchema: DEFAULT_COMPANY_CONFIG_SCHEMA,
            now,
            limit: 1000,
          }),
        logger,
        intervalMs: config.slaPollMs,
        onBreached: (candidate) => metrics.slaBreaches.inc({ target: candidate.target }),
      })
    : undefined;
  const retentionJob = worker
    ? new RetentionJob({
        erasure,
        candidates: retentionCandidatesOf(storage),
        logger,
        intervalMs: config.retentionPollMs,
      })
    : undefined;
  const channelSender = worker
    ? new ChannelSender({
        bus,
        store,
        commands,
        config: companies,
        adapters: ADAPTERS,
        baseUrls: config.channelApiUrls,
        tokens: tokenCache.tokens,
        logger,
        attachments: attachmentStore,
      })
    : undefined;

  // Outbound webhooks: the worker role feeds the outbox from the events and sends what is due.
  const webhookWorker = worker
    ? new WebhookWorker({
        store: webhookStore,
        logger,
        retryScheduleMs: config.webhooks.retryScheduleMs,
        timeoutMs: config.webhooks.timeoutMs,
        allowPrivate: config.webhooks.allowPrivate,
      })
    : undefined;
  const webhookOutbox = worker
    ? new WebhookOutbox({ bus, store: webhookStore, logger, onEnqueued: () => webhookWorker?.wake() })
    : undefined;

  // The gateway and api roles: the chat's use cases behind the HTTP API and the websockets.
  let frontDoor: FrontDoor | undefined;
  const openFrontDoor = async (): Promise<FrontDoor> => {
    const gateways = await import('@cschat/gateways');
    const chat = new ChatService({
      store,
      commands,
      directory,
      logger,
      activity: timeouts.activity,
      bot: new BotStage(knowledgeOf(companies)),
      ...(followups === undefined ? {} : { followups }),
    });
    return new gateways.FrontDoor({
      store,
      bus,
      config: companies,
      directory,
      // The same directory: token versions are cached with the rest, under the configuration version.
      tokenVersions: directory,
      chat,
      attachments,
      erasure,
      uploadMaxBytes: config.uploadMaxBytes,
      outboundWebhooks: { store: webhookStore, allowPrivate: config.webhooks.allowPrivate },
      channelMedia: { baseUrls: config.channelApiUrls, tokens: tokenCache.tokens },
      presence: presence.presence,
      readModels: storage.readModels,
      readModelSchema: storage.readModelSchema,
      tokenSecret: tokenSecretOf(config),
      ...(config.platformAdminToken === undefined ? {} : { platformAdminToken: config.platformAdminToken }),
      loginThrottle: loginThrottle.throttle,
      trustProxy: config.trustProxy,
      ...(config.metricsToken === undefined ? {} : { metricsToken: config.metricsToken }),
      metrics,
      logger,
      instanceId: randomUUID(),
      listChangesTopic: LIST_CHANGES_TOPIC,
      socketLimits: config.socketLimits,
      ...(config.bus.kind === 'kafka'
        ? { eventFeedTimeoutMs: config.bus.linkTimeoutMs, feedPeers: feedPeers.peers }
        : {}),
      // One process has every socket: typing needs no bus (the in-process one keeps what it carries).
      ...(config.bus.kind === 'kafka' ? {} : { signals: new gateways.LocalSignals() }),
    });
  };

  let tracing: Tracing | undefined;
  let starting: Promise<void> | undefined;
  const startAll = async (): Promise<void> => {
    // First: every consumer and span of the process is made after it.
    if (config.tracing !== undefined)
      tracing = await startTracing({
        serviceName: config.tracing.serviceName,
        to: { otlpEndpoint: config.tracing.otlpEndpoint },
        logger,
      });
    await storage.start();
    await companies.start();
    await attachmentStore.start();
    await webhookStore.start();
    await storage.keys.start();
    await prepareErasureLedger(storage.readModels, storage.readModelSchema);
    // The bus before the demo data: creating its agents asks for routing.
    await bus.start();
    if (options.demo !== false) await ensureDemoCompany(companies, config.demoPassword, logger);
    await prepareReadModels(storage.readModels, storage.readModelSchema, PROJECTIONS);
    await projector?.start();
    await reactor?.start();
    await routingWorker?.start();
    await channelSender?.start();
    await webhookOutbox?.start();
    webhookWorker?.start();
    relay?.start();
    timeoutWorker?.start();
    presenceMonitor?.start();
    slaMonitor?.start();
    retentionJob?.start();
    if (edge) {
      frontDoor = await openFrontDoor();
      await frontDoor.listen(config.port);
    }
  };

  return {
    storage,
    config: companies,
    get frontDoor() {
      return frontDoor;
    },
    bus,
    metrics,
    erasure,
    description: [
      ...storage.description,
      config.bus.kind === 'kafka' ? `bus: Kafka at ${config.bus.brokers.join(',')}` : 'bus: in-process',
      timeouts.description,
      presence.description,
      attachmentStore.description,
      webhookStore.description,
      `roles: ${config.roles.join(', ')}`,
      config.tracing === undefined
        ? 'tracing: off'
        : `tracing: OTLP to ${config.tracing.otlpEndpoint} as ${config.tracing.serviceName}`,
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
      await step('relay, timeout worker, presence, sla, retention', () =>
        Promise.all([
          relay?.stop(),
          timeoutWorker?.stop(),
          presenceMonitor?.stop(),
          slaMonitor?.stop(),
          retentionJob?.stop(),
          erasure.stop(),
        ]),
      );
      await step('workflows, routing, channel sender, projectors, webhooks', () =>
        Promise.all([
          reactor?.stop(),
          routingWorker?.stop(),
          channelSender?.stop(),
          projector?.stop(),
          webhookOutbox?.stop(),
          webhookWorker?.stop(),
        ]),
      );
      await step('bus', () => bus.stop());
      await step('timeouts', () => timeouts.stop());
      await step('presence', () => presence.stop());
      await step('token cache', () => tokenCache.stop());
      await step('login throttle', () => loginThrottle.stop());
      await step('feed peers', () => feedPeers.stop());
      await step('companies', () => companies.stop());
      await step('attachments', () => attachmentStore.stop());
      await step('key store', () => storage.keys.stop());
      await step('storage', () => storage.stop());
      // Last: the spans of the stop itself are flushed too.
      await step('tracing', async () => tracing?.stop());
    },
  };
};
