// A visitor's erasure end to end (issue 22's "done when"), through the real embedded app: a marker
// planted in a visitor's name, email, attributes, page, messages, a file's name and bytes and its
// satisfaction comment appears, after DELETE /api/admin/visitors/:id, in no API answer, no read
// model row, no audit output, no rebuild, and nowhere in the database as plaintext (the event
// store's own tables included: there it lives only as ciphertext under the visitor's erased key).
// The last two need the event store's encryption of personal fields (crypto-shredding).
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import { loadConfig, silentLogger } from '@cschat/infra';
import { PROJECTIONS } from '@cschat/projections';
import { Client, http, type Frame } from '../../../test-support/clients';
import { dumpSchemas } from '../../../test-support/dump';
import { waitFor } from '../../../test-support/wait';
import { createApp, type App } from '../app';
import { runAudit } from '../audit/run';
import { runRebuild } from '../rebuild/cli';

const MARK = 'ZZMARKER7731';

/** A stream that keeps what is written to it. */
const collector = (): Writable & { text: () => string } => {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return Object.assign(stream, { text: () => chunks.join('') });
};

/** Every file under a folder, its name and bytes as text. */
const filesUnder = (folder: string): string[] => {
  let out: string[] = [];
  for (const name of readdirSync(folder)) {
    const full = path.join(folder, name);
    if (statSync(full).isDirectory()) out = out.concat(filesUnder(full));
    else out.push(`${full} ${readFileSync(full).toString('latin1')}`);
  }
  return out;
};

describe('a visitor erased end to end (embedded mode)', () => {
  jest.setTimeout(180_000);
  let dataDir: string;
  let app: App;
  let base: string;
  let ws: string;
  let api: ReturnType<typeof http>;
  const clients: Client[] = [];

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'cschat-erasure-'));
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
  const erase = (visitorId: string, token: string) =>
    fetch(`${base}/api/admin/visitors/${encodeURIComponent(visitorId)}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${token}` },
    });
  /** Every user schema of the embedded database, as text. */
  const database = async (): Promise<string> => {
    const db = app.storage.readModels;
    const { rows } = await db.raw<{ rows: { name: string }[] }>(
      `select nspname as name from pg_namespace
       where nspname not in ('pg_catalog', 'information_schema', 'pg_toast') and nspname not like 'pg_temp%'
         and nspname not like 'pg_toast_temp%'`,
    );
    return dumpSchemas(
      db,
      rows.map((r) => r.name),
    );
  };
  const readModelRows = () => dumpSchemas(app.storage.readModels, [app.storage.readModelSchema]);
  const auditOutput = async (): Promise<string> => {
    const out = collector();
    await runAudit(
      app.storage.eventStore,
      { kind: 'history', scope: { kind: 'company', companyId: 'demo' }, window: {}, format: 'text' },
      out,
    );
    const jsonl = collector();
    await runAudit(
      app.storage.eventStore,
      { kind: 'history', scope: { kind: 'company', companyId: 'demo' }, window: {}, format: 'jsonl' },
      jsonl,
    );
    return out.text() + jsonl.text();
  };

  it('leaves the marker in no answer, row, audit, rebuild or stored plaintext', async () => {
    const alice = await agentLogin('alice');
    const admin = await agentLogin('admin');
    const console = await Client.open(`${ws}/ws/agent?token=${alice.token}`);
    clients.push(console);
    expect((await console.request({ type: 'agent.status', status: 'idle' })).type).toBe('ack');

    // The visitor tells about itself.
    const login = await api.post('/api/visitors/login', {
      companyId: 'demo',
      name: `Li ${MARK}`,
      email: `${MARK.toLowerCase()}@example.com`,
      phone: '+86 138 0000 7731',
      attributes: { order: `A-${MARK}` },
      pageUrl: `https://shop.example/${MARK}`,
    });
    expect(login.status).toBe(200);
    const visitorToken = String(login.body['token']);
    const visitorId = String(login.body['visitorId']);
    const visitor = await Client.open(`${ws}/ws/visitor?token=${visitorToken}`);
    clients.push(visitor);

    // A question to the bot, then a human.
    const first = await visitor.request({ type: 'message.send', text: `where is order ${MARK}?`, clientMsgId: 'q-1' });
    expect(first.type).toBe('ack');
    const human = await visitor.request({ type: 'human.request' });
    expect(human).toEqual(expect.objectContaining({ type: 'ack', state: 'assigned' }));
    const sessionId = String(human['sessionId']);

    // A file whose name and bytes hold the marker.
    const bytes = Buffer.from(`%PDF-1.4\n${MARK} passport scan\ntrailer << >>\n%%EOF\n`, 'latin1');
    const uploaded = await fetch(`${base}/api/uploads`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${visitorToken}`,
        'content-type': 'application/pdf',
        'x-file-name': encodeURIComponent(`passport ${MARK}.pdf`),
      },
      body: bytes,
    });
    expect(uploaded.status).toBe(201);
    const attachmentId = String(((await uploaded.json()) as Record<string, unknown>)['attachmentId']);
    const sent = await visitor.request({
      type: 'message.send',
      text: `my passport, ${MARK}`,
      clientMsgId: 'f-1',
      attachments: [attachmentId],
    });
    expect(sent.type).toBe('ack');
    await console.next((f: Frame) => f.type === 'message' && f['messageId'] === sent['messageId'], 'the file');
    const answer = await console.request({
      type: 'message.send',
      sessionId,
      text: `Thank you Li ${MARK}, it is on its way`,
      clientMsgId: 'a-1',
    });
    expect(answer.type).toBe('ack');
    expect((await console.request({ type: 'session.end', sessionId })).type).toBe('ack');
    await visitor.next((f) => f.type === 'csat.request', 'csat.request');
    expect((await visitor.request({ type: 'csat.submit', sessionId, rating: 4, comment: `kind, ${MARK}` })).type).toBe(
      'ack',
    );

    // Everything is in the read models before the erasure.
    await waitFor('the session ended with its rating in the history', async () => {
      const rows = await readModelRows();
      return rows.includes(`kind, ${MARK}`) && rows.includes('"state":"ended"') ? true : undefined;
    });
    const summaryBefore = await api.get('/api/admin/reports/summary?days=1', admin.token);
    expect(summaryBefore.status).toBe(200);

    // Only an admin erases; another company's admin finds no such visitor.
    expect((await erase(visitorId, alice.token)).status).toBe(403);
    expect((await erase(visitorId, admin.token)).status).toBe(204);
    expect((await erase(visitorId, admin.token)).status).toBe(204);
    expect((await erase('no-such-visitor', admin.token)).status).toBe(404);
    // Nobody continues the erased visitor: its resume token was forgotten with it.
    const resumed = await api.post('/api/visitors/login', {
      companyId: 'demo',
      visitorId,
      resumeToken: String(login.body['resumeToken']),
    });
    expect(resumed.status).toBe(401);

    // No API answer.
    const answers = [
      await api.get(`/api/visitors/${encodeURIComponent(visitorId)}`, admin.token),
      await api.get(`/api/sessions?visitorId=${encodeURIComponent(visitorId)}`, admin.token),
      await api.get('/api/sessions', admin.token),
      await api.get(`/api/sessions/${sessionId}/messages`, admin.token),
      await api.get(`/api/sessions/${sessionId}/messages`, alice.token),
      await api.get(`/api/search/messages?q=${MARK}`, admin.token),
      await api.get(`/api/search/messages?q=passport`, admin.token),
      await api.get('/api/admin/reports/summary?days=1', admin.token),
      await api.get('/api/admin/reports/unanswered?days=1&limit=200', admin.token),
      await api.get('/api/admin/live', admin.token),
    ];
    for (const response of answers) expect(response.status).toBe(200);
    const text = JSON.stringify(answers.map((a) => a.body));
    expect(text).not.toContain(MARK);
    expect(text).not.toContain(MARK.toLowerCase());
    expect(text).toContain('[erased]');
    // The file is gone, for everyone.
    for (const token of [admin.token, alice.token, visitorToken])
      expect((await fetch(`${base}/api/attachments/${attachmentId}?token=${encodeURIComponent(token)}`)).status).toBe(
        404,
      );
    // The reports keep their numbers.
    expect(JSON.stringify(answers[7]!.body)).toBe(JSON.stringify(summaryBefore.body));

    // No read-model row, no file on disk, no audit line (the erasure's own audit holds counts only).
    expect(await readModelRows()).not.toContain(MARK);
    expect(filesUnder(path.join(dataDir, 'attachments')).join('\n')).not.toContain(MARK);
    const audit = await auditOutput();
    expect(audit).toContain(sessionId);
    expect(audit).not.toContain(MARK);
    const configAudit = await app.config.auditTrail('demo', { limit: 5 });
    expect(configAudit.filter((e) => e.entity === 'visitor' && e.entityId === visitorId)).toHaveLength(2);
    expect(JSON.stringify(configAudit)).not.toContain(MARK);

    // No rebuild: the events read [erased] now.
    const out = collector();
    await runRebuild(
      app.storage,
      { projections: PROJECTIONS, dryRun: false, batchSize: 1000 },
      { stdout: out, stderr: out },
    );
    const rebuilt = await readModelRows();
    expect(rebuilt).toContain(sessionId);
    expect(rebuilt).not.toContain(MARK);
    const profile = await api.get(`/api/visitors/${encodeURIComponent(visitorId)}`, admin.token);
    expect(profile.status).toBe(200);
    expect(JSON.stringify(profile.body)).not.toContain(MARK);

    // Nowhere in the database as plaintext: the events hold it only as ciphertext, its key erased.
    expect(await database()).not.toContain(MARK);
  });
});
