// The protocol across processes' roles on real servers: a worker (relay, projectors) and two
// gateways, PostgreSQL for events and read models, Kafka between them. The agent is on one
// gateway, the visitor on the other: every frame that reaches one from the other crossed Kafka.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import knexFactory from 'knex';
import { loadConfig, silentLogger } from '@cschat/infra';
import { Client, http, type Frame } from '../../../test-support/clients';
import { describeWithServer, serverUrl } from '../../../test-support/servers';
import { createApp, type App } from '../app';

describeWithServer('postgres', 'the client protocol across two gateways (PostgreSQL + Kafka)', (databaseUrl) => {
  const brokers = serverUrl('kafka');
  const suite = brokers === undefined ? describe.skip : describe;
  suite('(needs KAFKA_BROKERS too)', () => {
    jest.setTimeout(120_000);
    const id = randomBytes(5).toString('hex');
    const database = `cschat_e2e_${id}`;
    const admin = knexFactory({ client: 'pg', connection: databaseUrl, pool: { min: 0, max: 1 } });
    let dataDir: string;
    let apps: App[] = [];
    const clients: Client[] = [];

    beforeAll(async () => {
      await admin.raw(`create database "${database}"`);
      dataDir = mkdtempSync(path.join(tmpdir(), 'cschat-dist-'));
      const url = new URL(databaseUrl);
      url.pathname = `/${database}`;
      const env = (roles: string) =>
        loadConfig({
          DATABASE_URL: url.toString(),
          KAFKA_BROKERS: brokers!,
          KAFKA_NAMESPACE: `e2e-${id}.`,
          KAFKA_PARTITIONS: '3',
          ...(serverUrl('redis') === undefined
            ? {}
            : { REDIS_URL: serverUrl('redis')!, REDIS_PREFIX: `test:e2e-${id}:` }),
          TOKEN_SECRET: 'a-test-secret-that-is-long-enough-for-hs256',
          DATA_DIR: dataDir,
          PORT: '0',
          ROLES: roles,
        });
      const worker = createApp(env('relay,projector,worker'), silentLogger());
      await worker.start();
      const gateways = [createApp(env('gateway,api'), silentLogger()), createApp(env('gateway,api'), silentLogger())];
      await Promise.all(gateways.map((g) => g.start()));
      apps = [worker, ...gateways];
    });

    afterAll(async () => {
      for (const client of clients) client.close();
      for (const app of apps.reverse()) await app.stop();
      await admin.raw(`drop database if exists "${database}" with (force)`);
      await admin.destroy();
      rmSync(dataDir, { recursive: true, force: true });
    });

    const base = (app: App) => `127.0.0.1:${app.frontDoor!.port}`;
    const connect = async (app: App, kind: 'agent' | 'visitor', body: Record<string, string>) => {
      const login = await http(`http://${base(app)}`).post(`/api/${kind}s/login`, body);
      expect(login.status).toBe(200);
      const client = await Client.open(`ws://${base(app)}/ws/${kind}?token=${String(login.body['token'])}`);
      clients.push(client);
      return { client, token: String(login.body['token']) };
    };
    const listed = (sessionId: string, unread?: boolean) => (f: Frame) =>
      f.type === 'session.list' &&
      (f['sessions'] as { sessionId: string; unread: boolean }[]).some(
        (s) => s.sessionId === sessionId && (unread === undefined || s.unread === unread),
      );

    it('carries a conversation between an agent on one gateway and a visitor on the other', async () => {
      const [, gatewayA, gatewayB] = apps as [App, App, App];
      const alice = await connect(gatewayA, 'agent', { companyId: 'demo', username: 'alice', password: 'demo' });
      expect(await alice.client.request({ type: 'agent.status', status: 'idle' })).toMatchObject({ type: 'ack' });
      const visitor = await connect(gatewayB, 'visitor', { companyId: 'demo' });
      await visitor.client.next((f) => f.type === 'suggestions');

      const sent = await visitor.client.request({
        type: 'message.send',
        text: 'Hello from gateway B',
        clientMsgId: 'c1',
      });
      const sessionId = String(sent['sessionId']);
      // The gateways have no worker role: the request is queued, the worker's reactor assigns it.
      const asked = await visitor.client.request({ type: 'human.request' });
      expect(asked).toMatchObject({ type: 'ack', sessionId, state: 'queued', queuePosition: 1 });
      await alice.client.next(listed(sessionId, true), 'the list with unread: true, via the projector and Kafka');
      await visitor.client.next(
        (f) => f.type === 'session.state' && f['state'] === 'assigned' && f['agentId'] === 'alice',
        'session.state assigned on gateway B, from the workflows on the worker',
      );

      await alice.client.request({ type: 'session.read', sessionId });
      await alice.client.next(
        (f) =>
          f.type === 'session.update' &&
          (f['session'] as { sessionId: string; unread: boolean }).sessionId === sessionId &&
          !(f['session'] as { unread: boolean }).unread,
        'the row with unread: false (session.update)',
      );
      await alice.client.request({ type: 'message.send', sessionId, text: 'Hello from gateway A', clientMsgId: 'a1' });
      await visitor.client.next(
        (f) => f.type === 'message' && f['text'] === 'Hello from gateway A',
        'the reply across gateways',
      );
      await visitor.client.request({ type: 'message.send', text: 'thanks', clientMsgId: 'c2' });
      await alice.client.next(
        (f) => f.type === 'message' && f['text'] === 'thanks',
        'the visitor message across gateways',
      );
      await alice.client.next(
        (f) =>
          f.type === 'session.update' &&
          (f['session'] as { unread: boolean; lastMessage?: { text: string } }).lastMessage?.text === 'thanks' &&
          (f['session'] as { unread: boolean }).unread,
        "the message's row with the red dot (session.update)",
      );

      alice.client.frames.length = 0; // the load 0 of her login must not count below
      expect(await visitor.client.request({ type: 'session.end' })).toMatchObject({ type: 'ack' });
      await alice.client.next((f) => f.type === 'session.state' && f['state'] === 'ended');
      await alice.client.next((f) => f.type === 'agent.state' && f['load'] === 0);
      const history = await http(`http://${base(gatewayB)}`).get(`/api/sessions/${sessionId}/messages`, alice.token);
      // The bot's replies in the bot stage are there too; the people's messages in order:
      expect(
        (history.body['messages'] as { text: string; from: { role: string } }[])
          .filter((m) => m.from.role !== 'bot')
          .map((m) => m.text),
      ).toEqual(['thanks', 'Hello from gateway A', 'Hello from gateway B']);
    });

    it('carries typing, read receipts and notes between an agent and a visitor on different gateways', async () => {
      const [, gatewayA, gatewayB] = apps as [App, App, App];
      const alice = await connect(gatewayA, 'agent', { companyId: 'demo', username: 'alice', password: 'demo' });
      expect(await alice.client.request({ type: 'agent.status', status: 'idle' })).toMatchObject({ type: 'ack' });
      const visitor = await connect(gatewayB, 'visitor', { companyId: 'demo' });
      const sent = await visitor.client.request({ type: 'message.send', text: 'Typing test', clientMsgId: 't1' });
      const sessionId = String(sent['sessionId']);
      await visitor.client.request({ type: 'human.request' });
      await visitor.client.next(
        (f) => f.type === 'session.state' && f['state'] === 'assigned' && f['agentName'] === 'Alice',
        'assigned to alice, with her name',
      );

      // Typing crosses the gateways on the signals topic (not stored), both ways.
      expect(await visitor.client.request({ type: 'typing', typing: true })).toMatchObject({ type: 'ack' });
      expect(await alice.client.next((f) => f.type === 'typing', 'the visitor typing on gateway A')).toEqual({
        type: 'typing',
        sessionId,
        from: { role: 'visitor' },
        typing: true,
      });
      await alice.client.request({ type: 'typing', sessionId, typing: true });
      expect(await visitor.client.next((f) => f.type === 'typing', 'alice typing on gateway B')).toMatchObject({
        from: { role: 'agent', id: 'alice' },
        typing: true,
      });

      // Receipts both ways.
      await alice.client.next(listed(sessionId, true), 'the session in her list');
      await alice.client.request({ type: 'session.read', sessionId });
      expect(await visitor.client.next((f) => f.type === 'message.read', 'the receipt on gateway B')).toMatchObject({
        sessionId,
        upTo: sent['messageId'],
      });
      const reply = await alice.client.request({ type: 'message.send', sessionId, text: 'Hi', clientMsgId: 'a1' });
      await visitor.client.next((f) => f.type === 'message' && f['text'] === 'Hi', 'the reply');
      await visitor.client.request({ type: 'session.read' });
      expect(await alice.client.next((f) => f.type === 'message.read', 'the receipt on gateway A')).toMatchObject({
        sessionId,
        upTo: reply['messageId'],
      });

      // A note: at alice, never at the visitor.
      await alice.client.request({ type: 'note.send', sessionId, text: 'a private note', clientMsgId: 'n1' });
      await alice.client.next((f) => f.type === 'message' && f['private'] === true, 'the note');
      await alice.client.request({ type: 'message.send', sessionId, text: 'after', clientMsgId: 'a2' });
      await visitor.client.next((f) => f.type === 'message' && f['text'] === 'after', 'the message after the note');
      expect(visitor.client.frames.some((f) => f['text'] === 'a private note')).toBe(false);
      expect(await visitor.client.request({ type: 'session.end' })).toMatchObject({ type: 'ack' });
    });

    it('lets a supervisor on one gateway watch a session held on the other: its messages, notes, typing, the board', async () => {
      const [, gatewayA, gatewayB] = apps as [App, App, App];
      const api = http(`http://${base(gatewayA)}`);
      const admin = await api.post('/api/agents/login', { companyId: 'demo', username: 'admin', password: 'demo' });
      const created = await api.post(
        '/api/admin/agents',
        {
          username: 'sue',
          password: 'supervise-the-floor',
          name: 'Sue',
          role: 'supervisor',
          groupIds: ['support'],
          capacity: 1,
        },
        String(admin.body['token']),
      );
      expect(created.status).toBe(201);
      const alice = await connect(gatewayA, 'agent', { companyId: 'demo', username: 'alice', password: 'demo' });
      expect(await alice.client.request({ type: 'agent.status', status: 'idle' })).toMatchObject({ type: 'ack' });
      const sue = await connect(gatewayB, 'agent', {
        companyId: 'demo',
        username: 'sue',
        password: 'supervise-the-floor',
      });
      expect(await sue.client.request({ type: 'agent.status', status: 'away' })).toMatchObject({ type: 'ack' });
      const visitor = await connect(gatewayA, 'visitor', { companyId: 'demo' });
      const sent = await visitor.client.request({ type: 'message.send', text: 'Watch me', clientMsgId: 'w1' });
      const sessionId = String(sent['sessionId']);
      await visitor.client.request({ type: 'human.request' });
      // Across processes the assignment may come after the ack (which then says `queued`).
      await visitor.client.next(
        (f) => f.type === 'session.state' && f['state'] === 'assigned' && f['agentId'] === 'alice',
        'assigned to alice',
      );

      expect(await sue.client.request({ type: 'live.subscribe' })).toMatchObject({ type: 'ack' });
      await sue.client.next(
        (f) =>
          f.type === 'live.update' &&
          (f['sessions'] as { sessionId: string; agentId?: string }[]).some(
            (row) => row.sessionId === sessionId && row.agentId === 'alice',
          ),
        'the session on the board of gateway B',
      );
      expect(await sue.client.request({ type: 'session.watch', sessionId })).toMatchObject({
        type: 'ack',
        state: 'assigned',
        agentId: 'alice',
      });
      await visitor.client.request({ type: 'message.send', text: 'Anyone?', clientMsgId: 'w2' });
      await sue.client.next((f) => f.type === 'message' && f['text'] === 'Anyone?', 'the message on gateway B');
      expect(await visitor.client.request({ type: 'typing', typing: true })).toMatchObject({ type: 'ack' });
      expect(
        await sue.client.next(
          (f) => f.type === 'typing' && (f['from'] as Frame)['role'] === 'visitor',
          'the visitor typing on gateway B',
        ),
      ).toEqual({ type: 'typing', sessionId, from: { role: 'visitor' }, typing: true });
      await alice.client.request({ type: 'typing', sessionId, typing: true });
      await sue.client.next(
        (f) => f.type === 'typing' && (f['from'] as Frame)['id'] === 'alice',
        'alice typing on gateway B',
      );
      await alice.client.request({ type: 'note.send', sessionId, text: 'for the supervisor', clientMsgId: 'wn1' });
      expect(
        await sue.client.next(
          (f) => f.type === 'message' && f['text'] === 'for the supervisor',
          'the note on gateway B',
        ),
      ).toMatchObject({ private: true });
      expect(await visitor.client.request({ type: 'session.end' })).toMatchObject({ type: 'ack' });
      await sue.client.next(
        (f) => f.type === 'session.state' && f['sessionId'] === sessionId && f['state'] === 'ended',
        'the end on gateway B',
      );
    });

    // Without Redis each gateway would count alone: this is what REDIS_URL promises.
    (serverUrl('redis') === undefined ? it.skip : it)(
      'counts failed logins across both gateways through Redis: the 11th attempt is refused on either, the right password included',
      async () => {
        const [, gatewayA, gatewayB] = apps as [App, App, App];
        const admin = await http(`http://${base(gatewayA)}`).post('/api/agents/login', {
          companyId: 'demo',
          username: 'admin',
          password: 'demo',
        });
        const password = 'tess-guards-the-door';
        const created = await http(`http://${base(gatewayB)}`).post(
          '/api/admin/agents',
          { username: 'tess', password, role: 'agent', groupIds: ['support'], capacity: 1 },
          String(admin.body['token']),
        );
        expect(created.status).toBe(201);
        const attempt = async (gateway: App, username: string, tried: string) => {
          const response = await fetch(`http://${base(gateway)}/api/agents/login`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ companyId: 'demo', username, password: tried }),
          });
          const body = (await response.json()) as { error?: { code: string } };
          return { status: response.status, retryAfter: response.headers.get('retry-after'), code: body.error?.code };
        };
        for (let i = 0; i < 10; i += 1)
          expect((await attempt(i % 2 === 0 ? gatewayA : gatewayB, 'tess', `wrong guess ${i}`)).status).toBe(401);
        for (const gateway of [gatewayA, gatewayB]) {
          const refused = await attempt(gateway, 'tess', password);
          expect([refused.status, refused.code]).toEqual([429, 'too_many_requests']);
          // 15 minutes from the first failure, a few seconds ago.
          expect(Number(refused.retryAfter)).toBeGreaterThan(800);
          expect(Number(refused.retryAfter)).toBeLessThanOrEqual(900);
        }
        // Another username logs in, from the same address, on either gateway.
        expect((await attempt(gatewayB, 'bob', 'demo')).status).toBe(200);
      },
    );
  });
});
