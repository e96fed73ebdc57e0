// The bot's training loop end to end (embedded mode): a visitor asks what the bot does not understand; the
// unanswered-questions report shows it with its count; the admin adds it with one call to an FAQ entry (or an
// intent) as another way to ask; the next visitor asking it gets that entry's answer, and the question leaves the
// report. A dismissed question leaves it too, and comes back only when asked again.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { loadConfig, silentLogger } from '@cschat/infra';
import { Client, http, type Frame } from '../../../test-support/clients';
import { waitFor } from '../../../test-support/wait';
import { createApp, type App } from '../app';

interface Unanswered {
  readonly question: string;
  readonly count: number;
  readonly lastAskedAt: string;
}

describe("the bot's training loop (embedded mode)", () => {
  let dataDir: string;
  let app: App;
  let ws: string;
  let api: ReturnType<typeof http>;
  let admin: string;
  const clients: Client[] = [];

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'cschat-bot-training-'));
    app = createApp(loadConfig({ DATA_DIR: dataDir, PORT: '0' }), silentLogger());
    await app.start();
    ws = `ws://127.0.0.1:${app.frontDoor!.port}`;
    api = http(`http://127.0.0.1:${app.frontDoor!.port}`);
    const login = await api.post('/api/agents/login', { companyId: 'demo', username: 'admin', password: 'demo' });
    expect(login.status).toBe(200);
    admin = String(login.body['token']);
  }, 60_000);

  afterAll(async () => {
    for (const client of clients) client.close();
    await app.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  let sent = 0;
  /** A new visitor asks `text`: the bot's reply. */
  const ask = async (text: string): Promise<Frame> => {
    const login = await api.post('/api/visitors/login', { companyId: 'demo' });
    expect(login.status).toBe(200);
    const client = await Client.open(`${ws}/ws/visitor?token=${String(login.body['token'])}`);
    clients.push(client);
    await client.request({ type: 'message.send', text, clientMsgId: `m-${++sent}` });
    const reply = await client.next(
      (f) => f.type === 'message' && (f['from'] as { role: string }).role === 'bot',
      `the bot's reply to ${text}`,
    );
    client.close();
    return reply;
  };
  const notUnderstood = async (text: string): Promise<void> => {
    const reply = await ask(text);
    // The bot's "did not understand" comes with suggested questions to pick from.
    expect(reply['suggestions']).toEqual(expect.arrayContaining([expect.any(String)]));
  };
  const report = async (): Promise<Unanswered[]> => {
    const answer = await api.get('/api/admin/reports/unanswered?days=1&limit=200', admin);
    expect(answer.status).toBe(200);
    return answer.body['questions'] as Unanswered[];
  };
  /** The report's row of `question` once the read model has it with `count`. */
  const reported = (question: string, count: number): Promise<Unanswered> =>
    waitFor(`"${question}" reported ${count} times`, async () =>
      (await report()).find((q) => q.question === question && q.count === count),
    );

  it('adds a not-understood question to an FAQ entry in one call: the next visitor gets its answer, the report drops it', async () => {
    const question = 'zorblax wibble frumious';
    await notUnderstood(question);
    await notUnderstood('  Zorblax   WIBBLE frumious ');
    const row = await reported(question, 2);
    expect(Date.parse(row.lastAskedAt)).toBeGreaterThan(Date.now() - 60_000);

    const faq = (await api.get('/api/admin/faq', admin)).body['faq'] as {
      id: string;
      answer: string;
      alternatives: string[];
    }[];
    const entry = faq[0]!;
    const added = await api.post(`/api/admin/faq/${entry.id}/alternatives`, { text: question }, admin);
    expect(added.status).toBe(200);
    expect(added.body['alternatives']).toEqual([...entry.alternatives, question]);
    // Once only: the same question again (another case) changes nothing.
    const again = await api.post(`/api/admin/faq/${entry.id}/alternatives`, { text: 'ZORBLAX wibble frumious' }, admin);
    expect(again.body['alternatives']).toEqual(added.body['alternatives']);

    expect((await ask(question))['text']).toBe(entry.answer);
    expect((await report()).map((q) => q.question)).not.toContain(question);
  }, 60_000);

  it('adds a not-understood question to an intent in one call: the next visitor gets its answer, the report drops it', async () => {
    const created = await api.post(
      '/api/admin/intents',
      { name: 'loyalty', phrases: ['loyalty points balance'], action: 'answer', answer: 'You have 120 points.' },
      admin,
    );
    expect(created.status).toBe(201);
    const question = 'glimmer snark plover';
    await notUnderstood(question);
    await reported(question, 1);

    const added = await api.post(`/api/admin/intents/${String(created.body['id'])}/phrases`, { text: question }, admin);
    expect(added.status).toBe(200);
    expect(added.body['phrases']).toEqual(['loyalty points balance', question]);

    expect((await ask(question))['text']).toBe('You have 120 points.');
    expect((await report()).map((q) => q.question)).not.toContain(question);
  }, 60_000);

  it('drops a dismissed question until it is asked again', async () => {
    const question = 'qqq vvv xxx';
    await notUnderstood(question);
    await reported(question, 1);
    const dismissed = await api.post('/api/admin/reports/unanswered/dismissals', { question: 'QQQ vvv  xxx' }, admin);
    expect(dismissed.status).toBe(200);
    expect(dismissed.body['question']).toBe(question);
    expect((await report()).map((q) => q.question)).not.toContain(question);
    await notUnderstood(question);
    await reported(question, 1);
  }, 60_000);

  it('refuses a missing or blank text naming the field, and an entry or intent that is not there', async () => {
    const faq = (await api.get('/api/admin/faq', admin)).body['faq'] as { id: string }[];
    for (const body of [{}, { text: '   ' }, { text: 7 }]) {
      const refused = await api.post(`/api/admin/faq/${faq[0]!.id}/alternatives`, body, admin);
      expect(refused.status).toBe(400);
      expect(refused.body['error']).toMatchObject({
        code: 'bad_request',
        message: expect.stringContaining('text') as unknown,
      });
    }
    const blank = await api.post('/api/admin/reports/unanswered/dismissals', { question: '' }, admin);
    expect(blank.body['error']).toMatchObject({
      code: 'bad_request',
      message: expect.stringContaining('question') as unknown,
    });
    expect((await api.post('/api/admin/faq/nope/alternatives', { text: 'x' }, admin)).status).toBe(404);
    expect((await api.post('/api/admin/intents/nope/phrases', { text: 'x' }, admin)).status).toBe(404);
    const agent = await api.post('/api/agents/login', { companyId: 'demo', username: 'alice', password: 'demo' });
    const forbidden = await api.post(
      `/api/admin/faq/${faq[0]!.id}/alternatives`,
      { text: 'x' },
      String(agent.body['token']),
    );
    expect(forbidden.status).toBe(403);
  });
});
