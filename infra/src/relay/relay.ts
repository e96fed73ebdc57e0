// The relay follows the event store's global log from its checkpoint and publishes each event to
// the bus, keyed by its stream so that one stream's events keep their order. The checkpoint moves
// only after the bus acknowledged: a crash in between publishes some events twice, never loses one.
import type { Bus } from '../bus/port';
import type { EventStore, Position, Subscription } from '../event-store/port';
import type { Logger } from '../logging';
import { batches } from './batches';
import type { CheckpointStore } from './checkpoints';
import { EVENTS_TOPIC, toBusMessage } from './envelope';

export interface RelayOptions {
  readonly store: EventStore;
  readonly bus: Bus;
  readonly checkpoints: CheckpointStore;
  readonly logger: Logger;
  readonly name?: string;
  readonly topic?: string;
  readonly maxBatch?: number;
  /** Called after a batch was published and before its checkpoint is saved (tests crash here). */
  readonly afterPublish?: (last: Position) => Promise<void>;
  /** Called after each checkpoint with the batch's size and its last event's time (metrics). */
  readonly onRelayed?: (count: number, lastRecordedAt: Date) => void;
}

/**
 * The wait before following again after a failure: short and at most a second, so that the relay
 * resumes within about a second of the bus (or the store) answering again, however long it was
 * away. A publish that fails takes seconds itself (the Kafka bus gives up after about 5 s).
 */
const relayRetryDelayMs = (failures: number): number => Math.min(1_000, 100 * 2 ** Math.min(failures, 10));

export class Relay {
  private subscription: Subscription | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly options: RelayOptions) {}

  get name(): string {
    return this.options.name ?? 'relay';
  }

  start(): void {
    this.stopped = false;
    this.running ??= this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.subscription?.stop();
    await this.running;
    this.running = undefined;
  }

  private async run(): Promise<void> {
    const { logger } = this.options;
    for (let failures = 0; !this.stopped;) {
      try {
        await this.follow();
        failures = 0;
      } catch (error) {
        if (this.stopped) return;
        failures += 1;
        const delay = relayRetryDelayMs(failures);
        logger.error({ err: error, relay: this.name, retryInMs: delay }, 'relay failed; resuming from its checkpoint');
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  /** One pass: from the checkpoint until stopped or until something fails. */
  private async follow(): Promise<void> {
    const { store, bus, checkpoints } = this.options;
    const after = await checkpoints.load(this.name);
    if (this.stopped) return; // stop() came while the checkpoint was loading
    const subscription = store.subscribe(after === undefined ? {} : { after });
    this.subscription = subscription;
    try {
      for await (const batch of batches(subscription, this.options.maxBatch ?? 500)) {
        const lastEvent = batch[batch.length - 1]!;
        const last = lastEvent.position;
        const topic = this.options.topic ?? EVENTS_TOPIC;
        await bus.publish(topic, batch.map(toBusMessage));
        // A bus that forgets on a crash (in-process) must have handed the batch on first.
        await bus.drained?.(topic);
        await this.options.afterPublish?.(last);
        await checkpoints.save(this.name, last);
        this.options.onRelayed?.(batch.length, lastEvent.recordedAt);
        if (this.stopped) return;
      }
    } finally {
      await subscription.stop();
    }
  }
}
