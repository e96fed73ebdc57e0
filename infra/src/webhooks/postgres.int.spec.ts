import { randomBytes } from 'node:crypto';
import knexFactory from 'knex';
import { describeWithServer } from '../../../test-support/servers';
import { createWebhookStore } from './store';
import { webhookStoreContract } from './store.contract';

describeWithServer('postgres', 'outbound webhooks store on PostgreSQL', (url) => {
  const admin = knexFactory({ client: 'pg', connection: url, pool: { min: 0, max: 3 } });
  afterAll(() => admin.destroy());

  webhookStoreContract(
    async () => {
      const schema = `webhooks_contract_${randomBytes(6).toString('hex')}`;
      // A pool each, as two worker processes have.
      const one = knexFactory({ client: 'pg', connection: url, pool: { min: 0, max: 4 } });
      const two = knexFactory({ client: 'pg', connection: url, pool: { min: 0, max: 4 } });
      const store = createWebhookStore({ knex: one, schema });
      const other = createWebhookStore({ knex: two, schema });
      await Promise.all([store.start(), other.start()]);
      return {
        store,
        other,
        dispose: async () => {
          await admin.raw(`drop schema "${schema}" cascade`);
          await Promise.all([one.destroy(), two.destroy()]);
        },
      };
    },
    { concurrentConnections: true },
  );
});
