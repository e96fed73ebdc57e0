// A fix for a race in kafkajs 2.2.4 (its last release; the project is no longer maintained) that
// froze a whole process: a consumer's runner that has been stopped (disconnect(), or a crash)
// answers every fetch with an empty list at once, and a fetcher still looping on it never waits for
// anything, so it spins on promise callbacks for ever and starves the event loop (no timer, socket
// or HTTP request of the process runs again, at 100 % of a core). A fetcher outlives its runner's
// stop when the fetch manager re-creates its fetchers (the brokers' node ids changed, as when a
// broker comes back) while the runner is being stopped: the stop waits for the fetchers of the time,
// and the fetch manager starts new ones after it. The distributed fault suite found it: after the
// two-broker outage, when one broker came back, a gateway whose consumer was being re-created (its
// offset commit had not ended) froze for good, and its peers saw it as gone.
//
// The fix: a stopped runner's fetch fails instead (kafkajs issues #1384 and #1387 are the same kind
// of spin, with no broker left). The failed fetch ends that fetcher, its fetch manager stops the
// others and gives up, and the runner's own retry finds it stopped and ends quietly.
interface Runner {
  running: boolean;
  fetch: (this: Runner, nodeId: string) => Promise<unknown[]>;
}

/** What the fetch of a stopped runner fails with (kafkajs retries it once, finds the runner stopped, and ends). */
export class StoppedConsumerFetchError extends Error {
  override readonly name = 'StoppedConsumerFetchError';
  constructor() {
    super('the consumer has stopped; its fetcher ends');
  }
}

const patched = Symbol.for('cschat.kafkajs.stoppedRunnerFetchFails');

/** The kafkajs runner's prototype, as the consumers of this process use it (the module kafkajs itself loads). */
export const kafkajsRunner = (): { prototype: Runner } =>
  // A module of kafkajs's own (no types): the same instance as kafkajs's consumers load (also in jest's registry).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('kafkajs/src/consumer/runner') as { prototype: Runner };

/** Applies the fix once per process; the KafkaBus does before it makes a consumer. */
export const fixKafkajsStoppedRunnerFetch = (): void => {
  const { prototype } = kafkajsRunner();
  const marked = prototype as Runner & { [patched]?: true };
  if (marked[patched] === true) return;
  const fetch = prototype.fetch;
  prototype.fetch = async function (this: Runner, nodeId: string): Promise<unknown[]> {
    if (!this.running) throw new StoppedConsumerFetchError();
    return fetch.call(this, nodeId);
  };
  marked[patched] = true;
};
