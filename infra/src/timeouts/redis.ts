// The timeout schedule and the sessions' last activity in Redis: one sorted set of
// `[companyId, sessionId]` members scored by due time, claimed with a Lua script (atomic across
// workers), and one key per session holding the time of its last chat activity, which expires
// once no timeout can reach it. A marker key tells a flushed (or restarted empty) Redis from one
// that merely has nothing due.
import type { Redis } from 'ioredis';
import {
  ACTIVITY_KEPT_MS,
  memberOf,
  refOf,
  type ClaimedCheck,
  type SessionActivity,
  type SessionRef,
  type TimeoutSchedule,
} from './port';

/** Takes the due members (oldest first) and hides each until the lease ends. */
const CLAIM = `
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, member in ipairs(due) do redis.call('ZADD', KEYS[1], ARGV[3], member) end
return due`;

/** Removes the member only if it still has the lease's score (nobody scheduled it again). */
const COMPLETE = `
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if score and tonumber(score) == tonumber(ARGV[2]) then return redis.call('ZREM', KEYS[1], ARGV[1]) end
return 0`;

export interface RedisTimeoutOptions {
  readonly redis: Redis;
  /** Prefix of every key (tests and deployments sharing a Redis keep apart). Default `cschat:`. */
  readonly prefix?: string;
}

export class RedisTimeoutSchedule implements TimeoutSchedule {
  private readonly key: string;
  private readonly marker: string;
  private readonly redis: Redis;

  constructor(options: RedisTimeoutOptions) {
    this.redis = options.redis;
    const prefix = options.prefix ?? 'cschat:';
    this.key = `${prefix}timeouts:due`;
    this.marker = `${prefix}timeouts:rebuilt`;
    this.redis.defineCommand('cschatClaimDue', { numberOfKeys: 1, lua: CLAIM });
    this.redis.defineCommand('cschatComplete', { numberOfKeys: 1, lua: COMPLETE });
  }

  private get commands(): Redis & {
    cschatClaimDue(key: string, now: number, limit: number, leaseUntil: number): Promise<string[]>;
    cschatComplete(key: string, member: string, leaseUntil: number): Promise<number>;
  } {
    return this.redis as never;
  }

  async schedule(ref: SessionRef, dueAt: number): Promise<void> {
    await this.redis.zadd(this.key, dueAt, memberOf(ref));
  }

  async scheduleIfAbsent(ref: SessionRef, dueAt: number): Promise<boolean> {
    return (await this.redis.zadd(this.key, 'NX', dueAt, memberOf(ref))) === 1;
  }

  async claimDue(now: number, limit: number, leaseMs: number): Promise<ClaimedCheck[]> {
    const leaseUntil = now + leaseMs;
    const members = await this.commands.cschatClaimDue(this.key, now, limit, leaseUntil);
    return members.flatMap((member) => {
      const ref = refOf(member);
      return ref === undefined ? [] : [{ ...ref, leaseUntil }];
    });
  }

  async complete(check: ClaimedCheck): Promise<void> {
    await this.commands.cschatComplete(this.key, memberOf(check), check.leaseUntil);
  }

  async remove(ref: SessionRef): Promise<void> {
    await this.redis.zrem(this.key, memberOf(ref));
  }

  async nextDueAt(): Promise<number | undefined> {
    const first = await this.redis.zrange(this.key, '0', '0', 'WITHSCORES');
    return first[1] === undefined ? undefined : Number(first[1]);
  }

  async dueAtOf(ref: SessionRef): Promise<number | undefined> {
    const score = await this.redis.zscore(this.key, memberOf(ref));
    return score === null ? undefined : Number(score);
  }

  pending(): Promise<number> {
    return this.redis.zcard(this.key);
  }

  async intact(): Promise<boolean> {
    return (await this.redis.exists(this.marker)) === 1;
  }

  async markRebuilt(): Promise<void> {
    await this.redis.set(this.marker, new Date().toISOString());
  }
}

/**
 * One key per session, `<prefix>activity:<member>`, set with `SET ... PXAT` (one command per chat
 * message). Versions before it kept `<prefix>deadline:<member>` keys instead: after an upgrade they
 * are never read, and expire by themselves within ten minutes of their deadlines; a check that
 * finds no activity yet decides from the session's events, which records one.
 */
export class RedisSessionActivity implements SessionActivity {
  private readonly prefix: string;
  private readonly redis: Redis;

  constructor(options: RedisTimeoutOptions) {
    this.redis = options.redis;
    this.prefix = `${options.prefix ?? 'cschat:'}activity:`;
  }

  private keyOf(ref: SessionRef): string {
    return `${this.prefix}${memberOf(ref)}`;
  }

  async record(ref: SessionRef, at: number): Promise<void> {
    await this.redis.set(this.keyOf(ref), String(at), 'PXAT', at + ACTIVITY_KEPT_MS);
  }

  async recordIfAbsent(ref: SessionRef, at: number): Promise<void> {
    await this.redis.set(this.keyOf(ref), String(at), 'PXAT', at + ACTIVITY_KEPT_MS, 'NX');
  }

  async get(ref: SessionRef): Promise<number | undefined> {
    const value = await this.redis.get(this.keyOf(ref));
    const at = value === null ? NaN : Number(value);
    return Number.isFinite(at) ? at : undefined;
  }

  async remove(ref: SessionRef): Promise<void> {
    await this.redis.del(this.keyOf(ref));
  }
}
