// `npm run latency` as a user runs it: a separate process, configured by PORT or --url.
import { freePort, runScript } from '../../test-support/processes';

const run = (args: string[], env: Record<string, string> = {}) => runScript('latency.ts', args, env);

describe('npm run latency', () => {
  jest.setTimeout(60_000);
  it('says that nothing listens on PORT, with exit code 1 (it said only "fetch failed", on 8080)', async () => {
    const port = await freePort();
    const result = await run(['--messages', '1'], { PORT: String(port) });
    expect([result.status, result.stderr]).toEqual([
      1,
      expect.stringContaining(`cannot reach the service at http://localhost:${port}: is it running? (npm start)`),
    ]);
    expect(result.stderr).not.toMatch(/^latency: fetch failed$/m);
  });

  it('takes --url over PORT, and refuses a URL it cannot use with exit code 2', async () => {
    const port = await freePort();
    const byUrl = await run(['--url', `http://127.0.0.1:${port}/`], { PORT: '1' });
    expect([byUrl.status, byUrl.stderr]).toEqual([
      1,
      expect.stringContaining(`cannot reach the service at http://127.0.0.1:${port}:`),
    ]);
    const ftp = await run(['--url', 'ftp://example.com']);
    expect([ftp.status, ftp.stderr]).toEqual([2, expect.stringContaining('--url must start with http://')]);
    expect((await run(['--help'])).stdout).toContain('Usage: npm run latency');
  });
});
