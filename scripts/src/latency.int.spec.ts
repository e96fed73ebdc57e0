// `npm run latency` as a user runs it: a separate process, configured by PORT or --url.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { freePort } from '../../test-support/processes';

const ROOT = path.resolve(__dirname, '../..');
const run = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(path.join(ROOT, 'node_modules/.bin/tsx'), ['scripts/src/latency.ts', ...args], {
    cwd: ROOT,
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });

describe('npm run latency', () => {
  jest.setTimeout(60_000);
  it('says that nothing listens on PORT, with exit code 1 (it said only "fetch failed", on 8080)', async () => {
    const port = await freePort();
    const result = run(['--messages', '1'], { PORT: String(port) });
    expect([result.status, result.stderr]).toEqual([
      1,
      expect.stringContaining(`cannot reach the service at http://localhost:${port}: is it running? (npm start)`),
    ]);
    expect(result.stderr).not.toMatch(/^latency: fetch failed$/m);
  });

  it('takes --url over PORT, and refuses a URL it cannot use with exit code 2', async () => {
    const port = await freePort();
    const byUrl = run(['--url', `http://127.0.0.1:${port}/`], { PORT: '1' });
    expect([byUrl.status, byUrl.stderr]).toEqual([
      1,
      expect.stringContaining(`cannot reach the service at http://127.0.0.1:${port}:`),
    ]);
    const ftp = run(['--url', 'ftp://example.com']);
    expect([ftp.status, ftp.stderr]).toEqual([2, expect.stringContaining('--url must start with http://')]);
    expect(run(['--help']).stdout).toContain('Usage: npm run latency');
  });
});
