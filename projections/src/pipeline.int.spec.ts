import { randomBytes } from 'node:crypto';
import knexFactory, { type Knex } from 'knex';
import {
  createPgliteEventStore,
  createPgliteKnex,
  createPostgresEventStore,
  InProcessBus,
  KafkaBus,
} from '@cschat/infra';
import { describeWithServer } from '../../test-support/servers';
import { pipelineContract } from './pipeline.contract';

describe('read models on PGlite with the in-process bus', () => {
  let knex: Knex;
  let n = 0;
  beforeAll(() => {
    knex = createPgliteKnex();
  });
  afterAll(() => knex.destroy());

  pipelineContract(async () => {
    const id = ++n;
    const store = createPgliteEventStore({ knex, schema: `pipeline_es_${id}` });
    await store.start();
    const bus = new InProcessBus();
    await bus.start();
    return {
      store,
      db: knex,
      schema: `pipeline_rm_${id}`,
      bus,
      topic: 'events',
      readLog: (options, within) => store.readAllWithin(within ?? knex, options),
      dispose: async () => {
        await bus.stop();
        await store.stop();
      },
    };
  });
});

describeWithServer('postgres', 'read models on PostgreSQL with Kafka', (url) => {
  jest.setTimeout(90_000);
  const brokers = process.env['KAFKA_BROKERS'];
  const suite = brokers === undefined ? describe.skip : describe;
  suite('(needs KAFKA_BROKERS too)', () => {
    pipelineContract(async () => {
      const id = randomBytes(5).toString('hex');
      const knex = knexFactory({ client: 'pg', connection: url, pool: { min: 0, max: 10 } });
      const store = createPostgresEventStore({ url, schema: `pipeline_es_${id}` });
      await store.start();
      const bus = new KafkaBus({ brokers: brokers!.split(','), clientId: 'pipeline-test', partitions: 3 });
      await bus.start();
      return {
        store,
        db: knex,
        schema: `pipeline_rm_${id}`,
        bus,
        topic: `events-${id}`,
        readLog: (options, within) => store.readAllWithin(within ?? knex, options),
        dispose: async () => {
          await bus.stop();
          await store.stop();
          await knex.raw(`drop schema if exists "pipeline_rm_${id}" cascade`);
          await knex.raw(`drop schema if exists "pipeline_es_${id}" cascade`);
          await knex.destroy();
        },
      };
    });
  });
});
