import { randomBytes, randomUUID } from 'node:crypto';
import knexFactory, { type Knex } from 'knex';
import { describeWithServer } from '../../../test-support/servers';
import { waitFor } from '../../../test-support/wait';
import { KafkaBus } from '../bus/kafka';
import type { DeliveredMessage } from '../bus/port';
import { createPgliteEventStore, createPgliteKnex, createPostgresEventStore } from '../event-store';
import { SqlCheckpointStore } from '../relay/checkpoints';
import { EVENTS_TOPIC, fromBusMessage } from '../relay/envelope';
import { Relay } from '../relay/relay';
import { silentLogger } from '../logging';
import { encryptedStoreContract, messagePosted, sessionStarted } from './encrypted-store.contract';
import { decryptingBus, encryptingEventStore } from './encryption';
import { createPgliteKeyStore, createPostgresKeyStore } from './key-store';
import { ERASED } from './port';

const rawData = (knex: Knex, schema: string) => async (): Promise<string[]> => {
  const { rows } = await knex.raw<{ rows: { data: string }[] }>(
    `select data::text as data from "${schema}".events order by global_position`,
  );
  return rows.map((row) => row.data);
};

describe('personal data encrypted in the PGlite event store (embedded)', () => {
  let knex: Knex;
  let schemas = 0;
  beforeAll(() => {
    knex = createPgliteKnex();
  });
  afterAll(() => knex.destroy());

  encryptedStoreContract(async () => {
    const n = ++schemas;
    const schema = `enc_events_${n}`;
    const inner = createPgliteEventStore({ knex, schema });
    const keys = createPgliteKeyStore({ knex, schema: `enc_keys_${n}` });
    return {
      inner,
      keys,
      rawData: rawData(knex, schema),
      dispose: async () => {
        await inner.stop();
        await knex.raw(`drop schema "${schema}" cascade`);
        await knex.raw(`drop schema "enc_keys_${n}" cascade`);
      },
    };
  });
});

describeWithServer('postgres', 'personal data encrypted in the PostgreSQL event store (distributed)', (url) => {
  const admin = knexFactory({ client: 'pg', connection: url, pool: { min: 0, max: 2 } });
  afterAll(() => admin.destroy());

  encryptedStoreContract(async () => {
    const suffix = randomBytes(6).toString('hex');
    const schema = `enc_events_${suffix}`;
    const inner = createPostgresEventStore({ url, schema });
    const keys = createPostgresKeyStore({ url, schema: `enc_keys_${suffix}` });
    return {
      inner,
      keys,
      rawData: rawData(admin, schema),
      dispose: async () => {
        await inner.stop();
        await keys.stop();
        await admin.raw(`drop schema "${schema}" cascade`);
        await admin.raw(`drop schema "enc_keys_${suffix}" cascade`);
      },
    };
  });
});

describeWithServer(
  'kafka',
  'personal data on Kafka: the topic holds ciphertext, consumers read plaintext',
  (brokers) => {
    it('relays sealed events and opens them for the consumers, ERASED after an erasure', async () => {
      const knex = createPgliteKnex();
      const inner = createPgliteEventStore({ knex });
      const keys = createPgliteKeyStore({ knex });
      const store = encryptingEventStore(inner, keys);
      await store.start();
      const kafka = new KafkaBus({
        brokers: brokers.split(','),
        clientId: 'personal-data-test',
        partitions: 1,
        namespace: `pd${Date.now().toString(36)}.`,
      });
      const bus = decryptingBus(kafka, store.personalData);
      await bus.start();
      const raw: DeliveredMessage[] = [];
      const opened: DeliveredMessage[] = [];
      const consumers = [
        await kafka.consume({ topic: EVENTS_TOPIC, groupId: 'raw', handle: async (m) => void raw.push(m) }),
        await bus.consume({ topic: EVENTS_TOPIC, groupId: 'opened', handle: async (m) => void opened.push(m) }),
      ];
      // The relay publishes what the store holds.
      const relay = new Relay({
        store: inner,
        bus,
        checkpoints: new SqlCheckpointStore(knex, 'relay'),
        logger: silentLogger(),
      });
      relay.start();
      try {
        const marker = `MARKER-${randomUUID()}`;
        await store.append(
          'session-acme-k1',
          [sessionStarted('k1', 'vk', `Kim ${marker}`), messagePosted('k1', `hi ${marker}`)],
          'no_stream',
        );
        await waitFor('both consumers', async () => (raw.length >= 2 && opened.length >= 2 ? true : undefined));
        expect(raw.map((m) => m.value).join('\n')).not.toContain(marker);
        const text = (m: DeliveredMessage | undefined) => {
          const e = fromBusMessage(m!.value);
          return e._tag === 'Right' ? e.right.data['text'] : undefined;
        };
        expect(text(opened[1])).toBe(`hi ${marker}`);
        // An erasure reaches what the topic keeps: a consumer reading it again gets ERASED.
        await keys.erase({ companyId: 'acme', visitorId: 'vk' }, new Date());
        const again: DeliveredMessage[] = [];
        consumers.push(
          await bus.consume({
            topic: EVENTS_TOPIC,
            groupId: 'replay',
            fromBeginning: true,
            handle: async (m) => void again.push(m),
          }),
        );
        await waitFor('the replay', async () => (again.length >= 2 ? true : undefined));
        expect(text(again[1])).toBe(ERASED);
        expect(again.map((m) => m.value).join('\n')).not.toContain(marker);
      } finally {
        await relay.stop();
        for (const consumer of consumers) await consumer.stop();
        await bus.stop();
        await store.stop();
        await knex.destroy();
      }
    }, 60_000);
  },
);
