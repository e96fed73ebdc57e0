import type { Knex } from 'knex';
import { createPgliteKnex } from '../event-store';
import { keyStoreContract } from './key-store.contract';
import { createPgliteKeyStore } from './key-store';

describe('data keys on PGlite (embedded)', () => {
  // One database for the suite (opening PGlite takes about two seconds); a schema per test.
  let knex: Knex;
  let schemas = 0;
  beforeAll(() => {
    knex = createPgliteKnex();
  });
  afterAll(() => knex.destroy());

  keyStoreContract(async () => {
    const schema = `keys_contract_${++schemas}`;
    const cacheMs = 200;
    const store = createPgliteKeyStore({ knex, schema, cacheMs });
    const other = createPgliteKeyStore({ knex, schema, cacheMs });
    await Promise.all([store.start(), other.start()]);
    return {
      store,
      other,
      cacheMs,
      table: `"${schema}".data_keys`,
      query: async (sql, bindings) => (await knex.raw<{ rows: Record<string, unknown>[] }>(sql, bindings)).rows,
      dispose: async () => {
        await store.stop();
        await other.stop();
        await knex.raw(`drop schema "${schema}" cascade`);
      },
    };
  });
});
