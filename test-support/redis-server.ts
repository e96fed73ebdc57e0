// A Redis for a suite that flushes it: a redis-server of its own on a free port (nothing on disk),
// so that FLUSHALL is a real flush and touches no one else's keys. Without redis-server on the
// PATH it falls back to the shared REDIS_URL, where a flush deletes only the suite's prefix.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import Redis from 'ioredis';
import { freePort } from './processes';
import { waitFor } from './wait';

export interface ScratchRedis {
  readonly url: string;
  /** REDIS_PREFIX of the suite's processes. */
  readonly prefix: string;
  /** What the flush does here, for the suite's report. */
  readonly flushes: string;
  flush(): Promise<void>;
  stop(): Promise<void>;
}

const hasRedisServer = (): boolean => spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;

export const startRedis = async (sharedUrl: string, prefix: string): Promise<ScratchRedis> => {
  let child: ChildProcess | undefined;
  let url = sharedUrl;
  if (hasRedisServer()) {
    const port = await freePort();
    child = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--loglevel', 'warning'],
      { stdio: 'ignore' },
    );
    url = `redis://127.0.0.1:${port}`;
  }
  // ioredis connects (and reconnects) by itself: a refused first attempt only delays the PONG.
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  redis.on('error', () => undefined);
  await waitFor(`Redis at ${url}`, async () => ((await redis.ping()) === 'PONG' ? true : undefined), 15_000);
  const own = child !== undefined;
  return {
    url,
    prefix,
    flushes: own ? `FLUSHALL on a redis-server of the suite's (${url})` : `the keys ${prefix}* of ${url}`,
    flush: async () => {
      if (own) {
        await redis.flushall();
        return;
      }
      for (let cursor = '0'; ;) {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
        if (keys.length > 0) await redis.del(...keys);
        if ((cursor = next) === '0') break;
      }
    },
    stop: async () => {
      redis.disconnect();
      if (child !== undefined && child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
};
