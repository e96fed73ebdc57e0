// The roles as separate OS processes, each started the way an operator starts it
// (`tsx scripts/src/start.ts`, configured by the environment): a worker (relay, projectors,
// routing) and two gateways, PostgreSQL for events and read models, Kafka between them. The
// agent is on gateway A, the visitor on gateway B. Then the operations side: SIGTERM on a
// gateway closes its sockets with 1001 and exits 0; a worker killed with SIGKILL and started
// again resumes where it was (the relay's checkpoint and the consumer groups' offsets survive).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Client, http, type Frame } from '../../../test-support/clients';
import {
  environmentOf,
  freePort,
  scratchDatabase,
  Services,
  within,
  type Service,
} from '../../../test-support/processes';
import { describeWithServer, serverUrl } from '../../../test-support/servers';
import { waitFor } from '../../../test-support/wait';

describeWithServer('postgres', 'the roles as separate processes (PostgreSQL + Kafka)', (databaseUrl) => {
  const brokers = serverUrl('kafka');
  const suite = brokers === undefined ? describe.skip : describe;
  suite('(needs KAFKA_BROKERS too)', () => {
    jest.setTimeout(180_000);
    const id = randomBytes(5).toString('hex');
    let database: Awaited<ReturnType<typeof scratchDatabase>> | undefined;
    let dataDir: string | undefined;
    let env: (roles: string, port: number) => NodeJS.ProcessEnv;
    const services = new Services();
    const diagnosed = (body: () => Promise<void>) => services.diagnosed(body);
    const clients: Client[] = [];
    let worker: Service;
    let gatewayA: { service: Service; base: string };
    let gatewayB: { service: Service; base: string };

    const launch = (name: string, roles: string, port: number, args: readonly string[] = []) =>
      services.launch(name, env(roles, port), args);
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
        `worker ${services.all.filter((s) => s.name.startsWith('worker')).length + 1}`,
        'relay,projector,worker',
        await freePort(),
      );
      await service.printed('cschat is running in distributed mode');
      return service;
    };

    beforeAll(
      diagnosed(async () => {
        database = await scratchDatabase(databaseUrl, `cschat_proc_${id}`);
        dataDir = mkdtempSync(path.join(tmpdir(), 'cschat-proc-'));
        const namespace = `e2e-proc-${id}.`;
        const base = environmentOf({
          databaseUrl: database.url,
          brokers: brokers!,
          namespace,
          redisUrl: serverUrl('redis'),
          redisPrefix: `test:${namespace}`,
          tokenSecret: randomBytes(32).toString('base64url'),
          dataDir,
        });
        // A short lease: a gateway that dies loses its agents' sockets 1.5 s after its last heartbeat.
        env = (roles, port) => ({ ...base(roles, port), PRESENCE_LEASE_MS: '1500' });
        worker = await startWorker();
        [gatewayA, gatewayB] = await Promise.all([startGateway('gateway A'), startGateway('gateway B')]);
      }),
      120_000,
    );

    afterAll(async () => {
      for (const client of clients) client.close();
      await services.stop();
      await database?.drop();
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
        // A read pushes the one row (session.update, PROTOCOL second edition), not the whole list.
        await agent.client.next(
          (f) =>
            f.type === 'session.update' &&
            (f['session'] as { sessionId: string; unread: boolean }).sessionId === sessionId &&
            !(f['session'] as { unread: boolean }).unread,
          'the row with unread: false (session.update)',
        );
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

    it(
      "takes a killed gateway's agents offline after the grace; an agent that reconnected elsewhere stays",
      diagnosed(async () => {
        const api = http(gatewayB.base);
        const admin = await api.post('/api/agents/login', { companyId: 'demo', username: 'admin', password: 'demo' });
        const adminToken = String(admin.body['token']);
        expect(
          (await api.put('/api/admin/settings', { presenceGraceSeconds: 1, offlineRequeueSeconds: 600 }, adminToken))
            .status,
        ).toBe(200);
        agent.client.close(); // alice's console on B, from the test before: her only one is to be on C
        await agent.client.waitClosed();
        const gatewayC = await startGateway('gateway C');
        const onC = await connect(gatewayC.base, 'agent', alice);
        expect(await onC.client.request({ type: 'agent.status', status: 'idle' })).toMatchObject({ type: 'ack' });
        const bob = await connect(gatewayC.base, 'agent', { companyId: 'demo', username: 'bob', password: 'demo' });
        expect(await bob.client.request({ type: 'agent.status', status: 'away' })).toMatchObject({ type: 'ack' });
        const statusOf = async (username: string): Promise<string | undefined> => {
          const { body } = await api.get('/api/agents', adminToken);
          return (body['agents'] as { username: string; status: string }[]).find((a) => a.username === username)
            ?.status;
        };
        expect(await statusOf('alice')).toBe('idle');

        gatewayC.service.crash(); // no clean close: only the leases tell
        expect(await within(gatewayC.service.exited, 10_000)).toMatchObject({ signal: 'SIGKILL' });
        // bob's console reconnects to gateway B at once, well within the grace.
        const back = await connect(gatewayB.base, 'agent', { companyId: 'demo', username: 'bob', password: 'demo' });
        await back.client.next((f) => f.type === 'agent.state', "bob's state on gateway B");
        const crashedAt = Date.now();
        await waitFor(
          'alice offline',
          async () => ((await statusOf('alice')) === 'offline' ? true : undefined),
          20_000,
        );
        const tookMs = Date.now() - crashedAt;
        expect(tookMs).toBeGreaterThanOrEqual(1_000); // not before the grace
        expect(await statusOf('bob')).toBe('away');
        console.log(`presence: agent of a SIGKILLed gateway offline after ${tookMs} ms (lease 1.5 s + grace 1 s)`);
        // Routing never picks her: a visitor asking now waits (the worker routes within milliseconds).
        const waiting = await connect(gatewayB.base, 'visitor', { companyId: 'demo' });
        const asked = await waiting.client.request({ type: 'human.request' });
        expect(asked).toMatchObject({ state: 'queued' });
        await new Promise((resolve) => setTimeout(resolve, 2_000));
        expect(waiting.client.frames.some((f) => f.type === 'session.state' && f['state'] === 'assigned')).toBe(false);
      }),
    );
  });
});
