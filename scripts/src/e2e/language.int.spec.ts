// The company's language over real sockets, in embedded mode: a zh-CN company's bot speaks
// Chinese and an en company's English, whatever the visitor writes; the admin changes it with
// `PUT /api/admin/settings`. The web visitor's "not understood" answer does not list the
// suggestions its widget shows as buttons.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { loadConfig, silentLogger } from '@cschat/infra';
import { Client, http, type Frame } from '../../../test-support/clients';
import { createApp, type App } from '../app';

const PLATFORM_TOKEN = 'platform-secret-for-tests';
const SUGGESTED = ['怎么退货？', 'How do I cancel my order?'];

describe("the bot's own texts in the company's language (embedded mode)", () => {
  let dataDir: string;
  let app: App;
  let ws: string;
  let api: ReturnType<typeof http>;
  const clients: Client[] = [];

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'cschat-language-'));
    app = createApp(loadConfig({ DATA_DIR: dataDir, PORT: '0', PLATFORM_ADMIN_TOKEN: PLATFORM_TOKEN }), silentLogger());
    await app.start();
    ws = `ws://127.0.0.1:${app.frontDoor!.port}`;
    api = http(`http://127.0.0.1:${app.frontDoor!.port}`);
  }, 60_000);

  afterAll(async () => {
    for (const client of clients) client.close();
    await app.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** A new company with suggested questions; its admin's token. */
  const company = async (companyId: string): Promise<string> => {
    const created = await api.post(
      '/api/companies',
      { companyId, name: companyId, timeZone: 'UTC', adminUsername: 'boss', adminPassword: 'boss-password' },
      PLATFORM_TOKEN,
    );
    expect(created.status).toBe(201);
    const login = await api.post('/api/agents/login', { companyId, username: 'boss', password: 'boss-password' });
    const token = String(login.body['token']);
    expect((await api.put('/api/admin/suggested-questions', { questions: SUGGESTED }, token)).status).toBe(200);
    const group = await api.post('/api/admin/groups', { name: 'Support' }, token);
    expect(group.status).toBe(201);
    const settings = { defaultGroupId: String(group.body['id']) };
    expect((await api.put('/api/admin/settings', settings, token)).status).toBe(200);
    return token;
  };

  /** The bot's reply to `text` from a new web visitor of `companyId`. */
  const botReply = async (companyId: string, text: string): Promise<Frame> => {
    const login = await api.post('/api/visitors/login', { companyId });
    expect(login.status).toBe(200);
    const client = await Client.open(`${ws}/ws/visitor?token=${String(login.body['token'])}`);
    clients.push(client);
    await client.request({ type: 'message.send', text, clientMsgId: 'c1' });
    return client.next(
      (f) => f.type === 'message' && (f['from'] as { role: string }).role === 'bot',
      `the bot's reply to ${text}`,
    );
  };

  it('speaks zh-CN in a new company, en once its admin says so, and zh-CN again', async () => {
    const admin = await company('wenzhou');
    expect((await api.get('/api/admin/settings', admin)).body).toMatchObject({ language: 'zh-CN' });

    const zh = await botReply('wenzhou', 'qwzx plorb');
    expect(zh['text']).toBe('抱歉，我没有理解您的问题。您可以试试下面的问题。');
    // The widget shows the suggestions as buttons: the text does not list them again.
    expect(zh['suggestions']).toEqual(expect.arrayContaining(SUGGESTED));
    for (const question of SUGGESTED) expect(zh['text']).not.toContain(question);
    expect((await botReply('wenzhou', '转人工'))['text']).toBe('好的，正在为您转接人工客服，请稍候。');

    const changed = await api.put('/api/admin/settings', { language: 'en' }, admin);
    expect(changed).toMatchObject({ status: 200, body: { language: 'en' } });
    expect((await api.get('/api/admin/settings', admin)).body).toMatchObject({ language: 'en' });
    // Chinese from the visitor changes nothing: the company's language is the bot's.
    expect((await botReply('wenzhou', '完全听不懂的话 qwzx'))['text']).toBe(
      "Sorry, I didn't understand that. You could try one of the suggestions below.",
    );
    expect((await botReply('wenzhou', 'talk to a human'))['text']).toBe(
      'Sure, connecting you to a human agent. One moment please.',
    );

    expect((await api.put('/api/admin/settings', { language: 'zh-CN' }, admin)).status).toBe(200);
    expect((await botReply('wenzhou', 'qwzx plorb'))['text']).toMatch(/^抱歉/);
  }, 60_000);

  it('keeps each company in its own language', async () => {
    const [zhAdmin, enAdmin] = [await company('hangzhou'), await company('boston')];
    expect((await api.put('/api/admin/settings', { language: 'en' }, enAdmin)).status).toBe(200);
    expect((await api.get('/api/admin/settings', zhAdmin)).body).toMatchObject({ language: 'zh-CN' });
    expect((await botReply('boston', 'qwzx plorb'))['text']).toMatch(/^Sorry, I didn't understand/);
    expect((await botReply('hangzhou', 'qwzx plorb'))['text']).toMatch(/^抱歉，我没有理解/);
  }, 60_000);

  it('refuses a language it does not speak, naming the field', async () => {
    const admin = await company('lyon');
    const refused = await api.put('/api/admin/settings', { language: 'fr' }, admin);
    expect(refused.status).toBe(400);
    expect(JSON.stringify(refused.body)).toContain('language');
    expect((await api.get('/api/admin/settings', admin)).body).toMatchObject({ language: 'zh-CN' });
  });
});
