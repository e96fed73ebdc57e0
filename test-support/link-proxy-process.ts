// The link proxy (link-proxy.ts) in a process of its own, for a suite whose own process is busy:
// the test process folds the whole event log while it waits for things to settle, and a proxy in
// its event loop would then hold every chunk of the link for that long, a latency nobody asked for
// (the distributed fault suite saw timeouts seconds late from it). Started with tsx through fork;
// impair, clear and stats are messages to it, answered when done.
import { fork, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import type { Impairment, LinkProxyOptions, LinkProxyStats } from './link-proxy';
import { ROOT } from './processes';

export interface ProxyProcess {
  readonly host: string;
  readonly port: number;
  impair(impairment: Impairment): Promise<void>;
  clear(): Promise<void>;
  stats(): Promise<LinkProxyStats>;
  /** Stops the proxy and its process (SIGKILL if it has not ended 5 s later). */
  stop(): Promise<void>;
}

/** What the child answers: its address once listening, then each request's result by id. */
type Answer =
  | { readonly kind: 'listening'; readonly host: string; readonly port: number }
  | { readonly kind: 'done'; readonly id: number; readonly stats?: LinkProxyStats }
  | { readonly kind: 'failed'; readonly id?: number; readonly message: string };

export const startLinkProxyProcess = async (options: LinkProxyOptions): Promise<ProxyProcess> => {
  const child: ChildProcess = fork(path.join(__dirname, 'link-proxy-child.ts'), [JSON.stringify(options)], {
    cwd: ROOT,
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const pending = new Map<number, { resolve(answer: Answer): void; reject(error: Error): void }>();
  let counter = 0;
  const listening = new Promise<{ host: string; port: number }>((resolve, reject) => {
    child.on('message', (answer: Answer) => {
      if (answer.kind === 'listening') return resolve(answer);
      const id = answer.id;
      if (id === undefined)
        return reject(new Error(`link proxy process: ${answer.kind === 'failed' ? answer.message : ''}`));
      const waiter = pending.get(id);
      pending.delete(id);
      if (answer.kind === 'failed') waiter?.reject(new Error(`link proxy process: ${answer.message}`));
      else waiter?.resolve(answer);
    });
    void exited.then(() => {
      reject(new Error('the link proxy process ended before it listened'));
      for (const waiter of pending.values()) waiter.reject(new Error('the link proxy process ended'));
      pending.clear();
    });
  });
  const ask = (request: Record<string, unknown>): Promise<Answer> =>
    new Promise((resolve, reject) => {
      const id = ++counter;
      pending.set(id, { resolve, reject });
      child.send({ ...request, id });
    });
  const { host, port } = await listening;
  return {
    host,
    port,
    impair: async (impairment) => void (await ask({ kind: 'impair', impairment })),
    clear: async () => void (await ask({ kind: 'clear' })),
    stats: async () => {
      const answer = await ask({ kind: 'stats' });
      return answer.kind === 'done' && answer.stats !== undefined
        ? answer.stats
        : { connections: 0, chunks: 0, lost: 0 };
    },
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      await ask({ kind: 'stop' }).catch(() => undefined);
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
};
