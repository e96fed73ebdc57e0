// kafkajs' request queues, patched by kafkajs-idle-loop.ts: an idle bus leaves the event loop
// alone, and requests still go out and come back.
import RequestQueue from 'kafkajs/src/network/requestQueue/index.js';
import { describeWithServer } from '../../../test-support/servers';
import { KafkaBus } from './kafka';

type Checked = { checkPendingRequests(this: Checked): void };

describeWithServer('kafka', 'kafkajs request queues on an idle bus', (brokers) => {
  jest.setTimeout(60_000);

  it('look for waiting requests only when one waits, and still deliver', async () => {
    const bus = new KafkaBus({
      brokers: brokers.split(','),
      clientId: 'idle-loop-test',
      partitions: 1,
      namespace: `idle${Date.now().toString(36)}.`,
    });
    await bus.start();
    const prototype = RequestQueue.prototype as unknown as Checked;
    // Called below with each queue as `this`, as kafkajs calls it.
    // eslint-disable-next-line @typescript-eslint/unbound-method
    const original = prototype.checkPendingRequests;
    let checks = 0;
    prototype.checkPendingRequests = function (this: Checked) {
      checks += 1;
      original.call(this);
    };
    try {
      const received: string[] = [];
      const consumer = await bus.consume({
        topic: 'events',
        groupId: 'idle-loop',
        handle: async (m) => void received.push(m.key),
      });
      await bus.publish('events', [{ key: 'k1', value: 'v1' }]);
      for (let i = 0; i < 100 && received.length === 0; i++) await new Promise((r) => setTimeout(r, 200));
      expect(received).toEqual(['k1']);
      checks = 0;
      await new Promise((r) => setTimeout(r, 2_000));
      // Unpatched, every connection re-checked about a thousand times a second; a consumer's
      // fetches and heartbeats complete a few times a second, and each looks once.
      expect(checks).toBeLessThan(100);
      await consumer.stop();
    } finally {
      prototype.checkPendingRequests = original;
      await bus.stop();
    }
  });
});
