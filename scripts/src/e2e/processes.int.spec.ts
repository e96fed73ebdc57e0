// The roles as separate OS processes, each started the way an operator starts it
// (`tsx scripts/src/start.ts`, configured by the environment): a worker (relay, projectors,
// routing) and two gateways, PostgreSQL for events and read models, Kafka between them. The
// agent is on gateway A, the visitor on gateway B. Then the operations side: SIGTERM on a
// gateway closes its sockets with 1001 and exits 0; a worker killed with SIGKILL and started
// again resumes where it was (the relay's checkpoint and the consumer groups' offsets survive).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import knexFactory from 'knex';
import { Client, http, type Frame } from '../../../test-support/clients';
import { describeWithServer, serverUrl } from '../../../test-support/servers';
import { waitFor } from '../../../test-support/wait';

const ROOT = path.resolve(__dirname, '../../..');
const TSX = path.join(ROOT, 'node_modules/.bin/tsx');

interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** A free TCP port: bind to port 0, read what the kernel chose, let it go. */
const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });

/** Resolves with `promise`, or with undefined when it takes longer than `ms`. */
const within = <T>(promise: Promise<T>, ms: number): Promise<T | undefined> => {
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
class Service {
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
  ) {
    this.child = spawn(TSX, ['scripts/src/start.ts', ...args], {
      cwd: ROOT,
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    for (const stream of [this.child.stdout!, this.child.stderr!]) {
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => (this.output += chunk));
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

describeWithServer('postgres', 'the roles as separate processes (PostgreSQL + Kafka)', (databaseUrl) => {
  const brokers = serverUrl('kafka');
  const suite = brokers === undefined ? describe.skip : describe;
  suite('(needs KAFKA_BROKERS too)', () => {
    jest.setTimeout(180_000);
    const id = randomBytes(5).toString('hex');
    const database = `cschat_proc_${id}`;
    const admin = knexFactory({ client: 'pg', connection: databaseUrl, pool: { min: 0, max: 1 } });
    let dataDir: string | undefined;
    let env: (roles: string, port: number) => NodeJS.ProcessEnv;
    const services: Service[] = [];
    const clients: Client[] = [];
    let worker: Service;
    let gatewayA: { service: Service; base: string };
    let gatewayB: { service: Service; base: string };

    // The children's output is shown when something failed: in the failure's message when a
    // hook or test throws, after the suite when one never ended (jest's timeout).
    let running = 0;
    let reported = false;
    const report = () => services.map((s) => s.report()).join('\n');
    const diagnosed = (body: () => Promise<void>) => async () => {
      running += 1;
      try {
        await body();
        running -= 1;
      } catch (error) {
        running -= 1;
        reported = true;
        if (error instanceof Error) error.message += `\n\nOutput of the processes:\n${report()}`;
        throw error;
      }
    };

    const launch = (name: string, roles: string, port: number, args: readonly string[] = []) => {
      const service = new Service(name, env(roles, port), args);
      services.push(service);
      return service;
    };
    const startGateway = async (name: string) => {
      const port = await freePort();
      const service = launch(name, 'gateway,api', port, ['--no-demo']);
      const base = `http://127.0.0.1:${port}`;
      await service.ready(base);
      return { service, base };
    };
    /** Only the worker creates the demo company: the gateways start after it, with --no-demo. */
    const startWorker = async () => {
      const service = launch(
        `worker ${services.filter((s) => s.name.startsWith('worker')).length + 1}`,
        'relay,projector,worker',
        await freePort(),
      );
      await service.printed('cschat is running in distributed mode');
      return service;
    };

    beforeAll(
      diagnosed(async () => {
        await admin.raw(`create database "${database}"`);
        dataDir = mkdtempSync(path.join(tmpdir(), 'cschat-proc-'));
        const url = new URL(databaseUrl);
        url.pathname = `/${database}`;
        const namespace = `e2e-proc-${id}.`;
        const secret = randomBytes(32).toString('base64url');
        const directory = dataDir;
        // A clean environment: nothing of this process's (EVENTSTORE_URL would win, NODE_OPTIONS is jest's).
        const redisUrl = serverUrl('redis');
        env = (roles, port) => ({
          PATH: process.env['PATH'],
          HOME: process.env['HOME'],
          DATABASE_URL: url.toString(),
          KAFKA_BROKERS: brokers!,
          KAFKA_NAMESPACE: namespace,
          KAFKA_PARTITIONS: '3',
          ...(redisUrl === undefined ? {} : { REDIS_URL: redisUrl, REDIS_PREFIX: `test:${namespace}` }),
          TOKEN_SECRET: secret,
          DATA_DIR: directory,
          PORT: String(port),
          ROLES: roles,
          LOG_LEVEL: 'warn',
        });
        worker = await startWorker();
        [gatewayA, gatewayB] = await Promise.all([startGateway('gateway A'), startGateway('gateway B')]);
      }),
      120_000,
    );

    afterAll(async () => {
      for (const client of clients) client.close();
      await Promise.all(services.map((s) => s.stop()));
      if (running > 0 && !reported) process.stderr.write(`\nOutput of the processes:\n${report()}`);
      await admin.raw(`drop database if exists "${database}" with (force)`);
      await admin.destroy();
      if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
    }, 60_000);

    const connect = async (base: string, kind: 'agent' | 'visitor', body: Record<string, string>) => {
      const login = await http(base).post(`/api/${kind}s/login`, body);
      expect(login.status).toBe(200);
      const token = String(login.body['token']);
      const client = await Client.open(`${base.replace(/^http/, 'ws')}/ws/${kind}?token=${token}`);
      clients.push(client);
      return { client, token };
    };
    const alice = { companyId: 'demo', username: 'alice', password: 'demo' };
    const listed = (sessionId: string, unread?: boolean) => (f: Frame) =>
      f.type === 'session.list' &&
      (f['sessions'] as { sessionId: string; unread: boolean }[]).some(
        (s) => s.sessionId === sessionId && (unread === undefined || s.unread === unread),
      );
    /** Matches only frames that arrive from now on (an agent gets agent.state load 0 on connect). */
    const fromNow = (client: Client) => {
      const before = new Set(client.frames);
      return (match: (f: Frame) => boolean) => (f: Frame) => !before.has(f) && match(f);
    };

    let agent: { client: Client; token: string };
    let visitor: { client: Client; token: string };

    it(
      'carries a conversation between an agent on gateway A and a visitor on gateway B',
      diagnosed(async () => {
        agent = await connect(gatewayA.base, 'agent', alice);
        expect(await agent.client.request({ type: 'agent.status', status: 'idle' })).toMatchObject({ type: 'ack' });
        visitor = await connect(gatewayB.base, 'visitor', { companyId: 'demo' });
        await visitor.client.next((f) => f.type === 'suggestions', 'suggestions');

        const sent = await visitor.client.request({ type: 'message.send', text: 'Hello from B', clientMsgId: 'c1' });
        expect(sent).toMatchObject({ type: 'ack' });
        const sessionId = String(sent['sessionId']);
        // The gateways have no worker role: the request is queued, the worker process assigns it.
        expect(await visitor.client.request({ type: 'human.request' })).toMatchObject({
          type: 'ack',
          sessionId,
          state: 'queued',
        });
        await visitor.client.next(
          (f) =>
            f.type === 'session.state' &&
            f['sessionId'] === sessionId &&
            f['state'] === 'assigned' &&
            f['agentId'] === 'alice',
          'session.state assigned to alice, from the worker process',
        );
        await agent.client.next(listed(sessionId, true), 'the list with unread: true');

        expect(await agent.client.request({ type: 'session.read', sessionId })).toMatchObject({ type: 'ack' });
        await agent.client.next(listed(sessionId, false), 'the list with unread: false');
        await agent.client.request({ type: 'message.send', sessionId, text: 'Hello from A', clientMsgId: 'a1' });
        await visitor.client.next((f) => f.type === 'message' && f['text'] === 'Hello from A', 'the reply from A');

        const later = fromNow(agent.client);
        expect(await visitor.client.request({ type: 'session.end' })).toMatchObject({ type: 'ack' });
        await agent.client.next(
          later((f) => f.type === 'session.state' && f['sessionId'] === sessionId && f['state'] === 'ended'),
          'session.state ended',
        );
        await agent.client.next(
          later((f) => f.type === 'agent.state' && f['load'] === 0),
          'agent.state with load 0',
        );
      }),
    );

    it(
      'closes the sockets of a gateway with 1001 on SIGTERM and exits 0',
      diagnosed(async () => {
        expect(agent.client.closed).toBeUndefined();
        gatewayA.service.signal('SIGTERM');
        expect(await agent.client.waitClosed(10_000)).toBe(1001);
        expect(await within(gatewayA.service.exited, 10_000)).toEqual({ code: 0, signal: null });
        // The other gateway goes on.
        expect(visitor.client.closed).toBeUndefined();
        expect((await fetch(`${gatewayB.base}/readyz`)).status).toBe(200);
      }),
    );

    it(
      'resumes after the worker is killed: events written meanwhile are relayed and routed',
      diagnosed(async () => {
        agent = await connect(gatewayB.base, 'agent', alice);
        expect(await agent.client.request({ type: 'agent.status', status: 'idle' })).toMatchObject({ type: 'ack' });

        worker.crash();
        expect(await within(worker.exited, 10_000)).toMatchObject({ signal: 'SIGKILL' });

        // Without a worker the gateway still writes the events; nobody relays or routes them yet.
        const sent = await visitor.client.request({ type: 'message.send', text: 'Anyone there?', clientMsgId: 'c2' });
        expect(sent).toMatchObject({ type: 'ack' });
        const sessionId = String(sent['sessionId']);
        expect(await visitor.client.request({ type: 'human.request' })).toMatchObject({
          type: 'ack',
          sessionId,
          state: 'queued',
        });

        // The new worker's consumers join the groups of the killed one, whose members Kafka keeps
        // until their session times out (kafkajs's default, 30 s): its start takes about that long.
        worker = await startWorker();
        await visitor.client.next(
          (f) =>
            f.type === 'session.state' &&
            f['sessionId'] === sessionId &&
            f['state'] === 'assigned' &&
            f['agentId'] === 'alice',
          'session.state assigned to alice, from the new worker process',
          45_000,
        );
        await agent.client.next(listed(sessionId, true), 'the list with the new session, unread: true');
        await agent.client.request({ type: 'message.send', sessionId, text: 'Back again', clientMsgId: 'a2' });
        await visitor.client.next(
          (f) => f.type === 'message' && f['text'] === 'Back again',
          'the reply after the restart',
        );

        const later = fromNow(agent.client);
        expect(await visitor.client.request({ type: 'session.end' })).toMatchObject({ type: 'ack' });
        await agent.client.next(
          later((f) => f.type === 'agent.state' && f['load'] === 0),
          'agent.state with load 0',
        );
        const history = await http(gatewayB.base).get(`/api/sessions/${sessionId}/messages`, agent.token);
        // The bot's replies in the bot stage are there too; the people's messages in order:
        expect(
          (history.body['messages'] as { text: string; from: { role: string } }[])
            .filter((m) => m.from.role !== 'bot')
            .map((m) => m.text),
        ).toEqual(['Back again', 'Anyone there?']);
      }),
    );
  });
});
