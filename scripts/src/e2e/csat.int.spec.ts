// Satisfaction end to end (PROTOCOL second edition, "Satisfaction"), embedded mode over real
// sockets and webhooks: a web visitor gets `csat.request` when the agent ends its session and
// answers it once with `csat.submit`; a Telegram visitor (a local fake of the platform's API)
// gets the question as text in the company's language and answers with a lone digit, which rates
// the session instead of opening a new one — once, however often the platform delivers it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { loadConfig, say, silentLogger } from '@cschat/infra';
import { startFakePlatform, type FakePlatform } from '../../../gateways/src/channels/fake-platform';
import { Client, http } from '../../../test-support/clients';
import { waitFor } from '../../../test-support/wait';
import { createApp, type App } from '../app';

describe('satisfaction (CSAT) end to end (embedded mode)', () => {
  jest.setTimeout(60_000);
  let dataDir: string;
  let app: App;
  let fake: FakePlatform;
  let base: string;
  let api: ReturnType<typeof http>;
  const clients: Client[] = [];

  beforeAll(async () => {
    fake = await startFakePlatform();
    dataDir = mkdtempSync(path.join(tmpdir(), 'cschat-csat-'));
    app = createApp(loadConfig({ DATA_DIR: dataDir, PORT: '0', TELEGRAM_API_URL: fake.baseUrl }), silentLogger());
    await app.start();
    base = `http://127.0.0.1:${app.frontDoor!.port}`;
    api = http(base);
  }, 60_000);

  afterAll(async () => {
    for (const client of clients) client.close();
    await app.stop();
    await fake.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const open = async (kind: 'agent' | 'visitor', body: Record<string, string>) => {
    const login = await api.post(`/api/${kind}s/login`, body);
    expect(login.status).toBe(200);
    const token = String(login.body['token']);
    const client = await Client.open(`${base.replace('http', 'ws')}/ws/${kind}?token=${token}`);
    clients.push(client);
    return { client, token, id: String(login.body[`${kind}Id`]) };
  };
  const events = async () =>
    (await app.storage.eventStore.readAll({ maxCount: 1_000_000 })).map((r): Record<string, unknown> => ({
      ...r.data,
      type: r.type,
    }));
  const eventsOf = async (type: string, sessionId?: string) =>
    (await events()).filter((e) => e.type === type && (sessionId === undefined || e['sessionId'] === sessionId));

  it('asks a web visitor at the end, takes one rating with its comment trimmed, then answers already_rated', async () => {
    const alice = await open('agent', { companyId: 'demo', username: 'alice', password: 'demo' });
    expect(await alice.client.request({ type: 'agent.status', status: 'idle' })).toMatchObject({ type: 'ack' });
    const visitor = await open('visitor', { companyId: 'demo' });
    const sent = await visitor.client.request({ type: 'message.send', text: 'Where is my parcel?', clientMsgId: 'c1' });
    const sessionId = String(sent['sessionId']);
    expect(await visitor.client.request({ type: 'human.request' })).toMatchObject({ state: 'assigned' });

    // Before the end there is nothing to rate.
    expect(await visitor.client.request({ type: 'csat.submit', sessionId, rating: 5 })).toMatchObject({
      type: 'error',
      code: 'invalid_transition',
    });
    expect(visitor.client.frames.some((f) => f.type === 'csat.request')).toBe(false);

    expect(await alice.client.request({ type: 'session.end', sessionId })).toMatchObject({ type: 'ack' });
    await visitor.client.next((f) => f.type === 'session.state' && f['state'] === 'ended', 'the end');
    expect(await visitor.client.next((f) => f.type === 'csat.request', 'csat.request')).toEqual({
      type: 'csat.request',
      sessionId,
    });
    // The agent is not asked.
    expect(alice.client.frames.some((f) => f.type === 'csat.request')).toBe(false);
    // A socket the visitor opens later (it was away at the end) is asked too, until it answers.
    const reopen = async () => {
      const client = await Client.open(`${base.replace('http', 'ws')}/ws/visitor?token=${visitor.token}`);
      clients.push(client);
      await client.next((f) => f.type === 'suggestions', 'suggestions');
      return client;
    };
    const later = await reopen();
    expect(await later.next((f) => f.type === 'csat.request', 'csat.request on a new socket')).toEqual({
      type: 'csat.request',
      sessionId,
    });

    // Checked at the edge, naming the field and the rule; the frame did nothing.
    expect(await visitor.client.request({ type: 'csat.submit', sessionId, rating: 7 })).toMatchObject({
      type: 'error',
      code: 'bad_request',
      message: 'rating: must be an integer from 1 to 5',
      field: 'rating',
    });
    expect(
      await visitor.client.request({ type: 'csat.submit', sessionId, rating: 4, comment: 'x'.repeat(1001) }),
    ).toMatchObject({
      type: 'error',
      code: 'bad_request',
      message: 'comment: must be text of at most 1000 characters',
      field: 'comment',
    });
    // Another visitor cannot rate it.
    const stranger = await open('visitor', { companyId: 'demo' });
    expect(await stranger.client.request({ type: 'csat.submit', sessionId, rating: 1 })).toMatchObject({
      type: 'error',
      code: 'session_not_found',
    });
    expect(await eventsOf('CsatSubmitted', sessionId)).toEqual([]);

    expect(
      await visitor.client.request({ type: 'csat.submit', sessionId, rating: 5, comment: '  Quick and kind  ' }),
    ).toMatchObject({ type: 'ack', sessionId, rating: 5 });
    expect(await later.request({ type: 'csat.submit', sessionId, rating: 2 })).toMatchObject({
      type: 'error',
      code: 'already_rated',
    });
    // Rated: a new socket is not asked again.
    const afterwards = await reopen();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(afterwards.frames.some((f) => f.type === 'csat.request')).toBe(false);
    expect(await eventsOf('CsatSubmitted', sessionId)).toEqual([
      expect.objectContaining({
        visitorId: visitor.id,
        rating: 5,
        comment: 'Quick and kind',
        agentId: 'alice',
        groupId: 'support',
      }),
    ]);
  });

  it('asks a telegram visitor in words, takes a lone digit (full-width too) as its rating once, thanks it', async () => {
    const admin = await open('agent', { companyId: 'demo', username: 'admin', password: 'demo' });
    const settings = await api.get('/api/admin/settings', admin.token);
    const language = settings.body['language'] as 'en' | 'zh-CN';
    const created = await api.post(
      '/api/admin/channel-accounts',
      {
        platform: 'telegram',
        name: 'CSAT bot',
        groupId: 'support',
        credentials: { botToken: '777:csat-token', secretToken: 'csat-secret' },
      },
      admin.token,
    );
    expect(created.status).toBe(201);
    const webhookPath = String(created.body['webhookPath']);
    // Bob alone takes the session.
    const alice = await open('agent', { companyId: 'demo', username: 'alice', password: 'demo' });
    expect(await alice.client.request({ type: 'agent.status', status: 'away' })).toMatchObject({ type: 'ack' });
    const bob = await open('agent', { companyId: 'demo', username: 'bob', password: 'demo' });
    expect(await bob.client.request({ type: 'agent.status', status: 'idle' })).toMatchObject({ type: 'ack' });

    const chatId = 5151;
    const update = (updateId: number, text: string): string =>
      JSON.stringify({
        update_id: updateId,
        message: {
          message_id: updateId,
          date: Math.floor(Date.now() / 1000),
          chat: { id: chatId, type: 'private' },
          from: { id: chatId, is_bot: false, first_name: 'Han', last_name: 'Meimei' },
          text,
        },
      });
    const deliver = async (updateId: number, text: string) =>
      (
        await fetch(`${base}${webhookPath}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': 'csat-secret' },
          body: update(updateId, text),
        })
      ).status;
    const sentTexts = () =>
      fake.requests
        .filter((r) => r.path === '/bot777:csat-token/sendMessage')
        .map((r) => (r.body as { text?: string }).text);

    expect(await deliver(1, 'human')).toBe(200);
    const listed = await bob.client.next(
      (f) =>
        f.type === 'session.list' && (f['sessions'] as { channel: string }[]).some((s) => s.channel === 'telegram'),
      "the telegram session in bob's list",
    );
    const { sessionId, visitorId } = (
      listed['sessions'] as { sessionId: string; visitorId: string; channel: string }[]
    ).find((s) => s.channel === 'telegram')!;
    const started = async () => (await eventsOf('SessionStarted')).filter((e) => e['visitorId'] === visitorId);
    expect(await started()).toHaveLength(1);

    expect(await bob.client.request({ type: 'session.end', sessionId })).toMatchObject({ type: 'ack' });
    await waitFor('the question sent to telegram', async () =>
      sentTexts().includes(say(language, 'csatQuestion')) ? true : undefined,
    );

    // A full-width digit with spaces rates the session; the visitor is thanked; no new session.
    expect(await deliver(2, ' ４ ')).toBe(200);
    await waitFor('the thanks sent to telegram', async () =>
      sentTexts().includes(say(language, 'csatThanks')) ? true : undefined,
    );
    expect(await eventsOf('CsatSubmitted', sessionId)).toEqual([
      expect.objectContaining({ visitorId, rating: 4, agentId: 'bob', clientMsgId: `telegram:${chatId}:2` }),
    ]);
    // The platform delivers it again: nothing more, no new session, no second thanks.
    expect(await deliver(2, ' ４ ')).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await eventsOf('CsatSubmitted', sessionId)).toHaveLength(1);
    expect(await started()).toHaveLength(1);
    expect(sentTexts().filter((text) => text === say(language, 'csatThanks'))).toHaveLength(1);
    expect(sentTexts().filter((text) => text === say(language, 'csatQuestion'))).toHaveLength(1);

    // Rated already: the next digit is a message like any other, in a new session.
    expect(await deliver(3, '3')).toBe(200);
    await waitFor('a new session for the next message', async () =>
      (await started()).length === 2 ? true : undefined,
    );
    expect(await eventsOf('CsatSubmitted', sessionId)).toHaveLength(1);
  });
});
