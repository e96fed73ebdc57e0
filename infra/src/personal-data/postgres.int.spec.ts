import { randomBytes } from 'node:crypto';
import knexFactory from 'knex';
import { describeWithServer } from '../../../test-support/servers';
import { keyStoreContract } from './key-store.contract';
import { createPostgresKeyStore } from './key-store';

describeWithServer('postgres', 'data keys on PostgreSQL (distributed)', (url) => {
  const admin = knexFactory({ client: 'pg', connection: url, pool: { min: 0, max: 2 } });
  afterAll(() => admin.destroy());

  keyStoreContract(async () => {
    const schema = `keys_contract_${randomBytes(6).toString('hex')}`;
    const cacheMs = 200;
    // A pool each, as two processes have.
    const store = createPostgresKeyStore({ url, schema, cacheMs });
    const other = createPostgresKeyStore({ url, schema, cacheMs });
    await Promise.all([store.start(), other.start()]);
    return {
      store,
      other,
      cacheMs,
      table: `"${schema}".data_keys`,
      query: async (sql, bindings) => (await admin.raw<{ rows: Record<string, unknown>[] }>(sql, bindings)).rows,
      dispose: async () => {
        await store.stop();
        await other.stop();
        await admin.raw(`drop schema "${schema}" cascade`);
      },
    };
  });
});
