// The servers the socket benchmarks run against, each as separate OS processes: the service in
// embedded mode (one process, PGlite), in distributed mode (a worker and a gateway process,
// PostgreSQL + Kafka + Redis, on a database, topics and keys of their own, removed afterwards),
// and the `ws` relays that are their baselines (bare, and durable: storing each message in PostgreSQL).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import Redis from 'ioredis';
import knexFactory from 'knex';
import { Kafka, logLevel } from 'kafkajs';
import { http } from '../../../test-support/clients';
import { baseEnv, freePort, Service } from './processes';

export interface Deployment {
  readonly name: string;
  /** The HTTP and websocket base URL (http://127.0.0.1:port). */
  readonly base: string;
  /** The processes that serve the sockets (their memory and CPU are what is measured). */
  readonly servers: readonly Service[];
  /** Every process of the deployment. */
  readonly services: readonly Service[];
  /** The TOKEN_SECRET of the service (a benchmark may sign its visitors' tokens itself). */
  readonly tokenSecret?: string;
  /** The PostgreSQL database of a distributed deployment (events and read models). */
  readonly databaseUrl?: string;
  stop(): Promise<void>;
}

export interface DeploymentOptions {
  readonly profile?: boolean;
  /** The gateway's heartbeat is fixed (30 s); the relay's follows this. */
  readonly heartbeatMs?: number;
  /** Opens the servers' inspector (for Service.heapAfterGc). */
  readonly inspect?: boolean;
}

/** What a distributed deployment needs (scripts/infra/up.sh prints these). */
export interface Infra {
  readonly databaseUrl: string;
  readonly kafkaBrokers: string;
  readonly redisUrl: string;
}

export const infraOf = (env: NodeJS.ProcessEnv = process.env): Infra | undefined => {
  const [databaseUrl, kafkaBrokers, redisUrl] = [env['DATABASE_URL'], env['KAFKA_BROKERS'], env['REDIS_URL']];
  return databaseUrl && kafkaBrokers && redisUrl ? { databaseUrl, kafkaBrokers, redisUrl } : undefined;
};

export const DEMO = { companyId: 'demo', password: 'demo' } as const;

/** The admin API refuses short and common passwords (the demo seed alone is exempt), so the agents the
 * benchmarks create through it get one that passes the policy. */
export const BENCH_AGENT_PASSWORD = 'bench-agent-7731';

const serviceEnv = (port: number, dataDir: string, secret: string): NodeJS.ProcessEnv => ({
  ...baseEnv(),
  PORT: String(port),
  DATA_DIR: dataDir,
  TOKEN_SECRET: secret,
  DEMO_PASSWORD: DEMO.password,
  // One address holds every benchmark socket.
  WS_MAX_CONNECTIONS_PER_IP: '1000000',
});

/** A relay-server.ts process: the bare relay, or with `args` the durable one. */
const relay = async (name: string, args: readonly string[], options: DeploymentOptions): Promise<Deployment> => {
  const port = await freePort();
  const server = new Service({
    name,
    script: 'scripts/src/bench/relay-server.ts',
    args: ['--port', String(port), '--heartbeat-ms', String(options.heartbeatMs ?? 30_000), ...args],
    env: baseEnv(),
    profile: options.profile ?? false,
    inspect: options.inspect ?? false,
  });
  const base = `http://127.0.0.1:${port}`;
  try {
    await server.printed('relay listening');
  } catch (error) {
    await server.stop();
    throw error;
  }
  return { name, base, servers: [server], services: [server], stop: () => server.stop() };
};

export const startRelay = (options: DeploymentOptions = {}): Promise<Deployment> => relay('bare ws relay', [], options);

/**
 * The durable relay: the bare relay storing each message in PostgreSQL before forwarding it, in a
 * database of its own on the server of `databaseUrl` (the distributed service's), dropped at the end.
 */
export const startDurableRelay = async (databaseUrl: string, options: DeploymentOptions = {}): Promise<Deployment> => {
  const database = await scratchDatabase(databaseUrl, 'durable');
  try {
    const deployment = await relay('durable relay', ['--database-url', database.url], options);
    return {
      ...deployment,
      databaseUrl: database.url,
      stop: async () => {
        await deployment.stop();
        await database.drop();
      },
    };
  } catch (error) {
    await database.drop();
    throw error;
  }
};

export const startEmbedded = async (options: DeploymentOptions = {}): Promise<Deployment> => {
  const port = await freePort();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'cschat-bench-'));
  const tokenSecret = randomBytes(32).toString('base64url');
  const server = new Service({
    name: 'embedded service',
    script: 'scripts/src/start.ts',
    env: serviceEnv(port, dataDir, tokenSecret),
    profile: options.profile ?? false,
    inspect: options.inspect ?? false,
  });
  const base = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await server.answers(`${base}/readyz`);
  } catch (error) {
    await stop();
    throw error;
  }
  return { name: 'embedded', base, servers: [server], services: [server], tokenSecret, stop };
};

/** A database of its own on the server of `url`, dropped by the returned function. */
export const scratchDatabase = async (url: string, label: string): Promise<{ url: string; drop(): Promise<void> }> => {
  const database = `cschat_bench_${label}_${randomBytes(4).toString('hex')}`;
  const admin = knexFactory({ client: 'pg', connection: url, pool: { min: 0, max: 1 } });
  await admin.raw(`create database "${database}"`);
  const scratch = new URL(url);
  scratch.pathname = `/${database}`;
  return {
    url: scratch.toString(),
    drop: async () => {
      await admin.raw(`drop database if exists "${database}" with (force)`);
      await admin.destroy();
    },
  };
};

export const startDistributed = async (infra: Infra, options: DeploymentOptions = {}): Promise<Deployment> => {
  const id = randomBytes(4).toString('hex');
  const database = await scratchDatabase(infra.databaseUrl, 'e2e');
  const dataDir = mkdtempSync(path.join(tmpdir(), 'cschat-bench-'));
  const namespace = `bench-${id}.`;
  const redisPrefix = `bench:${id}:`;
  const secret = randomBytes(32).toString('base64url');
  const env = (roles: string, port: number): NodeJS.ProcessEnv => ({
    ...serviceEnv(port, dataDir, secret),
    DATABASE_URL: database.url,
    KAFKA_BROKERS: infra.kafkaBrokers,
    KAFKA_NAMESPACE: namespace,
    KAFKA_PARTITIONS: '3',
    REDIS_URL: infra.redisUrl,
    REDIS_PREFIX: redisPrefix,
    ROLES: roles,
  });
  const services: Service[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(services.map((s) => s.stop()));
    await database.drop();
    rmSync(dataDir, { recursive: true, force: true });
    await removeRedisKeys(infra.redisUrl, redisPrefix);
    await removeKafkaTopics(infra.kafkaBrokers, namespace);
  };
  try {
    // The worker creates the demo company; the gateway starts after it, with --no-demo.
    const worker = new Service({
      name: 'distributed worker (relay, projector, worker)',
      script: 'scripts/src/start.ts',
      env: env('relay,projector,worker', await freePort()),
      profile: options.profile ?? false,
    });
    services.push(worker);
    await worker.printed('cschat is running in distributed mode');
    const port = await freePort();
    const gateway = new Service({
      name: 'distributed gateway (gateway, api)',
      script: 'scripts/src/start.ts',
      args: ['--no-demo'],
      env: env('gateway,api', port),
      profile: options.profile ?? false,
    });
    services.push(gateway);
    const base = `http://127.0.0.1:${port}`;
    await gateway.answers(`${base}/readyz`);
    return { name: 'distributed', base, servers: [gateway], services, databaseUrl: database.url, stop };
  } catch (error) {
    await stop();
    throw error;
  }
};

export const removeRedisKeys = async (url: string, prefix: string): Promise<void> => {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
};

const removeKafkaTopics = async (brokers: string, namespace: string): Promise<void> => {
  const admin = new Kafka({ brokers: brokers.split(','), logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(namespace));
    if (topics.length > 0) await admin.deleteTopics({ topics });
    const groups = (await admin.listGroups()).groups.map((g) => g.groupId).filter((g) => g.startsWith(namespace));
    if (groups.length > 0) await admin.deleteGroups(groups).catch(() => undefined);
  } finally {
    await admin.disconnect();
  }
};

/**
 * Creates `count` agents bench<first>, bench<first + 1>, ... (group support, holding at most
 * `capacity` sessions) with the demo admin's token; their usernames and ids.
 */
export const createAgents = async (
  base: string,
  count: number,
  first = 1,
  capacity = 1,
): Promise<{ username: string; id: string }[]> => {
  const api = http(base);
  const admin = await api.post('/api/agents/login', {
    companyId: DEMO.companyId,
    username: 'admin',
    password: DEMO.password,
  });
  if (admin.status !== 200) throw new Error(`admin login: HTTP ${admin.status}`);
  const token = String(admin.body['token']);
  const usernames = Array.from({ length: count }, (_, i) => `bench${first + i}`);
  // scrypt runs on libuv's four threads: a few at a time keep them busy.
  const work = [...usernames];
  const agents: { username: string; id: string }[] = [];
  const one = async (): Promise<void> => {
    for (let username = work.shift(); username !== undefined; username = work.shift()) {
      const created = await api.post(
        '/api/admin/agents',
        { username, password: BENCH_AGENT_PASSWORD, role: 'agent', groupIds: ['support'], capacity },
        token,
      );
      if (created.status !== 201)
        throw new Error(`creating agent ${username}: HTTP ${created.status} ${JSON.stringify(created.body)}`);
      agents.push({ username, id: String(created.body['id']) });
    }
  };
  await Promise.all(Array.from({ length: 4 }, one));
  return agents;
};

export interface DatabaseActivity {
  readonly transactions: number;
  /** Rows inserted, updated and deleted, per table. */
  readonly writes: Record<string, number>;
}

/** PostgreSQL's own counters of a database (they lag by up to a second: read them after a pause). */
export const databaseActivity = async (url: string): Promise<DatabaseActivity> => {
  const db = knexFactory({ client: 'pg', connection: url, pool: { min: 0, max: 1 } });
  try {
    const { rows: totals } = await db.raw<{ rows: { xact_commit: string }[] }>(
      'select xact_commit::text from pg_stat_database where datname = current_database()',
    );
    const { rows: tables } = await db.raw<{ rows: { name: string; writes: string }[] }>(
      `select schemaname || '.' || relname as name, (n_tup_ins + n_tup_upd + n_tup_del)::text as writes
       from pg_stat_user_tables`,
    );
    return {
      transactions: Number(totals[0]?.xact_commit ?? 0),
      writes: Object.fromEntries(tables.map((t) => [t.name, Number(t.writes)])),
    };
  } finally {
    await db.destroy();
  }
};
