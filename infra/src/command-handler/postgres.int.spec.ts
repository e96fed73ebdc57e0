import { randomBytes } from 'node:crypto';
import knexFactory from 'knex';
import { describeWithServer } from '../../../test-support/servers';
import { createPostgresEventStore } from '../event-store';
import { commandHandlerContract } from './handler.contract';

describeWithServer('postgres', 'command handler on PostgreSQL', (url) => {
  const schema = `handler_${randomBytes(6).toString('hex')}`;
  afterAll(async () => {
    const admin = knexFactory({ client: 'pg', connection: url });
    await admin.raw(`drop schema if exists "${schema}" cascade`);
    await admin.destroy();
  });

  commandHandlerContract(async () => {
    const store = createPostgresEventStore({ url, schema });
    await store.start();
    return { store, dispose: () => store.stop() };
  });
});
