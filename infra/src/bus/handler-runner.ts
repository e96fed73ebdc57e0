// What both adapters do around a handler call: retry with backoff while running, and give up
// (without acknowledging) when the consumer is stopped and the grace period has passed.
import type { Logger } from '../logging';
import { backoffMs, batchLimitOf, HandlerAbandonedError, type ConsumeOptions, type DeliveredMessage } from './port';

export class HandlerRunner {
  private stopping = false;
  private abandon: (() => void) | undefined;
  private readonly abandoned: Promise<never>;
  /** How many messages one call takes at most: 1 for a handler of single messages. */
  readonly maxBatch: number;

  constructor(
    private readonly options: ConsumeOptions,
    private readonly logger: Logger,
  ) {
    this.maxBatch = batchLimitOf(options);
    this.abandoned = new Promise<never>((_, reject) => {
      this.abandon = () => reject(new HandlerAbandonedError(`consumer ${options.groupId} stopped`));
    });
    this.abandoned.catch(() => undefined);
  }

  get isStopping(): boolean {
    return this.stopping;
  }

  private call(messages: readonly DeliveredMessage[]): Promise<void> {
    const { options } = this;
    return options.handleBatch === undefined ? options.handle(messages[0]!) : options.handleBatch(messages);
  }

  /**
   * Hands over a batch (one message for a handler of single messages) and resolves when the
   * handler succeeded with it; rejects with HandlerAbandonedError after stop().
   */
  async run(messages: readonly DeliveredMessage[]): Promise<void> {
    if (messages.length === 0) return;
    for (let attempt = 0; ; attempt++) {
      if (this.stopping && attempt > 0) throw new HandlerAbandonedError(`consumer ${this.options.groupId} stopped`);
      try {
        await Promise.race([this.call(messages), this.abandoned]);
        return;
      } catch (error) {
        if (error instanceof HandlerAbandonedError) throw error;
        const first = messages[0]!;
        this.logger.error(
          {
            err: error,
            topic: first.topic,
            partition: first.partition,
            offset: String(first.offset),
            messages: messages.length,
            attempt,
          },
          `handler of ${this.options.groupId} failed; retrying`,
        );
        await Promise.race([new Promise((resolve) => setTimeout(resolve, backoffMs(attempt))), this.abandoned]);
      }
    }
  }

  /** Marks the consumer as stopping; after the grace, abandons the handler in progress. */
  stop(): { cancel(): void } {
    this.stopping = true;
    const timer = setTimeout(() => this.abandon?.(), this.options.stopGraceMs ?? 10_000);
    return { cancel: () => clearTimeout(timer) };
  }
}
