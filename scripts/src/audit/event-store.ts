// The event store `npm start` would use, for the audit. createEventStore mirrors the choice in
// createApp (../app.ts) and is meant to replace it there, so that the two cannot drift apart.
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import {
  createPgliteEventStore,
  createPostgresEventStore,
  EventStoreDbEventStore,
  type Config,
  type EventStore,
  type Logger,
} from '@cschat/infra';

export const createEventStore = (config: Config, logger: Logger): EventStore => {
  const store = config.eventStore;
  switch (store.kind) {
    case 'pglite':
      return createPgliteEventStore({ dataDir: path.resolve(store.dataDir, 'pglite') });
    case 'postgres':
      return createPostgresEventStore({
        url: store.url,
        onListenError: (error) => logger.warn({ err: error }, 'event store LISTEN connection lost; reconnecting'),
      });
    case 'eventstoredb':
      return new EventStoreDbEventStore({ url: store.url });
  }
};

/**
 * As createEventStore, but an embedded store must already exist: PGlite would create an empty
 * database in a folder that does not, and a mistyped DATA_DIR would then look like a company
 * without events instead of the mistake it is.
 */
export const existingEventStore = (config: Config, logger: Logger): EventStore => {
  if (config.eventStore.kind === 'pglite') {
    const folder = path.resolve(config.eventStore.dataDir, 'pglite');
    if (!existsSync(folder)) throw new Error(`no embedded event store in ${folder} (DATA_DIR is ${config.dataDir})`);
  }
  return createEventStore(config, logger);
};
