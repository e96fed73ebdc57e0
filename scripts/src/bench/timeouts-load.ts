// The message load of `npm run bench -- timeouts`, as a process of its own: --rate chat messages a
// second, each recording a random session's last activity as the gateway does
// (RedisSessionActivity.record), for --seconds. Prints one JSON line: messages sent, Redis
// commands sent, the write's latency.
import { parseArgs } from 'node:util';
import Redis from 'ioredis';
import { RedisSessionActivity } from '@cschat/infra';
import { countCommands } from './redis-commands';
import { summarize } from './stats';

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    prefix: { type: 'string' },
    rate: { type: 'string' },
    seconds: { type: 'string' },
    sessions: { type: 'string' },
  },
  strict: true,
});
const rate = Number(values.rate);
const seconds = Number(values.seconds);
const sessions = Number(values.sessions);

const main = async (): Promise<void> => {
  const redis = new Redis(values.url!, { maxRetriesPerRequest: 1 });
  await redis.ping();
  const counter = countCommands(redis);
  const before = counter.total();
  const activity = new RedisSessionActivity({ redis, prefix: values.prefix! });
  const latencies: number[] = [];
  const pending = new Set<Promise<void>>();
  const total = Math.round(rate * seconds);
  const interval = 1000 / rate;
  const start = performance.now();
  let sent = 0;
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const now = performance.now();
      while (sent < total && start + sent * interval <= now) {
        const session = `s${Math.floor(Math.random() * sessions)}`;
        const t0 = performance.now();
        const update = activity.record({ companyId: 'bench', sessionId: session }, Date.now()).then(() => {
          latencies.push(performance.now() - t0);
          pending.delete(update);
        });
        pending.add(update);
        sent += 1;
      }
      if (sent >= total) return resolve();
      setTimeout(tick, Math.max(0, start + sent * interval - performance.now()));
    };
    tick();
  });
  await Promise.all(pending);
  const s = summarize(latencies);
  process.stdout.write(
    `${JSON.stringify({ messages: sent, commands: counter.total() - before, byName: counter.byName(), p50: s.p50, p99: s.p99, seconds: (performance.now() - start) / 1000 })}\n`,
  );
  redis.disconnect();
};

void main();
