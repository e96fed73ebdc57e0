// The event feed's watchdog: a gateway gets what it pushes to its sockets from the bus (delivery.ts).
// One that is cut off from Kafka, but not from its visitors and agents, would keep them on sockets
// that get nothing any more, and its /readyz would keep the load balancer sending it more. The
// watchdog looks at when its delivery consumers last heard from the bus (the bus port's
// Consumer.lastHeardAt: a fetch answered, or their handler at work): silent for longer than the
// timeout (KAFKA_LINK_TIMEOUT_MS), the feed counts as lost until they hear from it again. What a
// loss does to the sockets and /readyz is the front door's (front-door.ts); here are the decision,
// its log lines and its metric.
import { Gauge, type Registry } from 'prom-client';
import type { Logger } from '@cschat/infra';

/** The close reason of the sockets a gateway without its feed closes (with 1013, try again later). */
export const FEED_LOST_REASON = 'event feed lost; reconnect';
export const FEED_METRIC = 'cschat_event_feed_up';

/** `cschat_event_feed_up`, registered once per registry (two gateways of one test share it). */
export const feedGauge = (registry: Registry): Gauge =>
  (registry.getSingleMetric(FEED_METRIC) as Gauge | undefined) ??
  new Gauge({
    name: FEED_METRIC,
    help: 'Gateways: 1 while the delivery consumers hear from the bus within KAFKA_LINK_TIMEOUT_MS, 0 while not',
    registers: [registry],
  });

export interface FeedWatchdogOptions {
  /** When the feed was last heard from (epoch ms): the longest silent of the delivery consumers. */
  readonly lastHeardAt: () => number;
  readonly timeoutMs: number;
  readonly logger: Logger;
  /** Set to 1 and 0 as the feed comes and goes. */
  readonly gauge?: Gauge;
  /** The feed was found lost: what the gateway does about its sockets. */
  readonly onLost?: () => void;
  readonly now?: () => number;
}

export class FeedWatchdog {
  private up = true;
  /** When the feed was found lost, while it is. */
  private lostAt: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly now: () => number;

  constructor(private readonly options: FeedWatchdogOptions) {
    this.now = options.now ?? Date.now;
    options.gauge?.set(1);
  }

  /** Whether the feed works, as of the last check. */
  get isUp(): boolean {
    return this.up;
  }

  /** Why the gateway is not ready while the feed is lost; undefined while it works. */
  get reason(): string | undefined {
    if (this.up) return undefined;
    const silentMs = Math.max(0, this.now() - this.options.lastHeardAt());
    return `event feed lost: nothing heard from Kafka for ${silentMs} ms (KAFKA_LINK_TIMEOUT_MS is ${this.options.timeoutMs})`;
  }

  /** Looks at the consumers now: flips (logging it, setting the gauge, calling onLost) when it changed. */
  check(): boolean {
    const { timeoutMs, logger, gauge } = this.options;
    const now = this.now();
    const silentMs = now - this.options.lastHeardAt();
    const up = silentMs <= timeoutMs;
    if (up === this.up) return up;
    this.up = up;
    gauge?.set(up ? 1 : 0);
    if (up) {
      logger.warn(
        { downMs: now - (this.lostAt ?? now) },
        'event feed back: the delivery consumers hear from Kafka again; ready again',
      );
      this.lostAt = undefined;
    } else {
      this.lostAt = now;
      logger.warn(
        { silentMs, timeoutMs },
        'event feed lost: the delivery consumers heard nothing from Kafka within KAFKA_LINK_TIMEOUT_MS; not ready, sockets closed with 1013',
      );
      this.options.onLost?.();
    }
    return up;
  }

  /** Checks a few times per timeout (at least once a second). */
  start(): void {
    if (this.timer !== undefined) return;
    const every = Math.max(50, Math.min(1_000, Math.floor(this.options.timeoutMs / 4)));
    this.timer = setInterval(() => this.check(), every);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
