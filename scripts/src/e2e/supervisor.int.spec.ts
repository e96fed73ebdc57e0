// Supervisors end to end over real sockets, in embedded mode (PROTOCOL, second edition,
// "Supervisors"): a supervisor watches a session it does not hold (messages, notes, typing of
// both sides and state changes reach it until it unwatches), takes it over (and a queued one,
// beyond its capacity), follows the live board by pushes and over HTTP; an agent may do none of it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { loadConfig, silentLogger } from '@cschat/infra';
import { Client, http, type Frame } from '../../../test-support/clients';
import { createApp, type App } from '../app';

describe('supervisors end to end (embedded mode)', () => {
  let dataDir: string;
  let app: App;
  let ws: string;
  let api: ReturnType<typeof http>;
  const clients: Client[] = [];

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'cschat-super-'));
    app = createApp(loadConfig({ DATA_DIR: dataDir, PORT: '0' }), silentLogger());
    await app.start();
    ws = `ws://127.0.0.1:${app.frontDoor!.port}`;
    api = http(`http://127.0.0.1:${app.frontDoor!.port}`);
  }, 60_000);

  afterAll(async () => {
    for (const client of clients) client.close();
    await app.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const open = async (kind: 'agent' | 'visitor', body: Record<string, string>) => {
    const login = await api.post(`/api/${kind}s/login`, body);
    expect(login.status).toBe(200);
    const client = await Client.open(`${ws}/ws/${kind}?token=${String(login.body['token'])}`);
    clients.push(client);
    return { client, token: String(login.body['token']), id: String(login.body[`${kind}Id`]) };
  };
  const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  const liveUpdates = (client: Client): Frame[] => client.frames.filter((f) => f.type === 'live.update');
  const sessionsOf = (frame: Frame) => frame['sessions'] as { sessionId: string; [k: string]: unknown }[];

  it('watches, follows the board, takes over; an agent is refused all of it', async () => {
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

    const alice = await open('agent', { companyId: 'demo', username: 'alice', password: 'demo' });
    expect(await alice.client.request({ type: 'agent.status', status: 'idle' })).toMatchObject({ type: 'ack' });
    const sue = await open('agent', { companyId: 'demo', username: 'sue', password: 'supervise-the-floor' });
    // Away: routing gives her nothing, but she may step in.
    expect(await sue.client.request({ type: 'agent.status', status: 'away' })).toMatchObject({ type: 'ack' });
    const bob = await open('agent', { companyId: 'demo', username: 'bob', password: 'demo' });

    const visitor = await open('visitor', { companyId: 'demo', name: 'Vera' });
    const sent = await visitor.client.request({ type: 'message.send', text: 'My parcel is late', clientMsgId: 'v-1' });
    const sessionId = String(sent['sessionId']);
    expect(await visitor.client.request({ type: 'human.request' })).toMatchObject({ state: 'assigned' });

    // An agent: none of it.
    for (const frame of [
      { type: 'session.watch', sessionId },
      { type: 'session.takeover', sessionId },
      { type: 'live.subscribe' },
    ])
      expect(await bob.client.request(frame)).toMatchObject({ type: 'error', code: 'forbidden' });
    expect((await api.get('/api/admin/live', bob.token)).status).toBe(403);

    // The board over HTTP: her own numbers.
    const live = await api.get('/api/admin/live', sue.token);
    expect(live.status).toBe(200);
    expect(live.body['agents']).toEqual(
      expect.arrayContaining([
        { agentId: 'alice', name: 'Alice', status: 'idle', load: 1, capacity: 2 },
        { agentId: sue.id, name: 'Sue', status: 'away', load: 0, capacity: 1 },
      ]),
    );
    expect(live.body['queues']).toEqual(
      expect.arrayContaining([expect.objectContaining({ groupId: 'support', waiting: 0, longestWaitSeconds: 0 })]),
    );
    const row = sessionsOf(live.body as Frame).find((s) => s.sessionId === sessionId);
    expect(row).toMatchObject({ sessionId, agentId: 'alice', state: 'assigned', unanswered: true });
    expect(row!['waitingSeconds']).toEqual(expect.any(Number));

    // The board by pushes: one at once, then when something changes.
    expect(await sue.client.request({ type: 'live.subscribe' })).toMatchObject({ type: 'ack' });
    const first = await sue.client.next((f) => f.type === 'live.update', 'the first live.update');
    expect(sessionsOf(first).some((s) => s.sessionId === sessionId)).toBe(true);

    // Watching.
    const watched = await sue.client.request({ type: 'session.watch', sessionId });
    expect(watched).toMatchObject({ type: 'ack', sessionId, state: 'assigned', agentId: 'alice' });
    expect(
      await visitor.client.request({ type: 'message.send', text: 'Are you there?', clientMsgId: 'v-2' }),
    ).toMatchObject({ type: 'ack' });
    await sue.client.next(
      (f) => f.type === 'message' && f['text'] === 'Are you there?' && f['sessionId'] === sessionId,
      "the visitor's message",
    );
    expect(
      await alice.client.request({ type: 'note.send', sessionId, text: 'VIP customer', clientMsgId: 'n-1' }),
    ).toMatchObject({ type: 'ack' });
    const note = await sue.client.next((f) => f.type === 'message' && f['text'] === 'VIP customer', 'the note');
    expect(note).toMatchObject({ private: true, from: { role: 'agent', id: 'alice' } });
    expect(await visitor.client.request({ type: 'typing', typing: true })).toMatchObject({ type: 'ack' });
    expect(
      await sue.client.next(
        (f) => f.type === 'typing' && f['from'] !== undefined && (f['from'] as Frame).role === 'visitor',
        'the visitor typing',
      ),
    ).toEqual({ type: 'typing', sessionId, from: { role: 'visitor' }, typing: true });
    expect(await alice.client.request({ type: 'typing', sessionId, typing: true })).toMatchObject({ type: 'ack' });
    expect(
      await sue.client.next((f) => f.type === 'typing' && (f['from'] as Frame).role === 'agent', 'alice typing'),
    ).toEqual({
      type: 'typing',
      sessionId,
      from: { role: 'agent', id: 'alice' },
      typing: true,
    });
    expect(
      await alice.client.request({ type: 'message.send', sessionId, text: 'On its way', clientMsgId: 'a-1' }),
    ).toMatchObject({ type: 'ack' });
    await sue.client.next((f) => f.type === 'message' && f['text'] === 'On its way', "alice's answer");
    // Answered: the board says so by a push, not by asking.
    await sue.client.next(
      (f) =>
        f.type === 'live.update' && sessionsOf(f).some((s) => s.sessionId === sessionId && s['unanswered'] === false),
      'a live.update with the session answered',
    );
    // At most one a second.
    const times = liveUpdates(sue.client).map((f) => Date.parse(String(f['at'])));
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(900);

    // Unwatched: nothing more comes.
    expect(await sue.client.request({ type: 'session.unwatch', sessionId })).toMatchObject({ type: 'ack' });
    expect(await visitor.client.request({ type: 'message.send', text: 'Thanks!', clientMsgId: 'v-3' })).toMatchObject({
      type: 'ack',
    });
    await alice.client.next((f) => f.type === 'message' && f['text'] === 'Thanks!', 'the message at alice');
    await pause(300);
    expect(sue.client.frames.some((f) => f.type === 'message' && f['text'] === 'Thanks!')).toBe(false);

    // Watching again, then the takeover: the visitor is told who has it, alice why she lost it.
    expect(await sue.client.request({ type: 'session.watch', sessionId })).toMatchObject({ type: 'ack' });
    expect(await sue.client.request({ type: 'session.takeover', sessionId })).toMatchObject({
      type: 'ack',
      sessionId,
      state: 'assigned',
      agentId: sue.id,
    });
    await visitor.client.next(
      (f) => f.type === 'session.state' && f['state'] === 'assigned' && f['agentId'] === sue.id,
      'the visitor told of sue',
    );
    expect(visitor.client.frames.find((f) => f.type === 'session.state' && f['agentId'] === sue.id)).toMatchObject({
      agentName: 'Sue',
    });
    await alice.client.next(
      (f) => f.type === 'session.state' && f['agentId'] === sue.id && f['reason'] === 'takeover',
      'alice told of the takeover',
    );
    await alice.client.next(
      (f) => f.type === 'session.list' && !(f['sessions'] as Frame[]).some((s) => s['sessionId'] === sessionId),
      "alice's list without it",
    );
    await sue.client.next(
      (f) => f.type === 'session.list' && (f['sessions'] as Frame[]).some((s) => s['sessionId'] === sessionId),
      "sue's list with it",
    );
    // Now hers: she answers, and alice's message is refused.
    expect(
      await sue.client.request({
        type: 'message.send',
        sessionId,
        text: 'Sue here, I will sort it out',
        clientMsgId: 's-1',
      }),
    ).toMatchObject({ type: 'ack' });
    await visitor.client.next(
      (f) => f.type === 'message' && f['text'] === 'Sue here, I will sort it out',
      'sue to the visitor',
    );
    expect(
      await alice.client.request({ type: 'message.send', sessionId, text: 'still mine?', clientMsgId: 'a-2' }),
    ).toMatchObject({ type: 'error', code: 'not_assigned_to_you' });

    // A queued session, beyond her capacity of 1: stepping in is not refused.
    expect(await alice.client.request({ type: 'agent.status', status: 'away' })).toMatchObject({ type: 'ack' });
    const second = await open('visitor', { companyId: 'demo' });
    const secondSent = await second.client.request({ type: 'message.send', text: 'Hello?', clientMsgId: 'w-1' });
    const secondId = String(secondSent['sessionId']);
    expect(await second.client.request({ type: 'human.request' })).toMatchObject({ state: 'queued' });
    await sue.client.next(
      (f) => f.type === 'live.update' && sessionsOf(f).some((s) => s.sessionId === secondId && s['state'] === 'queued'),
      'the queued session on the board',
    );
    const queuedLive = await api.get('/api/admin/live', sue.token);
    expect(queuedLive.body['queues']).toEqual(
      expect.arrayContaining([expect.objectContaining({ groupId: 'support', waiting: 1 })]),
    );
    expect(sessionsOf(queuedLive.body as Frame).find((s) => s.sessionId === secondId)).toMatchObject({
      state: 'queued',
      unanswered: true,
      waitingSeconds: expect.any(Number) as number,
    });
    expect(sessionsOf(queuedLive.body as Frame).find((s) => s.sessionId === secondId)).not.toHaveProperty('agentId');
    expect(await sue.client.request({ type: 'session.takeover', sessionId: secondId })).toMatchObject({
      type: 'ack',
      agentId: sue.id,
    });
    await second.client.next(
      (f) => f.type === 'session.state' && f['state'] === 'assigned' && f['agentId'] === sue.id,
      'the second visitor told of sue',
    );
    const agents = await api.get('/api/agents', sue.token);
    expect((agents.body['agents'] as Frame[]).find((a) => a['agentId'] === sue.id)).toMatchObject({
      load: 2,
      capacity: 1,
    });

    // The end reaches the watcher, who then watches no more.
    expect(await visitor.client.request({ type: 'session.end' })).toMatchObject({ type: 'ack' });
    await sue.client.next(
      (f) => f.type === 'session.state' && f['sessionId'] === sessionId && f['state'] === 'ended',
      'the end',
    );
    expect(await sue.client.request({ type: 'session.watch', sessionId })).toMatchObject({
      type: 'error',
      code: 'session_ended',
    });
    expect(await second.client.request({ type: 'session.end' })).toMatchObject({ type: 'ack' });
  }, 60_000);

  it('lets a supervisor read the whole company history, as admins do, and refuses it configuration', async () => {
    const sue = await api.post('/api/agents/login', {
      companyId: 'demo',
      username: 'sue',
      password: 'supervise-the-floor',
    });
    const token = String(sue.body['token']);
    const past = await api.get('/api/sessions?state=ended', token);
    expect(past.status).toBe(200);
    // Both sessions of the first test, the one alice held first included.
    expect((past.body['sessions'] as Frame[]).length).toBeGreaterThanOrEqual(2);
    expect((await api.get('/api/admin/settings', token)).status).toBe(403);
    expect((await api.get('/api/admin/agents', token)).status).toBe(403);
  });
});
