// One member of a Kafka consumer group, kept alive for as long as it is not stopped. kafkajs's
// consumer retries through a broker outage (and so keeps its place in the group), but it gives up
// all the same on some errors, as when no broker is left at all (a fetch was in flight when the
// broker went): then this re-creates it (connect, subscribe, run: same group, same handler) after
// a short delay. Batches go to the handler one message at a time, or in chunks of at most its
// maxBatch, and are committed by hand.
import type { EachBatchPayload, Kafka, Consumer as KafkaConsumer, RetryOptions } from 'kafkajs';
import type { Logger } from '../logging';
import { HandlerRunner } from './handler-runner';
import { HandlerAbandonedError, type ConsumeOptions } from './port';

export type SupervisedConsumerOptions = ConsumeOptions & {
  readonly kafka: Kafka;
  /** The topic and group as the broker knows them (with the bus's namespace). */
  readonly brokerTopic: string;
  readonly brokerGroupId: string;
  /** Stripped from the topic of a delivered message. */
  readonly namespace: string;
  readonly retry: RetryOptions;
  readonly logger: Logger;
  /**
   * For a group that starts at the newest messages: the offsets (by partition) to commit once it
   * has joined, for the partitions that had no committed offset. A consumer re-created after a
   * crash then goes on from there; without a committed offset it would start at the newest
   * messages again, skipping those that came between the crash and its return.
   */
  readonly startOffsets: ReadonlyMap<number, string>;
};

/** The wait before re-creating a crashed consumer: short, and never above a second. */
const restartDelayMs = (restarts: number): number => Math.min(1000, 100 * 2 ** Math.min(restarts, 10));

/**
 * How long stop() waits on the broker (the last commit, leaving the group) before it gives up on
 * it: while the broker is away, kafkajs's own retries would wait for it to come back.
 */
const BROKER_WAIT_MS = 5_000;

/**
 * How long an offset commit may take before the consumer counts as stuck and is re-created. kafkajs
 * retries a commit without end to the group coordinator it found first, and on "not the correct
 * coordinator" (the coordinator moved while this gateway was cut off from the brokers) it refreshes
 * the topics' metadata but not the coordinator: the commit never ends, nor the batch, nor the
 * fetches. A new consumer looks the coordinator up again (found by the distributed fault suite: a
 * gateway stayed without its event feed after its link to Kafka was healed).
 */
const COMMIT_WAIT_MS = 10_000;

const within = async (work: Promise<unknown>, ms: number): Promise<boolean> => {
  let timer: NodeJS.Timeout | undefined;
  const finished = await Promise.race([
    work.then(() => true),
    new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms))),
  ]).finally(() => clearTimeout(timer));
  return finished;
};

export class SupervisedConsumer {
  private readonly runner: HandlerRunner;
  private readonly logger: Logger;
  /** The kafkajs consumer of the current generation (the first, or the latest re-creation). */
  private current: KafkaConsumer | undefined;
  private generations = 0;
  /** Crashes since the group was last joined: the restart delay grows with them (to its bound). */
  private restarts = 0;
  /** The start or re-creations in progress, one after the other; stop() waits for them. */
  private supervision: Promise<void> = Promise.resolve();
  private crashedAt: number | undefined;
  /** The partitions of the topic that the group gave the current generation. */
  private assigned: readonly number[] = [];
  private joined: (() => void) | undefined;
  private stopped = false;
  private stopping: Promise<void> | undefined;
  /** Cuts the wait before a re-creation short when stop() comes. */
  private wake: (() => void) | undefined;
  /** The batches in progress: stop() waits for them so that their commits reach the broker. */
  private readonly inFlight = new Set<Promise<void>>();
  /**
   * When a broker last answered one of this consumer's fetches, or its handler last finished a
   * call: lastHeardAt(). Fetch answers only, of any generation's: they are what brings messages,
   * and an idle long poll is answered every maxWaitTimeInMs. (kafkajs's own FETCH event is no
   * proof: a fetcher with no partition on its broker emits it after a sleep, asking no one.)
   */
  private heardAt = Date.now();
  /** Handler calls in progress: while one works, the consumer counts as heard from. */
  private working = 0;

  constructor(private readonly options: SupervisedConsumerOptions) {
    this.runner = new HandlerRunner(options, options.logger);
    this.logger = options.logger.child({ group: options.groupId, topic: options.topic });
  }

  /** Resolves once the group has given this consumer its partitions (rejects after the timeout). */
  async start(joinTimeoutMs: number): Promise<void> {
    const joined = new Promise<void>((resolve) => (this.joined = resolve));
    const first = this.generation();
    this.supervision = first.catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        Promise.all([first, joined]),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`consumer group ${this.options.groupId} not joined within ${joinTimeoutMs} ms`)),
            joinTimeoutMs,
          );
        }),
      ]);
    } catch (error) {
      await this.stop();
      throw error;
    } finally {
      clearTimeout(timer);
    }
    await this.commitStart();
  }

  /**
   * Commits startOffsets for the partitions this consumer was given. A message handled before
   * this commit lands may be delivered again after a crash: duplicates are harmless, gaps are not.
   */
  private async commitStart(): Promise<void> {
    const { startOffsets, brokerTopic } = this.options;
    const offsets = this.assigned.flatMap((partition) => {
      const offset = startOffsets.get(partition);
      return offset === undefined ? [] : [{ topic: brokerTopic, partition, offset }];
    });
    if (offsets.length === 0) return;
    await this.current!.commitOffsets(offsets).catch((error: unknown) =>
      this.logger.warn(
        { err: error, offsets },
        'start offsets not committed; a re-created consumer starts at the newest',
      ),
    );
  }

  /** When this consumer last heard from the broker (the bus port's Consumer.lastHeardAt). */
  lastHeardAt(): number {
    return this.working > 0 ? Date.now() : this.heardAt;
  }

  /** Stops fetching, lets the handler in progress finish (within the grace), commits, leaves. */
  stop(): Promise<void> {
    this.stopping ??= this.stopOnce();
    return this.stopping;
  }

  private async stopOnce(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    const grace = this.runner.stop();
    const settled = await within(
      Promise.allSettled([...this.inFlight]),
      (this.options.stopGraceMs ?? 10_000) + BROKER_WAIT_MS,
    );
    const left = await within(
      Promise.all([
        this.current
          ?.disconnect()
          .catch((error: unknown) => this.logger.warn({ err: error }, 'Kafka consumer disconnect failed')),
        this.supervision,
      ]),
      BROKER_WAIT_MS,
    );
    if (!settled || !left) {
      // Its retries go on until the broker answers; then it sees that it was stopped, and leaves.
      this.logger.warn(
        { waitedMs: BROKER_WAIT_MS },
        `Kafka consumer of ${this.options.groupId} stopped without reaching the broker; it leaves its group when the broker answers`,
      );
    }
    grace.cancel();
  }

  /** Creates, connects and runs one kafkajs consumer; it becomes the current one at once. */
  private async generation(): Promise<void> {
    const { kafka, brokerTopic, brokerGroupId } = this.options;
    const generation = ++this.generations;
    const consumer = kafka.consumer({
      groupId: brokerGroupId,
      allowAutoTopicCreation: false,
      // An idle fetch returns after this long; stop() waits for the fetch in progress, so a
      // short one makes a graceful stop quick (new messages end a fetch at once anyway).
      maxWaitTimeInMs: 500,
      // A crashed member's partitions go to the others (or its restart) after this long.
      sessionTimeout: 10_000,
      heartbeatInterval: 1_000,
      // How long a rebalance waits for the members to join again. A new member (a process started
      // again, a consumer re-created here) makes the group rebalance, and a dead member (its
      // crashed self, which could not leave while the broker was away) holds that rebalance this
      // long, not the 10 s of its session: the rejoin after a crash takes seconds. Live members
      // rejoin within a heartbeat (1 s) and the message in hand; one that is late rejoins anew.
      rebalanceTimeout: 3_000,
      // kafkajs restarts a crashed consumer itself only after a retriable error, and then after the
      // last retry's backoff; here every crash goes the same way instead: re-created after a short
      // delay, whatever the error (see crashed()).
      retry: { ...this.options.retry, restartOnFailure: async () => false },
    });
    this.current = consumer;
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      this.assigned = payload.memberAssignment[brokerTopic] ?? [];
      this.restarts = 0;
      this.joined?.();
      if (this.crashedAt !== undefined) {
        this.logger.info(
          { generation, sinceCrashMs: Date.now() - this.crashedAt },
          `Kafka consumer of ${this.options.groupId} re-created and back in its group`,
        );
        this.crashedAt = undefined;
      }
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => this.crashed(consumer, generation, payload.error));
    consumer.on(consumer.events.REQUEST, ({ payload }) => {
      if (payload.apiName === 'Fetch') this.heardAt = Date.now();
    });
    const steps = [
      () => consumer.connect(),
      () => consumer.subscribe({ topic: brokerTopic, fromBeginning: this.options.fromBeginning ?? true }),
      () =>
        consumer.run({
          autoCommit: false,
          eachBatchAutoResolve: false,
          eachBatch: (payload) => {
            const work = this.handleBatch(consumer, payload);
            this.inFlight.add(work);
            return work.finally(() => this.inFlight.delete(work));
          },
        }),
    ];
    try {
      for (const step of steps) {
        // stop() came while this one was connecting (perhaps for as long as the broker was away).
        if (this.stopped) break;
        await step();
      }
    } catch (error) {
      await within(
        consumer.disconnect().catch(() => undefined),
        BROKER_WAIT_MS,
      );
      throw error;
    }
    if (this.stopped) await consumer.disconnect();
  }

  private crashed(consumer: KafkaConsumer, generation: number, error: Error): void {
    if (this.stopped || consumer !== this.current) return;
    const delay = restartDelayMs(this.restarts++);
    this.crashedAt ??= Date.now();
    this.logger.error(
      { err: error, generation, restartInMs: delay },
      `Kafka consumer of ${this.options.groupId} crashed; re-creating it`,
    );
    // kafkajs has disconnected the crashed consumer before telling: only this restart is left to do.
    this.supervision = this.supervision.then(() => this.restart(delay));
  }

  private async restart(delay: number): Promise<void> {
    // No two generations handle one partition at once: the crashed one's batch ends first.
    await Promise.allSettled([...this.inFlight]);
    for (;;) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
      if (this.stopped) return;
      try {
        await this.generation();
        return;
      } catch (error) {
        if (this.stopped) return;
        delay = restartDelayMs(this.restarts++);
        this.logger.error(
          { err: error, generation: this.generations, restartInMs: delay },
          `Kafka consumer of ${this.options.groupId} could not be re-created; trying again`,
        );
      }
    }
  }

  private async handleBatch(consumer: KafkaConsumer, payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const { runner } = this;
    const inBatches = runner.maxBatch > 1;
    let handled: string | undefined;
    let committed: string | undefined;
    /** A commit that did not end: this consumer is being re-created, the batch ends here. */
    let stuck = false;
    const commit = async (): Promise<void> => {
      if (handled === undefined || handled === committed) return;
      const offset = (BigInt(handled) + 1n).toString();
      committed = handled;
      const done = await within(
        consumer
          .commitOffsets([{ topic: batch.topic, partition: batch.partition, offset }])
          .catch((error: unknown) =>
            this.logger.warn(
              { err: error, partition: batch.partition, offset },
              'offset commit failed; messages will be redelivered',
            ),
          ),
        COMMIT_WAIT_MS,
      );
      if (!done) {
        stuck = true;
        // Disconnected, the consumer stops kafkajs's retries of the commit; the next one finds the coordinator anew.
        void within(
          consumer.disconnect().catch(() => undefined),
          BROKER_WAIT_MS,
        );
        this.crashed(
          consumer,
          this.generations,
          new Error(`offset commit to partition ${batch.partition} did not end within ${COMMIT_WAIT_MS} ms`),
        );
      }
    };
    try {
      for (let from = 0; from < batch.messages.length; from += runner.maxBatch) {
        if (runner.isStopping || !payload.isRunning() || payload.isStale()) break;
        const chunk = batch.messages.slice(from, from + runner.maxBatch);
        const delivered = chunk.map((message) => ({
          topic: batch.topic.slice(this.options.namespace.length),
          partition: batch.partition,
          offset: BigInt(message.offset),
          key: message.key?.toString() ?? '',
          value: message.value?.toString() ?? '',
          headers: Object.fromEntries(
            Object.entries(message.headers ?? {}).map(([name, value]) => [name, value?.toString() ?? '']),
          ),
        }));
        this.working += 1;
        try {
          await runner.run(delivered);
        } finally {
          // The clock of lastHeardAt() starts again when the work ends.
          this.working -= 1;
          this.heardAt = Date.now();
        }
        handled = chunk[chunk.length - 1]!.offset;
        // Moves kafkajs's fetch position; without it the batch would be fetched again.
        payload.resolveOffset(handled);
        // A batch handler's work is a transaction each: its commit follows at once, so that a
        // crash redelivers at most the chunk in hand (single messages commit once per fetch).
        if (inBatches) await commit();
        if (stuck) break;
        await payload.heartbeat();
      }
    } catch (error) {
      if (!(error instanceof HandlerAbandonedError)) throw error;
    } finally {
      // Commit what succeeded, also when the batch ends early: the next offset to read.
      await commit();
    }
  }
}
