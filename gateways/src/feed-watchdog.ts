// The event feed's watchdog: a gateway gets what it pushes to its sockets from the bus (delivery.ts).
// One that is cut off from Kafka, but not from its visitors and agents, would keep them on sockets
// that get nothing any more, and its /readyz would keep the load balancer sending it more. The
// watchdog looks at when its delivery consumers last heard from the bus (the bus port's
// Consumer.lastHeardAt: a fetch answered, or their handler at work): silent for longer than the
// timeout (KAFKA_LINK_TIMEOUT_MS), the feed counts as lost until they hear from it again.
// Moving the clients only helps when another gateway's feed works: when Kafka is silent for every
// gateway at once (a cluster outage, a restart), closing every socket everywhere would stop all chat,
// while commands (PostgreSQL) still work and only pushes wait. So each gateway reports when it last
// heard (FeedPeers, Redis in distributed mode), and one without its feed stops serving (/readyz 503,
// sockets closed with 1013) only while another gateway heard from Kafka within the timeout, and well
// after this one last did (half a timeout: gateways silenced by one outage stopped hearing within a
// second or two of each other, a gateway cut off alone sees the others hear on). What that does to the
// sockets and /readyz is the front door's (front-door.ts); here are the decision, its log lines and
// its metric (which stays this gateway's own feed).
import { Gauge, type Registry } from 'prom-client';
import type { FeedPeers, Logger } from '@cschat/infra';

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
  /** Set to 1 and 0 as this gateway's own feed comes and goes. */
  readonly gauge?: Gauge;
  /** Every gateway's last heard-at. Absent: no other gateway is known, a lost feed always stops serving. */
  readonly peers?: FeedPeers;
  /** This gateway's id among the peers (required with peers). */
  readonly gatewayId?: string;
  /** The gateway stopped serving: what it does about its sockets. */
  readonly onLost?: () => void;
  readonly now?: () => number;
}

/** At most one report to the peers per this many ms. */
const REPORT_EVERY_MS = 1_000;
/** At most one log line about a failing peers store per this many ms. */
const PEERS_ERROR_LOG_EVERY_MS = 30_000;

export class FeedWatchdog {
  /** This gateway's own feed, as of the last check (the gauge). */
  private up = true;
  /** Whether the gateway serves (ready, keeps and takes sockets), as of the last check. */
  private serves = true;
  /** When the own feed was found lost, while it is. */
  private lostAt: number | undefined;
  /** Since when every gateway is silent and this one keeps its sockets for it (warned once). */
  private silentEverywhereSince: number | undefined;
  /** After such a silence: when another gateway was first heard again while this one still is not. */
  private othersBackAt: number | undefined;
  private reportedAt = Number.NEGATIVE_INFINITY;
  private peersErrorLoggedAt = Number.NEGATIVE_INFINITY;
  private timer: NodeJS.Timeout | undefined;
  private checking: Promise<boolean> | undefined;
  private readonly now: () => number;

  constructor(private readonly options: FeedWatchdogOptions) {
    this.now = options.now ?? Date.now;
    if (options.peers !== undefined && options.gatewayId === undefined)
      throw new Error('FeedWatchdog: a gatewayId is required with peers');
    options.gauge?.set(1);
  }

  /** Whether this gateway's own feed works, as of the last check. */
  get feedUp(): boolean {
    return this.up;
  }

  /** Whether the gateway serves (ready, keeps and takes sockets), as of the last check. */
  get isUp(): boolean {
    return this.serves;
  }

  /** Why the gateway is not ready while it does not serve; undefined while it does. */
  get reason(): string | undefined {
    if (this.serves) return undefined;
    const silentMs = Math.max(0, this.now() - this.options.lastHeardAt());
    return `event feed lost: nothing heard from Kafka for ${silentMs} ms (KAFKA_LINK_TIMEOUT_MS is ${this.options.timeoutMs})${this.options.peers === undefined ? '' : "; another gateway's works"}`;
  }

  /**
   * Looks at the consumers (and, while they are silent, at the other gateways) now: flips (logging it,
   * setting the gauge, calling onLost) when it changed. Resolves whether the gateway serves. Checks
   * never overlap: one asked for while another runs gets that one's answer.
   */
  check(): Promise<boolean> {
    this.checking ??= this.checkNow().finally(() => {
      this.checking = undefined;
    });
    return this.checking;
  }

  private async checkNow(): Promise<boolean> {
    const { timeoutMs, logger, gauge } = this.options;
    const now = this.now();
    const heardAt = this.options.lastHeardAt();
    const silentMs = now - heardAt;
    const up = silentMs <= timeoutMs;
    if (up !== this.up) {
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
          'event feed lost: the delivery consumers heard nothing from Kafka within KAFKA_LINK_TIMEOUT_MS',
        );
      }
    }
    let serves: boolean;
    if (up) {
      this.silentEverywhereSince = undefined;
      this.othersBackAt = undefined;
      await this.report(now, heardAt);
      serves = true;
    } else {
      serves = !(await this.othersWork(now, heardAt));
    }
    if (serves !== this.serves) {
      this.serves = serves;
      if (!serves) {
        logger.warn(
          { silentMs, timeoutMs },
          this.options.peers === undefined
            ? 'event feed lost: not ready, sockets closed with 1013'
            : "event feed lost while another gateway's works: not ready, sockets closed with 1013",
        );
        this.options.onLost?.();
      } else if (!up) logger.warn({ silentMs }, 'every other gateway is silent too now: ready again');
    }
    return serves;
  }

  /** While the own feed is lost: whether another gateway's works, so that moving the clients there helps. */
  private async othersWork(now: number, heardAt: number): Promise<boolean> {
    const { peers, gatewayId, timeoutMs, logger } = this.options;
    if (peers === undefined || gatewayId === undefined) return true;
    let others: boolean;
    try {
      others = await peers.othersHeardSince(gatewayId, Math.max(now - timeoutMs, heardAt + timeoutMs / 2));
    } catch (error) {
      // Not knowing is no reason to cut anyone off: keep serving.
      this.peersFailed(now, error);
      return false;
    }
    if (!others) {
      this.othersBackAt = undefined;
      if (this.silentEverywhereSince === undefined) {
        this.silentEverywhereSince = now;
        logger.warn({ silentMs: now - heardAt, timeoutMs }, 'event feed silent on every gateway: keeping the sockets');
      }
      return false;
    }
    // After a silence everywhere, the others coming back first does not move the clients at once: this
    // one gets a timeout to hear again too, as it had at first.
    if (this.silentEverywhereSince !== undefined) {
      this.othersBackAt ??= now;
      if (now - this.othersBackAt <= timeoutMs) return false;
      this.silentEverywhereSince = undefined;
      this.othersBackAt = undefined;
    }
    return true;
  }

  private async report(now: number, heardAt: number): Promise<void> {
    const { peers, gatewayId } = this.options;
    if (peers === undefined || gatewayId === undefined || now - this.reportedAt < REPORT_EVERY_MS) return;
    this.reportedAt = now;
    try {
      await peers.report(gatewayId, heardAt);
    } catch (error) {
      this.peersFailed(now, error);
    }
  }

  private peersFailed(now: number, error: unknown): void {
    if (now - this.peersErrorLoggedAt < PEERS_ERROR_LOG_EVERY_MS) return;
    this.peersErrorLoggedAt = now;
    this.options.logger.warn(
      { err: error },
      "event feed peers unreachable: the other gateways' feeds unknown, so this one keeps serving",
    );
  }

  /** Checks a few times per timeout (at least once a second). */
  start(): void {
    if (this.timer !== undefined) return;
    const every = Math.max(50, Math.min(1_000, Math.floor(this.options.timeoutMs / 4)));
    this.timer = setInterval(() => void this.check(), every);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
