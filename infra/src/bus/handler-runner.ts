// What both adapters do around a handler call: retry with backoff while running, and give up
// (without acknowledging) when the consumer is stopped and the grace period has passed.
import type { Logger } from '../logging';
import { backoffMs, HandlerAbandonedError, type ConsumeOptions, type DeliveredMessage } from './port';

export class HandlerRunner {
  private stopping = false;
  private abandon: (() => void) | undefined;
  private readonly abandoned: Promise<never>;

  constructor(
    private readonly options: ConsumeOptions,
    private readonly logger: Logger,
  ) {
    this.abandoned = new Promise<never>((_, reject) => {
      this.abandon = () => reject(new HandlerAbandonedError(`consumer ${options.groupId} stopped`));
    });
    this.abandoned.catch(() => undefined);
  }

  get isStopping(): boolean {
    return this.stopping;
  }

  /** Resolves when the handler succeeded; rejects with HandlerAbandonedError after stop(). */
  async run(message: DeliveredMessage): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      if (this.stopping && attempt > 0) throw new HandlerAbandonedError(`consumer ${this.options.groupId} stopped`);
      try {
        await Promise.race([this.options.handle(message), this.abandoned]);
        return;
      } catch (error) {
        if (error instanceof HandlerAbandonedError) throw error;
        this.logger.error(
          { err: error, topic: message.topic, partition: message.partition, offset: String(message.offset), attempt },
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
