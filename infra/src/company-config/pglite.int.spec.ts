import type { Knex } from 'knex';
import { createPgliteKnex } from '../event-store';
import { companyDirectoryContract, twoStores } from './directory.contract';
import { createPgliteCompanyConfigStore } from './index';
import { companyConfigContract, fakeHash } from './store.contract';
import { visitorCredentialsContract } from './visitor-credentials.contract';

describe('company configuration on PGlite (embedded)', () => {
  // One database for the suite (opening PGlite takes about two seconds); a schema per test.
  let knex: Knex;
  let schemas = 0;
  beforeAll(() => {
    knex = createPgliteKnex();
  });
  afterAll(() => knex.destroy());

  companyConfigContract(
    async () => {
      const schema = `config_contract_${++schemas}`;
      const store = createPgliteCompanyConfigStore({ knex, schema, hashPassword: fakeHash });
      await store.start();
      return {
        store,
        knex,
        schema,
        dispose: async () => {
          await store.stop();
          await knex.raw(`drop schema "${schema}" cascade`);
        },
      };
    },
    { concurrentConnections: false },
  );

  // Embedded mode: the store is the database's only writer and keeps the versions in memory; the
  // whole contract holds all the same (its versions move with every write, and only then).
  describe('as the only writer of its database', () => {
    companyConfigContract(
      async () => {
        const schema = `config_contract_${++schemas}`;
        const store = createPgliteCompanyConfigStore({ knex, schema, hashPassword: fakeHash, soleWriter: true });
        await store.start();
        return {
          store,
          knex,
          schema,
          dispose: async () => {
            await store.stop();
            await knex.raw(`drop schema "${schema}" cascade`);
          },
        };
      },
      { concurrentConnections: false },
    );
  });

  visitorCredentialsContract(async () => {
    const schema = `config_contract_${++schemas}`;
    const store = createPgliteCompanyConfigStore({ knex, schema, hashPassword: fakeHash });
    await store.start();
    return {
      store,
      knex,
      schema,
      dispose: async () => {
        await store.stop();
        await knex.raw(`drop schema "${schema}" cascade`);
      },
    };
  });

  describe('the directory over it', () => {
    companyDirectoryContract(
      twoStores(
        () => `config_contract_${++schemas}`,
        (schema) => createPgliteCompanyConfigStore({ knex, schema, hashPassword: fakeHash }),
        (schema) => knex.raw(`drop schema "${schema}" cascade`),
      ),
    );
  });
});
