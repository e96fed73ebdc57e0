// Visitor resume tokens end to end, in embedded mode (PROTOCOL second edition, "Security"): a visitor id alone never
// logs in as an existing visitor; its resumeToken (returned by every login) continues the same conversation.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { loadConfig, silentLogger } from '@cschat/infra';
import { Client, http } from '../../../test-support/clients';
import { createApp, type App } from '../app';

interface VisitorLogin {
  readonly token: string;
  readonly visitorId: string;
  readonly resumeToken: string;
}

describe('visitor resume tokens end to end (embedded mode)', () => {
  let dataDir: string;
  let app: App;
  let ws: string;
  let api: ReturnType<typeof http>;
  const clients: Client[] = [];

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'cschat-resume-'));
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

  const login = async (body: Record<string, string>): Promise<VisitorLogin> => {
    const answer = await api.post('/api/visitors/login', { companyId: 'demo', ...body });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      token: expect.any(String) as unknown,
      visitorId: expect.any(String) as unknown,
      resumeToken: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) as unknown,
    });
    return answer.body as unknown as VisitorLogin;
  };
  const socket = async (token: string): Promise<Client> => {
    const client = await Client.open(`${ws}/ws/visitor?token=${token}`);
    clients.push(client);
    return client;
  };
  const say = async (client: Client, text: string, clientMsgId: string): Promise<string> => {
    const sent = await client.request({ type: 'message.send', text, clientMsgId });
    expect(sent).toMatchObject({ type: 'ack' });
    return String(sent['sessionId']);
  };

  it('an id without its resumeToken gets 401 and nothing of the visitor; with it, the same conversation goes on', async () => {
    const first = await login({});
    const sessionId = await say(await socket(first.token), 'Where is my parcel 7Q4?', 'c-1');
    const other = await login({});

    // The id alone, a wrong token, and another visitor's valid token: the same refusal, no token in it.
    for (const attempt of [
      { visitorId: first.visitorId },
      { visitorId: first.visitorId, resumeToken: 'not-the-token' },
      { visitorId: first.visitorId, resumeToken: other.resumeToken },
      { visitorId: first.visitorId, resumeToken: '' },
    ]) {
      const refused = await api.post('/api/visitors/login', { companyId: 'demo', ...attempt });
      expect([JSON.stringify(attempt), refused.status]).toEqual([JSON.stringify(attempt), 401]);
      expect(refused.body).toEqual({
        error: {
          code: 'unauthorized',
          message: expect.stringMatching(/^resumeToken: /) as unknown,
          field: 'resumeToken',
        },
      });
      expect(JSON.stringify(refused.body)).not.toContain(sessionId);
    }
    // What the id could otherwise reach needs the visitor's own token anyway.
    const history = `/api/sessions/${sessionId}/messages`;
    expect((await api.get(history)).status).toBe(401);
    expect((await api.get(history, other.token)).status).toBe(404);
    // The refused logins recorded nothing: the visitor's stream has only its first login and its session.
    const stream = await app.storage.eventStore.readStream(`visitor-demo-${first.visitorId}`);
    expect(stream.map((e) => e.type)).toEqual(['VisitorSeen', 'VisitorSessionOpened']);

    // With its resumeToken: the same visitor, its history, its open session; a new token each login.
    const again = await login({ visitorId: first.visitorId, resumeToken: first.resumeToken });
    expect(again.visitorId).toBe(first.visitorId);
    expect(again.resumeToken).not.toBe(first.resumeToken);
    const read = await api.get(history, again.token);
    expect(read.status).toBe(200);
    expect(JSON.stringify(read.body)).toContain('Where is my parcel 7Q4?');
    expect(await say(await socket(again.token), 'Any news?', 'c-2')).toBe(sessionId);

    // The previous token stays valid (a second tab may still hold it), and so does the newest.
    const fromOtherTab = await login({ visitorId: first.visitorId, resumeToken: first.resumeToken });
    const fromThisTab = await login({ visitorId: first.visitorId, resumeToken: again.resumeToken });
    expect([fromOtherTab.visitorId, fromThisTab.visitorId]).toEqual([first.visitorId, first.visitorId]);
  });

  it('an id nobody used yet becomes a new visitor (first-edition clients choose ids), then needs its token', async () => {
    const chosen = `v-chosen-${Date.now()}`;
    const first = await login({ visitorId: chosen });
    expect(first.visitorId).toBe(chosen);
    expect((await api.post('/api/visitors/login', { companyId: 'demo', visitorId: chosen })).status).toBe(401);
    expect((await login({ visitorId: chosen, resumeToken: first.resumeToken })).visitorId).toBe(chosen);
    // The same id in another company would be another visitor; an unknown company still says so first.
    expect((await api.post('/api/visitors/login', { companyId: 'nope', visitorId: chosen })).status).toBe(404);
  });
});
