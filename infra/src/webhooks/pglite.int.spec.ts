import type { Knex } from 'knex';
import { createPgliteKnex } from '../event-store';
import { createWebhookStore } from './store';
import { webhookStoreContract } from './store.contract';

describe('outbound webhooks store on PGlite (embedded)', () => {
  let knex: Knex;
  let schemas = 0;
  beforeAll(() => {
    knex = createPgliteKnex();
  });
  afterAll(() => knex.destroy());

  webhookStoreContract(
    async () => {
      const schema = `webhooks_contract_${++schemas}`;
      const store = createWebhookStore({ knex, schema });
      await store.start();
      return { store, dispose: () => knex.raw(`drop schema "${schema}" cascade`).then(() => undefined) };
    },
    { concurrentConnections: false },
  );
});
