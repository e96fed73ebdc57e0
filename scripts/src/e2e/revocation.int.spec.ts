// Revocable tokens across processes (PROTOCOL "Security"): deleting an agent, changing its role or password, or its
// `POST /api/agents/logout`, made through gateway A, ends its tokens on gateway B within 2 seconds: B's HTTP answers
// 401 and B closes its sockets with 4401. The two gateways share nothing but PostgreSQL (the configuration store,
// whose version their directories check) and Kafka; other agents are untouched.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import knexFactory from 'knex';
import { loadConfig, silentLogger } from '@cschat/infra';
import { Client } from '../../../test-support/clients';
import { describeWithServer, serverUrl } from '../../../test-support/servers';
import { createApp, type App } from '../app';

/** PROTOCOL: a revocation takes effect on every process within 2 seconds. */
const WITHIN_MS = 2_000;
const PASSWORD = 'a first password, long enough';

describeWithServer('postgres', 'revoked tokens on another gateway (PostgreSQL + Kafka)', (databaseUrl) => {
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
    let adminToken: string;

    beforeAll(async () => {
      await admin.raw(`create database "${database}"`);
      dataDir = mkdtempSync(path.join(tmpdir(), 'cschat-revoke-'));
      const url = new URL(databaseUrl);
      url.pathname = `/${database}`;
      const env = (roles: string) =>
        loadConfig({
          DATABASE_URL: url.toString(),
          KAFKA_BROKERS: brokers!,
          KAFKA_NAMESPACE: `e2e-${id}.`,
          KAFKA_PARTITIONS: '1',
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
      adminToken = await login(gatewayA(), 'admin', 'demo');
    });

    afterAll(async () => {
      for (const client of clients) client.close();
      for (const app of apps.reverse()) await app.stop();
      await admin.raw(`drop database if exists "${database}" with (force)`);
      await admin.destroy();
      rmSync(dataDir, { recursive: true, force: true });
    });

    const gatewayA = () => apps[1]!;
    const gatewayB = () => apps[2]!;
    const base = (app: App) => `127.0.0.1:${app.frontDoor!.port}`;
    const call = async (app: App, method: string, route: string, token?: string, body?: unknown) => {
      const response = await fetch(`http://${base(app)}${route}`, {
        method,
        headers: {
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      return { status: response.status, body: (text === '' ? undefined : JSON.parse(text)) as Record<string, unknown> };
    };
    async function login(app: App, username: string, password: string): Promise<string> {
      const answer = await call(app, 'POST', '/api/agents/login', undefined, { companyId: 'demo', username, password });
      expect([username, answer.status]).toEqual([username, 200]);
      return String(answer.body['token']);
    }
    const socket = async (app: App, token: string): Promise<Client> => {
      const client = await Client.open(`ws://${base(app)}/ws/agent?token=${token}`);
      clients.push(client);
      await client.next((f) => f.type === 'session.list', 'the session list');
      return client;
    };
    /** A new agent of the demo company, made by the admin on gateway A. */
    const newAgent = async (role = 'agent'): Promise<{ agentId: string; username: string }> => {
      const username = `agent-${randomBytes(4).toString('hex')}`;
      const created = await call(gatewayA(), 'POST', '/api/admin/agents', adminToken, {
        username,
        password: PASSWORD,
        role,
        groupIds: ['support'],
        capacity: 2,
      });
      expect(created.status).toBe(201);
      return { agentId: String(created.body['id']), username };
    };
    /** Its answer to a staff route on gateway B, once it is `status` or the time is up. */
    const httpOnB = async (token: string, status: number, withinMs = WITHIN_MS) => {
      const deadline = Date.now() + withinMs;
      for (;;) {
        const answer = await call(gatewayB(), 'GET', '/api/agents', token);
        if (answer.status === status || Date.now() > deadline) return answer;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };

    /**
     * An agent on gateway B (a socket and a token) beside bob (a socket and a token); `revoke` acts on gateway A.
     * Within 2 s of its answer the agent's socket on B is closed with 4401 and its HTTP on B is refused; bob is not.
     */
    const revokedOnB = async (role: string, revoke: (agent: { agentId: string; token: string }) => Promise<void>) => {
      const agent = await newAgent(role);
      const token = await login(gatewayB(), agent.username, PASSWORD);
      const client = await socket(gatewayB(), token);
      const bobToken = await login(gatewayB(), 'bob', 'demo');
      const bob = await socket(gatewayB(), bobToken);
      expect((await call(gatewayB(), 'GET', '/api/agents', token)).status).toBe(200);

      await revoke({ agentId: agent.agentId, token });
      expect(await client.waitClosed(WITHIN_MS)).toBe(4401);
      expect(await httpOnB(token, 401)).toEqual({
        status: 401,
        body: { error: { code: 'unauthorized', message: 'the token has been revoked' } },
      });
      // A new socket with the old token is refused too, on either gateway.
      const again = await Client.open(`ws://${base(gatewayB())}/ws/agent?token=${token}`);
      clients.push(again);
      expect(await again.waitClosed()).toBe(4401);
      // Others are untouched.
      expect(bob.closed).toBeUndefined();
      expect((await bob.request({ type: 'agent.status', status: 'idle' })).type).toBe('ack');
      expect((await call(gatewayB(), 'GET', '/api/agents', bobToken)).status).toBe(200);
      expect((await call(gatewayA(), 'GET', '/api/agents', adminToken)).status).toBe(200);
      bob.close();
      return { ...agent, token };
    };

    it('ends a deleted agent’s tokens on the other gateway', async () => {
      await revokedOnB('agent', async ({ agentId }) => {
        expect((await call(gatewayA(), 'DELETE', `/api/admin/agents/${agentId}`, adminToken)).status).toBe(204);
      });
    });

    it('ends them when its role changes, a supervisor’s too, and a new login works with the new role', async () => {
      const agent = await revokedOnB('supervisor', async ({ agentId }) => {
        const changed = await call(gatewayA(), 'PUT', `/api/admin/agents/${agentId}`, adminToken, { role: 'agent' });
        expect(changed.status).toBe(200);
      });
      const token = await login(gatewayB(), agent.username, PASSWORD);
      expect((await call(gatewayB(), 'GET', '/api/admin/live', token)).status).toBe(403);
      expect((await call(gatewayB(), 'GET', '/api/agents', token)).status).toBe(200);
    });

    it('ends them when its password changes; a fresh login with the new password works, the old one does not', async () => {
      const agent = await revokedOnB('agent', async ({ agentId }) => {
        const changed = await call(gatewayA(), 'PUT', `/api/admin/agents/${agentId}`, adminToken, {
          password: 'the second password, long too',
        });
        expect(changed.status).toBe(200);
      });
      const refused = await call(gatewayB(), 'POST', '/api/agents/login', undefined, {
        companyId: 'demo',
        username: agent.username,
        password: PASSWORD,
      });
      expect(refused.status).toBe(401);
      const token = await login(gatewayB(), agent.username, 'the second password, long too');
      const client = await socket(gatewayB(), token);
      expect((await client.request({ type: 'agent.status', status: 'idle' })).type).toBe('ack');
      expect((await call(gatewayB(), 'GET', '/api/agents', token)).status).toBe(200);
      client.close();
    });

    it('ends every token of an agent that signs out (all its devices), and not another agent’s edits of it', async () => {
      const agent = await revokedOnB('agent', async ({ token }) => {
        // Signed out on gateway A with the same token: its socket on B and any other device end.
        const out = await call(gatewayA(), 'POST', '/api/agents/logout', token);
        expect(out).toEqual({ status: 204, body: undefined });
      });
      // A logout with the revoked token is itself refused; a new login works.
      expect((await call(gatewayA(), 'POST', '/api/agents/logout', agent.token)).status).toBe(401);
      const token = await login(gatewayA(), agent.username, PASSWORD);
      expect((await call(gatewayB(), 'GET', '/api/agents', token)).status).toBe(200);
      // Its new socket (a token of the moved version) outlives the gateways' token checks: the socket keeps the
      // version it was admitted with (it was once dropped, and every token after a first revocation read as 0).
      const renewed = await socket(gatewayB(), token);
      await new Promise((resolve) => setTimeout(resolve, WITHIN_MS + 500));
      expect(renewed.closed).toBeUndefined();
      expect((await renewed.request({ type: 'agent.status', status: 'idle' })).type).toBe('ack');
      renewed.close();
      // An edit that is neither role nor password (the admin form saving a capacity) signs nobody out.
      expect(
        (
          await call(gatewayA(), 'PUT', `/api/admin/agents/${agent.agentId}`, adminToken, {
            capacity: 5,
            role: 'agent',
          })
        ).status,
      ).toBe(200);
      expect((await call(gatewayB(), 'GET', '/api/agents', token)).status).toBe(200);
    });
  });
});
