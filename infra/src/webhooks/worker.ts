// The delivery worker (worker role): claims due outbox rows, POSTs each signed body to its
// endpoint with a timeout, and records the attempt: 2xx is delivered; anything else is tried again
// after the next wait of the schedule (with jitter), until the schedule is spent, then `failed`.
// A row stays in the database throughout: a worker stopped or killed between attempts leaves it
// pending (or leased until the lease passes), and whichever worker comes next sends it.
import * as http from 'node:http';
import * as https from 'node:https';
import type { Logger } from '../logging';
import { isPrivateAddress, literalAddressOf, publicOnlyLookup } from './address';
import { DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, signatureHeader } from './signature';
import type { AttemptOutcome, ClaimedDelivery, WebhookStore } from './store';

/** Waits before the 2nd, 3rd, ... attempt: 10 s, 30 s, 2 min, 10 min, 30 min, 1 h, 2 h, 6 h (9 attempts). */
export const DEFAULT_RETRY_SCHEDULE_MS: readonly number[] = [10, 30, 120, 600, 1800, 3600, 7200, 21600].map(
  (seconds) => seconds * 1000,
);
export const DEFAULT_WEBHOOK_TIMEOUT_MS = 10_000;

export interface WebhookWorkerOptions {
  readonly store: WebhookStore;
  readonly logger: Logger;
  /** Waits between attempts; its length + 1 is the number of attempts. */
  readonly retryScheduleMs?: readonly number[];
  /** Each wait is lengthened by up to this fraction at random (default 0.2), so retries spread out. */
  readonly jitter?: number;
  /** Per request (connect, send, answer). */
  readonly timeoutMs?: number;
  /** How long a claimed row is this worker's (default: the timeout and a minute; at least the timeout and 5 s). */
  readonly leaseMs?: number;
  /** The longest sleep when nothing is due sooner (default 5 s). */
  readonly pollMs?: number;
  /** Rows per claim and in flight at most (default 10). */
  readonly batch?: number;
  /** Send to private and loopback addresses too (WEBHOOKS_ALLOW_PRIVATE). */
  readonly allowPrivate?: boolean;
  readonly now?: () => Date;
  readonly userAgent?: string;
  /** Called after each attempt (metrics, tests). */
  readonly onAttempt?: (delivery: ClaimedDelivery, outcome: AttemptOutcome, statusCode: number | undefined) => void;
}

interface Answer {
  readonly statusCode?: number;
  readonly error?: string;
}

/** The n-th wait (1-based attempt that failed), jitter included; undefined when no attempt is left. */
export const retryDelayMs = (
  schedule: readonly number[],
  failedAttempt: number,
  jitter: number,
  random: () => number = Math.random,
): number | undefined => {
  const base = schedule[failedAttempt - 1];
  return base === undefined ? undefined : Math.round(base * (1 + jitter * random()));
};

export class WebhookWorker {
  private running = false;
  private timer: NodeJS.Timeout | undefined;
  private loop: Promise<void> | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private wakeUp: (() => void) | undefined;

  constructor(private readonly options: WebhookWorkerOptions) {}

  private get now(): Date {
    return (this.options.now ?? (() => new Date()))();
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Stops claiming and waits for the requests in hand (each bounded by the timeout). */
  async stop(): Promise<void> {
    this.running = false;
    this.wake();
    await this.loop;
    await Promise.all([...this.inFlight]);
  }

  /** Look for due rows now (the outbox added some). */
  wake(): void {
    this.wakeUp?.();
  }

  private async run(): Promise<void> {
    const pollMs = this.options.pollMs ?? 5_000;
    while (this.running) {
      let claimed = 0;
      try {
        claimed = await this.tick();
      } catch (error) {
        this.options.logger.error({ err: error }, 'webhook worker: claiming failed');
      }
      if (!this.running) break;
      if (claimed > 0 && this.inFlight.size < (this.options.batch ?? 10)) continue;
      let sleep = pollMs;
      // With every slot taken, the next wake-up is a send finishing (or the poll interval), not what is due.
      if (this.inFlight.size < (this.options.batch ?? 10))
        try {
          const due = await this.options.store.nextDue();
          if (due !== undefined) sleep = Math.max(10, Math.min(pollMs, due.getTime() - this.now.getTime()));
        } catch {
          // The database is away: try again after the poll interval.
        }
      await new Promise<void>((resolve) => {
        this.wakeUp = resolve;
        this.timer = setTimeout(resolve, sleep);
        if (this.inFlight.size > 0) void Promise.race([...this.inFlight]).then(resolve);
      });
      clearTimeout(this.timer);
      this.wakeUp = undefined;
    }
  }

  /** Claims what is due (up to the free slots) and starts sending it; how many were claimed. */
  async tick(): Promise<number> {
    const free = (this.options.batch ?? 10) - this.inFlight.size;
    if (free <= 0) return 0;
    const timeoutMs = this.options.timeoutMs ?? DEFAULT_WEBHOOK_TIMEOUT_MS;
    // A lease shorter than a request would let the row be claimed again while it is still being sent.
    const leaseMs = Math.max(this.options.leaseMs ?? timeoutMs + 60_000, timeoutMs + 5_000);
    const claimed = await this.options.store.claim(free, this.now, leaseMs);
    for (const delivery of claimed) {
      const sending: Promise<void> = this.attempt(delivery)
        .catch((error: unknown) =>
          this.options.logger.error(
            { err: error, delivery: delivery.id },
            'webhook worker: recording an attempt failed',
          ),
        )
        .finally(() => this.inFlight.delete(sending));
      this.inFlight.add(sending);
    }
    return claimed.length;
  }

  /** Sends everything due now and waits for it (tests). */
  async drain(): Promise<void> {
    while ((await this.tick()) > 0 || this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  private async attempt(delivery: ClaimedDelivery): Promise<void> {
    const started = this.now;
    const answer = await this.send(delivery);
    const durationMs = Math.max(0, this.now.getTime() - started.getTime());
    const ok = answer.statusCode !== undefined && answer.statusCode >= 200 && answer.statusCode < 300;
    let outcome: AttemptOutcome;
    if (ok) outcome = { kind: 'delivered' };
    else {
      const wait = retryDelayMs(
        this.options.retryScheduleMs ?? DEFAULT_RETRY_SCHEDULE_MS,
        delivery.attempt,
        this.options.jitter ?? 0.2,
      );
      outcome = wait === undefined ? { kind: 'failed' } : { kind: 'retry', at: new Date(this.now.getTime() + wait) };
    }
    const error = ok ? undefined : (answer.error ?? `HTTP ${answer.statusCode}`);
    const recorded = await this.options.store.record(
      delivery,
      {
        at: started.toISOString(),
        durationMs,
        ...(answer.statusCode === undefined ? {} : { statusCode: answer.statusCode }),
        ...(error === undefined ? {} : { error }),
      },
      outcome,
    );
    if (!recorded)
      this.options.logger.warn(
        { delivery: delivery.id, attempt: delivery.attempt },
        'webhook worker: lease lost before recording',
      );
    if (!ok)
      this.options.logger.info(
        {
          delivery: delivery.id,
          endpoint: delivery.endpointId,
          attempt: delivery.attempt,
          error,
          outcome: outcome.kind,
        },
        'webhook delivery attempt failed',
      );
    this.options.onAttempt?.(delivery, outcome, answer.statusCode);
  }

  private send(delivery: ClaimedDelivery): Promise<Answer> {
    const timeoutMs = this.options.timeoutMs ?? DEFAULT_WEBHOOK_TIMEOUT_MS;
    let url: URL;
    try {
      url = new URL(delivery.url);
    } catch {
      return Promise.resolve({ error: 'invalid URL' });
    }
    const allowPrivate = this.options.allowPrivate === true;
    const literal = literalAddressOf(url);
    if (!allowPrivate && literal !== undefined && isPrivateAddress(literal))
      return Promise.resolve({ error: `refused: ${literal} is a private address` });
    const timestamp = Math.floor(this.now.getTime() / 1000);
    const body = Buffer.from(delivery.body, 'utf8');
    const client = url.protocol === 'https:' ? https : http;
    return new Promise<Answer>((resolve) => {
      const request = client.request(
        url,
        {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'content-length': String(body.length),
            'user-agent': this.options.userAgent ?? 'cschat-webhooks/1',
            [DELIVERY_HEADER]: delivery.id,
            [EVENT_HEADER]: delivery.kind,
            [SIGNATURE_HEADER]: signatureHeader(delivery.secret, timestamp, delivery.body),
          },
          timeout: timeoutMs,
          // Every address the name resolves to is checked, and the connection goes to a checked one.
          ...(allowPrivate ? {} : { lookup: publicOnlyLookup }),
        },
        (response) => {
          // The answer's body is not kept: only its status counts. Drained, so that the socket is freed.
          response.resume();
          response.on('end', () => resolve({ statusCode: response.statusCode ?? 0 }));
          response.on('error', () => resolve({ statusCode: response.statusCode ?? 0 }));
        },
      );
      const timer = setTimeout(() => request.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      request.on('timeout', () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      request.on('error', (error) => resolve({ error: error.message.slice(0, 300) }));
      request.on('close', () => clearTimeout(timer));
      request.end(body);
    });
  }
}
