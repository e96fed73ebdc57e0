import { describeWithServer } from '../../../test-support/servers';
import { eventStoreContract } from './contract';
import { EventStoreDbEventStore } from './eventstoredb';

// EventStoreDB keeps one global log per server; each test writes to streams of its own, so the
// contract's global-log assertions would see other tests' events. A fresh server per run is
// expected (see README: docker compose), and the suite runs when EVENTSTORE_URL is set.
describeWithServer('eventstore', 'EventStoreDB event store', (url) => {
  eventStoreContract(async () => {
    const store = new EventStoreDbEventStore({ url });
    await store.start();
    return { store, dispose: () => store.stop() };
  });
});
