// Failed logins counted per key (a company's username, an address) over a sliding window, shared by
// every process that holds the same store. The rules (which keys, what limits) are the login
// routes' (gateways/src/auth/throttle.ts); this port only counts and answers.

/** One counter and its limit: at `limit` failures within the last `windowMs`, the key is blocked. */
export interface ThrottleRule {
  /** What is counted, e.g. `agent:acme:alice` or `agent-address:203.0.113.7`. */
  readonly key: string;
  readonly limit: number;
  readonly windowMs: number;
}

/** Whether an attempt may go on; when not, how long until the oldest failure that blocks it leaves the window. */
export type ThrottleVerdict =
  { readonly allowed: true } | { readonly allowed: false; readonly retryAfterMs: number; readonly key: string };

export interface LoginThrottle {
  /** Allowed when every rule's key has fewer than its limit of failures in its window; else the longest wait. */
  check(rules: readonly ThrottleRule[]): Promise<ThrottleVerdict>;
  /** Counts one failure under each rule's key (now). */
  fail(rules: readonly ThrottleRule[]): Promise<void>;
  /** Forgets the failures of each rule's key (a login that succeeded clears its own username, not its address). */
  succeed(rules: readonly ThrottleRule[]): Promise<void>;
}

export const ALLOWED: ThrottleVerdict = { allowed: true };

/** The most blocking of several verdicts: the one that waits longest. */
export const longestWait = (verdicts: readonly ThrottleVerdict[]): ThrottleVerdict =>
  verdicts.reduce<ThrottleVerdict>(
    (worst, verdict) =>
      verdict.allowed ? worst : worst.allowed || verdict.retryAfterMs > worst.retryAfterMs ? verdict : worst,
    ALLOWED,
  );
