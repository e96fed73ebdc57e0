import { InProcessBus } from '../bus/in-process';
import { silentLogger } from '../logging';
import { SqlCheckpointStore } from './checkpoints';
import { createPgliteEventStore, createPgliteKnex } from '../event-store';
import { Relay } from './relay';
import { waitFor } from '../../../test-support/wait';

describe('relay lifecycle', () => {
  it('stops when stopped right after starting, before its checkpoint was even loaded', async () => {
    const knex = createPgliteKnex();
    const store = createPgliteEventStore({ knex });
    await store.start();
    const relay = new Relay({
      store,
      bus: new InProcessBus(),
      checkpoints: new SqlCheckpointStore(knex, 'relay'),
      logger: silentLogger(),
    });
    relay.start();
    await relay.stop();
    await store.stop();
    await knex.destroy();
  });

  it('publishes every event with its stream as the key, and resumes after its checkpoint', async () => {
    const knex = createPgliteKnex();
    const store = createPgliteEventStore({ knex });
    await store.start();
    const bus = new InProcessBus();
    const checkpoints = new SqlCheckpointStore(knex, 'relay');
    const received: string[] = [];
    const consumer = await bus.consume({
      topic: 'events',
      groupId: 'g',
      handle: async (m) => void received.push(`${m.key}:${(JSON.parse(m.value) as { type: string }).type}`),
    });
    const relay = new Relay({ store, bus, checkpoints, logger: silentLogger() });
    relay.start();
    await store.append(
      'session-a-1',
      [
        { type: 'A', data: {} },
        { type: 'B', data: {} },
      ],
      'no_stream',
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    await relay.stop();
    await store.append('session-a-2', [{ type: 'C', data: {} }], 'no_stream');
    const again = new Relay({ store, bus, checkpoints, logger: silentLogger() });
    again.start();
    await waitFor('the third event', async () => (received.length >= 3 ? true : undefined));
    await new Promise((resolve) => setTimeout(resolve, 100)); // nothing more arrives
    await again.stop();
    await consumer.stop();
    expect(received).toEqual(['session-a-1:A', 'session-a-1:B', 'session-a-2:C']);
    expect(await checkpoints.load('relay')).toEqual(await store.lastPosition());
    await store.stop();
    await knex.destroy();
  });
});
