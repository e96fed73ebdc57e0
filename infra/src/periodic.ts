// A job that makes one pass, waits, and makes the next (the SLA monitor, the retention job): a failed
// pass is logged and the next one comes as usual; stop() waits for the pass in progress, which checks
// `halted` to do no more once told.
import type { Logger } from './logging';

export class Periodic {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private stopped = true;
  /** Set by stop(): a pass in progress should do no more. */
  halted = false;

  constructor(
    private readonly name: string,
    private readonly intervalMs: number,
    private readonly logger: Logger,
    private readonly pass: () => Promise<unknown>,
  ) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.halted = false;
    const tick = (): void => {
      if (this.stopped) return;
      this.running = this.pass()
        .catch((error: unknown) => this.logger.error({ err: error }, `${this.name}: pass failed; trying again`))
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(tick, this.intervalMs);
        });
    };
    tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.halted = true;
    clearTimeout(this.timer);
    await this.running;
  }
}
