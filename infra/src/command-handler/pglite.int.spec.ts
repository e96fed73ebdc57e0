import type { Knex } from 'knex';
import { createPgliteEventStore, createPgliteKnex } from '../event-store';
import { commandHandlerContract } from './handler.contract';

describe('command handler on PGlite', () => {
  let knex: Knex;
  let schemas = 0;
  beforeAll(() => {
    knex = createPgliteKnex();
  });
  afterAll(() => knex.destroy());

  commandHandlerContract(async () => {
    const store = createPgliteEventStore({ knex, schema: `handler_${++schemas}` });
    await store.start();
    return { store, dispose: () => store.stop() };
  });
});
