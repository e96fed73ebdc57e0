// A three-node Kafka cluster of a suite's own (KRaft, every node broker and controller, replication
// factor 3, min.insync.replicas 2): scripts/infra/kafka.sh --brokers 3 on free ports or on the given
// addresses and network namespaces, with its config, logs and data in a folder of the suite's, so
// that a suite can SIGKILL and restart nodes without touching the shared broker (KAFKA_BROKERS).
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { ROOT } from './processes';

const run = promisify(execFile);
const SCRIPT = path.join(ROOT, 'scripts/infra/kafka.sh');
const NODES = 3;

export interface KafkaCluster {
  /** "h1:p1,h2:p2,h3:p3", for KAFKA_BROKERS. */
  readonly brokers: string;
  /** Node ids 1..3 and their host:port. */
  readonly nodes: readonly { readonly id: number; readonly address: string }[];
  /** SIGKILLs node id's JVM (a crash: no controlled shutdown); resolves once the process is gone. */
  kill(id: number): Promise<void>;
  /** Starts node id again on its data; resolves once it answers (it needs a majority of controllers). */
  start(id: number): Promise<void>;
  /** The ids of the nodes whose JVM runs now. */
  running(): readonly number[];
  /**
   * The node id the cluster's metadata names as the partition's leader now, -1 if it has none. A node
   * killed a moment ago stays named until the controller fences it (broker.session.timeout.ms, 9 s).
   */
  leaderOf(topic: string, partition: number): Promise<number>;
  /** SIGKILLs every node that runs (the suite is over; a clean shutdown would only take longer). */
  stop(): Promise<void>;
  /** The end of node id's log, for a failure's message. */
  logTail(id: number, lines?: number): string;
}

export interface KafkaClusterOptions {
  /** One address per node (default: all on 127.0.0.1, on distinct free ports). */
  readonly hosts?: readonly string[];
  /** One network namespace per node, each holding its node's address. */
  readonly netns?: readonly string[];
}

const portFree = (host: string, port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });

/**
 * A port P with P..P+span-1 free on every host: kafka.sh puts node i's broker on P+2i and its
 * controller on P+2i+1 when all are on one address, or every node on P and P+1 of its own address.
 */
const freePortRun = async (hosts: readonly string[], span: number): Promise<number> => {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 40_000);
    const checks = hosts.flatMap((host) => Array.from({ length: span }, (_, n) => portFree(host, base + n)));
    if ((await Promise.all(checks)).every(Boolean)) return base;
  }
  throw new Error(`no run of ${span} free ports on ${hosts.join(', ')}`);
};

export const startKafkaCluster = async (folder: string, options: KafkaClusterOptions = {}): Promise<KafkaCluster> => {
  const { hosts, netns } = options;
  for (const [name, list] of Object.entries({ hosts, netns }))
    if (list !== undefined && list.length !== NODES)
      throw new Error(`startKafkaCluster: ${name} needs ${NODES} entries, got ${list.length}`);
  if (netns !== undefined && hosts === undefined)
    throw new Error('startKafkaCluster: netns needs hosts (the address of each node in its namespace)');
  // Inside namespaces of its own every node has its address to itself; on shared addresses (the
  // loopback fallback, or all on 127.0.0.1) the ports must be free ones.
  const port =
    netns !== undefined
      ? 9092
      : hosts !== undefined
        ? await freePortRun(hosts, 2)
        : await freePortRun(['127.0.0.1'], 6);
  const runDir = path.join(folder, 'run');
  const env = {
    ...process.env,
    KAFKA_PORT: String(port),
    KAFKA_CONTROLLER_PORT: String(port + 1),
    KAFKA_DATA_DIR: path.join(folder, 'data'),
    KAFKA_RUN_DIR: runDir,
    // Three JVMs among the suite's processes on a small machine.
    KAFKA_HEAP: '-Xms128m -Xmx384m',
    KAFKA_HOSTS: hosts?.join(',') ?? '',
    KAFKA_NETNS: netns?.join(',') ?? '',
  };
  const kafka = async (...args: string[]): Promise<string> => {
    try {
      return (await run(SCRIPT, args, { env, timeout: 180_000 })).stdout.trim();
    } catch (error) {
      const { stderr } = error as { stderr?: string };
      throw new Error(`kafka.sh ${args.join(' ')} (${runDir}) failed: ${stderr ?? String(error)}`);
    }
  };
  const checkId = (id: number): void => {
    if (!Number.isInteger(id) || id < 1 || id > NODES) throw new Error(`no Kafka node ${id} (1..${NODES})`);
  };
  const nodeFile = (id: number, file: string) => path.join(runDir, `node${id}`, file);
  const isRunning = (id: number): boolean => {
    try {
      const pid = readFileSync(nodeFile(id, 'kafka.pid'), 'utf8').trim();
      // The pid file may outlive its JVM (a kill from elsewhere): the process must still be Kafka.
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('kafka.Kafka');
    } catch {
      return false;
    }
  };

  await kafka('up', '--brokers', String(NODES));
  const brokers = await kafka('url');
  const addresses = brokers.split(',');
  const nodes = addresses.map((address, index) => ({ id: index + 1, address }));
  const running = () => nodes.map((n) => n.id).filter(isRunning);
  const leaderNow = async (topic: string, partition: number): Promise<number> => {
    const alive = running().map((id) => addresses[id - 1]!);
    if (alive.length === 0) throw new Error('leaderOf: no Kafka node runs');
    const admin = new Kafka({
      clientId: 'kafka-cluster-test-support',
      brokers: alive,
      logLevel: logLevel.NOTHING,
      connectionTimeout: 3_000,
      requestTimeout: 5_000,
      retry: { retries: 0 },
    }).admin();
    await admin.connect();
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
      const found = topics[0]?.partitions.find((p) => p.partitionId === partition);
      if (found === undefined) throw new Error(`leaderOf: topic ${topic} has no partition ${partition}`);
      return found.leader;
    } finally {
      await admin.disconnect();
    }
  };

  return {
    brokers,
    nodes,
    kill: async (id) => {
      checkId(id);
      await kafka('kill', '--broker', String(id));
    },
    start: async (id) => {
      checkId(id);
      await kafka('up', '--broker', String(id));
    },
    running,
    leaderOf: async (topic, partition) => {
      // kafkajs sends the metadata request to any broker the last metadata named, which may be a
      // node killed a moment ago (it is named until the controller fences it): try again.
      for (let attempt = 1; ; attempt++) {
        try {
          return await leaderNow(topic, partition);
        } catch (error) {
          if (attempt >= 20 || running().length === 0) throw error;
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
      }
    },
    stop: async () => {
      await kafka('kill');
    },
    logTail: (id, lines = 40) => {
      try {
        return readFileSync(nodeFile(id, 'kafka.log'), 'utf8').trim().split('\n').slice(-lines).join('\n');
      } catch {
        return `(no log of Kafka node ${id})`;
      }
    },
  };
};
