// `npm run bench -- connections`: N idle authenticated visitor sockets held by the service
// (embedded mode, one process): its memory per socket and the CPU its heartbeats take; the
// baseline is a bare `ws` server holding as many sockets, pinging them as often.
import { parseArgs } from 'node:util';
import { DEMO, startEmbedded, startRelay, type Deployment } from './deployments';
import { positiveNumber, wholeNumbers } from './options';
import { baseEnv, raiseFileLimit, Service, sleep } from './processes';
import { fmt, ratio, type BenchResult, type Row } from './results';

export const CONNECTIONS_HELP = `Usage: npm run bench -- connections [--sizes 10000,20000] [--window-seconds 30] [--profile]

For each size N: starts the server, opens N idle sockets from load processes of their own (at
most 8,000 each; visitors with tokens signed by the service's secret, as its login signs them), waits for the memory to settle, then reads the
server's CPU over --window-seconds of idleness, in which its heartbeat (a ping every 30 s to every
socket) runs. The baseline: a bare ws server holding N sockets and pinging them every 30 s.
Memory per socket = (heap + external after a full GC with N sockets - before) / N. Raises the
open-files limit to fit (prlimit; raising the hard limit needs CAP_SYS_RESOURCE: without it a size
is lowered to what the limit allows, and the table says so).
`;

const HEARTBEAT_MS = 30_000;

export interface ConnectionsOptions {
  readonly sizes: readonly number[];
  readonly windowSeconds: number;
  readonly profile: boolean;
}

export const parseConnections = (argv: readonly string[]): ConnectionsOptions | 'help' => {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      sizes: { type: 'string' },
      'window-seconds': { type: 'string' },
      profile: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help === true) return 'help';
  const sizes = wholeNumbers('sizes', values.sizes, [10_000, 20_000]);
  const windowSeconds = positiveNumber('window-seconds', values['window-seconds'], 30);
  return { sizes, windowSeconds, profile: values.profile === true };
};

interface Held {
  readonly server: string;
  readonly sockets: number;
  readonly openSeconds: number;
  readonly rssBeforeMiB: number;
  readonly rssAfterMiB: number;
  /** Growth of the JS heap and the memory outside it (buffers), after a full GC, per socket. */
  readonly bytesPerSocket: number;
  /** Growth of the resident memory after that GC, per socket (includes what the allocator keeps). */
  readonly rssBytesPerSocket: number;
  /** Server CPU over the idle window, in % of one core. */
  readonly idleCpuPercent: number;
  /** CPU ms a heartbeat round costs per 1,000 sockets (window CPU / rounds in it / thousands). */
  readonly cpuMsPerRoundPer1000: number;
}

/** Sockets one load process holds: well under this machine's open-files limit of a process. */
const PER_PROCESS = 8000;

/** Opens `count` sockets from load processes of their own; resolves once all are open. */
const openFromProcesses = async (
  deployment: Deployment,
  count: number,
  first: number,
): Promise<{ processes: Service[]; stillOpen: () => boolean }> => {
  const processes: Service[] = [];
  for (let from = 0; from < count; from += PER_PROCESS) {
    const n = Math.min(PER_PROCESS, count - from);
    processes.push(
      new Service({
        name: `socket holder ${processes.length + 1}`,
        script: 'scripts/src/bench/connections-load.ts',
        args: [
          ...['--base', deployment.base, '--count', String(n), '--first', String(first + from)],
          ...['--company', DEMO.companyId],
          ...(deployment.tokenSecret === undefined ? [] : ['--secret', deployment.tokenSecret]),
        ],
        env: baseEnv(),
      }),
    );
  }
  try {
    await Promise.all(processes.map((p) => p.printed('open ', 600_000)));
  } catch (error) {
    await Promise.all(processes.map((p) => p.stop()));
    throw error;
  }
  return {
    processes,
    stillOpen: () => processes.every((p) => p.exitCode === undefined && !p.output.includes('closed')),
  };
};

const MiB = 2 ** 20;

const hold = async (
  kind: 'relay' | 'ours',
  count: number,
  options: ConnectionsOptions,
  log: (line: string) => void,
): Promise<Held> => {
  const deployment: Deployment =
    kind === 'relay'
      ? await startRelay({ heartbeatMs: HEARTBEAT_MS, profile: options.profile, inspect: true })
      : await startEmbedded({ profile: options.profile, inspect: true });
  const server = deployment.servers[0]!;
  let holders: Service[] = [];
  try {
    // A handful first, so that the code paths of a socket are loaded before the memory is read.
    const warm = await openFromProcesses(deployment, 20, 0);
    await sleep(1000);
    await Promise.all(warm.processes.map((p) => p.stop()));
    await sleep(2000);
    const heapBefore = await server.heapAfterGc();
    const before = server.usage();
    const openStart = performance.now();
    const opened = await openFromProcesses(deployment, count, 20);
    holders = opened.processes;
    const openSeconds = (performance.now() - openStart) / 1000;
    await sleep(3000);
    const heapAfter = await server.heapAfterGc();
    const after = server.usage();
    const live = (m: NodeJS.MemoryUsage): number => m.heapUsed + m.external;
    const windowStart = server.usage();
    await sleep(options.windowSeconds * 1000);
    const windowEnd = server.usage();
    if (!opened.stillOpen()) throw new Error(`sockets were closed by ${deployment.name} while idle`);
    const cpuMs = windowEnd.cpuMs - windowStart.cpuMs;
    const rounds = Math.max(1, options.windowSeconds / (HEARTBEAT_MS / 1000));
    const held: Held = {
      server: kind === 'relay' ? 'bare ws' : 'ours (embedded)',
      sockets: count,
      openSeconds,
      rssBeforeMiB: before.rssBytes / MiB,
      rssAfterMiB: after.rssBytes / MiB,
      bytesPerSocket: (live(heapAfter) - live(heapBefore)) / count,
      rssBytesPerSocket: (after.rssBytes - before.rssBytes) / count,
      idleCpuPercent: (100 * cpuMs) / (options.windowSeconds * 1000),
      cpuMsPerRoundPer1000: cpuMs / rounds / (count / 1000),
    };
    log(
      `  ${held.server}, ${count} sockets: opened in ${fmt(openSeconds)} s, RSS ${fmt(held.rssBeforeMiB)} -> ${fmt(held.rssAfterMiB)} MiB ` +
        `(${fmt(held.rssBytesPerSocket / 1024)} KiB a socket), heap + external ${fmt(held.bytesPerSocket / 1024)} KiB a socket, CPU over ${options.windowSeconds} s idle: ${fmt(held.idleCpuPercent)}% of a core`,
    );
    return held;
  } finally {
    await Promise.all(holders.map((p) => p.stop()));
    await deployment.stop();
  }
};

export const runConnections = async (
  options: ConnectionsOptions,
  log: (line: string) => void,
): Promise<BenchResult> => {
  const limit = raiseFileLimit(Math.max(...options.sizes) * 2 + 4096);
  const sizes = options.sizes.filter((n) => n + 1024 <= limit);
  const notes: string[] = [];
  if (sizes.length < options.sizes.length)
    notes.push(
      `sizes above the open-files limit (${limit}) skipped: ${options.sizes.filter((n) => !sizes.includes(n)).join(', ')}`,
    );
  const rows: Row[] = [];
  const series: Held[] = [];
  for (const count of sizes) {
    log(`connections: ${count} sockets`);
    const relay = await hold('relay', count, options, log);
    const ours = await hold('ours', count, options, log);
    series.push(relay, ours);
    rows.push({
      sockets: count.toLocaleString('en-US'),
      ours: fmt(ours.bytesPerSocket / 1024),
      relay: fmt(relay.bytesPerSocket / 1024),
      memoryRatio: ratio(ours.bytesPerSocket, relay.bytesPerSocket),
      oursRss: fmt(ours.rssBytesPerSocket / 1024),
      relayRss: fmt(relay.rssBytesPerSocket / 1024),
      oursCpu: fmt(ours.idleCpuPercent),
      relayCpu: fmt(relay.idleCpuPercent),
      oursRound: fmt(ours.cpuMsPerRoundPer1000),
      relayRound: fmt(relay.cpuMsPerRoundPer1000),
      cpuRatio: ratio(ours.cpuMsPerRoundPer1000, relay.cpuMsPerRoundPer1000),
      open: `${fmt(ours.openSeconds)} / ${fmt(relay.openSeconds)}`,
    });
  }
  notes.push(
    'KiB/socket: growth of the server’s JS heap + external memory (process.memoryUsage() after a full GC, read through the inspector) from before the sockets to 3 s after the last opened, divided by their number; RSS KiB/socket: the same for the resident memory (includes what the allocator keeps).',
    `Idle CPU: the server process over ${options.windowSeconds} s with the sockets open and silent; both servers ping every socket every 30 s (the gateway’s heartbeat), so the window holds ${fmt(options.windowSeconds / 30)} heartbeat round(s). "ms/round/1k" = that CPU / rounds / thousands of sockets.`,
    'Ours: the embedded service (all roles in one process); its idle CPU includes its other timers (projector polls, timeout worker).',
  );
  return {
    name: 'connections',
    title: 'Idle connections: memory per socket and heartbeat CPU',
    params: { ...options },
    columns: [
      { key: 'sockets', title: 'sockets' },
      { key: 'ours', title: 'ours KiB/socket' },
      { key: 'relay', title: 'bare ws KiB/socket' },
      { key: 'memoryRatio', title: 'memory ours/ws' },
      { key: 'oursRss', title: 'ours RSS KiB/socket' },
      { key: 'relayRss', title: 'ws RSS KiB/socket' },
      { key: 'oursCpu', title: 'ours idle CPU %' },
      { key: 'relayCpu', title: 'ws idle CPU %' },
      { key: 'oursRound', title: 'ours ms/round/1k' },
      { key: 'relayRound', title: 'ws ms/round/1k' },
      { key: 'cpuRatio', title: 'heartbeat CPU ours/ws' },
      { key: 'open', title: 'open s (ours / ws)' },
    ],
    rows,
    notes,
    series,
  };
};
