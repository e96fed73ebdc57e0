// The three ways into a visitor's erasure, on the embedded app: the admin route (who may, another
// company's visitor), the retention job with a fixed clock, and `npm run erase` (arguments, exit
// codes, --dry-run, a real run, on a stopped app's DATA_DIR).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { isRight } from 'fp-ts/Either';
import { loadConfig, RETENTION_ACTOR, RetentionJob, silentLogger, type DataSubject } from '@cschat/infra';
import { http } from '../../test-support/clients';
import { decodeOrThrow } from '../../test-support/fixtures';
import { waitFor } from '../../test-support/wait';
import { CompanyId } from '@cschat/domain';
import { createApp, type App } from './app';
import { retentionCandidatesOf } from './visitor-erasure';

const ROOT = path.resolve(__dirname, '../..');

/** Runs `npm run erase -- args` against a DATA_DIR: its exit code and output. */
const eraseCli = (args: readonly string[], dataDir: string) =>
  new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts/src/erase.ts'), ...args], {
      cwd: ROOT,
      env: { ...process.env, DATA_DIR: dataDir, DATABASE_URL: '', EVENTSTORE_URL: '', LOG_LEVEL: 'silent' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });

describe('visitor erasure: the admin route, the retention job and npm run erase (embedded)', () => {
  jest.setTimeout(180_000);
  let dataDir: string;
  let app: App | undefined;
  let api: ReturnType<typeof http>;
  let base: string;

  const start = async () => {
    app = createApp(loadConfig({ DATA_DIR: dataDir, PORT: '0' }), silentLogger());
    await app.start();
    base = `http://127.0.0.1:${app.frontDoor!.port}`;
    api = http(base);
  };
  const agentLogin = async (companyId: string, username: string, password: string) =>
    String((await api.post('/api/agents/login', { companyId, username, password })).body['token']);
  const visitorLogin = async (companyId: string, name: string) => {
    const login = await api.post('/api/visitors/login', { companyId, name });
    expect(login.status).toBe(200);
    return String(login.body['visitorId']);
  };
  const erase = (visitorId: string, token: string) =>
    fetch(`${base}/api/admin/visitors/${encodeURIComponent(visitorId)}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${token}` },
    });
  const profileName = async (visitorId: string, token: string) =>
    (await api.get(`/api/visitors/${encodeURIComponent(visitorId)}`, token)).body['name'];
  const erasureAudit = async (companyId: string) =>
    (await app!.config.auditTrail(decodeOrThrow(CompanyId)(companyId), { limit: 100 })).filter(
      (entry) => entry.entity === 'visitor',
    );

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'cschat-erase-'));
    await start();
    const rival = await app!.config.createCompany({
      companyId: decodeOrThrow(CompanyId)('rival'),
      name: 'Rival',
      timeZone: 'UTC',
      adminUsername: 'boss',
      adminPassword: 'rival-admin-password',
    } as never);
    expect(isRight(rival)).toBe(true);
  }, 180_000);

  afterAll(async () => {
    await app?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('lets an admin erase (204, again 204), refuses agents and supervisors (403), finds no other company’s visitor (404)', async () => {
    const admin = await agentLogin('demo', 'admin', 'demo');
    const agent = await agentLogin('demo', 'alice', 'demo');
    const created = await api.post(
      '/api/admin/agents',
      { username: 'sue', password: 'supervisor-pw-1', role: 'supervisor', groupIds: ['support'], capacity: 1 },
      admin,
    );
    expect(created.status).toBe(201);
    const supervisor = await agentLogin('demo', 'sue', 'supervisor-pw-1');
    const rivalAdmin = await agentLogin('rival', 'boss', 'rival-admin-password');
    const demoVisitor = await visitorLogin('demo', 'Ada Route');
    const rivalVisitor = await visitorLogin('rival', 'Bob Rival');
    await waitFor('both profiles', async () =>
      (await profileName(demoVisitor, admin)) === 'Ada Route' &&
      (await profileName(rivalVisitor, rivalAdmin)) === 'Bob Rival'
        ? true
        : undefined,
    );

    expect((await erase(demoVisitor, agent)).status).toBe(403);
    expect((await erase(demoVisitor, supervisor)).status).toBe(403);
    expect((await fetch(`${base}/api/admin/visitors/${demoVisitor}`, { method: 'DELETE' })).status).toBe(401);
    // Another company's visitor, and one nobody knows: not found, and nothing changed.
    const notFound = await erase(rivalVisitor, admin);
    expect(notFound.status).toBe(404);
    expect(((await notFound.json()) as { error: { code: string } }).error.code).toBe('visitor_not_found');
    expect((await erase('nobody-at-all', admin)).status).toBe(404);
    expect((await erase('not an id!', admin)).status).toBe(404);
    expect(await profileName(rivalVisitor, rivalAdmin)).toBe('Bob Rival');
    expect(await profileName(demoVisitor, admin)).toBe('Ada Route');
    expect(await erasureAudit('demo')).toEqual([]);

    expect((await erase(demoVisitor, admin)).status).toBe(204);
    expect(await profileName(demoVisitor, admin)).toBe('[erased]');
    expect((await erase(demoVisitor, admin)).status).toBe(204);
    const audit = await erasureAudit('demo');
    expect(audit.map((e) => [e.actorId, e.action, e.entityId])).toEqual([
      [expect.any(String), 'delete', demoVisitor],
      [expect.any(String), 'delete', demoVisitor],
    ]);
    expect(audit[0]!.details).toEqual({ alreadyErased: true, rowsErased: 0, filesDeleted: 0 });
    expect(audit[1]!.details).toMatchObject({ alreadyErased: false, filesDeleted: 0 });
    expect(JSON.stringify(audit)).not.toContain('Ada Route');
    expect(await profileName(rivalVisitor, rivalAdmin)).toBe('Bob Rival');
  });

  it('erases, with a fixed clock, the visitors inactive longer than their company keeps them, once with two jobs', async () => {
    const admin = await agentLogin('demo', 'admin', 'demo');
    const rivalAdmin = await agentLogin('rival', 'boss', 'rival-admin-password');
    const old = await visitorLogin('demo', 'Old Visitor');
    const rivalOld = await visitorLogin('rival', 'Kept By Rival');
    await waitFor('the profiles', async () =>
      (await profileName(old, admin)) === 'Old Visitor' && (await profileName(rivalOld, rivalAdmin)) === 'Kept By Rival'
        ? true
        : undefined,
    );
    // Out of bounds: refused, naming the field.
    const refused = await api.put('/api/admin/settings', { retentionDays: 0 }, admin);
    expect(refused.status).toBe(400);
    expect(JSON.stringify(refused.body)).toContain('retentionDays');
    const set = await api.put('/api/admin/settings', { retentionDays: 30 }, admin);
    expect(set.status).toBe(200);
    expect(set.body['retentionDays']).toBe(30);
    expect((await api.get('/api/admin/settings', admin)).body['retentionDays']).toBe(30);

    // Two workers' jobs (as two processes would run them), both 31 days from now: demo keeps visitors 30 days, rival for ever.
    const erasure = app!.erasure;
    const clock = () => new Date(Date.now() + 31 * 86_400_000);
    const erased: DataSubject[] = [];
    const job = () =>
      new RetentionJob({
        erasure,
        candidates: retentionCandidatesOf(app!.storage),
        logger: silentLogger(),
        now: clock,
        batch: 2,
        onErased: (subject) => erased.push(subject),
      });
    const [a, b] = await Promise.all([job().pass(), job().pass()]);
    expect(a.length + b.length).toBe(erased.length);
    const ids = erased.map((s) => s.visitorId);
    expect(ids).toContain(old);
    expect(new Set(ids).size).toBe(ids.length);
    expect(erased.every((s) => s.companyId === 'demo')).toBe(true);
    expect(await profileName(old, admin)).toBe('[erased]');
    expect(await profileName(rivalOld, rivalAdmin)).toBe('Kept By Rival');
    const audit = (await erasureAudit('demo')).filter((e) => e.actorId === RETENTION_ACTOR);
    expect(audit.map((e) => e.entityId).sort()).toEqual([...ids].sort());
    // A second pass finds nobody; a day earlier nobody was due.
    expect(await job().pass()).toEqual([]);
    const early = new RetentionJob({
      erasure,
      candidates: retentionCandidatesOf(app!.storage),
      logger: silentLogger(),
      now: () => new Date(Date.now() + 29 * 86_400_000),
    });
    const fresh = await visitorLogin('demo', 'Fresh Visitor');
    await waitFor('the fresh profile', async () =>
      (await profileName(fresh, admin)) === 'Fresh Visitor' ? true : undefined,
    );
    expect(await early.pass()).toEqual([]);
    expect(
      (await api.put('/api/admin/settings', { retentionDays: null }, admin)).body['retentionDays'],
    ).toBeUndefined();
  });

  it('npm run erase: help, bad arguments (2), unknown visitor (1), --dry-run erases nothing, a real run erases (0)', async () => {
    const admin = await agentLogin('demo', 'admin', 'demo');
    const one = await visitorLogin('demo', 'Cli One');
    await waitFor('the profile', async () => ((await profileName(one, admin)) === 'Cli One' ? true : undefined));
    await app!.stop();
    app = undefined;

    const help = await eraseCli(['--help'], dataDir);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Exit codes: 0 erased');
    for (const bad of [
      [],
      ['--company', 'demo'],
      ['--company', 'demo', '--visitor', one, '--before', '2026-01-01'],
      ['--company', 'demo', '--before', 'yesterday'],
      ['--company', 'demo', '--visitor', one, '--colour'],
    ]) {
      const answer = await eraseCli(bad, dataDir);
      expect([bad, answer.code]).toEqual([bad, 2]);
      expect(answer.stderr).toMatch(/^erase: /);
    }
    const unknown = await eraseCli(['--company', 'demo', '--visitor', 'nobody'], dataDir);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('has no visitor "nobody"');
    expect((await eraseCli(['--company', 'nowhere', '--visitor', one], dataDir)).code).toBe(1);

    const future = new Date(Date.now() + 86_400_000).toISOString();
    const dry = await eraseCli(['--company', 'demo', '--before', future, '--dry-run'], dataDir);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain(one);
    const dryOne = await eraseCli(['--company', 'demo', '--visitor', one, '--dry-run'], dataDir);
    expect(dryOne.code).toBe(0);
    expect(dryOne.stdout).toContain(`would erase visitor ${one}`);

    const real = await eraseCli(['--company', 'demo', '--visitor', one], dataDir);
    expect([real.code, real.stderr]).toEqual([0, '']);
    expect(real.stdout).toContain(`erased ${one}:`);

    await start();
    const token = await agentLogin('demo', 'admin', 'demo');
    expect(await profileName(one, token)).toBe('[erased]');
    const audit = (await erasureAudit('demo')).filter((e) => e.actorId === 'cli');
    expect(audit.map((e) => e.entityId)).toEqual([one]);
  });
});
