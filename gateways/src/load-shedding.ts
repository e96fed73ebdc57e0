// Overload is refused, not queued without end: the work a process has in hand (frames admitted and
// not yet answered, API requests being handled) is bounded, and new work is refused while the event
// loop lags. What was admitted is then answered in time, and /healthz, which takes no slot, keeps
// answering; a refused client sends again later.

/** How long a refused client should wait before it sends again (HTTP `retry-after` is in whole seconds). */
export const RETRY_AFTER_MS = 1_000;

/** How often EventLoopLag samples. */
export const LAG_SAMPLE_MS = 50;

/** Weight of the newest sample in EventLoopLag's average: a single stall counts for a quarter of its length. */
export const LAG_WEIGHT = 0.25;

/**
 * How late a timer fires, sampled every LAG_SAMPLE_MS and averaged over the last few samples: how
 * long the event loop is kept from its I/O. Timers run before the sockets are read in a turn of the
 * loop, so after a stall the lag is known before the frames that piled up meanwhile are. The average
 * lets a single stall (a garbage collection, one long statement: 100 to 200 ms when 50 agents log in
 * at once) refuse nothing; a loop that stays late refuses within a few samples.
 */
export class EventLoopLag {
  private timer: NodeJS.Timeout | undefined;
  private expected = 0;
  private average = 0;

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** The average lateness of the samples (ms). */
  get lagMs(): number {
    return this.average;
  }

  /** Idempotent. */
  start(): void {
    if (this.timer !== undefined) return;
    this.expected = this.now() + LAG_SAMPLE_MS;
    this.timer = setInterval(() => this.sample(), LAG_SAMPLE_MS);
    // Sampling alone must not keep a process alive.
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.average = 0;
  }

  private sample(): void {
    const now = this.now();
    this.average += (Math.max(0, now - this.expected) - this.average) * LAG_WEIGHT;
    this.expected = now + LAG_SAMPLE_MS;
  }
}

export interface LoadLimits {
  /** Work admitted and not yet done, at most. */
  readonly maxInFlight: number;
  /** New work is refused while the event loop lags more than this. */
  readonly maxEventLoopLagMs: number;
}

/** Counts the process's work in hand and says when to refuse more. */
export class LoadShedder {
  private held = 0;

  constructor(
    private readonly limits: LoadLimits,
    private readonly lag: EventLoopLag = new EventLoopLag(),
  ) {}

  /** Work admitted and not yet done. */
  get inFlight(): number {
    return this.held;
  }

  /** Why new work is refused now, or undefined when it is taken. */
  get overloaded(): string | undefined {
    if (this.held >= this.limits.maxInFlight) return `${this.held} frames and requests in hand`;
    if (this.lag.lagMs > this.limits.maxEventLoopLagMs) return `event loop ${Math.round(this.lag.lagMs)} ms late`;
    return undefined;
  }

  /** Takes a slot for one piece of work; the function returned gives it back (once). Undefined when overloaded. */
  admit(): (() => void) | undefined {
    if (this.overloaded !== undefined) return undefined;
    this.held += 1;
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      this.held -= 1;
    };
  }

  /** Starts sampling the event loop's lag. Idempotent. */
  start(): void {
    this.lag.start();
  }

  stop(): void {
    this.lag.stop();
  }
}
