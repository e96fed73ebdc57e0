// Catch-up-then-live subscription over any store that can read its global log in batches:
// read until a batch comes back short, then sleep until woken (a NOTIFY, a local append) or
// until the poll interval passes, which covers a lost notification.
import type { EventFilter, Position, RecordedEvent, Subscription } from './port';
import { matchesFilter } from './port';

export interface Wakeups {
  /** Calls `wake` on every change that may have added events; returns the unsubscribe. */
  onChange(wake: () => void): () => void;
}

/** In-process wake-ups: the adapter calls `notify` after each append it commits. */
export class LocalWakeups implements Wakeups {
  private readonly listeners = new Set<() => void>();
  onChange(wake: () => void): () => void {
    this.listeners.add(wake);
    return () => this.listeners.delete(wake);
  }
  notify(): void {
    for (const wake of this.listeners) wake();
  }
}

export interface PollingSubscriptionOptions {
  readonly readBatch: (after: Position | undefined, maxCount: number) => Promise<RecordedEvent[]>;
  readonly wakeups: readonly Wakeups[];
  readonly after?: Position | undefined;
  readonly filter?: EventFilter | undefined;
  readonly batchSize?: number | undefined;
  readonly pollIntervalMs?: number | undefined;
  /**
   * Whether committed events after `after` exist that the last read did not return (PostgreSQL:
   * an older transaction held them back; or they became readable since). Nobody will notify
   * when they become readable, so the subscription looks again soon, not after the poll interval.
   */
  readonly heldBack?: ((after: Position | undefined) => Promise<boolean>) | undefined;
}

/** First and last pause while events are held back. */
const HELD_BACK_FIRST_MS = 2;
const HELD_BACK_MAX_MS = 100;

export const pollingSubscription = (options: PollingSubscriptionOptions): Subscription => {
  const batchSize = options.batchSize ?? 500;
  const pollIntervalMs = options.pollIntervalMs ?? 1000;
  let stopped = false;
  let changed = false;
  let wakeSleeper: (() => void) | undefined;

  const wake = (): void => {
    changed = true;
    wakeSleeper?.();
  };

  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      if (changed || stopped) return resolve();
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        wakeSleeper = undefined;
        resolve();
      }
      wakeSleeper = done;
    });

  async function* events(): AsyncGenerator<RecordedEvent> {
    const unsubscribers = options.wakeups.map((w) => w.onChange(wake));
    let after = options.after;
    let heldBackPause = HELD_BACK_FIRST_MS;
    try {
      while (!stopped) {
        changed = false;
        const batch = await options.readBatch(after, batchSize);
        for (const event of batch) {
          if (stopped) return;
          after = event.position;
          if (matchesFilter(event, options.filter)) yield event;
        }
        if (batch.length >= batchSize) continue;
        if (options.heldBack !== undefined && (await options.heldBack(after))) {
          await sleep(heldBackPause);
          heldBackPause = Math.min(HELD_BACK_MAX_MS, heldBackPause * 2);
        } else {
          heldBackPause = HELD_BACK_FIRST_MS;
          await sleep(pollIntervalMs);
        }
      }
    } finally {
      for (const unsubscribe of unsubscribers) unsubscribe();
    }
  }

  const iterator = events();
  return {
    [Symbol.asyncIterator]: () => iterator,
    stop: async () => {
      stopped = true;
      wake();
      // Runs the generator's cleanup now if it is parked at a yield; queued if it is reading.
      await iterator.return(undefined);
    },
  };
};
