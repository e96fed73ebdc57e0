// One user of the embedded data folder at a time: `npm start` holds DATA_DIR/pglite.lock, and the
// CLIs (rebuild, audit, seed, timeouts) and a second service refuse the folder with its pid,
// before PGlite opens a file (they failed with a WebAssembly stack trace, and could damage it).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { loadConfig, silentLogger } from '@cschat/infra';
import { Client, http } from '../../test-support/clients';
import { freePort, runScript, Service } from '../../test-support/processes';
import { DataFolderInUseError, LOCK_FILE, lockDataFolder } from './data-lock';
import { openStorage } from './storage';

/** A CLI or a service as a user runs it, quiet but for warnings. */
const run = (script: string, args: readonly string[], env: Record<string, string>) =>
  runScript(script, args, { LOG_LEVEL: 'warn', ...env });

const lockOf = (dataDir: string): { pid: number; holder: string } =>
  JSON.parse(readFileSync(path.join(dataDir, LOCK_FILE), 'utf8')) as { pid: number; holder: string };

/** A pid that ran and ended: a process that exited holds nothing. */
const deadPid = (): number => spawnSync(process.execPath, ['-e', '0']).pid;

describe('the embedded data folder while the service runs on it', () => {
  jest.setTimeout(240_000);
  const dataDir = mkdtempSync(path.join(tmpdir(), 'cschat-lock-'));
  let service: Service;
  let base: string;
  let visitor: Client | undefined;

  beforeAll(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    service = new Service(
      'service',
      {
        PATH: process.env['PATH'],
        HOME: process.env['HOME'],
        DATA_DIR: dataDir,
        PORT: String(port),
        LOG_LEVEL: 'warn',
      },
      [],
    );
    await service.ready(base, 120_000);
  }, 150_000);

  afterAll(async () => {
    visitor?.close();
    await service.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const say = async (text: string, clientMsgId: string): Promise<void> => {
    const answer = await visitor!.request({ type: 'message.send', text, clientMsgId });
    expect(answer.type).toBe('ack');
  };

  it('refuses every CLI and a second service with the pid, and the data stays whole', async () => {
    const login = await http(base).post('/api/visitors/login', { companyId: 'demo' });
    visitor = await Client.open(`${base.replace('http', 'ws')}/ws/visitor?token=${String(login.body['token'])}`);
    await say('written before the CLIs', 'lock-1');

    const lock = lockOf(dataDir);
    expect(lock.holder).toBe('the service');
    const refusal = `the service is running on this data folder (pid ${lock.pid}); stop it first`;
    const env = { DATA_DIR: dataDir };
    const [rebuild, dryRun, audit, seed, timeouts, second] = await Promise.all([
      run('rebuild.ts', [], env),
      run('rebuild.ts', ['--dry-run'], env),
      run('audit.ts', ['--company', 'demo'], env),
      run('seed.ts', ['--sessions', '1'], env),
      // With REDIS_URL (nothing listens there: the refusal comes first) it opens the embedded read model.
      run('timeouts.ts', ['rebuild'], { ...env, REDIS_URL: `redis://127.0.0.1:${await freePort()}` }),
      run('start.ts', [], { ...env, PORT: String(await freePort()) }),
    ]);
    expect([rebuild.status, rebuild.stderr]).toEqual([1, `rebuild: ${refusal}\n`]);
    expect([dryRun.status, dryRun.stderr]).toEqual([1, `rebuild: ${refusal}\n`]);
    expect([audit.status, audit.stderr]).toEqual([1, `audit: ${refusal}\n`]);
    expect([seed.status, seed.stderr]).toEqual([1, `seed: ${refusal}\n`]);
    expect([timeouts.status, timeouts.stderr]).toEqual([1, `timeouts: ${refusal}\n`]);
    expect([second.status, second.stderr]).toEqual([1, `cschat: ${refusal}\n`]);
    expect(lockOf(dataDir)).toEqual(lock);

    // The service goes on as if nothing happened.
    await say('written after the CLIs', 'lock-2');
    visitor.close();

    // A stop by SIGTERM lets go of the folder; then the CLIs read all of it. The signal goes to
    // the service's node process (the lock's pid): tsx's launcher, signalled on a busy machine,
    // may give up waiting for the child after 60 ms and kill it.
    process.kill(lock.pid, 'SIGTERM');
    expect(await service.exited).toEqual({ code: 0, signal: null });
    expect(existsSync(path.join(dataDir, LOCK_FILE))).toBe(false);
    const after = await run('audit.ts', ['--company', 'demo', '--format', 'jsonl'], env);
    expect([after.status, after.stderr]).toEqual([0, '']);
    expect(after.stdout).toContain('written before the CLIs');
    expect(after.stdout).toContain('written after the CLIs');
    const rebuilt = await run('rebuild.ts', [], env);
    expect([rebuilt.status, rebuilt.stderr]).toEqual([0, '']);
    expect(existsSync(path.join(dataDir, LOCK_FILE))).toBe(false);
  });
});

describe('the data folder lock in one process', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'cschat-lock-'));
  const config = loadConfig({ DATA_DIR: dataDir });
  const lockFile = path.join(dataDir, LOCK_FILE);
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('takes over a lock whose process no longer runs, and lets go when stopped', async () => {
    const pid = deadPid();
    writeFileSync(lockFile, JSON.stringify({ pid, holder: 'the service', token: 'old' }));
    const storage = openStorage(config, silentLogger(), { holder: 'npm run rebuild' });
    expect(lockOf(dataDir)).toEqual(expect.objectContaining({ pid: process.pid, holder: 'npm run rebuild' }));
    // A second opener, here or elsewhere, is told who holds the folder.
    expect(() => openStorage(config, silentLogger())).toThrow(
      new DataFolderInUseError('npm run rebuild', process.pid, lockFile),
    );
    expect(() => openStorage(config, silentLogger())).toThrow(
      `npm run rebuild is using this data folder (pid ${process.pid}); wait for it to end or stop it`,
    );
    await storage.start();
    await storage.stop();
    expect(existsSync(lockFile)).toBe(false);
  });

  it('takes over an empty lock file left long ago (a crash between creating and writing it), not a new one', () => {
    writeFileSync(lockFile, '');
    expect(() => lockDataFolder(dataDir, 'npm run seed')).toThrow('another process is opening this data folder');
    const longAgo = new Date(Date.now() - 60_000);
    utimesSync(lockFile, longAgo, longAgo);
    const lock = lockDataFolder(dataDir, 'npm run seed');
    expect(lockOf(dataDir)).toEqual(expect.objectContaining({ pid: process.pid, holder: 'npm run seed' }));
    lock.release();
    expect(existsSync(lockFile)).toBe(false);
  });

  it('leaves a lock that is no longer its own', () => {
    const lock = lockDataFolder(dataDir, 'npm run seed');
    const other = { pid: process.pid, holder: 'someone else', token: 'theirs' };
    writeFileSync(lockFile, JSON.stringify(other));
    lock.release();
    expect(lockOf(dataDir)).toEqual(other);
    rmSync(lockFile);
  });
});
