// Attachments end to end (embedded mode, files on disk): a visitor's picture reaches the agent in a
// `message` frame, the agent's file reaches the visitor, history rows carry both, and only the
// session's participants can fetch them.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { loadConfig, silentLogger } from '@cschat/infra';
import { Client, http, type Frame } from '../../../test-support/clients';
import { waitFor } from '../../../test-support/wait';
import { createApp, type App } from '../app';

describe('attachments end to end (embedded mode)', () => {
  jest.setTimeout(60_000);
  let dataDir: string;
  let app: App;
  let base: string;
  let ws: string;
  let api: ReturnType<typeof http>;
  const clients: Client[] = [];

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'cschat-attachments-'));
    app = createApp(loadConfig({ DATA_DIR: dataDir, PORT: '0' }), silentLogger());
    await app.start();
    base = `http://127.0.0.1:${app.frontDoor!.port}`;
    ws = `ws://127.0.0.1:${app.frontDoor!.port}`;
    api = http(base);
  }, 180_000);

  afterAll(async () => {
    for (const client of clients) client.close();
    await app?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const agentLogin = async (username: string) => {
    const login = await api.post('/api/agents/login', { companyId: 'demo', username, password: 'demo' });
    return { token: String(login.body['token']), agentId: String(login.body['agentId']) };
  };
  const visitor = async () => {
    const login = await api.post('/api/visitors/login', { companyId: 'demo' });
    const token = String(login.body['token']);
    const client = await Client.open(`${ws}/ws/visitor?token=${token}`);
    clients.push(client);
    return { client, token, visitorId: String(login.body['visitorId']) };
  };
  const upload = async (token: string, body: Buffer, type: string, name: string) => {
    const response = await fetch(`${base}/api/uploads`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': type, 'x-file-name': encodeURIComponent(name) },
      body,
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const download = (url: string, token: string) => fetch(`${base}${url}?token=${encodeURIComponent(token)}`);

  it('sends a picture from the visitor and a file from the agent, each to the other side and into the history', async () => {
    const alice = await agentLogin('alice');
    const console = await Client.open(`${ws}/ws/agent?token=${alice.token}`);
    clients.push(console);
    expect((await console.request({ type: 'agent.status', status: 'idle' })).type).toBe('ack');
    const v = await visitor();
    const human = await v.client.request({ type: 'human.request' });
    expect(human).toEqual(expect.objectContaining({ type: 'ack', state: 'assigned' }));
    const sessionId = String(human['sessionId']);

    // The visitor's picture, with no words.
    const picture = await sharp({ create: { width: 640, height: 480, channels: 3, background: '#08f' } })
      .png()
      .toBuffer();
    const uploaded = await upload(v.token, picture, 'application/octet-stream', '截图.png');
    expect(uploaded.status).toBe(201);
    const pictureId = String(uploaded.body['attachmentId']);
    const sent = await v.client.request({
      type: 'message.send',
      text: '',
      clientMsgId: 'pic-1',
      attachments: [pictureId],
    });
    expect(sent).toEqual(expect.objectContaining({ type: 'ack', sessionId }));
    const expected = {
      attachmentId: pictureId,
      name: '截图.png',
      size: picture.length,
      contentType: 'image/png',
      url: `/api/attachments/${pictureId}`,
    };
    const atAgent = await console.next(
      (f: Frame) => f.type === 'message' && f['messageId'] === sent['messageId'],
      'the picture at the agent',
    );
    expect(atAgent['attachments']).toEqual([expect.objectContaining(expected)]);
    expect(atAgent['text']).toBe('');
    const fetched = await download(expected.url, alice.token);
    expect(fetched.status).toBe(200);
    expect(fetched.headers.get('content-disposition')).toMatch(/^inline/);
    expect(Buffer.compare(Buffer.from(await fetched.arrayBuffer()), picture)).toBe(0);

    // The agent's file, with a caption.
    const pdf = Buffer.from('%PDF-1.4\n%\xe2\xe3\xcf\xd3\ntrailer << >>\n%%EOF\n', 'latin1');
    const invoice = await upload(alice.token, pdf, 'application/pdf', 'invoice.pdf');
    expect(invoice.status).toBe(201);
    const invoiceId = String(invoice.body['attachmentId']);
    const reply = await console.request({
      type: 'message.send',
      sessionId,
      text: 'Your invoice',
      clientMsgId: 'inv-1',
      attachments: [invoiceId],
    });
    expect(reply.type).toBe('ack');
    const atVisitor = await v.client.next(
      (f: Frame) => f.type === 'message' && f['messageId'] === reply['messageId'],
      'the invoice at the visitor',
    );
    expect(atVisitor['attachments']).toEqual([
      expect.objectContaining({ attachmentId: invoiceId, name: 'invoice.pdf', contentType: 'application/pdf' }),
    ]);
    const file = await download(`/api/attachments/${invoiceId}`, v.token);
    expect(file.status).toBe(200);
    expect(file.headers.get('content-disposition')).toMatch(/^attachment/);

    // The history carries both.
    await waitFor('both files in the history', async () => {
      const history = await api.get(`/api/sessions/${sessionId}/messages`, alice.token);
      const rows = history.body['messages'] as { messageId: string; attachments?: { attachmentId: string }[] }[];
      const ids = rows.flatMap((row) => (row.attachments ?? []).map((a) => a.attachmentId));
      return ids.includes(pictureId) && ids.includes(invoiceId);
    });
    const visitorHistory = await api.get(`/api/sessions/${sessionId}/messages`, v.token);
    expect(JSON.stringify(visitorHistory.body)).toContain(invoiceId);

    // Outsiders: another visitor, an agent who never held the session.
    const other = await visitor();
    const bob = await agentLogin('bob');
    expect((await download(expected.url, other.token)).status).toBe(404);
    expect((await download(expected.url, bob.token)).status).toBe(404);
    expect((await fetch(`${base}${expected.url}`)).status).toBe(404);
    // The admin of the company reads it.
    expect((await download(expected.url, (await agentLogin('admin')).token)).status).toBe(200);

    // Another visitor cannot send the file as its own.
    const stolen = await other.client.request({
      type: 'message.send',
      text: 'look',
      clientMsgId: 'x-1',
      attachments: [pictureId],
    });
    expect(stolen).toEqual(expect.objectContaining({ type: 'error', code: 'attachment_not_found' }));
    // Neither text nor files.
    const empty = await v.client.request({ type: 'message.send', text: ' ', clientMsgId: 'e-1' });
    expect(empty).toEqual(expect.objectContaining({ type: 'error', code: 'bad_request' }));
    expect(String(empty['message'])).toContain('text');
    // The same message again names the same message (the files are already this session's).
    const again = await v.client.request({
      type: 'message.send',
      text: '',
      clientMsgId: 'pic-1',
      attachments: [pictureId],
    });
    expect(again).toEqual(expect.objectContaining({ type: 'ack', messageId: sent['messageId'] }));
  });
});
