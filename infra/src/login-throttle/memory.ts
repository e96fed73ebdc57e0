// The login throttle of one process (embedded mode): per key, the times of its latest failures.
// Only the newest `limit` are kept, which is all a verdict needs, so an attacker's flood of
// failures costs a bounded amount of memory per key; keys whose failures left the window go.
import { ALLOWED, longestWait, type LoginThrottle, type ThrottleRule, type ThrottleVerdict } from './port';

export interface InMemoryLoginThrottleOptions {
  /** The clock (tests move it); default Date.now. */
  readonly now?: () => number;
}

export class InMemoryLoginThrottle implements LoginThrottle {
  /** Per key, its rule's window and the times of its newest failures, oldest first. */
  private readonly failures = new Map<string, { readonly windowMs: number; readonly times: number[] }>();
  private readonly now: () => number;
  private checks = 0;

  constructor(options: InMemoryLoginThrottleOptions = {}) {
    this.now = options.now ?? Date.now;
  }

  async check(rules: readonly ThrottleRule[]): Promise<ThrottleVerdict> {
    const now = this.now();
    // Now and then, drop keys nobody retried: otherwise one failure per address would stay for ever.
    if ((this.checks += 1) % 1000 === 0) this.sweep(now);
    return longestWait(rules.map((rule) => this.verdict(rule, now)));
  }

  async fail(rules: readonly ThrottleRule[]): Promise<void> {
    const now = this.now();
    for (const rule of rules) {
      const times = this.recent(rule, now);
      times.push(now);
      this.failures.set(rule.key, { windowMs: rule.windowMs, times: times.slice(-rule.limit) });
    }
  }

  async succeed(rules: readonly ThrottleRule[]): Promise<void> {
    for (const rule of rules) this.failures.delete(rule.key);
  }

  private recent(rule: ThrottleRule, now: number): number[] {
    return (this.failures.get(rule.key)?.times ?? []).filter((at) => at > now - rule.windowMs);
  }

  private verdict(rule: ThrottleRule, now: number): ThrottleVerdict {
    const times = this.recent(rule, now);
    if (times.length < rule.limit) return ALLOWED;
    // Allowed again when all but limit - 1 of them have left the window.
    const oldest = times[times.length - rule.limit] ?? now;
    return { allowed: false, retryAfterMs: oldest + rule.windowMs - now, key: rule.key };
  }

  private sweep(now: number): void {
    for (const [key, { windowMs, times }] of this.failures)
      if (times.every((at) => at <= now - windowMs)) this.failures.delete(key);
  }
}
