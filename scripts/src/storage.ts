// Where events and read models live for a configuration: one place, used by `npm start`, the
// rebuild and the audit, so that they cannot disagree. Embedded mode keeps both in one PGlite
// database (one process at a time: whoever opens it holds the data folder's lock, see data-lock).
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import knexFactory, { type Knex } from 'knex';
import {
  createPgliteEventStore,
  createPgliteKnex,
  createPostgresEventStore,
  createSqlKeyStore,
  encryptingEventStore,
  EventStoreDbEventStore,
  type PersonalData,
  type SqlKeyStore,
  SqlEventStore,
  type Config,
  type EventStore,
  type Logger,
} from '@cschat/infra';
import { DEFAULT_READ_MODEL_SCHEMA, type LogReader } from '@cschat/projections';
import { lockDataFolder, SERVICE, type DataLock } from './data-lock';

export { DataFolderInUseError } from './data-lock';

export interface Storage {
  /** The events as they read: personal fields opened (or ERASED), and sealed on append. */
  readonly eventStore: EventStore;
  /** The events as stored, personal fields sealed: what the relay publishes, so the bus holds no plaintext. */
  readonly storedEvents: EventStore;
  /** The visitors' data keys (beside the read models), and what opens events taken from the bus. */
  readonly keys: SqlKeyStore;
  readonly personalData: PersonalData;
  /** The read models' database. */
  readonly readModels: Knex;
  readonly readModelSchema: string;
  /** The read models' database is embedded (PGlite): this process alone opens it, its folder locked. */
  readonly embedded: boolean;
  /** The global log for rebuilds: inside the rebuild's transaction when the store shares its database. */
  readonly readLog: LogReader;
  readonly description: readonly string[];
  start(): Promise<void>;
  stop(): Promise<void>;
}

export class StorageError extends Error {
  override readonly name = 'StorageError';
}

const pgliteFolder = (config: Config): string => path.resolve(config.dataDir, 'pglite');

export interface OpenStorageOptions {
  /** Refuse an embedded folder that does not exist (a CLI with a mistyped DATA_DIR would otherwise read a new, empty database). */
  readonly mustExist?: boolean;
  /** Who holds the embedded data folder, for the message another opener gets (default: the service). */
  readonly holder?: string;
}

/**
 * Opens the storage of the configuration. Embedded data is locked first: while another live
 * process holds the folder this throws DataFolderInUseError, before PGlite touches a file.
 */
export const openStorage = (config: Config, logger: Logger, options: OpenStorageOptions = {}): Storage => {
  const store = config.eventStore;
  const needsPglite = store.kind === 'pglite' || (store.kind === 'eventstoredb' && config.readModelsUrl === undefined);
  if (needsPglite && options.mustExist === true && !existsSync(pgliteFolder(config))) {
    throw new StorageError(`no embedded database in ${pgliteFolder(config)} (DATA_DIR is ${config.dataDir})`);
  }
  const lock: DataLock | undefined = needsPglite
    ? lockDataFolder(config.dataDir, options.holder ?? SERVICE)
    : undefined;
  let pglite: Knex | undefined;
  try {
    pglite = needsPglite ? createPgliteKnex(pgliteFolder(config)) : undefined;
  } catch (error) {
    lock?.release();
    throw error;
  }
  const readModels =
    pglite ??
    knexFactory({
      client: 'pg',
      connection: config.readModelsUrl ?? (store.kind === 'postgres' ? store.url : ''),
      pool: { min: 0, max: 10 },
    });

  const storedEvents: EventStore =
    store.kind === 'pglite'
      ? createPgliteEventStore({ knex: readModels })
      : store.kind === 'postgres'
        ? createPostgresEventStore({
            url: store.url,
            onListenError: (error) => logger.warn({ err: error }, 'event store LISTEN connection lost; reconnecting'),
          })
        : new EventStoreDbEventStore({ url: store.url });
  // The data keys live beside the read models (PGlite embedded; DATABASE_URL otherwise, the events'
  // own database unless they are in EventStoreDB), where the erasure also wipes the derived copies.
  const keys = createSqlKeyStore({ knex: readModels, cacheMs: config.keyCacheMs });
  const eventStore = encryptingEventStore(storedEvents, keys);
  const sameDatabase =
    store.kind === 'pglite' || (store.kind === 'postgres' && (config.readModelsUrl ?? store.url) === store.url);
  const readLog: LogReader =
    sameDatabase && storedEvents instanceof SqlEventStore
      ? async (options, within) =>
          eventStore.personalData.openEvents(await storedEvents.readAllWithin(within ?? readModels, options))
      : (options) => eventStore.readAll(options);

  const where = (url: string): string => new URL(url).host;
  return {
    eventStore,
    storedEvents,
    keys,
    personalData: eventStore.personalData,
    readModels,
    readModelSchema: DEFAULT_READ_MODEL_SCHEMA,
    embedded: pglite !== undefined,
    readLog,
    description: [
      store.kind === 'pglite'
        ? `events and read models: embedded PostgreSQL (PGlite) in ${pgliteFolder(config)}`
        : store.kind === 'postgres'
          ? `events: PostgreSQL at ${where(store.url)}`
          : `events: EventStoreDB at ${where(store.url)}`,
      ...(store.kind === 'pglite'
        ? []
        : [
            `read models: ${pglite === undefined ? `PostgreSQL at ${where(config.readModelsUrl ?? (store.kind === 'postgres' ? store.url : ''))}` : `PGlite in ${pgliteFolder(config)}`}`,
          ]),
    ],
    start: () => eventStore.start(),
    stop: async () => {
      try {
        await eventStore.stop();
        await readModels.destroy();
      } finally {
        lock?.release();
      }
    },
  };
};

/** The storage's event store as a whole: stopping it also closes the read models' database. */
export const standaloneEventStore = (storage: Storage): EventStore => {
  const store = storage.eventStore;
  return {
    start: () => storage.start(),
    stop: () => storage.stop(),
    append: (...args) => store.append(...args),
    readStream: (...args) => store.readStream(...args),
    readAll: (...args) => store.readAll(...args),
    lastPosition: () => store.lastPosition(),
    subscribe: (...args) => store.subscribe(...args),
  };
};
