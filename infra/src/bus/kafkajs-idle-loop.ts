// kafkajs 2.2.4 (the last release) keeps every broker connection's request queue re-arming a
// timer that fires again at once when nothing is pending and nothing is throttled: about a
// thousand event-loop wake-ups a second per connection, for nothing. Measured here: an idle
// worker process (relay, projector, worker) spent 13% of a core and woke its event loop ~1,400
// times a second; the same timers run between the messages of a busy one. Upstream knows it
// (tulios/kafkajs#1556, #1704; the fixes in #1667 and #1768 are not released), so the queue's
// scheduling is replaced here, once per process, by one that arms a timer only when a request
// waits: for the end of a broker's throttling, or for an in-flight slot (checked again anyway
// when an in-flight request completes, as kafkajs itself notes).
import RequestQueue from 'kafkajs/src/network/requestQueue/index.js';

/** kafkajs' own pause before it looks at waiting requests again when it is not throttled. */
const WAITING_RECHECK_MS = 10;

interface QueueState {
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  pending: unknown[];
  checkPendingRequests(): void;
}

let patched = false;

/** Makes kafkajs' request queues arm their timer only when a request waits. Idempotent. */
export const stopKafkajsIdleLoop = (): void => {
  if (patched) return;
  patched = true;
  RequestQueue.prototype.scheduleCheckPendingRequests = function (this: QueueState): void {
    if (this.throttleCheckTimeoutId !== null && this.throttleCheckTimeoutId !== undefined) return;
    if (this.pending.length === 0) return;
    const untilUnthrottled = this.throttledUntil - Date.now();
    this.throttleCheckTimeoutId = setTimeout(
      () => {
        this.throttleCheckTimeoutId = null;
        this.checkPendingRequests();
      },
      untilUnthrottled > 0 ? untilUnthrottled : WAITING_RECHECK_MS,
    );
  };
};
