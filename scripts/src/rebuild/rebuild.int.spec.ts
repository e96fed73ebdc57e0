import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { spawnSync } from 'node:child_process';
import { loadConfig, silentLogger } from '@cschat/infra';
import { runScenario } from '@cschat/projections';
import { openStorage, type Storage } from '../storage';
import { parseRequest, runRebuild } from './cli';

const output = () => {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return { stream, text: () => text };
};

describe('rebuild command', () => {
  let dataDir: string;
  let storage: Storage;

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'cschat-rebuild-'));
    storage = openStorage(loadConfig({ DATA_DIR: dataDir }), silentLogger());
    await storage.start();
    await runScenario(storage.eventStore, { companyId: 'acme', sessions: 30 });
  });
  afterAll(async () => {
    await storage.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('plans without changing anything with --dry-run', async () => {
    const out = output();
    const request = parseRequest(['--dry-run', '--projection', 'session_list']);
    if (request === 'help') throw new Error('not help');
    expect(await runRebuild(storage, request, { stdout: out.stream, stderr: out.stream })).toEqual([]);
    expect(out.text()).toMatch(/^would rebuild session_list: generation 1 -> 2, log up to position \d+\/\d+\n$/);
  });

  it('rebuilds every read model, printing progress lines when not on a terminal', async () => {
    const out = output();
    let clock = 0;
    const request = parseRequest(['--batch-size', '50']);
    if (request === 'help') throw new Error('not help');
    // A clock that moves 1 s per reading, so that progress lines (every 2 s) appear.
    const results = await runRebuild(storage, request, {
      stdout: out.stream,
      stderr: out.stream,
      now: () => (clock += 1000),
    });
    expect(results.map((r) => [r.projection, r.generation])).toEqual([
      ['session_list', 2],
      ['messages', 2],
      ['queue_view', 2],
      ['agent_board', 2],
      ['session_facts', 2],
      ['bot_answers', 2],
      ['session_history', 2],
      ['visitors', 2],
    ]);
    const logged = (await storage.eventStore.readAll({ maxCount: 100_000 })).length;
    expect(logged).toBeGreaterThan(300);
    expect(results.map((r) => r.events)).toEqual(results.map(() => logged));
    expect(out.text()).toMatch(/8 read models: \d+ events, \d+ events\/s, \d+%, ETA \d+s\n/);
    expect(out.text()).toMatch(/session_facts: \d+ events into generation 2 \(was 1\), 0 parked/);
  });

  it('refuses bad arguments', () => {
    expect(() => parseRequest(['--projection', 'nope'])).toThrow(/unknown read model "nope"/);
    expect(() => parseRequest(['--all', '--projection', 'messages'])).toThrow(/exclude each other/);
    expect(() => parseRequest(['--batch-size', '0'])).toThrow(/--batch-size/);
    expect(() => parseRequest(['--bogus'])).toThrow();
    expect(parseRequest(['--help'])).toBe('help');
  });

  it('exits 2 on bad arguments and 1 on a missing embedded database, from the command line', () => {
    const run = (args: string[], env: Record<string, string> = {}) =>
      spawnSync('npx', ['tsx', 'scripts/src/rebuild.ts', ...args], {
        encoding: 'utf8',
        env: { ...process.env, ...env, NODE_OPTIONS: '' },
      });
    expect(run(['--projection', 'nope']).status).toBe(2);
    const missing = run([], { DATA_DIR: path.join(dataDir, 'nothing-here'), DATABASE_URL: '', EVENTSTORE_URL: '' });
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/no embedded database/);
  }, 30_000);
});
