// Platform photos and files end to end (embedded mode, the fake platform): a Telegram visitor's
// photo is fetched into the store and reaches the agent as an attachment; the agent's file goes
// out through sendDocument; a WhatsApp visitor's document arrives the same way.
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { loadConfig, silentLogger } from '@cschat/infra';
import { startFakePlatform, type FakePlatform } from '../../../gateways/src/channels/fake-platform';
import { Client, http, type Frame } from '../../../test-support/clients';
import { waitFor } from '../../../test-support/wait';
import { createApp, type App } from '../app';

describe('platform media end to end (embedded mode, fake platforms)', () => {
  jest.setTimeout(90_000);
  let dataDir: string;
  let app: App;
  let fake: FakePlatform;
  let base: string;
  let api: ReturnType<typeof http>;
  const clients: Client[] = [];

  beforeAll(async () => {
    fake = await startFakePlatform();
    dataDir = mkdtempSync(path.join(tmpdir(), 'cschat-channel-media-'));
    app = createApp(
      loadConfig({ DATA_DIR: dataDir, PORT: '0', TELEGRAM_API_URL: fake.baseUrl, WHATSAPP_API_URL: fake.baseUrl }),
      silentLogger(),
    );
    await app.start();
    base = `http://127.0.0.1:${app.frontDoor!.port}`;
    api = http(base);
  }, 180_000);

  afterAll(async () => {
    for (const client of clients) client.close();
    await app?.stop();
    await fake?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const login = async (username: string) => {
    const answer = await api.post('/api/agents/login', { companyId: 'demo', username, password: 'demo' });
    const token = String(answer.body['token']);
    const client = await Client.open(`${base.replace('http', 'ws')}/ws/agent?token=${token}`);
    clients.push(client);
    return { token, client };
  };
  const account = async (platform: string, name: string, credentials: Record<string, string>): Promise<string> => {
    const admin = await api.post('/api/agents/login', { companyId: 'demo', username: 'admin', password: 'demo' });
    const created = await api.post(
      '/api/admin/channel-accounts',
      { platform, name, groupId: 'support', credentials },
      String(admin.body['token']),
    );
    expect(created.status).toBe(201);
    return String(created.body['webhookPath']);
  };

  it('telegram: the visitor’s photo reaches the agent as an attachment, the agent’s file goes out by sendDocument', async () => {
    const webhookPath = await account('telegram', 'Media bot', {
      botToken: '777:media-token',
      secretToken: 'media-secret',
    });
    const alice = await login('alice');
    await alice.client.request({ type: 'agent.status', status: 'idle' });
    const photo = await sharp({ create: { width: 800, height: 600, channels: 3, background: '#e33' } })
      .jpeg()
      .toBuffer();
    fake.respond((request) => {
      if (request.path === '/bot777:media-token/getFile')
        return { status: 200, body: { ok: true, result: { file_id: 'PHOTO-L', file_path: 'photos/file_1.jpg' } } };
      if (request.path === '/file/bot777:media-token/photos/file_1.jpg')
        return { status: 200, body: undefined, raw: photo };
      return undefined;
    });
    const send = (updateId: number, message: Record<string, unknown>) =>
      fetch(`${base}${webhookPath}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': 'media-secret' },
        body: JSON.stringify({
          update_id: updateId,
          message: {
            message_id: updateId,
            date: Math.floor(Date.now() / 1000),
            chat: { id: 5555, type: 'private' },
            from: { id: 5555, is_bot: false, first_name: 'Han' },
            ...message,
          },
        }),
      });
    expect((await send(1, { text: '转人工' })).status).toBe(200);
    const listed = await alice.client.next(
      (f) =>
        f.type === 'session.list' && (f['sessions'] as { channel: string }[]).some((s) => s.channel === 'telegram'),
      'the telegram session at alice',
    );
    const sessionId = (listed['sessions'] as { sessionId: string; channel: string }[]).find(
      (s) => s.channel === 'telegram',
    )!.sessionId;

    const photoUpdate = {
      caption: 'the broken part',
      photo: [
        { file_id: 'PHOTO-S', file_unique_id: 's', width: 90, height: 67, file_size: 900 },
        { file_id: 'PHOTO-L', file_unique_id: 'l', width: 800, height: 600, file_size: photo.length },
      ],
    };
    expect((await send(2, photoUpdate)).status).toBe(200);
    // Telegram delivers it again: one message, one file.
    expect((await send(2, photoUpdate)).status).toBe(200);
    const message = await alice.client.next(
      (f: Frame) => f.type === 'message' && f['text'] === 'the broken part',
      'the photo at alice',
    );
    const [attachment] = message['attachments'] as { attachmentId: string; contentType: string; url: string }[];
    expect(attachment).toEqual(expect.objectContaining({ contentType: 'image/jpeg', size: photo.length }));
    const fetched = await fetch(`${base}${attachment!.url}?token=${alice.token}`);
    expect(fetched.status).toBe(200);
    expect(Buffer.compare(Buffer.from(await fetched.arrayBuffer()), photo)).toBe(0);
    const history = await api.get(`/api/sessions/${sessionId}/messages`, alice.token);
    const withFiles = (history.body['messages'] as { attachments?: unknown[] }[]).filter((m) => m.attachments);
    expect(withFiles).toHaveLength(1);

    // The agent's file goes to the chat through sendDocument, its words through sendMessage.
    const pdf = Buffer.from('%PDF-1.4\n%\xe2\xe3\xcf\xd3\ntrailer << >>\n%%EOF\n', 'latin1');
    const uploaded = await fetch(`${base}/api/uploads`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${alice.token}`,
        'content-type': 'application/pdf',
        'x-file-name': 'label.pdf',
      },
      body: pdf,
    });
    const { attachmentId } = (await uploaded.json()) as { attachmentId: string };
    await alice.client.request({
      type: 'message.send',
      sessionId,
      text: 'Print this label',
      clientMsgId: 'label-1',
      attachments: [attachmentId],
    });
    const sentDocument = await waitFor('the document sent to telegram', async () =>
      fake.requests.find((r) => r.path === '/bot777:media-token/sendDocument'),
    );
    expect(sentDocument.form?.['chat_id']).toBe('5555');
    expect(sentDocument.form?.['document']).toEqual({ name: 'label.pdf', type: 'application/pdf', bytes: pdf });
    expect(
      fake.requests.some(
        (r) => r.path.endsWith('/sendMessage') && (r.body as { text?: string }).text === 'Print this label',
      ),
    ).toBe(true);
    fake.respond(() => undefined);
  });

  it('whatsapp: the visitor’s document is fetched by its media id and reaches the agent', async () => {
    const credentials = {
      accessToken: 'wa-token',
      appSecret: 'wa-app-secret',
      verifyToken: 'v',
      phoneNumberId: '4455',
    };
    const webhookPath = await account('whatsapp', 'Media number', credentials);
    const bob = await login('bob');
    await bob.client.request({ type: 'agent.status', status: 'idle' });
    const pdf = Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\nendobj\n%%EOF\n', 'latin1');
    fake.respond((request) => {
      if (request.path === '/v21.0/DOC-1')
        return {
          status: 200,
          body: { url: `${fake.baseUrl}/media-files/DOC-1`, mime_type: 'application/pdf', id: 'DOC-1' },
        };
      if (request.path === '/media-files/DOC-1') return { status: 200, body: undefined, raw: pdf };
      return { status: 200, body: { messaging_product: 'whatsapp', messages: [{ id: 'wamid.1' }] } };
    });
    const deliver = (id: string, message: Record<string, unknown>) => {
      const body = JSON.stringify({
        object: 'whatsapp_business_account',
        entry: [
          {
            id: 'WABA',
            changes: [
              {
                field: 'messages',
                value: {
                  messaging_product: 'whatsapp',
                  metadata: { phone_number_id: '4455', display_phone_number: '1555' },
                  contacts: [{ wa_id: '8613900000000', profile: { name: 'Mei' } }],
                  messages: [
                    { from: '8613900000000', id, timestamp: String(Math.floor(Date.now() / 1000)), ...message },
                  ],
                },
              },
            ],
          },
        ],
      });
      const signature = createHmac('sha256', credentials.appSecret).update(body).digest('hex');
      return fetch(`${base}${webhookPath}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-hub-signature-256': `sha256=${signature}` },
        body,
      });
    };
    expect((await deliver('wamid.in1', { type: 'text', text: { body: '转人工' } })).status).toBe(200);
    await bob.client.next(
      (f) =>
        f.type === 'session.list' && (f['sessions'] as { channel: string }[]).some((s) => s.channel === 'whatsapp'),
      'the whatsapp session at bob',
    );
    const doc = { type: 'document', document: { id: 'DOC-1', filename: 'receipt.pdf', mime_type: 'application/pdf' } };
    expect((await deliver('wamid.in2', doc)).status).toBe(200);
    const message = await bob.client.next(
      (f: Frame) => f.type === 'message' && Array.isArray(f['attachments']),
      'the document at bob',
    );
    expect(message['attachments']).toEqual([
      expect.objectContaining({ name: 'receipt.pdf', contentType: 'application/pdf', size: pdf.length }),
    ]);
    const file = (message['attachments'] as { url: string }[])[0]!;
    expect((await fetch(`${base}${file.url}?token=${bob.token}`)).status).toBe(200);
    expect(fake.requests.find((r) => r.path === '/media-files/DOC-1')?.headers['authorization']).toBe(
      'Bearer wa-token',
    );
  });
});
