import { randomBytes } from 'node:crypto';
import knexFactory from 'knex';
import { describeWithServer } from '../../../test-support/servers';
import { companyDirectoryContract, twoStores } from './directory.contract';
import { createPostgresCompanyConfigStore } from './index';
import { companyConfigContract, fakeHash } from './store.contract';
import { visitorCredentialsContract } from './visitor-credentials.contract';

describeWithServer('postgres', 'company configuration on PostgreSQL', (url) => {
  const admin = knexFactory({ client: 'pg', connection: url, pool: { min: 0, max: 3 } });
  afterAll(() => admin.destroy());

  companyConfigContract(
    async () => {
      const schema = `config_contract_${randomBytes(6).toString('hex')}`;
      const store = createPostgresCompanyConfigStore({ url, schema, hashPassword: fakeHash });
      await store.start();
      return {
        store,
        knex: admin,
        schema,
        dispose: async () => {
          await store.stop();
          await admin.raw(`drop schema "${schema}" cascade`);
        },
      };
    },
    { concurrentConnections: true },
  );

  visitorCredentialsContract(async () => {
    const schema = `config_contract_${randomBytes(6).toString('hex')}`;
    const store = createPostgresCompanyConfigStore({ url, schema, hashPassword: fakeHash });
    await store.start();
    return {
      store,
      knex: admin,
      schema,
      dispose: async () => {
        await store.stop();
        await admin.raw(`drop schema "${schema}" cascade`);
      },
    };
  });

  describe('the directory over it', () => {
    companyDirectoryContract(
      twoStores(
        () => `config_contract_${randomBytes(6).toString('hex')}`,
        // A pool each, as two processes have.
        (schema) => createPostgresCompanyConfigStore({ url, schema, hashPassword: fakeHash }),
        (schema) => admin.raw(`drop schema "${schema}" cascade`),
      ),
    );
  });
});
