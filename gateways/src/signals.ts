// Ephemeral signals between the two sides of a session (for now `typing`): never stored as events,
// carried on a bus topic of their own so that they cross gateway processes like everything else
// (Kafka in distributed mode, the in-process bus when embedded). Every gateway reads the topic
// from its end in a consumer group of its own and pushes to the sockets it holds; a signal older
// than SIGNAL_TTL_MS when it arrives (a gateway that was behind) is dropped, not shown late.
import * as t from 'io-ts';
import type { Bus } from '@cschat/infra';

export const SIGNALS_TOPIC = 'signals';
export const SIGNAL_TTL_MS = 5_000;

export const TypingSignal = t.type({
  kind: t.literal('typing'),
  companyId: t.string,
  sessionId: t.string,
  /** Whose sockets get it: the session's visitor or the agent holding it. */
  to: t.type({ role: t.keyof({ visitor: null, agent: null }), id: t.string }),
  from: t.intersection([t.type({ role: t.keyof({ visitor: null, agent: null }) }), t.partial({ id: t.string })]),
  typing: t.boolean,
  /** Epoch milliseconds when the gateway passed it on. */
  sentAt: t.number,
});
export type TypingSignal = t.TypeOf<typeof TypingSignal>;

export const publishSignal = (bus: Bus, signal: TypingSignal): Promise<void> =>
  bus.publish(SIGNALS_TOPIC, [{ key: `${signal.companyId}:${signal.sessionId}`, value: JSON.stringify(signal) }]);

/** Frames a socket may pass on per window: PROTOCOL says at most 2 `typing` a second. */
export const TYPING_PER_SECOND = 2;

/**
 * At most TYPING_PER_SECOND signals of one socket in any second. One that comes too soon is held,
 * and the latest held is passed on as soon as the window allows, so the other side always ends on
 * the last state (a `typing: false` is never lost to the limit).
 */
export class TypingThrottle {
  private readonly passed: number[] = [];
  private held: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly now: () => number = Date.now,
    private readonly windowMs = 1_000,
  ) {}

  /** Runs `pass` now, later (replacing any held one), or not at all if a later one replaces it. */
  offer(pass: () => void): 'passed' | 'held' {
    const now = this.now();
    while (this.passed.length > 0 && now - this.passed[0]! >= this.windowMs) this.passed.shift();
    if (this.passed.length < TYPING_PER_SECOND && this.timer === undefined) {
      this.passed.push(now);
      pass();
      return 'passed';
    }
    this.held = pass;
    if (this.timer === undefined) {
      const wait = Math.max(0, this.passed[0]! + this.windowMs - now);
      this.timer = setTimeout(() => {
        this.timer = undefined;
        const next = this.held;
        this.held = undefined;
        if (next !== undefined) this.offer(next);
      }, wait);
      this.timer.unref();
    }
    return 'held';
  }

  /** The socket closed: nothing held is passed on. */
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.held = undefined;
  }
}
