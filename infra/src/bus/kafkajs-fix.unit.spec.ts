// The race of kafkajs-fix.ts with kafkajs's own fetch manager and runner: a fetcher left running
// after its runner stopped. Without the fix it spins without end (here it is stopped by a counter
// after 10,000 rounds, so that the test cannot freeze); with it, the first fetch ends it.
import { fixKafkajsStoppedRunnerFetch, kafkajsRunner, StoppedConsumerFetchError } from './kafkajs-fix';

interface FetchManager {
  start(): Promise<void>;
}

// kafkajs's own module (no types), the one its consumers use.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const createFetchManager = require('kafkajs/src/consumer/fetchManager') as (options: object) => FetchManager;

const SPIN_LIMIT = 10_000;

const quietLogger = (): object => {
  const logger = { debug() {}, info() {}, warn() {}, error() {}, namespace: (): object => logger };
  return logger;
};

/** A fetch manager whose runner has stopped, as after a stop that came while its fetchers were being re-created. */
const orphanedFetchers = (): { manager: FetchManager; rounds: () => number } => {
  const runner = Object.create(kafkajsRunner().prototype) as {
    running: boolean;
    logger: object;
    consumerGroup: object;
    fetch(nodeId: string): Promise<unknown[]>;
  };
  runner.running = false;
  runner.logger = quietLogger();
  runner.consumerGroup = { groupId: 'g', memberId: 'm' };
  let rounds = 0;
  const manager = createFetchManager({
    logger: quietLogger(),
    // Asked once per fetch (is a rebalance due?): counts the fetcher's rounds, and ends a spin.
    getNodeIds: () => {
      if (++rounds > SPIN_LIMIT) throw new Error(`spun ${SPIN_LIMIT} times`);
      return ['1'];
    },
    fetch: (nodeId: string) => runner.fetch(nodeId),
    handler: async () => undefined,
    concurrency: 1,
  });
  return { manager, rounds: () => rounds };
};

describe('kafkajs: the fetcher of a stopped consumer', () => {
  it('spins without waiting in kafkajs as released, and ends at its first fetch with the fix', async () => {
    const unfixed = orphanedFetchers();
    await expect(unfixed.manager.start()).rejects.toThrow(`spun ${SPIN_LIMIT} times`);
    expect(unfixed.rounds()).toBeGreaterThan(SPIN_LIMIT);

    fixKafkajsStoppedRunnerFetch();
    fixKafkajsStoppedRunnerFetch(); // once only: a second call does not wrap it again
    const fixed = orphanedFetchers();
    await expect(fixed.manager.start()).rejects.toBeInstanceOf(StoppedConsumerFetchError);
    // createFetchers asks once, the fetch once.
    expect(fixed.rounds()).toBe(2);
  });

  it('leaves a running consumer fetching as before', async () => {
    fixKafkajsStoppedRunnerFetch();
    const runner = Object.create(kafkajsRunner().prototype) as {
      running: boolean;
      consumerGroup: object;
      instrumentationEmitter: object;
      logger: object;
      heartbeat(): Promise<void>;
      fetch(nodeId: string): Promise<unknown[]>;
    };
    const batch = { topic: 't', partition: 0 };
    runner.running = true;
    runner.logger = quietLogger();
    runner.instrumentationEmitter = { emit() {} };
    runner.consumerGroup = { fetch: async () => [batch] };
    await expect(runner.fetch('1')).resolves.toEqual([batch]);
  });
});
