// A stop does not wait for HTTP connections that will not end on their own: a browser's
// speculative socket that never sends its headers held `app.stop()` for a minute (Node's headers
// timeout) in the browser tests. Requests in flight get a grace, then their connections are cut.
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { loadConfig, silentLogger } from '@cschat/infra';
import { createApp } from '../app';

describe('stopping the embedded app', () => {
  it('closes a connection that never sent a request instead of waiting for it', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'cschat-stop-'));
    const app = createApp(loadConfig({ DATA_DIR: dataDir, PORT: '0' }), silentLogger());
    try {
      await app.start();
      const socket = connect(app.frontDoor!.port, '127.0.0.1');
      await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
      socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n'); // headers started, never finished
      const closedByServer = new Promise<void>((resolve) => socket.once('close', () => resolve()));
      await app.stop();
      await closedByServer;
      expect(socket.destroyed).toBe(true);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
    // A budget for a loaded machine: the stop's own grace is 3 s; starting PGlite takes most of it.
  }, 120_000);
});
