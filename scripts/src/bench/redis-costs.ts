// What the Redis timeout schedule costs on a given Redis: round trips, memory, claims.
import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { RedisSessionActivity, RedisTimeoutSchedule } from '@cschat/infra';
import { percentile } from './stats';

const ms = (n: number): string => `${n.toFixed(3)} ms`;

/**
 * `npm run timeouts -- measure`, also quoted by `npm run bench -- timeouts`: on a scratch prefix
 * of the Redis at `url` (deleted afterwards), the cost of one message's activity write against
 * a PING, and `checks` pending checks: their memory and the time to claim a batch of 100.
 */
export const measureScheduleCosts = async (url: string, checks: number, out: (line: string) => void): Promise<void> => {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  const prefix = `measure:${randomBytes(6).toString('hex')}:`;
  const schedule = new RedisTimeoutSchedule({ redis, prefix });
  const activity = new RedisSessionActivity({ redis, prefix });
  try {
    const now = Date.now();
    // One message's activity write: one SET (PXAT) round trip.
    const sets: number[] = [];
    for (let i = 0; i < 2000; i += 1) {
      const started = performance.now();
      await activity.record({ companyId: 'c', sessionId: `s${i % 100}` }, now);
      sets.push(performance.now() - started);
    }
    const pings: number[] = [];
    for (let i = 0; i < 2000; i += 1) {
      const started = performance.now();
      await redis.ping();
      pings.push(performance.now() - started);
    }
    sets.sort((a, b) => a - b);
    pings.sort((a, b) => a - b);
    out(
      `activity write (1 round trip, SET ... PXAT): median ${ms(percentile(sets, 50))}, p99 ${ms(percentile(sets, 99))}`,
    );
    out(
      `  baseline PING on the same connection:      median ${ms(percentile(pings, 50))}, p99 ${ms(percentile(pings, 99))}`,
    );

    const before = Number(/used_memory:(\d+)/.exec(await redis.info('memory'))?.[1] ?? NaN);
    const filled = performance.now();
    for (let start = 0; start < checks; start += 5000) {
      const pipeline = redis.pipeline();
      for (let i = start; i < Math.min(checks, start + 5000); i += 1)
        pipeline.zadd(`${prefix}timeouts:due`, now + (i % 3600) * 1000, JSON.stringify(['company', `session-${i}`]));
      await pipeline.exec();
    }
    const fillMs = performance.now() - filled;
    const after = Number(/used_memory:(\d+)/.exec(await redis.info('memory'))?.[1] ?? NaN);
    const usage = await redis.call('MEMORY', 'USAGE', `${prefix}timeouts:due`, 'SAMPLES', '0');
    out(
      `${checks} pending checks: sorted set ${(Number(usage) / 1024 / 1024).toFixed(1)} MiB (MEMORY USAGE), ` +
        `used_memory +${((after - before) / 1024 / 1024).toFixed(1)} MiB, ${(Number(usage) / checks).toFixed(0)} bytes a check; ` +
        `filled in ${(fillMs / 1000).toFixed(1)} s (pipelined ZADD)`,
    );
    const claims: number[] = [];
    let clock = now + 3600_000;
    for (let i = 0; i < Math.min(200, Math.floor(checks / 200)); i += 1) {
      const started = performance.now();
      const batch = await schedule.claimDue(clock, 100, 30_000);
      claims.push(performance.now() - started);
      if (batch.length < 100) throw new Error(`claimed ${batch.length} of 100`);
      clock += 1;
    }
    claims.sort((a, b) => a - b);
    out(
      `claiming a batch of 100 due checks (Lua, with ${checks} pending): median ${ms(percentile(claims, 50))}, p99 ${ms(percentile(claims, 99))}`,
    );
    const next: number[] = [];
    for (let i = 0; i < 500; i += 1) {
      const started = performance.now();
      await schedule.nextDueAt();
      next.push(performance.now() - started);
    }
    next.sort((a, b) => a - b);
    out(`an idle look (next due): median ${ms(percentile(next, 50))}`);
  } finally {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  }
};
