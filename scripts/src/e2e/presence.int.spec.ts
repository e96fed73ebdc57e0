// Presence and configuration end to end over real sockets, in embedded mode (the app `npm start`
// runs): an agent's status follows its consoles, its sessions go back to the queue when it is
// gone, and configuration changes take effect on the next frame. Each test has a company of its
// own with short presence settings (1 s grace, 2 s before a requeue).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { loadConfig, silentLogger } from '@cschat/infra';
import { Client, http, type Frame } from '../../../test-support/clients';
import { waitFor } from '../../../test-support/wait';

/** Waits until `holds` is true. */
const eventually = (what: string, holds: () => Promise<boolean>, timeoutMs = 10_000) =>
  waitFor(what, async () => ((await holds()) ? true : undefined), timeoutMs);
import { createApp, type App } from '../app';

const PLATFORM = 'platform-secret-for-presence-tests';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('presence and configuration that takes effect at once (embedded mode)', () => {
  jest.setTimeout(90_000);
  let dataDir: string;
  let app: App;
  let ws: string;
  let api: ReturnType<typeof http>;
  const clients: Client[] = [];
  let companies = 0;

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'cschat-presence-'));
    app = createApp(loadConfig({ DATA_DIR: dataDir, PORT: '0', PLATFORM_ADMIN_TOKEN: PLATFORM }), silentLogger());
    await app.start();
    const base = `http://127.0.0.1:${app.frontDoor!.port}`;
    ws = `ws://127.0.0.1:${app.frontDoor!.port}`;
    api = http(base);
  }, 60_000);

  afterAll(async () => {
    for (const client of clients) client.close();
    await app.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** A company with one group, its admin and the agents given (all in the group), and short presence settings. */
  const company = async (agents: Record<string, number>, settings: Record<string, unknown> = {}) => {
    companies += 1;
    const companyId = `presence${companies}`;
    const created = await api.post(
      '/api/companies',
      { companyId, name: companyId, timeZone: 'UTC', adminUsername: 'boss', adminPassword: 'boss-password' },
      PLATFORM,
    );
    expect(created.status).toBe(201);
    const boss = await login(companyId, 'boss', 'boss-password');
    const group = await api.post('/api/admin/groups', { name: 'desk' }, boss.token);
    const groupId = String(group.body['id']);
    const ids: Record<string, string> = {};
    for (const [username, capacity] of Object.entries(agents)) {
      const made = await api.post(
        '/api/admin/agents',
        { username, password: `${username}-password`, role: 'agent', groupIds: [groupId], capacity },
        boss.token,
      );
      expect(made.status).toBe(201);
      ids[username] = String(made.body['id']);
    }
    const put = await api.put(
      '/api/admin/settings',
      { defaultGroupId: groupId, presenceGraceSeconds: 1, offlineRequeueSeconds: 2, ...settings },
      boss.token,
    );
    expect(put.status).toBe(200);
    return { companyId, groupId, boss, ids };
  };
  const login = async (companyId: string, username: string, password = `${username}-password`) => {
    const answer = await api.post('/api/agents/login', { companyId, username, password });
    expect(answer.status).toBe(200);
    return { token: String(answer.body['token']), agentId: String(answer.body['agentId']) };
  };
  const console_ = async (token: string) => {
    const client = await Client.open(`${ws}/ws/agent?token=${token}`);
    clients.push(client);
    await client.next((f) => f.type === 'session.list', 'the session list of a new socket');
    return client;
  };
  const visitor = async (companyId: string) => {
    const answer = await api.post('/api/visitors/login', { companyId });
    const client = await Client.open(`${ws}/ws/visitor?token=${String(answer.body['token'])}`);
    clients.push(client);
    return client;
  };
  const statusOf = async (token: string, agentId: string): Promise<string> => {
    const { body } = await api.get('/api/agents', token);
    return String((body['agents'] as { agentId: string; status: string }[]).find((a) => a.agentId === agentId)?.status);
  };

  it('goes offline once no console was open for the grace: a visitor asking then waits instead of being told an agent joined', async () => {
    const { companyId, boss } = await company({ alice: 2 });
    const alice = await login(companyId, 'alice');
    const desk = await console_(alice.token);
    expect(await desk.request({ type: 'agent.status', status: 'idle' })).toMatchObject({ type: 'ack', status: 'idle' });
    desk.close();
    await eventually('alice offline', async () => (await statusOf(boss.token, alice.agentId)) === 'offline');
    const v = await visitor(companyId);
    expect(await v.request({ type: 'human.request' })).toMatchObject({
      type: 'ack',
      state: 'queued',
      queuePosition: 1,
    });
  });

  it('a console opened again within the grace changes nothing; a new one after it brings back the chosen status', async () => {
    const { companyId, boss } = await company({ alice: 2 }, { presenceGraceSeconds: 3 });
    const alice = await login(companyId, 'alice');
    const first = await console_(alice.token);
    await first.request({ type: 'agent.status', status: 'away' });
    first.close(); // a reload
    await sleep(300);
    const second = await console_(alice.token);
    expect(second.frames.find((f) => f.type === 'agent.state')).toMatchObject({ status: 'away' });
    await sleep(3_500); // past the grace, with a console open
    expect(await statusOf(boss.token, alice.agentId)).toBe('away');
    second.close();
    await eventually('alice offline', async () => (await statusOf(boss.token, alice.agentId)) === 'offline');
    const third = await console_(alice.token);
    expect(third.frames.find((f) => f.type === 'agent.state')).toMatchObject({ status: 'away' });
    expect(await statusOf(boss.token, alice.agentId)).toBe('away');
  });

  it("requeues a gone agent's sessions to the front of the queue, tells the visitor its position, and routes them", async () => {
    const { companyId, boss } = await company({ alice: 1, bob: 1 });
    const alice = await login(companyId, 'alice');
    const bob = await login(companyId, 'bob');
    const aliceDesk = await console_(alice.token);
    await aliceDesk.request({ type: 'agent.status', status: 'idle' });
    const v1 = await visitor(companyId);
    const held = await v1.request({ type: 'human.request' });
    expect(held).toMatchObject({ state: 'assigned', agentId: alice.agentId });
    const v2 = await visitor(companyId); // waits: alice is full, bob is not there
    expect(await v2.request({ type: 'human.request' })).toMatchObject({ state: 'queued', queuePosition: 1 });
    aliceDesk.close();
    // Gone for the grace, then offline for the requeue time: v1's session goes back, ahead of v2.
    const back = (f: Frame) =>
      f.type === 'session.state' && f['sessionId'] === held['sessionId'] && f['state'] === 'queued';
    await v1.next((f) => back(f) && f['reason'] === 'agent_offline', 'the visitor told why it went back', 15_000);
    const told = v1.frames.length;
    await v1.next(
      (f) => back(f) && f['queuePosition'] === 1 && v1.frames.indexOf(f) >= told - 1,
      'the visitor told it is first, ahead of the one that waited',
    );
    expect(await statusOf(boss.token, alice.agentId)).toBe('offline');
    const bobDesk = await console_(bob.token);
    await bobDesk.request({ type: 'agent.status', status: 'idle' });
    await v1.next(
      (f) => f.type === 'session.state' && f['state'] === 'assigned' && f['agentId'] === bob.agentId,
      'the requeued session assigned to bob before the one that waited',
    );
    // The queue is a read model: the projector commits its batch a moment after the frame above.
    await eventually('one session left waiting, the one that waited', async () => {
      const { body } = await api.get('/api/queues', boss.token);
      return (body['queues'] as { waiting: unknown[] }[])[0]?.waiting.length === 1;
    });
  });

  it('going offline on purpose starts the same clock at once, with the console still open', async () => {
    const { companyId } = await company({ alice: 1 });
    const alice = await login(companyId, 'alice');
    const desk = await console_(alice.token);
    await desk.request({ type: 'agent.status', status: 'idle' });
    const v = await visitor(companyId);
    const held = await v.request({ type: 'human.request' });
    expect(held).toMatchObject({ state: 'assigned' });
    await desk.request({ type: 'agent.status', status: 'offline' });
    await desk.next(
      (f) => f.type === 'session.state' && f['sessionId'] === held['sessionId'] && f['state'] === 'queued',
      'the agent told the session went back',
      15_000,
    );
    await desk.next((f) => f.type === 'agent.state' && f['load'] === 0, 'the agent without the session');
  });

  it('raising capacity routes the waiting visitors at once; a new default group serves the next visitor', async () => {
    const { companyId, boss, ids } = await company({ alice: 1 });
    const alice = await login(companyId, 'alice');
    const desk = await console_(alice.token);
    await desk.request({ type: 'agent.status', status: 'idle' });
    const v1 = await visitor(companyId);
    expect(await v1.request({ type: 'human.request' })).toMatchObject({ state: 'assigned' });
    const v2 = await visitor(companyId);
    const waiting = await v2.request({ type: 'human.request' });
    expect(waiting).toMatchObject({ state: 'queued' });
    expect((await api.put(`/api/admin/agents/${ids['alice']!}`, { capacity: 2 }, boss.token)).status).toBe(200);
    await v2.next(
      (f) => f.type === 'session.state' && f['state'] === 'assigned' && f['agentId'] === alice.agentId,
      'the waiting visitor assigned once alice has room',
    );
    // Another group becomes the default: the very next visitor's session is in it.
    const other = await api.post('/api/admin/groups', { name: 'night desk' }, boss.token);
    const otherId = String(other.body['id']);
    expect((await api.put('/api/admin/settings', { defaultGroupId: otherId }, boss.token)).status).toBe(200);
    const v3 = await visitor(companyId);
    expect(await v3.request({ type: 'human.request' })).toMatchObject({ state: 'queued', queuePosition: 1 });
    const { body } = await api.get('/api/queues', boss.token);
    const queues = body['queues'] as { groupId: string; waiting: unknown[] }[];
    expect(queues.map((q) => q.groupId)).toContain(otherId);
    await eventually('the visitor waiting in the new default group', async () => {
      const now = (await api.get('/api/queues', boss.token)).body['queues'] as {
        groupId: string;
        waiting: unknown[];
      }[];
      return now.find((q) => q.groupId === otherId)?.waiting.length === 1;
    });
  });
});
