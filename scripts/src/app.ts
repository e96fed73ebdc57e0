// Wiring, in one place: which adapter serves each port for a given configuration.
import * as path from 'node:path';
import {
  createPgliteEventStore,
  createPostgresEventStore,
  EventStoreDbEventStore,
  InProcessBus,
  KafkaBus,
  type Bus,
  type Config,
  type EventStore,
  type Logger,
} from '@cschat/infra';

export interface App {
  readonly eventStore: EventStore;
  readonly bus: Bus;
  /** One line per started part, for the start banner. */
  readonly description: readonly string[];
  start(): Promise<void>;
  stop(): Promise<void>;
}

const describeEventStore = (config: Config): string => {
  const store = config.eventStore;
  switch (store.kind) {
    case 'pglite':
      return `event store: embedded PostgreSQL (PGlite) in ${path.resolve(store.dataDir, 'pglite')}`;
    case 'postgres':
      return `event store: PostgreSQL at ${new URL(store.url).host}`;
    case 'eventstoredb':
      return `event store: EventStoreDB at ${new URL(store.url).host}`;
  }
};

export const createApp = (config: Config, logger: Logger): App => {
  const store = config.eventStore;
  const eventStore: EventStore =
    store.kind === 'pglite'
      ? createPgliteEventStore({ dataDir: path.resolve(store.dataDir, 'pglite') })
      : store.kind === 'postgres'
        ? createPostgresEventStore({
            url: store.url,
            onListenError: (error) => logger.warn({ err: error }, 'event store LISTEN connection lost; reconnecting'),
          })
        : new EventStoreDbEventStore({ url: store.url });
  const bus: Bus =
    config.bus.kind === 'kafka'
      ? new KafkaBus({ brokers: config.bus.brokers, partitions: config.bus.partitions, logger })
      : new InProcessBus(logger);
  return {
    eventStore,
    bus,
    description: [
      describeEventStore(config),
      config.bus.kind === 'kafka' ? `bus: Kafka at ${config.bus.brokers.join(',')}` : 'bus: in-process',
    ],
    start: async () => {
      await eventStore.start();
      await bus.start();
    },
    stop: async () => {
      await bus.stop();
      await eventStore.stop();
    },
  };
};
