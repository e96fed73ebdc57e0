// The protocol end to end over real sockets, in embedded mode: the app `npm start` runs, on a
// random port with a fresh data folder.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { loadConfig, silentLogger } from '@cschat/infra';
import { Client, http, type Frame } from '../../../test-support/clients';
import { waitFor } from '../../../test-support/wait';
import { createApp, type App } from '../app';

describe('the client protocol end to end (embedded mode)', () => {
  let dataDir: string;
  let app: App;
  let base: string;
  let ws: string;
  let api: ReturnType<typeof http>;
  const clients: Client[] = [];

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'cschat-e2e-'));
    app = createApp(
      loadConfig({ DATA_DIR: dataDir, PORT: '0', PLATFORM_ADMIN_TOKEN: 'platform-secret-for-tests' }),
      silentLogger(),
    );
    await app.start();
    base = `http://127.0.0.1:${app.frontDoor!.port}`;
    ws = `ws://127.0.0.1:${app.frontDoor!.port}`;
    api = http(base);
  }, 60_000);

  afterAll(async () => {
    for (const client of clients) client.close();
    await app.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const agent = async (username: string, companyId = 'demo', password = 'demo') => {
    const login = await api.post('/api/agents/login', { companyId, username, password });
    expect(login.status).toBe(200);
    const client = await Client.open(`${ws}/ws/agent?token=${String(login.body['token'])}`);
    clients.push(client);
    return { client, token: String(login.body['token']), agentId: String(login.body['agentId']) };
  };
  const visitor = async (companyId = 'demo') => {
    const login = await api.post('/api/visitors/login', { companyId });
    expect(login.status).toBe(200);
    const client = await Client.open(`${ws}/ws/visitor?token=${String(login.body['token'])}`);
    clients.push(client);
    return { client, token: String(login.body['token']), visitorId: String(login.body['visitorId']) };
  };
  /** A `session.update` of that one row (a message, a read), not the whole list. */
  const updated = (sessionId: string, unread: boolean, lastText?: string) => (f: Frame) => {
    const row = f['session'] as { sessionId: string; unread: boolean; lastMessage?: { text: string } } | undefined;
    return (
      f.type === 'session.update' &&
      row?.sessionId === sessionId &&
      row.unread === unread &&
      (lastText === undefined || row.lastMessage?.text === lastText)
    );
  };
  const listed = (sessionId: string, unread?: boolean) => (f: Frame) =>
    f.type === 'session.list' &&
    (f['sessions'] as { sessionId: string; unread: boolean }[]).some(
      (s) => s.sessionId === sessionId && (unread === undefined || s.unread === unread),
    );

  it('refuses a forged token with 4401 before anything is sent', async () => {
    const forged = await Client.open(`${ws}/ws/agent?token=not-a-token`);
    expect(await forged.waitClosed()).toBe(4401);
    expect(forged.frames).toEqual([]);
    expect(
      (await api.post('/api/agents/login', { companyId: 'demo', username: 'alice', password: 'wrong' })).status,
    ).toBe(401);
  });

  it('refuses the 11th login of a username after 10 wrong passwords with 429 and retry-after, the right one included', async () => {
    const attempt = async (username: string, password: string) => {
      const response = await fetch(`${base}/api/agents/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ companyId: 'demo', username, password }),
      });
      return { status: response.status, retryAfter: response.headers.get('retry-after') };
    };
    // An agent of its own, so that the other tests' agents still log in.
    const admin = await agent('admin');
    const password = 'tess-guards-the-door';
    const created = await api.post(
      '/api/admin/agents',
      { username: 'tess', password, role: 'agent', groupIds: ['support'], capacity: 1 },
      admin.token,
    );
    expect(created.status).toBe(201);
    for (let i = 0; i < 10; i += 1) expect((await attempt('tess', `guess number ${i}`)).status).toBe(401);
    const refused = await attempt('tess', password);
    expect(refused.status).toBe(429);
    expect(Number(refused.retryAfter)).toBeGreaterThan(800);
    expect(Number(refused.retryAfter)).toBeLessThanOrEqual(900);
    expect((await attempt('bob', 'demo')).status).toBe(200);
  });

  it('carries a conversation: suggestions, messages, a human, the list with unread, read, reply, transfer, end', async () => {
    const alice = await agent('alice');
    const bob = await agent('bob');
    await alice.client.next((f) => f.type === 'session.list', 'the initial session.list');
    expect(await alice.client.request({ type: 'agent.status', status: 'idle' })).toMatchObject({
      type: 'ack',
      status: 'idle',
      capacity: 2,
    });
    expect(await bob.client.request({ type: 'agent.status', status: 'idle' })).toMatchObject({ type: 'ack' });

    const v = await visitor();
    const suggestions = await v.client.next((f) => f.type === 'suggestions');
    expect((suggestions['questions'] as string[]).length).toBeGreaterThan(0);

    const sent = await v.client.request({ type: 'message.send', text: 'Where is my order?', clientMsgId: 'c-1' });
    expect(sent).toMatchObject({ type: 'ack' });
    const sessionId = String(sent['sessionId']);
    const again = await v.client.request({ type: 'message.send', text: 'Where is my order?', clientMsgId: 'c-1' });
    expect(again['messageId']).toBe(sent['messageId']);
    // The bot answers from the demo FAQ (once: the resent message is the same message).
    const answer = await v.client.next(
      (f) => f.type === 'message' && (f['from'] as { role: string }).role === 'bot',
      "the bot's answer",
    );
    expect(String(answer['text'])).toContain('My orders');

    const human = await v.client.request({ type: 'human.request' });
    expect(human).toMatchObject({ type: 'ack', sessionId, state: 'assigned' });
    const holder = human['agentId'] === 'alice' ? alice : bob;
    const other = holder === alice ? bob : alice;
    await holder.client.next(listed(sessionId, true), 'the session in the list with unread: true');
    await v.client.next((f) => f.type === 'session.state' && f['state'] === 'assigned');

    expect(await holder.client.request({ type: 'session.read', sessionId })).toMatchObject({ type: 'ack' });
    await holder.client.next(updated(sessionId, false), 'the row with unread: false');

    // A visitor message in the held session: the message, and its row with the red dot, not the list.
    const lists = holder.client.frames.filter((f) => f.type === 'session.list').length;
    expect(await v.client.request({ type: 'message.send', text: 'Any news?', clientMsgId: 'c-2' })).toMatchObject({
      type: 'ack',
    });
    await holder.client.next((f) => f.type === 'message' && f['text'] === 'Any news?', 'the message');
    await holder.client.next(updated(sessionId, true, 'Any news?'), 'the row with the message');
    expect(holder.client.frames.filter((f) => f.type === 'session.list')).toHaveLength(lists);
    expect(await holder.client.request({ type: 'session.read', sessionId })).toMatchObject({ type: 'ack' });
    await holder.client.next(updated(sessionId, false), 'read again');

    const reply = await holder.client.request({
      type: 'message.send',
      sessionId,
      text: 'Hello! Let me check.',
      clientMsgId: 'a-1',
    });
    expect(reply).toMatchObject({ type: 'ack' });
    await v.client.next((f) => f.type === 'message' && f['text'] === 'Hello! Let me check.', 'the reply');

    const history = await api.get(`/api/sessions/${sessionId}/messages`, holder.token);
    expect(
      (history.body['messages'] as { text: string; from: { role: string } }[]).map((m) => [m.from.role, m.text]),
    ).toEqual([
      ['agent', 'Hello! Let me check.'],
      ['visitor', 'Any news?'],
      ['bot', answer['text']],
      ['visitor', 'Where is my order?'],
    ]);

    expect(
      await holder.client.request({ type: 'session.transfer', sessionId, toAgentId: other.agentId }),
    ).toMatchObject({ type: 'ack' });
    await other.client.next(listed(sessionId), 'the transferred session in the other list');
    await v.client.next((f) => f.type === 'session.state' && f['agentId'] === other.agentId);

    expect(await v.client.request({ type: 'session.end' })).toMatchObject({ type: 'ack', sessionId });
    await other.client.next((f) => f.type === 'session.state' && f['state'] === 'ended' && f['reason'] === 'visitor');
    await other.client.next((f) => f.type === 'agent.state' && f['load'] === 0, 'the load back to 0');
    // The board is a read model: the projector may commit a moment after the gateway pushed the frame.
    await waitFor('the board to show the load back to 0', async () => {
      const board = await api.get('/api/agents', holder.token);
      const load = (board.body['agents'] as { agentId: string; load: number }[]).find(
        (a) => a.agentId === other.agentId,
      )?.load;
      return load === 0 ? true : undefined;
    });
  });

  it('queues with positions when the agent is full, and moves the queue on when one ends', async () => {
    const admin = await agent('admin');
    const alice = await agent('alice');
    expect((await api.put(`/api/admin/agents/${alice.agentId}`, { capacity: 1 }, admin.token)).status).toBe(200);
    await alice.client.request({ type: 'agent.status', status: 'idle' });
    const bob = await agent('bob');
    await bob.client.request({ type: 'agent.status', status: 'away' });
    const visitors = [await visitor(), await visitor(), await visitor()];
    const answers = [];
    for (const v of visitors) answers.push(await v.client.request({ type: 'human.request' }));
    expect(answers.map((a) => [a['state'], a['queuePosition']])).toEqual([
      ['assigned', undefined],
      ['queued', 1],
      ['queued', 2],
    ]);
    expect(await alice.client.request({ type: 'session.end', sessionId: answers[0]!['sessionId'] })).toMatchObject({
      type: 'ack',
    });
    await visitors[1]!.client.next(
      (f) => f.type === 'session.state' && f['state'] === 'assigned' && f['agentId'] === alice.agentId,
      'the first queued visitor assigned',
    );
    await visitors[2]!.client.next(
      (f) => f.type === 'session.state' && f['state'] === 'queued' && f['queuePosition'] === 1,
      'the second queued visitor moved up',
    );
    await alice.client.next(listed(String(answers[1]!['sessionId'])), 'the new session pushed to alice');
    expect((await api.put(`/api/admin/agents/${alice.agentId}`, { capacity: 2 }, admin.token)).status).toBe(200);
  });

  it('answers bad frames with bad_request, keeps the socket open and stores nothing', async () => {
    const v = await visitor();
    v.client.send('{not json');
    v.client.send({ type: 'nope', id: 1 });
    v.client.send({ type: 'message.send', id: 2 });
    v.client.send({ type: 'message.send', id: 3, text: 'x'.repeat(5000), clientMsgId: 'big' });
    for (const id of [1, 2, 3])
      await v.client.next((f) => f.type === 'error' && f['id'] === id && f['code'] === 'bad_request');
    expect(await v.client.request({ type: 'message.send', text: 'still here', clientMsgId: 'ok' })).toMatchObject({
      type: 'ack',
    });
    expect(v.client.closed).toBeUndefined();
  });

  it('keeps companies apart', async () => {
    const created = await api.post(
      '/api/companies',
      {
        companyId: 'globex',
        name: 'Globex',
        timeZone: 'Europe/Berlin',
        adminUsername: 'boss',
        adminPassword: 'boss-password',
      },
      'platform-secret-for-tests',
    );
    expect(created.status).toBe(201);
    const v = await visitor();
    const { sessionId } = (await v.client.request({ type: 'message.send', text: 'private', clientMsgId: 'p' })) as {
      sessionId: string;
    };
    const intruder = await agent('boss', 'globex', 'boss-password');
    for (const frame of [
      { type: 'message.send', sessionId, text: 'hi', clientMsgId: 'i' },
      { type: 'session.read', sessionId },
      { type: 'session.transfer', sessionId, toGroupId: 'support' },
      { type: 'session.end', sessionId },
    ]) {
      expect(await intruder.client.request(frame)).toMatchObject({ type: 'error' });
    }
    expect((await api.get(`/api/sessions/${sessionId}/messages`, intruder.token)).status).toBe(404);
    expect((await api.get('/api/admin/groups', intruder.token)).body).toEqual({ groups: [] });
    expect((await api.get('/api/sessions', intruder.token)).body).toEqual({ sessions: [] });
  });

  it('ends a silent session after the inactivity timeout, for both sides, and gives the agent the next visitor', async () => {
    const created = await api.post(
      '/api/companies',
      {
        companyId: 'initech',
        name: 'Initech',
        timeZone: 'UTC',
        adminUsername: 'lumbergh',
        adminPassword: 'tps-reports',
      },
      'platform-secret-for-tests',
    );
    expect(created.status).toBe(201);
    const boss = await agent('lumbergh', 'initech', 'tps-reports');
    const group = await api.post('/api/admin/groups', { name: 'desk' }, boss.token);
    const groupId = String(group.body['id']);
    expect(
      (
        await api.post(
          '/api/admin/agents',
          { username: 'milton', password: 'stapler-stapler', role: 'agent', groupIds: [groupId], capacity: 1 },
          boss.token,
        )
      ).status,
    ).toBe(201);
    const settings = await api.put(
      '/api/admin/settings',
      { inactivityTimeoutSeconds: 10, defaultGroupId: groupId },
      boss.token,
    );
    expect(settings.status).toBe(200);
    const milton = await agent('milton', 'initech', 'stapler-stapler');
    await milton.client.request({ type: 'agent.status', status: 'idle' });
    const first = await visitor('initech');
    const second = await visitor('initech');
    const one = await first.client.request({ type: 'human.request' });
    expect(one).toMatchObject({ state: 'assigned', agentId: milton.agentId });
    expect(await second.client.request({ type: 'human.request' })).toMatchObject({ state: 'queued', queuePosition: 1 });
    // The second visitor keeps talking, so only the first session falls silent.
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    await second.client.request({ type: 'message.send', text: 'still waiting', clientMsgId: 'w1' });
    const timedOut = (f: Frame) =>
      f.type === 'session.state' &&
      f['sessionId'] === one['sessionId'] &&
      f['state'] === 'ended' &&
      f['reason'] === 'timeout';
    await first.client.next(timedOut, 'the visitor told of the timeout', 15_000);
    await milton.client.next(timedOut, 'the agent told of the timeout', 5_000);
    await second.client.next(
      (f) => f.type === 'session.state' && f['state'] === 'assigned' && f['agentId'] === milton.agentId,
      'the queued visitor assigned to the agent the timeout freed',
      5_000,
    );
  }, 40_000);

  it('lets the bot answer FAQ questions, say when it does not understand, take an edited answer, and hand over on 转人工', async () => {
    const admin = await agent('admin');
    const v = await visitor();
    const suggestions = await v.client.next((f) => f.type === 'suggestions', 'suggestions at login');
    expect((suggestions['questions'] as string[]).length).toBeGreaterThan(0);
    const botSays = async (text: string, id: string) => {
      const before = v.client.frames.length;
      await v.client.request({ type: 'message.send', text, clientMsgId: id });
      return v.client.next(
        (f) =>
          v.client.frames.indexOf(f) >= before &&
          f.type === 'message' &&
          (f['from'] as { role: string }).role === 'bot',
        `the bot's reply to ${text}`,
      );
    };
    const first = String((await botSays('衣服不合适可以退吗', 'b1'))['text']);
    expect(first).toContain('30');
    // Not understood twice: suggestions each time, and the offer of a human the second time.
    const lost = await botSays('qwzx plorb', 'b2');
    expect(lost['suggestions']).toEqual(expect.arrayContaining([expect.any(String)]));
    expect(lost['offerHuman']).toBeUndefined();
    expect((await botSays('blorf zzyq', 'b3'))['offerHuman']).toBe(true);
    // The admin changes the answer; the next question gets the new one.
    const faq = (await api.get('/api/admin/faq', admin.token)).body['faq'] as { id: string; answer: string }[];
    const answered = faq.find((f) => f.answer === first);
    expect(answered).toBeDefined();
    const edited = await api.put(`/api/admin/faq/${answered!.id}`, { answer: 'Returns: 45 days now.' }, admin.token);
    expect(edited.status).toBe(200);
    expect((await botSays('衣服不合适可以退吗', 'b4'))['text']).toBe('Returns: 45 days now.');
    // Asking for a person goes the human.request way.
    const before = v.client.frames.length;
    await botSays('转人工', 'b5');
    await v.client.next(
      (f) =>
        v.client.frames.indexOf(f) >= before &&
        f.type === 'session.state' &&
        (f['state'] === 'queued' || f['state'] === 'assigned'),
      'queued or assigned after 转人工',
    );
  });

  it('orders the suggested questions by how often the bot answered them, and reports what it did not understand', async () => {
    const admin = await agent('admin');
    const first = await visitor();
    const offered = (await first.client.next((f) => f.type === 'suggestions'))['questions'] as string[];
    const last = offered[offered.length - 1]!;
    for (const id of ['s1', 's2']) {
      const before = first.client.frames.length;
      await first.client.request({ type: 'message.send', text: last, clientMsgId: id });
      await first.client.next(
        (f) =>
          first.client.frames.indexOf(f) >= before &&
          f.type === 'message' &&
          (f['from'] as { role: string }).role === 'bot',
        'the answer',
      );
    }
    await waitFor('the most asked question first', async () => {
      const next = await visitor();
      const questions = (await next.client.next((f) => f.type === 'suggestions'))['questions'] as string[];
      next.client.close();
      return questions[0] === last ? true : undefined;
    });
    const report = await api.get('/api/admin/reports/unanswered?days=7&limit=5', admin.token);
    expect(report.status).toBe(200);
    // The bot test above did not understand "qwzx plorb" and "blorf zzyq".
    expect((report.body['questions'] as { question: string }[]).map((q) => q.question)).toEqual(
      expect.arrayContaining(['qwzx plorb', 'blorf zzyq']),
    );
    expect((await api.get('/api/admin/reports/unanswered?days=0', admin.token)).status).toBe(400);
  });
});
