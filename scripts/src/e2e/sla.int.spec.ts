// Service-level targets end to end, in embedded mode with real time (targets of 1 s): the admin
// sets them on a group; the SLA monitor of the worker role flags a queued session for both targets,
// an assigned one its agent does not answer for the first response only, an answered one for
// nothing; a second monitor racing it, and a monitor reading a stale read model, add nothing; the
// agent gets the flag in session.update and in GET /api/sessions.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { session } from '@cschat/domain';
import {
  Commands,
  companyDirectory,
  DEFAULT_COMPANY_CONFIG_SCHEMA,
  loadConfig,
  silentLogger,
  SlaMonitor,
} from '@cschat/infra';
import { slaCandidates } from '@cschat/projections';
import { Client, http } from '../../../test-support/clients';
import { waitFor } from '../../../test-support/wait';
import { createApp, type App } from '../app';

describe('service-level targets end to end (embedded mode, real time)', () => {
  let dataDir: string;
  let app: App;
  let ws: string;
  let api: ReturnType<typeof http>;
  let adminToken: string;
  let rival: SlaMonitor;
  const clients: Client[] = [];

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'cschat-sla-'));
    app = createApp(loadConfig({ DATA_DIR: dataDir, PORT: '0' }), silentLogger());
    await app.start();
    ws = `ws://127.0.0.1:${app.frontDoor!.port}`;
    api = http(`http://127.0.0.1:${app.frontDoor!.port}`);
    const login = await api.post('/api/agents/login', { companyId: 'demo', username: 'admin', password: 'demo' });
    adminToken = String(login.body['token']);
    // A second monitor, as a second worker process would run one, polling faster than the app's own.
    rival = new SlaMonitor({
      commands: new Commands(app.storage.eventStore, companyDirectory(app.config), () => new Date()),
      candidates: (now) =>
        slaCandidates(app.storage.readModels, {
          schema: app.storage.readModelSchema,
          configSchema: DEFAULT_COMPANY_CONFIG_SCHEMA,
          now,
          limit: 100,
        }),
      logger: silentLogger(),
      intervalMs: 100,
    });
  }, 60_000);

  afterAll(async () => {
    for (const client of clients) client.close();
    await rival.stop();
    await app.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const open = async (kind: 'agent' | 'visitor', body: Record<string, string>) => {
    const login = await api.post(`/api/${kind}s/login`, body);
    expect(login.status).toBe(200);
    const client = await Client.open(`${ws}/ws/${kind}?token=${String(login.body['token'])}`);
    clients.push(client);
    return { client, token: String(login.body['token']) };
  };

  /** A visitor who said hello and asked for a human; its session id. */
  const askForHuman = async (): Promise<{ visitor: Client; sessionId: string }> => {
    const { client: visitor } = await open('visitor', { companyId: 'demo' });
    const sent = await visitor.request({ type: 'message.send', text: 'Hello there', clientMsgId: 'v-1' });
    expect(await visitor.request({ type: 'human.request' })).toMatchObject({ type: 'ack' });
    return { visitor, sessionId: String(sent['sessionId']) };
  };

  /** The targets the session's own events say it passed, in order. */
  const breaches = async (sessionId: string): Promise<string[]> =>
    (await app.storage.eventStore.readStream(session.sessionStream('demo', sessionId)))
      .filter((e) => e.type === 'SlaBreached')
      .map((e) => String(e.data['target']));

  const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  let queuedId: string;

  it('takes the targets of a group in the admin API, and clears them with null', async () => {
    const put = await api.put('/api/admin/groups/support', { firstResponseTargetSeconds: 0 }, adminToken);
    expect(put.status).toBe(400);
    expect(JSON.stringify(put.body)).toContain('firstResponseTargetSeconds');
    const cleared = await api.put('/api/admin/groups/support', { waitTargetSeconds: null }, adminToken);
    expect(cleared.body).not.toHaveProperty('waitTargetSeconds');
    const set = await api.put(
      '/api/admin/groups/support',
      { firstResponseTargetSeconds: 1, waitTargetSeconds: 1 },
      adminToken,
    );
    expect(set.status).toBe(200);
    const groups = await api.get('/api/admin/groups', adminToken);
    expect(groups.body['groups']).toEqual([
      expect.objectContaining({ id: 'support', firstResponseTargetSeconds: 1, waitTargetSeconds: 1 }),
    ]);
  });

  it('flags a queued session for both targets once, whatever the number of monitors and passes', async () => {
    rival.start();
    // Nobody is online: the session waits in the queue.
    const { visitor, sessionId } = await askForHuman();
    queuedId = sessionId;
    await waitFor('both breaches', async () => ((await breaches(sessionId)).length === 2 ? true : undefined), 10_000);
    expect((await breaches(sessionId)).sort()).toEqual(['firstResponse', 'wait']);
    // Not before the target: a second after the request for a human.
    const events = await app.storage.eventStore.readStream(session.sessionStream('demo', sessionId));
    const asked = Date.parse(String(events.find((e) => e.type === 'HumanRequested')?.data['at']));
    for (const breach of events.filter((e) => e.type === 'SlaBreached')) {
      expect(Date.parse(String(breach.data['at'])) - asked).toBeGreaterThanOrEqual(1_000);
    }

    // More passes of both monitors, and one that reads as if the read model had not seen the breaches yet.
    await settle(1_500);
    const stale = new SlaMonitor({
      commands: new Commands(app.storage.eventStore, companyDirectory(app.config), () => new Date()),
      candidates: async () => [
        { companyId: 'demo', sessionId, target: 'wait', targetSeconds: 1 },
        { companyId: 'demo', sessionId, target: 'firstResponse', targetSeconds: 1 },
      ],
      logger: silentLogger(),
    });
    expect(await stale.pass()).toEqual([]);
    expect((await breaches(sessionId)).sort()).toEqual(['firstResponse', 'wait']);
    expect(await visitor.request({ type: 'session.end' })).toMatchObject({ type: 'ack' });
  }, 30_000);

  it('flags an assigned session nobody answers for its first response only, an answered one for nothing, and tells the agent', async () => {
    const alice = await open('agent', { companyId: 'demo', username: 'alice', password: 'demo' });
    expect(await alice.client.request({ type: 'agent.status', status: 'idle' })).toMatchObject({ type: 'ack' });

    const answered = await askForHuman();
    await answered.visitor.next((f) => f.type === 'session.state' && f['state'] === 'assigned', 'assigned');
    expect(
      await alice.client.request({
        type: 'message.send',
        sessionId: answered.sessionId,
        text: 'Hello, how can I help?',
        clientMsgId: 'a-1',
      }),
    ).toMatchObject({ type: 'ack' });

    const unanswered = await askForHuman();
    await unanswered.visitor.next((f) => f.type === 'session.state' && f['state'] === 'assigned', 'assigned');

    const update = await alice.client.next(
      (f) =>
        f.type === 'session.update' &&
        (f['session'] as { sessionId?: string }).sessionId === unanswered.sessionId &&
        ((f['session'] as { slaBreached?: string[] }).slaBreached ?? []).length > 0,
      'session.update with the breach',
      10_000,
    );
    expect(update['session']).toMatchObject({ state: 'assigned', slaBreached: ['firstResponse'] });

    await settle(1_500);
    expect(await breaches(unanswered.sessionId)).toEqual(['firstResponse']);
    expect(await breaches(answered.sessionId)).toEqual([]);

    const list = await api.get('/api/sessions', alice.token);
    const rows = list.body['sessions'] as { sessionId: string; slaBreached: string[] }[];
    expect(rows.find((r) => r.sessionId === unanswered.sessionId)?.slaBreached).toEqual(['firstResponse']);
    expect(rows.find((r) => r.sessionId === answered.sessionId)?.slaBreached).toEqual([]);
  }, 30_000);

  it('keeps the flags in past conversations, and flags nothing once the targets are cleared', async () => {
    const ended = await api.get('/api/sessions?state=ended', adminToken);
    const rows = ended.body['sessions'] as { sessionId: string; slaBreached: string[] }[];
    expect(
      rows
        .find((r) => r.sessionId === queuedId)
        ?.slaBreached.slice()
        .sort(),
    ).toEqual(['firstResponse', 'wait']);

    const cleared = await api.put(
      '/api/admin/groups/support',
      { firstResponseTargetSeconds: null, waitTargetSeconds: null },
      adminToken,
    );
    expect(cleared.body).toEqual({ id: 'support', name: 'Support', createdAt: expect.any(String) as string });
    // Alice holds two sessions (her capacity): the next visitor waits, past where the targets were.
    const waiting = await askForHuman();
    await settle(2_000);
    expect(await breaches(waiting.sessionId)).toEqual([]);
  }, 30_000);
});
