// The service's roles as OS processes, for end-to-end suites: each one started the way an operator
// starts it (`tsx scripts/src/start.ts`, configured by the environment), in a process group of its
// own so that a crash (SIGKILL) takes the tsx launcher and the node process running the script.
import { appendFileSync } from 'node:fs';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import * as path from 'node:path';
import knexFactory from 'knex';
import { waitFor } from './wait';

export const ROOT = path.resolve(__dirname, '..');
const TSX = path.join(ROOT, 'node_modules/.bin/tsx');

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** A free TCP port: bind to port 0, read what the kernel chose, let it go. */
export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });

export interface ScriptRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs a script of scripts/src as `npm run` does (tsx) with only these variables (and PATH, HOME),
 * as a user runs a CLI; killed after 90 s.
 */
export const runScript = (
  script: string,
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<ScriptRun> =>
  new Promise((resolve) => {
    const child = spawn(TSX, [`scripts/src/${script}`, ...args], {
      cwd: ROOT,
      env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });

/** Resolves with `promise`, or with undefined when it takes longer than `ms`. */
export const within = <T>(promise: Promise<T>, ms: number): Promise<T | undefined> => {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms))),
  ]).finally(() => clearTimeout(timer));
};

/**
 * One `start.ts` process. It leads its own process group: tsx runs the script in a child
 * process, so a crash (SIGKILL) is simulated on the whole group, while SIGTERM goes to the pid
 * an operator (or systemd, or docker) would signal. Its stdout and stderr are kept for a failure.
 */
export class Service {
  output = '';
  exit: Exit | undefined;
  /** Whether the test signalled it: an exit otherwise is a crash or a signal from outside. */
  private signalled = false;
  readonly exited: Promise<Exit>;
  private readonly child: ChildProcess;

  constructor(
    readonly name: string,
    env: NodeJS.ProcessEnv,
    args: readonly string[] = [],
    /**
     * Runs it on a test host: an argv prefix such as `ip netns exec <namespace>` (TestHost.prefix).
     * The prefix must exec the command (as `ip netns exec` does), so that the pid and the process
     * group stay the launcher's and signals and crashes reach it.
     */
    prefix: readonly string[] = [],
  ) {
    const argv = [...prefix, TSX, 'scripts/src/start.ts', ...args];
    this.child = spawn(argv[0]!, argv.slice(1), {
      cwd: ROOT,
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const logDir = process.env['SERVICES_LOG_DIR'];
    const logFile = logDir === undefined ? undefined : `${logDir}/${name}-${this.child.pid ?? 'x'}.log`;
    for (const stream of [this.child.stdout!, this.child.stderr!]) {
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        this.output += chunk;
        if (logFile !== undefined) appendFileSync(logFile, chunk);
      });
    }
    this.exited = new Promise((resolve) => {
      this.child.once('error', (error) => {
        this.output += `\n[spawn failed: ${error.message}]\n`;
        this.exit = { code: null, signal: null };
        resolve(this.exit);
      });
      this.child.once('exit', (code, signal) => {
        this.exit ??= { code, signal };
        resolve(this.exit);
      });
    });
  }

  /** Waits until `text` is in the output; fails when the process ends first. */
  async printed(text: string, timeoutMs = 60_000): Promise<void> {
    const found = await waitFor(
      `${this.name} to print "${text}"`,
      async () => (this.output.includes(text) ? 'found' : this.exit !== undefined ? 'exited' : undefined),
      timeoutMs,
    );
    if (found === 'exited') throw new Error(`${this.name} exited (${JSON.stringify(this.exit)}) before "${text}"`);
  }

  /** Waits until GET /readyz answers 200; fails when the process ends first. */
  async ready(base: string, timeoutMs = 60_000): Promise<void> {
    const state = await waitFor(
      `${this.name} to be ready`,
      async () => {
        if (this.exit !== undefined) return 'exited';
        const response = await fetch(`${base}/readyz`).catch(() => undefined);
        return response?.status === 200 ? 'ready' : undefined;
      },
      timeoutMs,
    );
    if (state === 'exited') throw new Error(`${this.name} exited (${JSON.stringify(this.exit)}) before it was ready`);
  }

  /** Signals the launcher's pid, as an operator would. The output records what the test sent. */
  signal(signal: NodeJS.Signals): void {
    if (this.exit !== undefined) return;
    this.signalled = true;
    this.output += `\n[the test sent ${signal}]\n`;
    this.child.kill(signal);
  }

  /** The whole process group: the tsx launcher and the node process running the script. */
  crash(): void {
    if (this.child.pid === undefined) return;
    this.signalled = true;
    this.output += '\n[the test sent SIGKILL to the process group]\n';
    try {
      process.kill(-this.child.pid, 'SIGKILL');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
  }

  /** SIGTERM, and SIGKILL on the group when it has not ended 5 s later. */
  async stop(): Promise<void> {
    if (this.child.pid === undefined) return;
    if (this.exit === undefined) {
      this.signal('SIGTERM');
      if ((await within(this.exited, 5_000)) === undefined) {
        this.output += '\n[still running 5 s after SIGTERM]\n';
        this.crash();
        await this.exited;
      }
    }
  }

  report(): string {
    const exit =
      this.exit === undefined
        ? 'running'
        : `exit ${JSON.stringify(this.exit)}${this.signalled ? '' : ', not signalled by the test: it crashed or was signalled from outside'}`;
    return `----- ${this.name} (pid ${this.child.pid ?? '-'}, ${exit}) -----\n${this.output.trim() || '(no output)'}\n`;
  }
}

/** What every process of one deployment shares: its servers, its names on them, its secret. */
export interface Deployment {
  readonly databaseUrl: string;
  readonly brokers: string;
  /** Prefix of the deployment's Kafka topics and consumer groups. */
  readonly namespace: string;
  readonly redisUrl?: string | undefined;
  readonly redisPrefix?: string;
  readonly dataDir: string;
  readonly tokenSecret: string;
  /** More variables for every process (TIMEOUT_POLL_MS, LOG_LEVEL, ...). */
  readonly extra?: Readonly<Record<string, string>>;
}

/**
 * The environment of one process of the deployment, with these roles on this port. A clean one:
 * nothing of the test's own (EVENTSTORE_URL would win, NODE_OPTIONS is jest's).
 */
export const environmentOf =
  (deployment: Deployment) =>
  (roles: string, port: number): NodeJS.ProcessEnv => ({
    PATH: process.env['PATH'],
    HOME: process.env['HOME'],
    DATABASE_URL: deployment.databaseUrl,
    KAFKA_BROKERS: deployment.brokers,
    KAFKA_NAMESPACE: deployment.namespace,
    KAFKA_PARTITIONS: '3',
    ...(deployment.redisUrl === undefined
      ? {}
      : { REDIS_URL: deployment.redisUrl, REDIS_PREFIX: deployment.redisPrefix ?? `test:${deployment.namespace}` }),
    TOKEN_SECRET: deployment.tokenSecret,
    DATA_DIR: deployment.dataDir,
    PORT: String(port),
    ROLES: roles,
    LOG_LEVEL: 'warn',
    ...deployment.extra,
  });

/**
 * The processes a suite started. Their output is shown when something failed: in the failure's
 * message when a hook or test wrapped in `diagnosed` throws, after the suite (stop) when one never
 * ended (jest's timeout).
 */
export class Services {
  readonly all: Service[] = [];
  private running = 0;
  private reported = false;

  /** `prefix`: the argv prefix of the host it runs on (Service's constructor). */
  launch(name: string, env: NodeJS.ProcessEnv, args: readonly string[] = [], prefix: readonly string[] = []): Service {
    const service = new Service(name, env, args, prefix);
    this.all.push(service);
    return service;
  }

  report(): string {
    return this.all.map((s) => s.report()).join('\n');
  }

  /** Wraps a hook or test body: its failure's message gets the processes' output. */
  diagnosed(body: () => Promise<void>): () => Promise<void> {
    return async () => {
      this.running += 1;
      try {
        await body();
        this.running -= 1;
      } catch (error) {
        this.running -= 1;
        this.reported = true;
        if (error instanceof Error) error.message += `\n\nOutput of the processes:\n${this.report()}`;
        throw error;
      }
    };
  }

  /** Stops every process; prints their output when a wrapped body never ended. */
  async stop(): Promise<void> {
    await Promise.all(this.all.map((s) => s.stop()));
    if (this.running > 0 && !this.reported) process.stderr.write(`\nOutput of the processes:\n${this.report()}`);
  }
}

/** A database of its own on the PostgreSQL server of `serverUrl`, dropped (with force) by `drop`. */
export const scratchDatabase = async (
  serverUrl: string,
  name: string,
): Promise<{ readonly url: string; drop(): Promise<void> }> => {
  const admin = knexFactory({ client: 'pg', connection: serverUrl, pool: { min: 0, max: 1 } });
  await admin.raw(`create database "${name}"`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      await admin.raw(`drop database if exists "${name}" with (force)`);
      await admin.destroy();
    },
  };
};
