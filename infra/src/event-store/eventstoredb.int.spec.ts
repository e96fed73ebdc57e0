import { EventStoreDBClient, jsonEvent } from '@eventstore/db-client';
import { startTestEventStore, type TestEventStore } from '../../../test-support/eventstoredb/start';
import { describeWithServer } from '../../../test-support/servers';
import { commandHandlerContract } from '../command-handler/handler.contract';
import { eventStoreContract, type StoreFixture } from './contract';
import { EventStoreDbEventStore } from './eventstoredb';
import type { Position, RecordedEvent, Subscription } from './port';

const openAdapter = (url: () => string) => async (): Promise<StoreFixture> => {
  const store = new EventStoreDbEventStore({ url: url() });
  await store.start();
  return { store, dispose: () => store.stop() };
};

// Always runs: the adapter and the real @eventstore/db-client, over gRPC on HTTP/2 on loopback,
// against the in-memory TEST DOUBLE of test-support/eventstoredb (not EventStoreDB: see the list of
// differences at the top of its server.ts). One server per suite, shared by its tests like a real one.
const againstTestServer = (title: string, options: { batchAppend: boolean }, withHandler: boolean): void => {
  describe(title, () => {
    let server: TestEventStore;
    beforeAll(async () => {
      server = await startTestEventStore(options);
    });
    afterAll(() => server.stop());

    eventStoreContract(openAdapter(() => server.url));
    if (withHandler) describe('command handler', () => commandHandlerContract(openAdapter(() => server.url)));
  });
};

againstTestServer(
  'EventStoreDB adapter over gRPC against the in-repo test server (BatchAppend, as EventStoreDB 21.10+)',
  { batchAppend: true },
  true,
);
againstTestServer(
  'EventStoreDB adapter over gRPC against the in-repo test server (Append, as EventStoreDB 20.x)',
  { batchAppend: false },
  false,
);

describe('EventStoreDB adapter over gRPC against the in-repo test server: system events', () => {
  // A real EventStoreDB also writes `$`-prefixed events of its own to the log (statistics, settings,
  // users...); the test double writes none, so this test writes some through the client itself.
  let server: TestEventStore;
  let store: EventStoreDbEventStore;
  let client: EventStoreDBClient;
  beforeEach(async () => {
    server = await startTestEventStore();
    store = new EventStoreDbEventStore({ url: server.url });
    await store.start();
    client = EventStoreDBClient.connectionString(server.url);
  });
  afterEach(async () => {
    await client.dispose();
    await store.stop();
    await server.stop();
  });

  const systemEvent = () =>
    client.appendToStream('$stats-127.0.0.1:2113', jsonEvent({ type: '$statsCollected', data: {} }));
  const numbers = (events: RecordedEvent[]): unknown[] => events.map((e) => e.data['i']);

  it('are skipped by reads, which page over them, by lastPosition and by subscriptions', async () => {
    await systemEvent();
    await systemEvent();
    await systemEvent();
    const written: Position[] = [];
    for (let i = 0; i < 5; i++) {
      written.push((await store.append(`s-${i}`, [{ type: 'Counted', data: { i } }], 'no_stream')).position);
      await systemEvent();
    }

    expect(numbers(await store.readAll({ maxCount: 3 }))).toEqual([0, 1, 2]);
    expect(numbers(await store.readAll({ after: written[1]!, maxCount: 2 }))).toEqual([2, 3]);
    expect(numbers(await store.readAll({ after: written[3]!, maxCount: 2 }))).toEqual([4]);
    expect(await store.lastPosition()).toEqual(written[4]);

    const subscription: Subscription = store.subscribe();
    const seen: RecordedEvent[] = [];
    for await (const event of subscription) if (seen.push(event) === 5) break;
    await subscription.stop();
    expect(numbers(seen)).toEqual([0, 1, 2, 3, 4]);
  });
});

// EventStoreDB keeps one global log per server; each test writes to streams of its own, so the
// contract's global-log assertions would see other tests' events. A fresh server per run is
// expected (see README: docker compose), and the suite runs when EVENTSTORE_URL is set.
describeWithServer('eventstore', 'EventStoreDB event store', (url) => {
  eventStoreContract(openAdapter(() => url));
});
