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
import { PROJECTIONS, prepareReadModels, Projector, type ListChanged } from '@cschat/projections';
import { openStorage, type Storage } from './storage';

/** Where projectors announce that an agent's session list changed (the gateway pushes it). */
export const LIST_CHANGES_TOPIC = 'session-list-changes';

export interface App {
  readonly storage: Storage;
  readonly bus: Bus;
  readonly metrics: Metrics;
  /** One line per started part, for the start banner. */
  readonly description: readonly string[];
  start(): Promise<void>;
  stop(): Promise<void>;
}

export const createApp = (config: Config, logger: Logger): App => {
  const storage = openStorage(config, logger);
  const metrics = createMetrics();
  const bus: Bus =
    config.bus.kind === 'kafka'
      ? new KafkaBus({ brokers: config.bus.brokers, partitions: config.bus.partitions, logger })
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
          }),
      )
    : [];

  return {
    storage,
    bus,
    metrics,
    description: [
      ...storage.description,
      config.bus.kind === 'kafka' ? `bus: Kafka at ${config.bus.brokers.join(',')}` : 'bus: in-process',
      `roles: ${config.roles.join(', ')}`,
    ],
    start: async () => {
      await storage.start();
      await bus.start();
      if (projectors.length > 0 || relay !== undefined) {
        await prepareReadModels(storage.readModels, storage.readModelSchema, PROJECTIONS);
      }
      await Promise.all(projectors.map((p) => p.start()));
      relay?.start();
    },
    stop: async () => {
      await relay?.stop();
      await Promise.all(projectors.map((p) => p.stop()));
      await bus.stop();
      await storage.stop();
    },
  };
};
