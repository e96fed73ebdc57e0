// Ephemeral signals between the two sides of a session (for now `typing`): never stored as events.
// Two carriers behind one small port: across gateway processes (distributed mode) a bus topic of
// their own, on Kafka which the gateways already share (every gateway reads it from its end in a
// consumer group of its own and pushes to the sockets it holds; a signal older than SIGNAL_TTL_MS
// when it arrives, at a gateway that was behind, is dropped, not shown late); inside one process
// (embedded mode) a plain fan-out to the handlers, since the in-process bus keeps every message it
// was given and typing would only make it grow.
import { isLeft } from 'fp-ts/Either';
import * as t from 'io-ts';
import type { Bus, Logger } from '@cschat/infra';

export const SIGNALS_TOPIC = 'signals';
export const SIGNAL_TTL_MS = 5_000;

export const TypingSignal = t.intersection([
  t.type({
    kind: t.literal('typing'),
    companyId: t.string,
    sessionId: t.string,
    from: t.intersection([t.type({ role: t.keyof({ visitor: null, agent: null }) }), t.partial({ id: t.string })]),
    typing: t.boolean,
    /** Epoch milliseconds when the gateway passed it on. */
    sentAt: t.number,
  }),
  t.partial({
    /**
     * Whose sockets get it: the session's visitor or the agent holding it; none when only
     * supervisors watching may see it (a visitor typing while queued). Watchers get every signal.
     */
    to: t.type({ role: t.keyof({ visitor: null, agent: null }), id: t.string }),
  }),
]);
export type TypingSignal = t.TypeOf<typeof TypingSignal>;

export const publishSignal = (bus: Bus, signal: TypingSignal): Promise<void> =>
  bus.publish(SIGNALS_TOPIC, [{ key: `${signal.companyId}:${signal.sessionId}`, value: JSON.stringify(signal) }]);

/** Where gateways pass signals to each other. */
export interface Signals {
  publish(signal: TypingSignal): Promise<void>;
  /** Calls `handle` with every signal published from now on (by any gateway); resolves to its stop. */
  subscribe(instanceId: string, handle: (signal: TypingSignal) => void): Promise<() => Promise<void>>;
}

/** Signals on the bus's SIGNALS_TOPIC: every gateway process gets them (distributed mode). */
export const busSignals = (bus: Bus, logger?: Logger): Signals => ({
  publish: (signal) => publishSignal(bus, signal),
  subscribe: async (instanceId, handle) => {
    const consumer = await bus.consume({
      topic: SIGNALS_TOPIC,
      groupId: `gateway-signals-${instanceId}`,
      fromBeginning: false,
      handle: async (message) => {
        let parsed: unknown;
        try {
          parsed = JSON.parse(message.value);
        } catch {
          logger?.warn({ offset: message.offset.toString() }, 'signals: not JSON, dropped');
          return;
        }
        const decoded = TypingSignal.decode(parsed);
        if (isLeft(decoded)) return;
        if (Date.now() - decoded.right.sentAt > SIGNAL_TTL_MS) return;
        handle(decoded.right);
      },
    });
    return () => consumer.stop();
  },
});

/** Signals inside one process (embedded mode): handed to the subscribers at once, kept nowhere. */
export class LocalSignals implements Signals {
  private readonly handlers = new Set<(signal: TypingSignal) => void>();

  async publish(signal: TypingSignal): Promise<void> {
    for (const handle of [...this.handlers]) handle(signal);
  }

  async subscribe(_instanceId: string, handle: (signal: TypingSignal) => void): Promise<() => Promise<void>> {
    const own = (signal: TypingSignal): void => handle(signal);
    this.handlers.add(own);
    return async () => {
      this.handlers.delete(own);
    };
  }
}

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
