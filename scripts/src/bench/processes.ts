// The processes a benchmark measures: each a `node --import tsx <script>` of its own (so that its
// pid is the one whose memory and CPU are read, and `--cpu-prof` profiles it), started with a
// clean environment and stopped with SIGTERM.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import WebSocket from 'ws';
import { ROOT } from './results';

export { freePort } from '../../../test-support/processes';

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Where `--profile` puts the servers' .cpuprofile files (open them in Chrome DevTools or speedscope). */
export const PROFILE_DIR = path.join(ROOT, 'bench', 'profiles');

export interface ServiceOptions {
  readonly name: string;
  /** A path from the repository root. */
  readonly script: string;
  readonly args?: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  /** Writes a V8 CPU profile into PROFILE_DIR when the process exits. */
  readonly profile?: boolean;
  /** Opens the inspector on a free local port, for `heapAfterGc`. */
  readonly inspect?: boolean;
}

export interface ProcessUsage {
  /** Resident memory. */
  readonly rssBytes: number;
  /** User + system CPU time since the start. */
  readonly cpuMs: number;
}

const CLOCK_TICKS = (() => {
  const ticks = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim());
  return Number.isInteger(ticks) && ticks > 0 ? ticks : 100;
})();

/** Memory and CPU of a process of this machine, from /proc (Linux). */
export const usageOf = (pid: number): ProcessUsage => {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKiB = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return { rssBytes: rssKiB * 1024, cpuMs: (ticks * 1000) / CLOCK_TICKS };
};

/**
 * Raises this process's open-files limit (its children inherit it): each socket is a file, and
 * a benchmark holding 20,000 of them on both ends needs more than the usual 1,024 or 20,000.
 * Root may raise the hard limit too (prlimit); returns the soft limit now in force.
 */
export const raiseFileLimit = (wanted: number): number => {
  const read = (): number =>
    Number(/Max open files\s+(\d+)/.exec(readFileSync(`/proc/${process.pid}/limits`, 'utf8'))?.[1] ?? 0);
  if (read() >= wanted) return read();
  spawnSync('prlimit', ['--pid', String(process.pid), `--nofile=${wanted}:${wanted}`], { stdio: 'ignore' });
  if (read() < wanted) {
    // Not root: at least the soft limit up to the hard one.
    const hard = /Max open files\s+\d+\s+(\d+)/.exec(readFileSync(`/proc/${process.pid}/limits`, 'utf8'))?.[1];
    if (hard !== undefined) spawnSync('prlimit', ['--pid', String(process.pid), `--nofile=${hard}:${hard}`]);
  }
  return read();
};

/** The services running now: what an interrupted benchmark stops before it exits. */
const running = new Set<Service>();

export const stopAllServices = (): Promise<void[]> => Promise.all([...running].map((s) => s.stop()));

/** A server process of a benchmark; its output is kept for the report when it fails. */
export class Service {
  output = '';
  exitCode: number | null | undefined;
  readonly exited: Promise<void>;
  private readonly child: ChildProcess;

  constructor(readonly options: ServiceOptions) {
    const profile = options.profile === true ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : [];
    const inspect = options.inspect === true ? ['--inspect=127.0.0.1:0'] : [];
    this.child = spawn(
      process.execPath,
      [...profile, ...inspect, '--import', 'tsx', options.script, ...(options.args ?? [])],
      {
        cwd: ROOT,
        env: options.env,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    for (const stream of [this.child.stdout!, this.child.stderr!]) {
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        // The start banner and a few warnings are enough to diagnose; a chatty server must not fill memory.
        if (this.output.length < 200_000) this.output += chunk;
      });
    }
    this.exited = new Promise((resolve) => {
      this.child.once('error', (error) => {
        this.output += `\n[spawn failed: ${error.message}]\n`;
        this.exitCode = null;
        resolve();
      });
      this.child.once('exit', (code) => {
        this.exitCode = code;
        running.delete(this);
        resolve();
      });
    });
  }

  get pid(): number {
    if (this.child.pid === undefined) throw new Error(`${this.options.name} has no pid`);
    return this.child.pid;
  }

  usage(): ProcessUsage {
    return usageOf(this.pid);
  }

  private failure(what: string): Error {
    return new Error(
      `${this.options.name} ${what} (exit ${String(this.exitCode)}):\n${this.output.trim().slice(-4000) || '(no output)'}`,
    );
  }

  /** Waits until `text` is in its output. */
  async printed(text: string, timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.output.includes(text)) {
      if (this.exitCode !== undefined) throw this.failure(`exited before printing "${text}"`);
      if (Date.now() > deadline) throw this.failure(`did not print "${text}" within ${timeoutMs} ms`);
      await sleep(50);
    }
  }

  /** Waits until `url` answers 200. */
  async answers(url: string, timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.exitCode !== undefined) throw this.failure('exited before it was ready');
      const response = await fetch(url).catch(() => undefined);
      if (response?.status === 200) return;
      if (Date.now() > deadline) throw this.failure(`was not ready within ${timeoutMs} ms`);
      await sleep(100);
    }
  }

  /**
   * Collects the garbage, then reads process.memoryUsage() inside the process (through the
   * inspector: needs `inspect`), so that a memory figure is not a heap that merely was not collected yet.
   */
  async heapAfterGc(): Promise<NodeJS.MemoryUsage> {
    const url = /Debugger listening on (ws:\/\/\S+)/.exec(this.output)?.[1];
    if (url === undefined) throw new Error(`${this.options.name}: no inspector (start it with inspect: true)`);
    const ws = new WebSocket(url);
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    let id = 0;
    const call = (method: string, params: Record<string, unknown> = {}): Promise<Record<string, unknown>> =>
      new Promise((resolve) => {
        const mine = (id += 1);
        const listener = (data: Buffer): void => {
          const message = JSON.parse(data.toString()) as { id?: number; result?: Record<string, unknown> };
          if (message.id !== mine) return;
          ws.off('message', listener);
          resolve(message.result ?? {});
        };
        ws.on('message', listener);
        ws.send(JSON.stringify({ id: mine, method, params }));
      });
    try {
      await call('HeapProfiler.collectGarbage');
      await call('HeapProfiler.collectGarbage');
      const evaluated = await call('Runtime.evaluate', {
        expression: 'JSON.stringify(process.memoryUsage())',
        returnByValue: true,
      });
      return JSON.parse(String((evaluated['result'] as { value: string }).value)) as NodeJS.MemoryUsage;
    } finally {
      ws.close();
    }
  }

  /** SIGTERM, then SIGKILL when it has not ended 10 s later. */
  async stop(): Promise<void> {
    if (this.exitCode !== undefined || this.child.pid === undefined) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await this.exited;
    clearTimeout(timer);
  }
}

/** The environment every server starts from: nothing of the benchmark's own (no DATABASE_URL by accident). */
export const baseEnv = (): NodeJS.ProcessEnv => ({
  PATH: process.env['PATH'],
  HOME: process.env['HOME'],
  LOG_LEVEL: 'warn',
});
