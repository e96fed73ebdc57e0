import { randomBytes } from 'node:crypto';
import knexFactory from 'knex';
import { describeWithServer } from '../../../test-support/servers';
import { byteaContent } from './bytea';
import { attachmentStoreContract } from './contract';
import { createAttachmentStore } from './store';

describeWithServer('postgres', 'attachment store: bytes and metadata in PostgreSQL (distributed)', (url) => {
  const knex = knexFactory({ client: 'pg', connection: url, pool: { min: 0, max: 4 } });
  afterAll(() => knex.destroy());

  attachmentStoreContract(async () => {
    const schema = `att_contract_${randomBytes(6).toString('hex')}`;
    const store = createAttachmentStore({ knex, schema, content: byteaContent(knex, schema) });
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
