// The bus inside one process (embedded mode): one ordered log per topic and a committed offset
// per group, with Kafka's semantics for one partition. A group has one active consumer; another
// consumer of the same group waits until the first stops, then goes on from its commits.
import { silentLogger, type Logger } from '../logging';
import { HandlerRunner } from './handler-runner';
import { HandlerAbandonedError, type Bus, type BusMessage, type ConsumeOptions, type Consumer } from './port';

interface Topic {
  readonly log: BusMessage[];
  readonly committed: Map<string, number>;
  readonly waiters: Set<() => void>;
  /** Groups now consuming that read the topic from its beginning (read models, reactors), by consumers. */
  readonly durable: Map<string, number>;
  /** Called whenever a group committed or a durable consumer left. */
  readonly progress: Set<() => void>;
}

export class InProcessBus implements Bus {
  private readonly topics = new Map<string, Topic>();
  private readonly groupLocks = new Map<string, Promise<void>>();
  private readonly consumers = new Set<Consumer>();

  constructor(private readonly logger: Logger = silentLogger()) {}

  async start(): Promise<void> {}

  async stop(): Promise<void> {
    await Promise.all([...this.consumers].map((c) => c.stop()));
  }

  private topic(name: string): Topic {
    let topic = this.topics.get(name);
    if (topic === undefined) {
      topic = { log: [], committed: new Map(), waiters: new Set(), durable: new Map(), progress: new Set() };
      this.topics.set(name, topic);
    }
    return topic;
  }

  async publish(topicName: string, messages: readonly BusMessage[]): Promise<void> {
    const topic = this.topic(topicName);
    topic.log.push(...messages.map((m) => ({ ...m })));
    for (const wake of topic.waiters) wake();
  }

  /**
   * Resolves once every group now consuming the topic from its beginning has consumed what was
   * published before the call. Nothing of this bus survives the process, so the relay waits for
   * this before it moves its checkpoint: after a crash it publishes again whatever a read model
   * or a reactor had not handled yet (they are idempotent), instead of losing it.
   */
  async drained(topicName: string): Promise<void> {
    const topic = this.topic(topicName);
    const end = topic.log.length;
    const done = (): boolean => [...topic.durable.keys()].every((group) => (topic.committed.get(group) ?? 0) >= end);
    if (done()) return;
    await new Promise<void>((resolve) => {
      const check = (): void => {
        if (!done()) return;
        topic.progress.delete(check);
        resolve();
      };
      topic.progress.add(check);
    });
  }

  private progressed(topic: Topic): void {
    for (const check of [...topic.progress]) check();
  }

  async consume(options: ConsumeOptions): Promise<Consumer> {
    const topic = this.topic(options.topic);
    const durable = options.fromBeginning !== false;
    if (durable) topic.durable.set(options.groupId, (topic.durable.get(options.groupId) ?? 0) + 1);
    const runner = new HandlerRunner(options, this.logger);
    const lockKey = `${options.topic}\u0000${options.groupId}`;
    const previous = this.groupLocks.get(lockKey) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    this.groupLocks.set(
      lockKey,
      previous.then(() => mine),
    );

    let wake: (() => void) | undefined;
    const signal = (): void => wake?.();
    topic.waiters.add(signal);

    const loop = (async () => {
      await Promise.race([previous, new Promise<void>((resolve) => (wake = resolve))]);
      if (!runner.isStopping) await previous;
      try {
        while (!runner.isStopping) {
          const offset =
            topic.committed.get(options.groupId) ?? (options.fromBeginning === false ? topic.log.length : 0);
          if (!topic.committed.has(options.groupId)) topic.committed.set(options.groupId, offset);
          // What is waiting, up to the handler's batch (one message for a handler of single messages).
          const waiting = topic.log.slice(offset, offset + runner.maxBatch);
          if (waiting.length === 0) {
            await new Promise<void>((resolve) => (wake = resolve));
            continue;
          }
          await runner.run(
            waiting.map((message, i) => ({
              ...message,
              topic: options.topic,
              partition: 0,
              offset: BigInt(offset + i),
            })),
          );
          topic.committed.set(options.groupId, offset + waiting.length);
          this.progressed(topic);
        }
      } catch (error) {
        if (!(error instanceof HandlerAbandonedError)) throw error;
      } finally {
        topic.waiters.delete(signal);
        if (durable) {
          const left = (topic.durable.get(options.groupId) ?? 1) - 1;
          if (left > 0) topic.durable.set(options.groupId, left);
          else topic.durable.delete(options.groupId);
          this.progressed(topic);
        }
        release();
      }
    })();

    const consumer: Consumer = {
      stop: async () => {
        this.consumers.delete(consumer);
        const grace = runner.stop();
        wake?.();
        await loop;
        grace.cancel();
      },
      // Nothing stands between this process and itself.
      lastHeardAt: () => Date.now(),
    };
    this.consumers.add(consumer);
    return consumer;
  }
}
