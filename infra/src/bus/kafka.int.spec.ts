import { describeWithServer } from '../../../test-support/servers';
import { busContract } from './contract';
import { KafkaBus } from './kafka';

describeWithServer('kafka', 'Kafka bus', (brokers) => {
  jest.setTimeout(60_000);
  busContract(async () => {
    // A namespace per run: topics and groups of earlier runs on the same broker stay apart.
    const bus = new KafkaBus({
      brokers: brokers.split(','),
      clientId: 'contract-test',
      partitions: 3,
      namespace: `t${Date.now().toString(36)}.`,
    });
    await bus.start();
    return { bus, dispose: () => bus.stop() };
  });
});
