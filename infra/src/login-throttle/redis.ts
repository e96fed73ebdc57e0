// The login throttle in Redis, shared by every process (distributed mode): per key a sorted set
// `<prefix>login-failures:<key>` of failure times (score: ms), trimmed to the newest `limit` and to
// the window by each script, expiring a window after the last failure. Each step is one Lua script,
// so concurrent failures on several processes are all counted. The time is the caller's clock (the
// processes' clocks are kept in step by NTP; a skew of a second moves a 15-minute window by as much).
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { longestWait, type LoginThrottle, type ThrottleRule, type ThrottleVerdict } from './port';

/** How long until the key takes an attempt again: 0 when it has fewer than `limit` failures in the window. */
const WAIT = `
local now, limit, window = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local recent = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. (now - window), '+inf', 'WITHSCORES')
local count = #recent / 2
if count < limit then return 0 end
local oldest = tonumber(recent[2 * (count - limit + 1)])
return math.max(1, oldest + window - now)`;

/** Counts a failure now; keeps only what a verdict needs. */
const FAIL = `
local now, limit, window = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
redis.call('ZADD', KEYS[1], now, ARGV[4])
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -(limit + 1))
redis.call('PEXPIRE', KEYS[1], window)
return 1`;

export interface RedisLoginThrottleOptions {
  readonly redis: Redis;
  /** Prefix of every key (tests and deployments sharing a Redis keep apart). Default `cschat:`. */
  readonly prefix?: string;
  /** The clock (tests move it); default Date.now. */
  readonly now?: () => number;
}

interface ThrottleCommands {
  cschatLoginWait(key: string, now: number, limit: number, windowMs: number): Promise<number>;
  cschatLoginFail(key: string, now: number, limit: number, windowMs: number, member: string): Promise<number>;
}

export class RedisLoginThrottle implements LoginThrottle {
  private readonly redis: Redis;
  private readonly prefix: string;
  private readonly now: () => number;

  constructor(options: RedisLoginThrottleOptions) {
    this.redis = options.redis;
    this.prefix = options.prefix ?? 'cschat:';
    this.now = options.now ?? Date.now;
    this.redis.defineCommand('cschatLoginWait', { numberOfKeys: 1, lua: WAIT });
    this.redis.defineCommand('cschatLoginFail', { numberOfKeys: 1, lua: FAIL });
  }

  private get commands(): ThrottleCommands {
    return this.redis as unknown as ThrottleCommands;
  }

  private keyOf(rule: ThrottleRule): string {
    return `${this.prefix}login-failures:${rule.key}`;
  }

  async check(rules: readonly ThrottleRule[]): Promise<ThrottleVerdict> {
    const now = this.now();
    const waits = await Promise.all(
      rules.map((rule) => this.commands.cschatLoginWait(this.keyOf(rule), now, rule.limit, rule.windowMs)),
    );
    return longestWait(
      rules.map((rule, i) => {
        const wait = Number(waits[i]);
        return wait > 0 ? { allowed: false, retryAfterMs: wait, key: rule.key } : { allowed: true };
      }),
    );
  }

  async fail(rules: readonly ThrottleRule[]): Promise<void> {
    const now = this.now();
    // A member of its own per failure: two at the same millisecond are two failures.
    await Promise.all(
      rules.map((rule) =>
        this.commands.cschatLoginFail(
          this.keyOf(rule),
          now,
          rule.limit,
          rule.windowMs,
          `${now}:${randomBytes(6).toString('hex')}`,
        ),
      ),
    );
  }

  async succeed(rules: readonly ThrottleRule[]): Promise<void> {
    if (rules.length > 0) await this.redis.del(...rules.map((rule) => this.keyOf(rule)));
  }
}
