// Backup and restore end to end on PostgreSQL (the operations guide's promise): a running
// deployment with chat activity (visitors, messages, an assignment, a note, a file, a rating,
// configuration and webhook changes, a visitor erased) is backed up by `npm run backup` while it
// runs; a second visitor is erased after the backup and only the erasure list remembers it; the
// backup goes into an EMPTY scratch database with `npm run restore`; then every read model table
// is compared row by row with the original, and every table of the backup too, both erased
// visitors' markers are nowhere in the restored database, and a deployment on it serves the history
// and the file over HTTP. The CLIs run as processes, as an operator runs them.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import knexFactory, { type Knex } from 'knex';
import { loadConfig, silentLogger } from '@cschat/infra';
import { Client, http } from '../../test-support/clients';
import { dumpSchemas } from '../../test-support/dump';
import { describeWithServer } from '../../test-support/servers';
import { waitFor } from '../../test-support/wait';
import { createApp, type App } from './app';
import { compareReadModels } from './e2e/fault-checks';
import { DEFAULT_READ_MODEL_SCHEMA } from '@cschat/projections';
import { MANIFEST_FILE, readManifest } from './ops/backup-set';

const ROOT = path.resolve(__dirname, '../..');
const SECRET = 'a-test-secret-that-is-long-enough-for-hs256';
/** Planted in the visitor erased before the backup, and in the one erased after it. */
const BEFORE = 'ZZBACKUPBEFORE4411';
const AFTER = 'ZZBACKUPAFTER5522';

interface Ran {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** `npm run <backup|restore> -- args` as a process on a database (no Kafka, no Redis: the app's own). */
const cli = (name: 'backup' | 'restore', args: readonly string[], databaseUrl: string) =>
  new Promise<Ran>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, `scripts/src/${name}.ts`), ...args], {
      cwd: ROOT,
      env: {
        ...process.env,
        DATABASE_URL: databaseUrl,
        EVENTSTORE_URL: '',
        KAFKA_BROKERS: '',
        REDIS_URL: '',
        LOG_LEVEL: 'silent',
      },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });

/** Rows of a table as a sorted list of JSON texts (a multiset compared as a whole). */
const rowsOf = async (db: Knex, table: string): Promise<string[]> => {
  const [schema, name] = table.split('.') as [string, string];
  const { rows } = await db.raw<{ rows: { row: string }[] }>(
    `select row_to_json(t)::text as row from "${schema}"."${name}" t`,
  );
  return rows.map((r) => r.row).sort();
};

describeWithServer('postgres', 'backup and restore of a deployment (npm run backup, npm run restore)', (serverUrl) => {
  jest.setTimeout(300_000);
  const id = randomBytes(4).toString('hex');
  const databases = { original: `cschat_backup_${id}`, restored: `cschat_restore_${id}` };
  const urlOf = (database: string) => {
    const url = new URL(serverUrl);
    url.pathname = `/${database}`;
    return url.toString();
  };
  const admin = knexFactory({ client: 'pg', connection: serverUrl, pool: { min: 0, max: 1 } });
  const original = knexFactory({ client: 'pg', connection: urlOf(databases.original), pool: { min: 0, max: 2 } });
  const restored = knexFactory({ client: 'pg', connection: urlOf(databases.restored), pool: { min: 0, max: 2 } });
  let folder: string;
  let receiver: Server;
  const received: string[] = [];
  const apps: App[] = [];
  const clients: Client[] = [];

  const start = async (database: string): Promise<{ app: App; base: string; api: ReturnType<typeof http> }> => {
    const app = createApp(
      loadConfig({
        DATABASE_URL: urlOf(database),
        DATA_DIR: path.join(folder, `data-${database}`),
        PORT: '0',
        TOKEN_SECRET: SECRET,
        WEBHOOKS_ALLOW_PRIVATE: '1',
      }),
      silentLogger(),
    );
    await app.start();
    apps.push(app);
    const base = `http://127.0.0.1:${app.frontDoor!.port}`;
    return { app, base, api: http(base) };
  };

  beforeAll(async () => {
    await admin.raw(`create database "${databases.original}"`);
    await admin.raw(`create database "${databases.restored}"`);
    folder = mkdtempSync(path.join(tmpdir(), 'cschat-backup-'));
    receiver = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        received.push(body);
        response.end('ok');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  });

  afterAll(async () => {
    for (const client of clients) client.close();
    for (const app of apps.reverse()) await app.stop();
    await new Promise((resolve) => receiver?.close(resolve));
    await original.destroy();
    await restored.destroy();
    for (const database of Object.values(databases)) {
      await admin.raw(`drop database if exists "${database}" with (force)`);
    }
    await admin.destroy();
    rmSync(folder, { recursive: true, force: true });
  });

  it('says how, and refuses wrong arguments with 2', async () => {
    const help = await cli('backup', ['--help'], urlOf(databases.original));
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: npm run backup');
    const restoreHelp = await cli('restore', ['--help'], urlOf(databases.restored));
    expect(restoreHelp.code).toBe(0);
    expect(restoreHelp.stdout).toContain('--erasures <file>');
    const noOut = await cli('backup', [], urlOf(databases.original));
    expect(noOut.code).toBe(2);
    expect(noOut.stderr).toContain('--out is required');
    const unknown = await cli('restore', ['--from', folder, '--frobnicate'], urlOf(databases.restored));
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('frobnicate');
  });

  it('restores a backup into an empty database: the same read models, the erased stay erased, the history served', async () => {
    // ---- a deployment with activity ----
    const { base, api } = await start(databases.original);
    const ws = base.replace('http', 'ws');
    const login = async (username: string) =>
      String((await api.post('/api/agents/login', { companyId: 'demo', username, password: 'demo' })).body['token']);
    const adminToken = await login('admin');
    const alice = await Client.open(`${ws}/ws/agent?token=${await login('alice')}`);
    clients.push(alice);
    expect(await alice.request({ type: 'agent.status', status: 'idle' })).toMatchObject({ type: 'ack' });

    // Configuration: settings, suggested questions, a webhook endpoint (to a local receiver).
    expect((await api.put('/api/admin/settings', { inactivityTimeoutSeconds: 1800 }, adminToken)).status).toBe(200);
    expect(
      (await api.put('/api/admin/suggested-questions', { questions: ['Where is my order?'] }, adminToken)).status,
    ).toBeLessThan(300);
    const { port } = receiver.address() as AddressInfo;
    const hook = await api.post(
      '/api/admin/webhooks',
      {
        url: `http://127.0.0.1:${port}/hooks`,
        events: ['message.created', 'session.ended', 'csat.submitted'],
      },
      adminToken,
    );
    expect(hook.status).toBe(201);

    /** A visitor's conversation with alice: bot question, human, messages both ways, a note, the end. */
    const converse = async (name: string, text: string, withFile: boolean) => {
      const visitorLogin = await api.post('/api/visitors/login', { companyId: 'demo', name, email: 'ann@example.com' });
      expect(visitorLogin.status).toBe(200);
      const token = String(visitorLogin.body['token']);
      const visitorId = String(visitorLogin.body['visitorId']);
      const visitor = await Client.open(`${ws}/ws/visitor?token=${token}`);
      clients.push(visitor);
      expect(
        await visitor.request({ type: 'message.send', text: `${text}: where is it?`, clientMsgId: 'q1' }),
      ).toMatchObject({ type: 'ack' });
      const human = await visitor.request({ type: 'human.request' });
      expect(human).toMatchObject({ type: 'ack', state: 'assigned' });
      const sessionId = String(human['sessionId']);
      let attachmentId: string | undefined;
      if (withFile) {
        const uploaded = await fetch(`${base}/api/uploads`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${token}`,
            'content-type': 'application/pdf',
            'x-file-name': 'invoice.pdf',
          },
          body: Buffer.from('%PDF-1.4\ninvoice 42\ntrailer << >>\n%%EOF\n', 'latin1'),
        });
        expect(uploaded.status).toBe(201);
        attachmentId = String(((await uploaded.json()) as Record<string, unknown>)['attachmentId']);
      }
      const sent = await visitor.request({
        type: 'message.send',
        text: `${text}, order 42`,
        clientMsgId: 'm1',
        ...(attachmentId === undefined ? {} : { attachments: [attachmentId] }),
      });
      expect(sent).toMatchObject({ type: 'ack' });
      await alice.next(
        (f) => f.type === 'message' && f['messageId'] === sent['messageId'],
        'the message at alice',
        30_000,
      );
      expect(
        await alice.request({ type: 'message.send', sessionId, text: 'On its way', clientMsgId: `a-${sessionId}` }),
      ).toMatchObject({
        type: 'ack',
      });
      expect(
        await alice.request({ type: 'note.send', sessionId, text: `checked ${text}`, clientMsgId: `n-${sessionId}` }),
      ).toMatchObject({ type: 'ack' });
      expect(await alice.request({ type: 'session.end', sessionId })).toMatchObject({ type: 'ack' });
      await visitor.next((f) => f.type === 'csat.request', 'csat.request', 30_000);
      expect(
        await visitor.request({ type: 'csat.submit', sessionId, rating: 5, comment: `${text} thanks` }),
      ).toMatchObject({
        type: 'ack',
      });
      return { visitorId, sessionId, attachmentId };
    };
    const kept = await converse('Ann', 'parcel', true);
    const erasedBefore = await converse(`Bo ${BEFORE}`, `secret ${BEFORE}`, false);
    const erasedAfter = await converse(`Cy ${AFTER}`, `secret ${AFTER}`, false);
    const erase = (visitorId: string) =>
      fetch(`${base}/api/admin/visitors/${encodeURIComponent(visitorId)}`, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${adminToken}` },
      });
    expect((await erase(erasedBefore.visitorId)).status).toBe(204);

    // Quiet: every rating in the read models, every webhook delivered, the erasure's redo done.
    await waitFor(
      'the ratings in the read models, the webhooks delivered, the erasure redone',
      async () => {
        const { rows: rated } = await original.raw<{ rows: { n: string }[] }>(
          `select count(*)::text as n from read_models.session_facts where csat_rating is not null`,
        );
        const { rows: pending } = await original.raw<{ rows: { n: string }[] }>(
          `select count(*)::text as n from webhooks.deliveries where status <> 'delivered'`,
        );
        const { rows: redo } = await original.raw<{ rows: { n: string }[] }>(
          `select count(*)::text as n from read_models.visitor_erasures where redone_at is null`,
        );
        return rated[0]?.n === '3' && pending[0]?.n === '0' && redo[0]?.n === '0' ? true : undefined;
      },
      60_000,
    );

    // ---- the backup, while the deployment runs ----
    const backupStarted = Date.now();
    const backup = await cli('backup', ['--out', path.join(folder, 'backup')], urlOf(databases.original));
    const backupMs = Date.now() - backupStarted;
    expect(backup.stderr).toBe('');
    expect(backup.code).toBe(0);
    const manifest = readManifest(path.join(folder, 'backup'));
    expect(manifest.erasures).toBe(1);
    expect(manifest.counts['event_store.events']).toBeGreaterThan(30);
    expect(manifest.migrations['event_store']).toContain('001_events');
    expect(manifest.tables).toContain('read_models.visitor_erasures');
    expect(manifest.tables.filter((t) => t.startsWith('read_models.'))).toEqual(['read_models.visitor_erasures']);
    expect(readFileSync(path.join(folder, 'backup', 'erasures.jsonl'), 'utf8')).toContain(erasedBefore.visitorId);

    // After the backup: another erasure, which only the erasure list taken later knows.
    expect((await erase(erasedAfter.visitorId)).status).toBe(204);
    await waitFor(
      'the second erasure redone',
      async () => {
        const { rows } = await original.raw<{ rows: { n: string }[] }>(
          `select count(*)::text as n from read_models.visitor_erasures where redone_at is not null`,
        );
        return rows[0]?.n === '2' ? true : undefined;
      },
      60_000,
    );
    const list = path.join(folder, 'erasures-later.jsonl');
    const exported = await cli('backup', ['--erasures-only', '--out', list], urlOf(databases.original));
    expect(exported.code).toBe(0);
    expect(readFileSync(list, 'utf8').trim().split('\n')).toHaveLength(2);

    // What the original serves, then the original's processes go (the database stays, to compare).
    const historyBefore = await api.get(`/api/sessions/${kept.sessionId}/messages`, adminToken);
    expect(historyBefore.status).toBe(200);
    const fileBefore = Buffer.from(
      await (await fetch(`${base}/api/attachments/${kept.attachmentId}?token=${adminToken}`)).arrayBuffer(),
    );
    expect(fileBefore.toString('latin1')).toContain('invoice 42');
    for (const client of clients.splice(0)) client.close();
    await apps.pop()!.stop();

    // ---- the restore into an empty database ----
    const restoreStarted = Date.now();
    const restore = await cli(
      'restore',
      ['--from', path.join(folder, 'backup'), '--erasures', list],
      urlOf(databases.restored),
    );
    const restoreMs = Date.now() - restoreStarted;
    expect(restore.stderr).toBe('');
    expect(restore.code).toBe(0);
    expect(restore.stdout).toContain('1 erased visitor(s) in the backup, 1 more from the erasure lists');
    // A second restore into the now full database is refused, and changes nothing.
    const again = await cli('restore', ['--from', path.join(folder, 'backup')], urlOf(databases.restored));
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('is not empty');
    // --force replaces it: the comparisons below are of this second restore.
    const forced = await cli(
      'restore',
      ['--from', path.join(folder, 'backup'), '--erasures', list, '--force'],
      urlOf(databases.restored),
    );
    expect(forced.stderr).toBe('');
    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain('--force: dropping the schemas');

    // Every read model, row by row.
    const differences = await compareReadModels(original, DEFAULT_READ_MODEL_SCHEMA, restored);
    // One known difference, not the restore's: the erasure's wipe leaves an erased profile's email
    // and phone as "[erased]" and its attribute names (projections/src/erasure.ts), while a rebuild
    // reads the erased events, which leave them out. Only the erased visitors' profiles, and only
    // in those fields, may differ; every other row is equal.
    const erasedIds = [erasedBefore.visitorId, erasedAfter.visitorId];
    const profileOf = (row: string) => {
      const {
        email: _email,
        phone: _phone,
        attributes: _attributes,
        ...rest
      } = JSON.parse(row) as Record<string, unknown>;
      return rest;
    };
    const erasedProfile = (row: string) => {
      const profile = profileOf(row);
      return erasedIds.includes(String(profile['visitor_id'])) && profile['name'] === '[erased]';
    };
    const visitorsTable = differences.find((d) => d.table === 'visitors')!;
    const profiles = (rows: readonly string[]) => rows.map((row) => JSON.stringify(profileOf(row))).sort();
    expect(profiles(visitorsTable.missing)).toEqual(profiles(visitorsTable.extra));
    expect([...visitorsTable.missing, ...visitorsTable.extra].every(erasedProfile)).toBe(true);
    expect(differences.filter((d) => d.table !== 'visitors' && d.missing.length + d.extra.length > 0)).toEqual([]);
    const readModelRows = differences.reduce((sum, d) => sum + d.rows, 0);
    expect(readModelRows).toBeGreaterThan(20);

    // Every table of the backup, row by row; the two that the restore's erasure writes to, apart.
    const apart = ['config.config_audit', 'read_models.visitor_erasures'];
    let sourceRows = 0;
    for (const table of manifest.tables.filter((t) => !apart.includes(t))) {
      const [before, after] = await Promise.all([rowsOf(original, table), rowsOf(restored, table)]);
      expect({ table, rows: after }).toEqual({ table, rows: before });
      sourceRows += after.length;
    }
    const ledger = async (db: Knex) =>
      (
        await db.raw<{ rows: { visitor_id: string; actor: string; erased_at: Date }[] }>(
          `select visitor_id, actor, erased_at from read_models.visitor_erasures order by erased_at`,
        )
      ).rows;
    const [ledgerBefore, ledgerAfter] = await Promise.all([ledger(original), ledger(restored)]);
    expect(ledgerAfter).toEqual([ledgerBefore[0], { ...ledgerBefore[1], actor: 'restore' }]);
    const audit = async (db: Knex) => rowsOf(db, 'config.config_audit');
    const [auditBefore, auditAfter] = await Promise.all([audit(original), audit(restored)]);
    // The original's audit up to the backup, and the restore's line for the erasure after it.
    expect(auditAfter).toHaveLength(auditBefore.length);
    expect(auditAfter.filter((row) => row.includes('"actor_id":"restore"'))).toEqual([
      expect.stringContaining(erasedAfter.visitorId),
    ]);
    sourceRows += auditAfter.length + ledgerAfter.length;

    // The erased visitors' texts are nowhere in the restored database as plaintext.
    const { rows: schemas } = await restored.raw<{ rows: { name: string }[] }>(
      `select nspname as name from pg_namespace where nspname not in ('pg_catalog', 'information_schema')
         and nspname not like 'pg\\_%'`,
    );
    const everything = await dumpSchemas(
      restored,
      schemas.map((s) => s.name),
    );
    expect(everything).toContain('parcel, order 42');
    expect(everything).not.toContain(BEFORE);
    expect(everything).not.toContain(AFTER);

    // ---- a deployment on the restored database serves the history and the file ----
    const second = await start(databases.restored);
    const secondAdmin = String(
      (await second.api.post('/api/agents/login', { companyId: 'demo', username: 'admin', password: 'demo' })).body[
        'token'
      ],
    );
    const historyAfter = await second.api.get(`/api/sessions/${kept.sessionId}/messages`, secondAdmin);
    expect(historyAfter).toEqual(historyBefore);
    const fileAfter = Buffer.from(
      await (await fetch(`${second.base}/api/attachments/${kept.attachmentId}?token=${secondAdmin}`)).arrayBuffer(),
    );
    expect(fileAfter.equals(fileBefore)).toBe(true);
    for (const erased of [erasedBefore, erasedAfter]) {
      const messages = await second.api.get(`/api/sessions/${erased.sessionId}/messages`, secondAdmin);
      expect(messages.status).toBe(200);
      expect(JSON.stringify(messages.body)).not.toMatch(/ZZBACKUP/);
      expect(JSON.stringify(messages.body)).toContain('[erased]');
    }
    expect(existsSync(path.join(folder, 'backup', MANIFEST_FILE))).toBe(true);

    process.stdout.write(
      `backup and restore: ${manifest.counts['event_store.events']} events; backup ${(backupMs / 1000).toFixed(1)} s ` +
        `(${(manifest.dump.bytes / 1024).toFixed(0)} KiB), restore with rebuild ${(restoreMs / 1000).toFixed(1)} s; ` +
        `${readModelRows} read model rows in ${differences.length} tables and ${sourceRows} rows in ` +
        `${manifest.tables.length} backed-up tables compared: equal (the erased profiles' fields aside, see above)\n`,
    );
  });
});
