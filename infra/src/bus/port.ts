// The bus port: keyed messages on topics, consumed in groups, acknowledged only after the
// handler succeeded (at least once). Adapters: in-process (embedded mode) and Kafka.

export interface BusMessage {
  /** Messages of one key keep their order (one session's events, one queue's commands). */
  readonly key: string;
  readonly value: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface DeliveredMessage extends BusMessage {
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
}

interface ConsumeCommon {
  readonly topic: string;
  readonly groupId: string;
  /** Where a group without a committed offset starts: the oldest message (default) or new ones only. */
  readonly fromBeginning?: boolean;
  /** How long stop() waits for a handler in progress before abandoning it uncommitted. */
  readonly stopGraceMs?: number;
}

export interface ConsumeOneByOne extends ConsumeCommon {
  /**
   * Called once per message, in order per key. A message counts as consumed when this resolves;
   * when it throws, the same message is retried with backoff until it succeeds or the consumer
   * stops (a handler that must not block on bad input parks it itself).
   */
  readonly handle: (message: DeliveredMessage) => Promise<void>;
  readonly handleBatch?: never;
  readonly maxBatch?: never;
}

export interface ConsumeInBatches extends ConsumeCommon {
  /**
   * Called with what is waiting, in order per key, at most `maxBatch` messages of one partition
   * at a time. The batch counts as consumed when this resolves; when it throws, the same batch is
   * retried with backoff until it succeeds or the consumer stops.
   */
  readonly handleBatch: (messages: readonly DeliveredMessage[]) => Promise<void>;
  /** At most this many messages in one call (default 500). */
  readonly maxBatch?: number;
  readonly handle?: never;
}

export type ConsumeOptions = ConsumeOneByOne | ConsumeInBatches;

export const DEFAULT_MAX_BATCH = 500;

/** How many messages one call of the consumer's handler takes at most. */
export const batchLimitOf = (options: ConsumeOptions): number =>
  options.handleBatch === undefined ? 1 : Math.max(1, options.maxBatch ?? DEFAULT_MAX_BATCH);

export interface Consumer {
  /** Stops fetching, lets the message or batch in hand finish (within the grace), commits, leaves. */
  stop(): Promise<void>;
  /**
   * When this consumer last heard from the bus (epoch ms): Kafka answered one of its fetches (an
   * idle consumer's long poll is answered empty every half second, so a healthy one is heard from
   * all the time), or now while its handler is at work (a stall there is not the bus's). A bus in
   * this process is always heard from. A gateway's watchdog reads it (gateways/src/feed-watchdog.ts).
   */
  lastHeardAt(): number;
}

export interface Bus {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Resolves once the whole batch is durably accepted by the bus. */
  publish(topic: string, messages: readonly BusMessage[]): Promise<void>;
  consume(options: ConsumeOptions): Promise<Consumer>;
  /**
   * A bus that does not keep messages (in-process) resolves once its durable consumer groups
   * consumed what was published before the call; a bus that keeps them (Kafka) has no need.
   */
  drained?(topic: string): Promise<void>;
}

/** Raised inside a consumer when stop() gave up waiting for a handler. */
export class HandlerAbandonedError extends Error {
  override readonly name = 'HandlerAbandonedError';
}

/**
 * The wait before a failed handler is called again: at most a second, so that a consumer whose
 * handler waits on a server (the database, the bus it publishes to) resumes within about a second
 * of that server answering again, however long it was away.
 */
export const backoffMs = (attempt: number): number => Math.min(1_000, 50 * 2 ** Math.min(attempt, 10));
