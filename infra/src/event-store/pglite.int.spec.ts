import type { Knex } from 'knex';
import { createPgliteEventStore, createPgliteKnex } from './index';
import { eventStoreContract } from './contract';

describe('PGlite event store (embedded)', () => {
  // One database for the suite (opening PGlite takes about two seconds); a schema per test.
  let knex: Knex;
  let schemas = 0;
  beforeAll(() => {
    knex = createPgliteKnex();
  });
  afterAll(() => knex.destroy());

  eventStoreContract(async () => {
    const schema = `contract_${++schemas}`;
    const store = createPgliteEventStore({ knex, schema });
    await store.start();
    return {
      store,
      dispose: async () => {
        await store.stop();
        await knex.raw(`drop schema "${schema}" cascade`);
      },
    };
  });
});
