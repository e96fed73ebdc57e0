// `npm run timeouts` as an operator runs it: a separate process, configured by the environment.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { describeWithServer } from '../../test-support/servers';

const ROOT = path.resolve(__dirname, '../..');
const run = (args: string[], env: Record<string, string>) =>
  spawnSync(path.join(ROOT, 'node_modules/.bin/tsx'), ['scripts/src/timeouts.ts', ...args], {
    cwd: ROOT,
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });

describe('npm run timeouts', () => {
  it('explains itself, and refuses what it cannot do with exit code 2', () => {
    expect(run(['--help'], {}).stdout).toContain('Usage: npm run timeouts');
    const bogus = run(['bogus'], {});
    expect([bogus.status, bogus.stderr]).toEqual([2, expect.stringContaining('unknown command "bogus"')]);
    const embedded = run(['status'], {});
    expect([embedded.status, embedded.stderr]).toEqual([2, expect.stringContaining('REDIS_URL is not set')]);
  });
});

describeWithServer('redis', 'npm run timeouts on Redis', (url) => {
  jest.setTimeout(60_000);
  it('says the state of the schedule, and measures it on a scratch prefix', () => {
    const status = run(['status'], { REDIS_URL: url, REDIS_PREFIX: `test:${randomBytes(4).toString('hex')}:` });
    expect(status.status).toBe(0);
    expect(status.stdout).toContain('pending checks: 0');
    const measured = run(['measure', '--checks', '2000'], { REDIS_URL: url });
    expect(measured.status).toBe(0);
    expect(measured.stdout).toMatch(/activity write \(1 round trip, SET \.\.\. PXAT\): median [\d.]+ ms/);
    expect(measured.stdout).toMatch(/2000 pending checks: sorted set [\d.]+ MiB/);
    expect(measured.stdout).toMatch(/claiming a batch of 100 due checks/);
  });
});
