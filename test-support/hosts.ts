// Test hosts on one machine, for the distributed fault suite: each host is a network namespace with
// one IPv4 address, joined by a veth pair to a bridge in the root namespace. The bridge holds the
// subnet's first address, so the test process (root namespace) reaches every host and a host reaches
// a proxy the test listens on at `bridgeAddress`; hosts reach each other across the bridge. A link
// is cut with blackhole routes in both hosts (tc netem, iptables and nft are not available here).
// Names carry a random suffix and the /24 is a random 10.x.y.0, so parallel runs do not collide;
// everything is removed by destroy(), and by a process-exit hook if a run dies before it.
// Where `ip netns add` is refused (no root, no iproute2, a container without the capability), the
// hosts are distinct loopback addresses 127.0.x.y instead (Linux routes all of 127/8 to lo): roles
// still bind one address each, but nothing is isolated and cut/heal throw NeedsNamespacesError.
import { execFile, spawnSync } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import * as path from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export interface TestHost {
  readonly name: string;
  /** IPv4 address other hosts and the test (root namespace) reach it by. */
  readonly address: string;
  /** Its network namespace (undefined in the loopback fallback). */
  readonly netns: string | undefined;
  /** argv prefix that runs a command on this host, e.g. ['ip','netns','exec','csab12-gw1'] or []. */
  readonly prefix: readonly string[];
}

export interface TestHosts {
  /** true: namespaces; false: 127.0.x.y fallback. */
  readonly isolated: boolean;
  /** The exact error when namespaces were refused (or why the fallback was asked for). */
  readonly fallbackReason: string | undefined;
  /**
   * The root namespace's address on the bridge (a proxy listening there is reachable from every
   * host); 127.0.0.1 in the fallback.
   */
  readonly bridgeAddress: string;
  /** The hosts' subnet in CIDR notation (for pg_hba and the like): 10.x.y.0/24, or 127.0.0.0/8. */
  readonly subnet: string;
  host(name: string): TestHost;
  hosts(): readonly TestHost[];
  /** A host made later (e.g. 'gw3'). */
  add(name: string): Promise<TestHost>;
  /** Removes a host: kills what still runs in its namespace, deletes its veth and namespace. */
  remove(name: string): Promise<void>;
  /** Cuts the link between two hosts both ways (blackhole routes); heal restores it. */
  cut(a: string, b: string): Promise<void>;
  heal(a: string, b: string): Promise<void>;
  /** Removes every namespace, veth and the bridge; safe to call twice. */
  destroy(): Promise<void>;
}

export interface TestHostsOptions {
  /** false: use loopback addresses even where namespaces work (to exercise the fallback). */
  readonly namespaces?: boolean;
}

/** cut/heal asked of hosts that are only loopback addresses: the caller skips that fault and says why. */
export class NeedsNamespacesError extends Error {
  override readonly name = 'NeedsNamespacesError';
  constructor(
    what: string,
    readonly reason: string | undefined,
  ) {
    super(`${what} needs network namespaces; these hosts are loopback addresses (${reason ?? 'unknown reason'})`);
  }
}

const NETNS_SCRIPT = path.resolve(__dirname, '..', 'scripts/infra/netns.sh');
const NAME = /^[a-z][a-z0-9-]{0,30}$/;
/** Marks the bridge (its alias) with the owning pid, so `netns.sh sweep` can tell a dead run's leftovers. */
const ALIAS = 'cschat-test-hosts pid=';

class CommandError extends Error {
  override readonly name = 'CommandError';
}

const run = async (file: string, args: readonly string[]): Promise<string> => {
  try {
    return (await execFileAsync(file, args, { timeout: 30_000 })).stdout;
  } catch (error) {
    const { stderr, message } = error as { stderr?: string; message: string };
    const text = stderr?.trim() || message;
    throw new CommandError(`${file} ${args.join(' ')}: ${text}`);
  }
};

const ip = (...args: string[]): Promise<string> => run('ip', args);

/** The same, synchronous and quiet: for the exit hook, where nothing asynchronous runs any more. */
const ipSync = (...args: string[]): void => {
  spawnSync('ip', args, { stdio: 'ignore', timeout: 10_000 });
};

const hasIp = (): boolean => spawnSync('ip', ['-V'], { stdio: 'ignore' }).status === 0;

/** `scripts/infra/netns.sh ensure` installs iproute2 when `ip` is missing; its error text otherwise. */
const ensureIproute2 = async (): Promise<string | undefined> => {
  if (hasIp()) return undefined;
  try {
    await run(NETNS_SCRIPT, ['ensure']);
    return hasIp() ? undefined : 'scripts/infra/netns.sh ensure ran, but `ip` is still missing';
  } catch (error) {
    return (error as Error).message;
  }
};

const toInt = (address: string): number => address.split('.').reduce((n, part) => n * 256 + Number(part), 0);

/** A 10.x.y.0/24 no route of this machine overlaps (another run's bridge holds a route for its /24). */
const freeSubnet = async (): Promise<string> => {
  const taken = (await ip('-4', 'route', 'show', 'table', 'all'))
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .map((words) => (['local', 'broadcast', 'blackhole', 'unreachable'].includes(words[0] ?? '') ? words[1] : words[0]))
    .filter((dest): dest is string => dest !== undefined && /^\d+\.\d+\.\d+\.\d+(\/\d+)?$/.test(dest))
    .map((dest) => {
      const [address = '', bits = '32'] = dest.split('/');
      const size = 2 ** (32 - Number(bits));
      const start = toInt(address) - (toInt(address) % size);
      return [start, start + size - 1] as const;
    });
  for (let attempt = 0; attempt < 200; attempt++) {
    const base = `10.${randomInt(16, 250)}.${randomInt(1, 255)}`;
    const start = toInt(`${base}.0`);
    if (taken.every(([from, to]) => to < start || from > start + 255)) return base;
  }
  throw new Error('no free 10.x.y.0/24 for test hosts (every candidate overlaps a route of this machine)');
};

// Every live set of hosts, undone synchronously if the process exits before destroy() (a failed
// suite, a thrown beforeAll, a SIGINT/SIGTERM): a namespace outlives the process that made it.
const live = new Set<() => void>();
let hooked = false;
const hookExit = (): void => {
  if (hooked) return;
  hooked = true;
  const undoAll = (): void => {
    for (const undo of live) undo();
    live.clear();
  };
  process.once('exit', undoAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = (): void => {
      undoAll();
      // Without our listener the signal would have ended the process: let it do so now, unless
      // someone else listens and decides.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    };
    process.once(signal, onSignal);
  }
};

interface NamespacedHost extends TestHost {
  readonly netns: string;
  readonly veth: string;
}

const namespaced = async (names: readonly string[]): Promise<TestHosts | string> => {
  const missing = await ensureIproute2();
  if (missing !== undefined) return missing;
  const id = `cs${randomBytes(2).toString('hex')}`;
  const first = names[0] ?? 'probe';
  // The probe is the first host's namespace itself: its refusal's text is the fallback's reason.
  try {
    await ip('netns', 'add', `${id}-${first}`);
  } catch (error) {
    return (error as Error).message;
  }
  if (names.length === 0) await ip('netns', 'del', `${id}-${first}`);
  const hosts = new Map<string, NamespacedHost>();
  const cuts = new Set<string>();
  const bridge = `${id}br`;
  let base = '';
  let next = 2; // .1 is the bridge; numbers are never reused, so a removed host's routes cannot mislead
  let destroyed = false;

  const undoSync = (): void => {
    for (const host of hosts.values()) {
      killInside(host.netns);
      ipSync('link', 'del', host.veth);
      ipSync('netns', 'del', host.netns);
    }
    ipSync('netns', 'del', `${id}-${first}`); // if setup failed before the first host was recorded
    ipSync('link', 'del', bridge);
  };
  live.add(undoSync);
  hookExit();

  const addHost = async (name: string, made = false): Promise<NamespacedHost> => {
    const netns = `${id}-${name}`;
    const veth = `${id}v${next}`; // ≤ 15 characters, whatever the host's name
    const address = `${base}.${next++}`;
    if (!made) await ip('netns', 'add', netns);
    const host: NamespacedHost = { name, address, netns, veth, prefix: ['ip', 'netns', 'exec', netns] };
    hosts.set(name, host);
    await ip('link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns);
    await ip('link', 'set', veth, 'master', bridge, 'up');
    await ip('-n', netns, 'addr', 'add', `${address}/24`, 'dev', 'eth0');
    await ip('-n', netns, 'link', 'set', 'lo', 'up');
    await ip('-n', netns, 'link', 'set', 'eth0', 'up');
    return host;
  };

  const removeHost = async (host: NamespacedHost): Promise<void> => {
    for (const key of [...cuts]) {
      const [a, b] = key.split('|') as [string, string];
      if (a === host.name || b === host.name) {
        const other = hosts.get(a === host.name ? b : a);
        if (other !== undefined) {
          await ip('-n', other.netns, 'route', 'del', 'blackhole', `${host.address}/32`).catch(ignoreMissing);
        }
        cuts.delete(key);
      }
    }
    killInside(host.netns);
    // Deleting the root end of the pair deletes both; the namespace is gone once nothing runs in it.
    await ip('link', 'del', host.veth).catch(ignoreMissing);
    await ip('netns', 'del', host.netns).catch(ignoreMissing);
    hosts.delete(host.name);
  };

  const get = (name: string): NamespacedHost => {
    const host = hosts.get(name);
    if (host === undefined) throw new Error(`no test host '${name}' (hosts: ${[...hosts.keys()].join(', ')})`);
    return host;
  };
  const pair = (a: string, b: string): [NamespacedHost, NamespacedHost, string] => {
    if (a === b) throw new Error(`cannot cut host '${a}' from itself`);
    return [get(a), get(b), [a, b].sort().join('|')];
  };

  try {
    base = await freeSubnet();
    await ip('link', 'add', 'name', bridge, 'type', 'bridge');
    await ip('link', 'set', bridge, 'alias', `${ALIAS}${process.pid}`);
    await ip('addr', 'add', `${base}.1/24`, 'dev', bridge);
    await ip('link', 'set', bridge, 'up');
    for (const [i, name] of names.entries()) await addHost(name, i === 0);
  } catch (error) {
    undoSync();
    live.delete(undoSync);
    throw error;
  }

  return {
    isolated: true,
    fallbackReason: undefined,
    bridgeAddress: `${base}.1`,
    subnet: `${base}.0/24`,
    host: get,
    hosts: () => [...hosts.values()],
    add: async (name) => {
      checkName(name);
      if (hosts.has(name)) throw new Error(`test host '${name}' exists already`);
      return addHost(name);
    },
    remove: async (name) => removeHost(get(name)),
    cut: async (a, b) => {
      const [x, y, key] = pair(a, b);
      await ip('-n', x.netns, 'route', 'replace', 'blackhole', `${y.address}/32`);
      await ip('-n', y.netns, 'route', 'replace', 'blackhole', `${x.address}/32`);
      cuts.add(key);
    },
    heal: async (a, b) => {
      const [x, y, key] = pair(a, b);
      await ip('-n', x.netns, 'route', 'del', 'blackhole', `${y.address}/32`).catch(ignoreMissing);
      await ip('-n', y.netns, 'route', 'del', 'blackhole', `${x.address}/32`).catch(ignoreMissing);
      cuts.delete(key);
    },
    destroy: async () => {
      if (destroyed) return;
      destroyed = true;
      const errors: string[] = [];
      for (const host of [...hosts.values()]) await removeHost(host).catch((e: Error) => errors.push(e.message));
      await ip('link', 'del', bridge)
        .catch(ignoreMissing)
        .catch((e: Error) => errors.push(e.message));
      live.delete(undoSync);
      if (errors.length > 0) throw new Error(`destroying test hosts ${id}: ${errors.join('; ')}`);
    },
  };
};

/** What an already-gone link, route or namespace says: removing it again is not an error. */
const ignoreMissing = (error: Error): void => {
  if (!/Cannot find device|No such process|No such file or directory|does not exist/.test(error.message)) throw error;
};

/**
 * SIGKILLs whatever still runs inside a namespace of this run (a server the test forgot, or one a
 * failed test left), since a namespace with processes in it outlives its name and keeps its veth.
 */
const killInside = (netns: string): void => {
  const pids = spawnSync('ip', ['netns', 'pids', netns], { encoding: 'utf8', timeout: 10_000 }).stdout ?? '';
  for (const pid of pids.split('\n').filter((line) => /^\d+$/.test(line))) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // gone between the listing and the kill
    }
  }
};

const loopback = (names: readonly string[], reason: string): TestHosts => {
  // 127.0.0.x holds the shared servers and 127.0.1.1 is often the machine's own name: a random
  // third byte above those keeps parallel runs apart.
  const base = `127.0.${randomInt(2, 255)}`;
  const hosts = new Map<string, TestHost>();
  let next = 1;
  const addHost = (name: string): TestHost => {
    const host: TestHost = { name, address: `${base}.${next++}`, netns: undefined, prefix: [] };
    hosts.set(name, host);
    return host;
  };
  const get = (name: string): TestHost => {
    const host = hosts.get(name);
    if (host === undefined) throw new Error(`no test host '${name}' (hosts: ${[...hosts.keys()].join(', ')})`);
    return host;
  };
  names.forEach(addHost);
  return {
    isolated: false,
    fallbackReason: reason,
    bridgeAddress: '127.0.0.1',
    subnet: '127.0.0.0/8',
    host: get,
    hosts: () => [...hosts.values()],
    add: async (name) => {
      checkName(name);
      if (hosts.has(name)) throw new Error(`test host '${name}' exists already`);
      return addHost(name);
    },
    remove: async (name) => {
      get(name);
      hosts.delete(name);
    },
    cut: async (a, b) => {
      throw new NeedsNamespacesError(`cutting the link ${a} <-> ${b}`, reason);
    },
    heal: async (a, b) => {
      throw new NeedsNamespacesError(`healing the link ${a} <-> ${b}`, reason);
    },
    destroy: async () => undefined,
  };
};

const checkName = (name: string): void => {
  if (!NAME.test(name)) throw new Error(`test host name '${name}' must match ${NAME}`);
};

/** Makes the hosts; on namespaces when `ip netns add` works here, else on loopback addresses. */
export const makeTestHosts = async (names: readonly string[], options: TestHostsOptions = {}): Promise<TestHosts> => {
  names.forEach(checkName);
  if (new Set(names).size !== names.length) throw new Error(`test host names repeat: ${names.join(', ')}`);
  if (options.namespaces === false) return loopback(names, 'loopback addresses asked for (namespaces: false)');
  const made = await namespaced(names);
  return typeof made === 'string' ? loopback(names, made) : made;
};
