// Social channels end to end (embedded mode): webhooks built as the platforms build them, a
// local fake of the platforms' APIs, an agent on a real socket. Telegram carries the whole
// story (signature, bot stage, transfer, redelivery, replies, retries, a permanent failure);
// WeChat its own handshake, XML and access token, in plaintext and in safe mode.
import { createHash, createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { loadConfig, silentLogger } from '@cschat/infra';
import { startFakePlatform, type FakePlatform } from '../../../gateways/src/channels/fake-platform';
import { Client, http, type Frame } from '../../../test-support/clients';
import { waitFor } from '../../../test-support/wait';
import { safeModeDelivery, sha1Signature, wechatEncrypt } from '../../../test-support/wechat-safe-mode';
import { createApp, type App } from '../app';

describe('social channels end to end (embedded mode, fake platforms)', () => {
  jest.setTimeout(60_000);
  let dataDir: string;
  let app: App;
  let fake: FakePlatform;
  let base: string;
  let api: ReturnType<typeof http>;
  const clients: Client[] = [];

  beforeAll(async () => {
    fake = await startFakePlatform();
    dataDir = mkdtempSync(path.join(tmpdir(), 'cschat-channels-'));
    app = createApp(
      loadConfig({
        DATA_DIR: dataDir,
        PORT: '0',
        TELEGRAM_API_URL: fake.baseUrl,
        WECHAT_API_URL: fake.baseUrl,
        WHATSAPP_API_URL: fake.baseUrl,
        MESSENGER_API_URL: fake.baseUrl,
        INSTAGRAM_API_URL: fake.baseUrl,
      }),
      silentLogger(),
    );
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

  const login = async (username: string) => {
    const answer = await api.post('/api/agents/login', { companyId: 'demo', username, password: 'demo' });
    const token = String(answer.body['token']);
    const client = await Client.open(`${base.replace('http', 'ws')}/ws/agent?token=${token}`);
    clients.push(client);
    return { token, client, agentId: String(answer.body['agentId']) };
  };
  const eventCount = async () => (await app.storage.eventStore.readAll({ maxCount: 1_000_000 })).length;
  const post = (webhookPath: string, body: string, headers: Record<string, string>, query = '') =>
    fetch(`${base}${webhookPath}${query}`, { method: 'POST', headers, body });

  /** A Telegram account of the support group (created by the admin): its webhook path. */
  const telegramAccount = async (name: string, botToken: string, secretToken: string): Promise<string> => {
    const admin = await login('admin');
    const created = await api.post(
      '/api/admin/channel-accounts',
      { platform: 'telegram', name, groupId: 'support', credentials: { botToken, secretToken } },
      admin.token,
    );
    expect(created.status).toBe(201);
    return String(created.body['webhookPath']);
  };
  /** A Telegram update: a text message from user `chatId` in their private chat with the bot. */
  const telegramUpdate = (chatId: number, updateId: number, messageId: number, text: string): string =>
    JSON.stringify({
      update_id: updateId,
      message: {
        message_id: messageId,
        date: Math.floor(Date.now() / 1000),
        chat: { id: chatId, type: 'private' },
        from: { id: chatId, is_bot: false, first_name: 'Li', last_name: 'Lei' },
        text,
      },
    });

  it('telegram: refuses a bad secret, hands over on 转人工, takes a redelivery once, sends replies with retries, reports a failure', async () => {
    const webhookPath = await telegramAccount('Demo bot', '123456:demo-token', 'webhook-secret_1');
    const alice = await login('alice');
    await alice.client.request({ type: 'agent.status', status: 'idle' });

    const update = (updateId: number, messageId: number, text: string) =>
      telegramUpdate(4242, updateId, messageId, text);
    const json = { 'content-type': 'application/json' };
    const secret = { ...json, 'x-telegram-bot-api-secret-token': 'webhook-secret_1' };

    // A wrong or missing secret: refused before anything is read, nothing stored.
    const before = await eventCount();
    expect((await post(webhookPath, update(1, 1, 'hi'), json)).status).toBe(401);
    expect(
      (await post(webhookPath, update(1, 1, 'hi'), { ...json, 'x-telegram-bot-api-secret-token': 'nope' })).status,
    ).toBe(401);
    expect(await eventCount()).toBe(before);

    // 转人工: the bot says it connects (sent to the platform), the session goes to alice.
    expect((await post(webhookPath, update(2, 2, '转人工'), secret)).status).toBe(200);
    const listed = await alice.client.next(
      (f) =>
        f.type === 'session.list' && (f['sessions'] as { channel: string }[]).some((s) => s.channel === 'telegram'),
      "the telegram session in alice's list",
    );
    const sessionId = (listed['sessions'] as { sessionId: string; channel: string }[]).find(
      (s) => s.channel === 'telegram',
    )!.sessionId;
    await waitFor("the bot's reply sent to telegram", async () =>
      fake.requests.some((r) => r.path === '/bot123456:demo-token/sendMessage') ? true : undefined,
    );
    expect(fake.requests.find((r) => r.path === '/bot123456:demo-token/sendMessage')!.body).toMatchObject({
      chat_id: '4242',
    });

    // A message, then the same delivery again (Telegram retries): one message.
    expect((await post(webhookPath, update(3, 3, 'my parcel is late'), secret)).status).toBe(200);
    expect((await post(webhookPath, update(3, 3, 'my parcel is late'), secret)).status).toBe(200);
    await alice.client.next((f) => f.type === 'message' && f['text'] === 'my parcel is late', 'the message at alice');
    const history = await api.get(`/api/sessions/${sessionId}/messages`, alice.token);
    expect((history.body['messages'] as { text: string }[]).filter((m) => m.text === 'my parcel is late')).toHaveLength(
      1,
    );
    // The platform's user has a profile: the platform's display name, the channel, the session.
    const visitorId = (listed['sessions'] as { sessionId: string; visitorId: string }[]).find(
      (s) => s.sessionId === sessionId,
    )!.visitorId;
    const profile = await waitFor("the telegram visitor's profile", async () => {
      const answer = await api.get(`/api/visitors/${encodeURIComponent(visitorId)}`, alice.token);
      return answer.status === 200 ? answer.body : undefined;
    });
    expect(profile).toMatchObject({ visitorId, channel: 'telegram', sessions: [{ sessionId, state: 'assigned' }] });
    expect(typeof profile['name']).toBe('string');

    // alice replies: exactly one send with the right body and token in the path.
    const sends = (text: string) =>
      fake.requests.filter((r) => r.path.endsWith('/sendMessage') && (r.body as { text?: string }).text === text);
    // A private note first: it reaches alice (private) but never the platform. The reply after it
    // is sent, so the note (earlier in the same session's order) would have been by then.
    const note = await alice.client.request({
      type: 'note.send',
      sessionId,
      text: 'internal: parcel lost',
      clientMsgId: 'n1',
    });
    expect(note).toMatchObject({ type: 'ack', messageId: expect.any(String) as string });
    await alice.client.next((f) => f.type === 'message' && f['private'] === true, 'the note at alice');
    await alice.client.request({ type: 'message.send', sessionId, text: 'Let me check', clientMsgId: 'r1' });
    await waitFor('the reply sent', async () => (sends('Let me check').length === 1 ? true : undefined));
    expect(sends('Let me check')[0]!.body).toEqual({ chat_id: '4242', text: 'Let me check' });
    expect(fake.requests.filter((r) => JSON.stringify(r.body ?? '').includes('parcel lost'))).toEqual([]);
    // The platform's name of the visitor is on the list's row.
    const row = (listed['sessions'] as { sessionId: string; visitorName?: string }[]).find(
      (s) => s.sessionId === sessionId,
    );
    expect(row?.visitorName).toContain('Li');

    // The platform fails twice, then takes it: sent three times, delivered once, no failure shown.
    let failures = 0;
    fake.respond((r) =>
      (r.body as { text?: string }).text === 'Found it' && failures++ < 2
        ? { status: 500, body: { ok: false, error_code: 500, description: 'Internal Server Error' } }
        : undefined,
    );
    await alice.client.request({ type: 'message.send', sessionId, text: 'Found it', clientMsgId: 'r2' });
    await waitFor('three tries', async () => (sends('Found it').length === 3 ? true : undefined));

    // A permanent refusal reaches alice with the platform's reason.
    fake.respond((r) =>
      (r.body as { text?: string }).text === 'Are you there?'
        ? { status: 403, body: { ok: false, error_code: 403, description: 'Forbidden: bot was blocked by the user' } }
        : undefined,
    );
    await alice.client.request({ type: 'message.send', sessionId, text: 'Are you there?', clientMsgId: 'r3' });
    const failed = await alice.client.next((f) => f.type === 'message.failed', 'the failure at alice');
    expect(String(failed['reason'])).toContain('blocked');
    expect(sends('Are you there?')).toHaveLength(1);
    expect(alice.client.frames.filter((f: Frame) => f.type === 'message.failed')).toHaveLength(1);
    fake.respond(() => undefined);
  });

  it('telegram: a goodbye gets a question naming the end word, which the visitor answers to end; "one more question" ends nothing', async () => {
    const webhookPath = await telegramAccount('Goodbye bot', '654321:bye-token', 'bye-secret_1');
    const say = (messageId: number, text: string) =>
      post(webhookPath, telegramUpdate(5151, messageId, messageId, text), {
        'content-type': 'application/json',
        'x-telegram-bot-api-secret-token': 'bye-secret_1',
      });
    const botTexts = () =>
      fake.requests
        .filter((r) => r.path === '/bot654321:bye-token/sendMessage')
        .map((r) => String((r.body as { text?: string }).text));
    const botSaid = (n: number) =>
      waitFor(`bot reply ${n}`, async () => (botTexts().length >= n ? botTexts()[n - 1] : undefined));
    const events = async () =>
      (await app.storage.eventStore.readAll({ maxCount: 1_000_000 })).map((e): Record<string, unknown> => ({
        ...e.data,
        type: e.type,
      }));
    const mine = async () => {
      const all = await events();
      const sessionIds = new Set(
        all.filter((e) => e['type'] === 'SessionStarted' && e['channelUserId'] === '5151').map((e) => e['sessionId']),
      );
      return all.filter((e) => sessionIds.has(e['sessionId']));
    };

    // With no offer open, an end word is a message like any other.
    expect((await say(1, 'end')).status).toBe(200);
    await botSaid(1);
    // A goodbye: the bot asks, says which word ends the chat, and ends nothing.
    expect((await say(2, 'bye')).status).toBe(200);
    expect(await botSaid(2)).toMatch(/reply "end"/);
    // Not a goodbye although it shares words with one: no offer, no end.
    expect((await say(3, 'one more question')).status).toBe(200);
    expect(await botSaid(3)).not.toMatch(/reply "end"/);
    expect((await mine()).filter((e) => e['type'] === 'SessionEnded')).toEqual([]);

    // Offered again, in the company's language (the demo's is en) whatever the visitor writes, then
    // answered with an end word of either language: the visitor's own end, not a message.
    await say(4, '再见');
    expect(await botSaid(4)).toMatch(/reply "end"/);
    expect((await say(5, ' 结束。')).status).toBe(200);
    const ended = await waitFor('the session ended by the visitor', async () =>
      (await mine()).find((e) => e['type'] === 'SessionEnded'),
    );
    expect(ended).toMatchObject({ reason: 'visitor' });
    // Telegram delivers it again: nothing more, and no new session.
    expect((await say(5, ' 结束。')).status).toBe(200);
    const after = await mine();
    expect(after.filter((e) => e['type'] === 'SessionStarted')).toHaveLength(1);
    expect(after.filter((e) => e['type'] === 'SessionEnded')).toHaveLength(1);
    expect(after.filter((e) => e['type'] === 'MessagePosted' && String(e['text']).includes('结束。'))).toEqual([]);
  });

  it('wechat: answers the signed handshake, refuses a bad signature and entities, takes XML, answers through the API', async () => {
    const admin = await login('admin');
    const created = await api.post(
      '/api/admin/channel-accounts',
      {
        platform: 'wechat',
        name: 'Demo 公众号',
        groupId: 'support',
        credentials: { appId: 'wx1234567890', appSecret: 'app-secret', token: 'wxtoken123' },
      },
      admin.token,
    );
    expect(created.status).toBe(201);
    const webhookPath = String(created.body['webhookPath']);
    const signed = (extra = '') => {
      const timestamp = String(Math.floor(Date.now() / 1000));
      const nonce = 'n0nce';
      const signature = createHash('sha1').update(['wxtoken123', timestamp, nonce].sort().join('')).digest('hex');
      return `?signature=${signature}&timestamp=${timestamp}&nonce=${nonce}${extra}`;
    };
    const handshake = await fetch(`${base}${webhookPath}${signed('&echostr=hello-echo')}`);
    expect([handshake.status, await handshake.text()]).toEqual([200, 'hello-echo']);
    expect((await fetch(`${base}${webhookPath}?signature=bad&timestamp=1&nonce=2&echostr=x`)).status).toBe(401);

    fake.respond((r) =>
      r.path === '/cgi-bin/token'
        ? { status: 200, body: { access_token: 'AT-1', expires_in: 7200 } }
        : { status: 200, body: { errcode: 0, errmsg: 'ok' } },
    );
    const xml = (msgId: string, content: string) =>
      `<xml><ToUserName><![CDATA[gh_demo]]></ToUserName><FromUserName><![CDATA[oOpenId_user1]]></FromUserName>` +
      `<CreateTime>${Math.floor(Date.now() / 1000)}</CreateTime><MsgType><![CDATA[text]]></MsgType>` +
      `<Content><![CDATA[${content}]]></Content><MsgId>${msgId}</MsgId></xml>`;
    const before = await eventCount();
    const evil = `<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]><xml><Content>&x;</Content></xml>`;
    expect((await post(webhookPath, evil, { 'content-type': 'text/xml' }, signed())).status).toBe(400);
    expect(
      (await post(webhookPath, xml('1001', 'hi'), { 'content-type': 'text/xml' }, '?signature=x&timestamp=1&nonce=2'))
        .status,
    ).toBe(401);
    expect(await eventCount()).toBe(before);

    const taken = await post(webhookPath, xml('1002', '怎么开发票'), { 'content-type': 'text/xml' }, signed());
    expect([taken.status, await taken.text()]).toEqual([200, 'success']);
    // The bot's answer goes out through the customer-service API with a fetched access token.
    await waitFor('the answer sent to wechat', async () =>
      fake.requests.some((r) => r.path === '/cgi-bin/message/custom/send') ? true : undefined,
    );
    const send = fake.requests.find((r) => r.path === '/cgi-bin/message/custom/send')!;
    expect(send.query['access_token']).toBe('AT-1');
    expect(send.body).toMatchObject({ touser: 'oOpenId_user1', msgtype: 'text' });
    expect(fake.requests.filter((r) => r.path === '/cgi-bin/token')).toHaveLength(1);
    fake.respond(() => undefined);
  });

  it('wechat safe mode: decrypts the encrypted handshake and messages, refuses forged, plaintext and foreign ones alike', async () => {
    const admin = await login('admin');
    const account = {
      appId: 'wxsafe0000000001',
      token: 'wxsafetoken',
      encodingAesKey: 'kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR',
    };
    const created = await api.post(
      '/api/admin/channel-accounts',
      {
        platform: 'wechat',
        name: '安全模式 公众号',
        groupId: 'support',
        credentials: { ...account, appSecret: 'app-secret' },
      },
      admin.token,
    );
    expect(created.status).toBe(201);
    // The key is never shown again.
    const listed = await api.get('/api/admin/channel-accounts', admin.token);
    expect(JSON.stringify(listed.body)).not.toContain(account.encodingAesKey);
    const webhookPath = String(created.body['webhookPath']);
    const queryOf = (q: Record<string, string>) => `?${new URLSearchParams(q).toString()}`;

    // The URL check in safe mode: echostr encrypted, answered with its plaintext.
    const timestamp = String(Math.floor(Date.now() / 1000));
    const echostr = wechatEncrypt(account, '8817263541');
    const handshake = await fetch(
      `${base}${webhookPath}${queryOf({
        signature: sha1Signature(account.token, timestamp, 'n1'),
        msg_signature: sha1Signature(account.token, timestamp, 'n1', echostr),
        timestamp,
        nonce: 'n1',
        echostr,
      })}`,
    );
    expect([handshake.status, await handshake.text()]).toEqual([200, '8817263541']);

    fake.respond((r) =>
      r.path === '/cgi-bin/token'
        ? { status: 200, body: { access_token: 'AT-SAFE', expires_in: 7200 } }
        : { status: 200, body: { errcode: 0, errmsg: 'ok' } },
    );
    const xml = (msgId: string, content: string) =>
      `<xml><ToUserName><![CDATA[gh_safe]]></ToUserName><FromUserName><![CDATA[oOpenId_safe1]]></FromUserName>` +
      `<CreateTime>${Math.floor(Date.now() / 1000)}</CreateTime><MsgType><![CDATA[text]]></MsgType>` +
      `<Content><![CDATA[${content}]]></Content><MsgId>${msgId}</MsgId></xml>`;
    const headers = { 'content-type': 'text/xml' };
    const before = await eventCount();

    // Refused, nothing stored: the ciphertext altered under its signature, a plaintext body, and
    // a ciphertext of another AppID signed with the right token (the answer names no cause).
    const genuine = safeModeDelivery(account, xml('2001', 'hi'));
    const altered = genuine.body.replace(
      genuine.encrypt,
      `${genuine.encrypt.slice(0, 10)}A${genuine.encrypt.slice(11)}`,
    );
    expect((await post(webhookPath, altered, headers, queryOf(genuine.query))).status).toBe(401);
    const plainQuery = { ...genuine.query };
    delete plainQuery['msg_signature'];
    expect((await post(webhookPath, xml('2002', 'hi'), headers, queryOf(plainQuery))).status).toBe(400);
    const foreign = safeModeDelivery({ ...account, appId: 'wxsomeoneelse000' }, xml('2003', 'hi'));
    const refused = await post(webhookPath, foreign.body, headers, queryOf(foreign.query));
    expect([refused.status, await refused.json()]).toEqual([
      400,
      { error: { code: 'bad_request', message: 'the encrypted message cannot be read' } },
    ]);
    expect(await eventCount()).toBe(before);

    const delivery = safeModeDelivery(account, xml('2004', '怎么开发票'));
    const taken = await post(webhookPath, delivery.body, headers, queryOf(delivery.query));
    expect([taken.status, await taken.text()]).toEqual([200, 'success']);
    // WeChat's retry of the same delivery adds nothing.
    const again = await post(webhookPath, delivery.body, headers, queryOf(delivery.query));
    expect(again.status).toBe(200);
    await waitFor('the answer sent to the safe-mode account', async () =>
      fake.requests.some((r) => r.path === '/cgi-bin/message/custom/send' && r.query['access_token'] === 'AT-SAFE')
        ? true
        : undefined,
    );
    const send = fake.requests.find(
      (r) => r.path === '/cgi-bin/message/custom/send' && r.query['access_token'] === 'AT-SAFE',
    )!;
    expect(send.body).toMatchObject({ touser: 'oOpenId_safe1', msgtype: 'text' });
    const events = (await app.storage.eventStore.readAll({ maxCount: 1_000_000 })).slice(before);
    expect(
      events.filter((e) => e.type === 'MessagePosted' && (e.data as { text?: unknown }).text === '怎么开发票'),
    ).toHaveLength(1);
    fake.respond(() => undefined);
  });

  // Meta's three platforms: the same handshake and signature, their own payloads and send calls.
  const meta = {
    whatsapp: {
      credentials: {
        accessToken: 'wa-token',
        appSecret: 'wa-secret',
        verifyToken: 'wa-verify',
        phoneNumberId: '1555000',
      },
      body: (id: string, text: string) => ({
        object: 'whatsapp_business_account',
        entry: [
          {
            id: 'waba-1',
            changes: [
              {
                field: 'messages',
                value: {
                  messaging_product: 'whatsapp',
                  metadata: { display_phone_number: '15550000', phone_number_id: '1555000' },
                  contacts: [{ wa_id: '8613800000000', profile: { name: '王小明' } }],
                  messages: [
                    {
                      from: '8613800000000',
                      id,
                      timestamp: String(Math.floor(Date.now() / 1000)),
                      type: 'text',
                      text: { body: text },
                    },
                  ],
                },
              },
            ],
          },
        ],
      }),
      sendPath: '/v21.0/1555000/messages',
      token: 'wa-token',
      user: '8613800000000',
    },
    messenger: {
      credentials: {
        pageAccessToken: 'page-token',
        appSecret: 'fb-secret',
        verifyToken: 'fb-verify',
        pageId: 'page-1',
      },
      body: (id: string, text: string) => ({
        object: 'page',
        entry: [
          {
            id: 'page-1',
            time: Date.now(),
            messaging: [
              {
                sender: { id: 'psid-77' },
                recipient: { id: 'page-1' },
                timestamp: Date.now(),
                message: { mid: id, text },
              },
            ],
          },
        ],
      }),
      sendPath: '/v21.0/page-1/messages',
      token: 'page-token',
      user: 'psid-77',
    },
    instagram: {
      credentials: { accessToken: 'ig-token', appSecret: 'ig-secret', verifyToken: 'ig-verify', igAccountId: 'ig-1' },
      body: (id: string, text: string) => ({
        object: 'instagram',
        entry: [
          {
            id: 'ig-1',
            time: Date.now(),
            messaging: [
              {
                sender: { id: 'igsid-9' },
                recipient: { id: 'ig-1' },
                timestamp: Date.now(),
                message: { mid: id, text },
              },
            ],
          },
        ],
      }),
      sendPath: '/v21.0/ig-1/messages',
      token: 'ig-token',
      user: 'igsid-9',
    },
  } as const;

  it.each(Object.keys(meta) as (keyof typeof meta)[])(
    '%s: handshake, signature on the raw bytes, transfer, one message per delivery, the reply sent once',
    async (platform) => {
      const spec = meta[platform];
      const admin = await login('admin');
      const bob = await login('bob');
      await bob.client.request({ type: 'agent.status', status: 'idle' });
      const created = await api.post(
        '/api/admin/channel-accounts',
        { platform, name: `Demo ${platform}`, groupId: 'support', credentials: spec.credentials },
        admin.token,
      );
      expect(created.status).toBe(201);
      const webhookPath = String(created.body['webhookPath']);
      const verify = spec.credentials.verifyToken;
      const challenge = await fetch(
        `${base}${webhookPath}?hub.mode=subscribe&hub.verify_token=${verify}&hub.challenge=c-42`,
      );
      expect([challenge.status, await challenge.text()]).toEqual([200, 'c-42']);
      expect((await fetch(`${base}${webhookPath}?hub.mode=subscribe&hub.verify_token=no&hub.challenge=x`)).status).toBe(
        403,
      );

      // Meta sends escaped unicode; the signature is over exactly those bytes.
      const raw = (id: string, text: string) =>
        JSON.stringify(spec.body(id, text)).replace(
          /[\u0080-\uffff]/g,
          (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
        );
      const signedPost = (body: string, secret: string = spec.credentials.appSecret) =>
        post(webhookPath, body, {
          'content-type': 'application/json',
          'x-hub-signature-256': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`,
        });
      const before = await eventCount();
      expect((await signedPost(raw(`${platform}-m0`, '你好'), 'wrong-secret')).status).toBe(401);
      expect(await eventCount()).toBe(before);

      expect((await signedPost(raw(`${platform}-m1`, '转人工'))).status).toBe(200);
      const text = `hello from ${platform} 你好`;
      expect((await signedPost(raw(`${platform}-m2`, text))).status).toBe(200);
      expect((await signedPost(raw(`${platform}-m2`, text))).status).toBe(200);
      const message = await bob.client.next(
        (f) => f.type === 'message' && f['text'] === text,
        `the ${platform} message`,
      );
      const sessionId = String(message['sessionId']);
      const history = await api.get(`/api/sessions/${sessionId}/messages`, bob.token);
      expect((history.body['messages'] as { text: string }[]).filter((m) => m.text === text)).toHaveLength(1);

      await bob.client.request({
        type: 'message.send',
        sessionId,
        text: `reply on ${platform}`,
        clientMsgId: `${platform}-r`,
      });
      const sent = () =>
        fake.requests.filter(
          (r) => r.path === spec.sendPath && JSON.stringify(r.body).includes(`reply on ${platform}`),
        );
      await waitFor(`the reply sent to ${platform}`, async () => (sent().length === 1 ? true : undefined));
      expect(sent()[0]!.headers['authorization']).toBe(`Bearer ${spec.token}`);
      expect(JSON.stringify(sent()[0]!.body)).toContain(spec.user);
      await bob.client.request({ type: 'session.end', sessionId });
    },
  );
});
