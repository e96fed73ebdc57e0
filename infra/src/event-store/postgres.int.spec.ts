import { randomBytes } from 'node:crypto';
import knexFactory from 'knex';
import { describeWithServer } from '../../../test-support/servers';
import { createPostgresEventStore } from './index';
import { eventStoreContract } from './contract';

describeWithServer('postgres', 'PostgreSQL event store', (url) => {
  const admin = knexFactory({ client: 'pg', connection: url, pool: { min: 0, max: 2 } });
  afterAll(() => admin.destroy());

  eventStoreContract(async () => {
    const schema = `es_contract_${randomBytes(6).toString('hex')}`;
    const store = createPostgresEventStore({ url, schema, pollIntervalMs: 200 });
    await store.start();
    return {
      store,
      dispose: async () => {
        await store.stop();
        await admin.raw(`drop schema "${schema}" cascade`);
      },
    };
  });
});
