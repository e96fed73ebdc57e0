import { busContract } from './contract';
import { InProcessBus } from './in-process';

describe('in-process bus', () => {
  busContract(async () => {
    const bus = new InProcessBus();
    await bus.start();
    return { bus, dispose: () => bus.stop() };
  });
});
