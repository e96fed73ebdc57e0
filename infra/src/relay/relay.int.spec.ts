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

  it('on the in-process bus, moves its checkpoint only after the durable consumers handled the batch', async () => {
    // In-process messages die with the process: a checkpoint past an unhandled event would lose it.
    const knex = createPgliteKnex();
    const store = createPgliteEventStore({ knex });
    await store.start();
    const bus = new InProcessBus();
    const checkpoints = new SqlCheckpointStore(knex, 'relay');
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const handled: string[] = [];
    let entered = false;
    const projector = await bus.consume({
      topic: 'events',
      groupId: 'read-model',
      handle: async (m) => {
        entered = true;
        await held;
        handled.push(m.key);
      },
    });
    // A gateway's group (new messages only) is not waited for: it holds nothing that must survive.
    const gateway = await bus.consume({
      topic: 'events',
      groupId: 'gateway',
      fromBeginning: false,
      handle: async () => {},
    });
    const relay = new Relay({ store, bus, checkpoints, logger: silentLogger() });
    relay.start();
    await store.append('session-a-1', [{ type: 'A', data: {} }], 'no_stream');
    await waitFor('the event at the read model', async () => (entered ? true : undefined));
    await new Promise((resolve) => setTimeout(resolve, 100)); // the relay has had time to move on
    expect(await checkpoints.load('relay')).toBeUndefined();
    release();
    await waitFor('the checkpoint', async () => ((await checkpoints.load('relay')) === undefined ? undefined : true));
    expect(handled).toEqual(['session-a-1']);
    await relay.stop();
    await gateway.stop();
    await projector.stop();
    await store.stop();
    await knex.destroy();
  });
});
