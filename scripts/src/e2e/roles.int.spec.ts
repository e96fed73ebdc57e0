// A process imports what its roles need: a worker (relay, projectors, workflows, routing,
// presence, timeouts, platform senders) loads neither the HTTP server (Fastify) nor the websocket
// library (ws); a gateway does. Each runs as its own OS process, started as an operator would.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from '../../../test-support/processes';

const run = promisify(execFile);

const loadedBy = async (roles: string): Promise<string[]> => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'cschat-roles-'));
  try {
    const { stdout } = await run(path.join(ROOT, 'node_modules/.bin/tsx'), ['test-support/loaded-modules.ts'], {
      cwd: ROOT,
      env: { ...process.env, DATA_DIR: dataDir, ROLES: roles, PACKAGES: 'fastify,ws', LOG_LEVEL: 'silent' },
      timeout: 90_000,
    });
    return (JSON.parse(stdout.trim().split('\n').pop()!) as { loaded: string[] }).loaded;
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
};

describe('what a process loads for its roles', () => {
  jest.setTimeout(120_000);

  it('a worker process loads neither Fastify nor ws', async () => {
    expect(await loadedBy('relay,projector,worker')).toEqual([]);
  });

  it('a gateway process does (so that the check above can see them)', async () => {
    const loaded = await loadedBy('gateway,api');
    expect(loaded.some((file) => file.includes('/node_modules/fastify/'))).toBe(true);
    expect(loaded.some((file) => file.includes('/node_modules/ws/'))).toBe(true);
  });
});
