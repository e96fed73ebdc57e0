// PGlite is PostgreSQL compiled to WebAssembly: each statement runs to its end on the main thread,
// and statements chained on promises (a transaction, a projector's batch, appends one after
// another) never leave the microtask queue. Left alone, a run of them keeps the event loop from
// its sockets and timers for seconds under load: /healthz unanswered, frames read late in a burst.

/** How long statements run back to back before the event loop gets a turn. */
export const SLICE_MS = 10;

/** Hands the event loop a turn once work went on for `sliceMs` without it having had one. */
export class EventLoopTurns {
  /** When the work since the event loop's last turn started; undefined: it just had one. */
  private sliceStarted: number | undefined;

  constructor(
    private readonly sliceMs: number = SLICE_MS,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /**
   * Undefined while the slice lasts (the statement runs at once, no await added); past it, a
   * promise resolved from setImmediate, which runs after the sockets are read when it is queued
   * from work that was itself started by the check phase, and at worst one phase before.
   */
  next(): Promise<void> | undefined {
    const now = this.now();
    if (this.sliceStarted === undefined) {
      this.sliceStarted = now;
      // Whoever gives the event loop its turn (this class, or the work simply waiting on I/O) ends the slice.
      setImmediate(() => {
        this.sliceStarted = undefined;
      });
      return undefined;
    }
    if (now - this.sliceStarted < this.sliceMs) return undefined;
    return new Promise((resolve) => setImmediate(resolve));
  }
}
