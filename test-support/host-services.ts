// PostgreSQL and Redis of a suite's own on one test host (test-support/hosts.ts), bound to that
// host's address: a cluster made by initdb in the suite's folder and run as user postgres inside
// the host's namespace, and a redis-server keeping nothing on disk. The machine's shared servers
// (127.0.0.1:5432, :6379) are never touched. Tuned for tests, not durability: fsync off.
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import knexFactory from 'knex';
import Redis from 'ioredis';
import type { TestHost } from './hosts';
import { freePort } from './processes';
import { waitFor } from './wait';

const execFileAsync = promisify(execFile);

export interface HostPostgres {
  /** postgres://postgres@address:port/postgres (trust auth from the hosts' subnet). */
  readonly url: string;
  readonly dataDir: string;
  /** The end of the server's log, for a failure's message. */
  logTail(lines?: number): string;
  /** Fast shutdown (SIGKILL if that does not finish); the files stay in the folder. */
  stop(): Promise<void>;
}

export interface HostRedis {
  readonly url: string;
  flush(): Promise<void>;
  stop(): Promise<void>;
}

/** The newest installed PostgreSQL's bin folder (Debian: /usr/lib/postgresql/<major>/bin). */
const postgresBin = (): string => {
  const root = '/usr/lib/postgresql';
  const majors = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(path.join(root, v, 'bin', 'initdb')))
        .sort((a, b) => Number(a) - Number(b))
    : [];
  const newest = majors.at(-1);
  if (newest === undefined) {
    throw new Error(`no PostgreSQL in ${root}/*/bin (scripts/infra/postgres.sh up installs Debian's postgresql)`);
  }
  return path.join(root, newest, 'bin');
};

const asRoot = (): boolean => process.getuid?.() === 0;

/** The argv that runs a PostgreSQL program as user postgres (as root) or as ourselves (otherwise). */
const asPostgres = (argv: readonly string[]): string[] =>
  asRoot() ? ['runuser', '-u', 'postgres', '--', ...argv] : [...argv];

const exec = async (argv: readonly string[], cwd: string): Promise<void> => {
  const [file = '', ...args] = argv;
  try {
    await execFileAsync(file, args, { cwd, timeout: 120_000 });
  } catch (error) {
    const { stderr, stdout, message } = error as { stderr?: string; stdout?: string; message: string };
    throw new Error(`${argv.join(' ')} failed: ${(stderr || stdout || message).trim()}`);
  }
};

/** The /24 of a namespaced host, or loopback's /8: the clients that may connect without a password. */
const clientsOf = (host: TestHost): string =>
  host.netns === undefined ? '127.0.0.0/8' : `${host.address.split('.').slice(0, 3).join('.')}.0/24`;

/**
 * Starts a cluster of its own on `host`: initdb into `<folder>/postgres-<host>` (owned by postgres),
 * listening only on the host's address (port 5432 in a namespace, a free one on loopback), trust
 * auth for the hosts' subnet. Resolves once it answers a query from the test process.
 */
export const startPostgres = async (host: TestHost, folder: string): Promise<HostPostgres> => {
  const bin = postgresBin();
  const dataDir = path.join(folder, `postgres-${host.name}`);
  const logFile = path.join(folder, `postgres-${host.name}.log`);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  if (asRoot()) {
    // postgres must reach its data folder: a mkdtemp folder is 0700 root, so let others traverse it.
    for (let dir = folder; dir !== path.dirname(dir); dir = path.dirname(dir)) {
      if ((statSync(dir).mode & 0o001) === 0) {
        if (dir !== folder) throw new Error(`user postgres cannot traverse ${dir} (on the way to ${folder})`);
        chmodSync(dir, statSync(dir).mode | 0o011);
      }
    }
  }
  chownToPostgres(dataDir);
  writeFileSync(logFile, '');
  chownToPostgres(logFile);

  await exec(
    asPostgres([path.join(bin, 'initdb'), '-D', dataDir, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-sync']),
    folder,
  );
  const port = host.netns === undefined ? await freePort() : 5432;
  writeFileSync(
    path.join(dataDir, 'pg_hba.conf'),
    ['local all all trust', `host all all ${clientsOf(host)} trust`, 'host all all 127.0.0.1/32 trust', ''].join('\n'),
  );
  writeFileSync(
    path.join(dataDir, 'postgresql.auto.conf'),
    [
      `listen_addresses = '${host.address}'`,
      `port = ${port}`,
      // No socket file: the path would be long and nothing here uses it.
      "unix_socket_directories = ''",
      'fsync = off',
      'synchronous_commit = off',
      'full_page_writes = off',
      'shared_buffers = 32MB',
      'max_connections = 200',
      '',
    ].join('\n'),
  );
  chownToPostgres(path.join(dataDir, 'pg_hba.conf'));
  chownToPostgres(path.join(dataDir, 'postgresql.auto.conf'));

  const pgCtl = (...args: string[]): string[] =>
    asPostgres([path.join(bin, 'pg_ctl'), '-D', dataDir, '-l', logFile, ...args]);
  // pg_ctl -w waits on postmaster.pid's status line, not on a connection: no socket needed.
  await exec([...host.prefix, ...pgCtl('-w', '-t', '60', 'start')], folder).catch((error: Error) => {
    throw new Error(`${error.message}\n${tail(logFile, 20)}`);
  });
  const url = `postgres://postgres@${host.address}:${port}/postgres`;
  const db = knexFactory({ client: 'pg', connection: url, pool: { min: 0, max: 1 } });
  try {
    await waitFor(`PostgreSQL at ${url}`, async () => ((await db.raw('select 1')) ? true : undefined), 30_000);
  } finally {
    await db.destroy();
  }

  let stopped = false;
  return {
    url,
    dataDir,
    logTail: (lines = 40) => tail(logFile, lines),
    stop: async () => {
      if (stopped) return;
      stopped = true;
      try {
        await exec(pgCtl('-w', '-t', '30', '-m', 'fast', 'stop'), folder);
      } catch {
        killPostmaster(dataDir);
      }
    },
  };
};

const chownToPostgres = (file: string): void => {
  if (!asRoot()) return;
  const ids = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const gids = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (ids.status !== 0) throw new Error("no user postgres on this machine (Debian's postgresql package makes it)");
  chownSync(file, Number(ids.stdout.trim()), Number(gids.stdout.trim()));
};

/** The postmaster's pid is the first line of postmaster.pid: what a failed fast shutdown leaves to kill. */
const killPostmaster = (dataDir: string): void => {
  try {
    const pid = Number(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    if (pid > 0) process.kill(pid, 'SIGKILL');
  } catch {
    // no pid file: it is not running
  }
};

const tail = (file: string, lines: number): string => {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-lines).join('\n');
  } catch {
    return `(no log at ${file})`;
  }
};

/**
 * Starts a redis-server on `host`, bound to its address only (port 6379 in a namespace, a free one
 * on loopback), keeping nothing on disk. Resolves once it answers PING.
 */
export const startRedis = async (host: TestHost): Promise<HostRedis> => {
  const port = host.netns === undefined ? await freePort() : 6379;
  const [file = '', ...args] = [
    ...host.prefix,
    'redis-server',
    '--bind',
    host.address,
    '--port',
    String(port),
    '--protected-mode',
    'no',
    '--save',
    '',
    '--appendonly',
    'no',
    '--dir',
    tmpdir(),
    '--loglevel',
    'warning',
  ];
  const child: ChildProcess = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
  child.stderr?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
  const url = `redis://${host.address}:${port}`;
  const redis = new Redis(url, { maxRetriesPerRequest: 1, lazyConnect: true });
  redis.on('error', () => undefined);
  try {
    await waitFor(
      `Redis at ${url}`,
      async () => {
        if (child.exitCode !== null) throw new Error(`redis-server exited (${child.exitCode}): ${output.trim()}`);
        if (redis.status === 'wait' || redis.status === 'end') await redis.connect().catch(() => undefined);
        return (await redis.ping()) === 'PONG' ? true : undefined;
      },
      15_000,
    );
  } catch (error) {
    child.kill('SIGKILL');
    redis.disconnect();
    throw error;
  }
  return {
    url,
    flush: async () => {
      await redis.flushall();
    },
    stop: async () => {
      redis.disconnect();
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
};
