// The test hosts of the distributed fault suite (test-support/hosts.ts, link-proxy.ts,
// host-services.ts), on network namespaces where this machine allows them and always on the
// loopback fallback too: hosts reach each other by address, a cut stops a link both ways and heal
// restores it, the link proxy delays without reordering, and PostgreSQL and Redis on the db host
// answer another host. Needs root and iproute2 for the namespaces; without them the first suite
// runs on the fallback (and says why in its title's log) instead of being skipped.
import { spawn, execFile, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import knexFactory from 'knex';
import Redis from 'ioredis';
import { startPostgres, startRedis } from '../../../test-support/host-services';
import { makeTestHosts, NeedsNamespacesError, type TestHost, type TestHosts } from '../../../test-support/hosts';
import { RETRANSMIT_MS, startLinkProxy } from '../../../test-support/link-proxy';
import { waitFor } from '../../../test-support/wait';

const execFileAsync = promisify(execFile);

// Scripts a host runs with `node -e` through its prefix (argv[1..] are the arguments).
const ECHO_SERVER = `
const net = require('net');
const server = net.createServer((socket) => { socket.on('error', () => {}); socket.pipe(socket); });
server.listen(0, process.argv[1], () => console.log('listening ' + server.address().port));`;
// Relays its stdin lines to one connection and the connection's lines to its stdout.
const LINE_CLIENT = `
const net = require('net');
const socket = net.connect(Number(process.argv[2]), process.argv[1], () => console.log('connected'));
socket.setTimeout(Number(process.argv[3] || 0), () => { console.log('timeout'); process.exit(2); });
socket.on('connect', () => socket.setTimeout(0));
socket.on('error', (e) => { console.log('error ' + e.code); process.exit(1); });
require('readline').createInterface({ input: socket }).on('line', (l) => console.log('reply ' + l));
require('readline').createInterface({ input: process.stdin }).on('line', (l) => socket.write(l + '\\n'));`;

/** A node script running on a host, its stdout read line by line. */
class OnHost {
  readonly lines: string[] = [];
  private readonly child: ChildProcessWithoutNullStreams;
  constructor(host: TestHost, script: string, args: readonly string[]) {
    const [file = '', ...rest] = [...host.prefix, process.execPath, '-e', script, ...args];
    this.child = spawn(file, rest);
    createInterface({ input: this.child.stdout }).on('line', (line) => this.lines.push(line));
    this.child.stderr.on('data', (chunk: Buffer) => this.lines.push(`stderr ${chunk.toString().trim()}`));
  }
  /** The first line `test` accepts, waiting for it. */
  line(test: (line: string) => boolean, what: string, ms = 20_000): Promise<string> {
    return waitFor(what, async () => this.lines.find(test), ms);
  }
  send(line: string): void {
    this.child.stdin.write(`${line}\n`);
  }
  stop(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Opens a connection from the test process (root namespace). */
const open = (host: string, port: number): Promise<Socket> =>
  new Promise((resolve, reject) => {
    const socket = connect(port, host, () => resolve(socket));
    socket.once('error', reject);
  });

/** Writes `data` and reads back as many bytes (the echo server's answer). */
const roundTrip = (socket: Socket, data: Buffer): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let received = 0;
    const onData = (chunk: Buffer): void => {
      parts.push(chunk);
      received += chunk.length;
      if (received >= data.length) {
        socket.off('data', onData);
        resolve(Buffer.concat(parts));
      }
    };
    socket.on('data', onData);
    socket.once('error', reject);
    socket.write(data);
  });

const sha = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

const testHosts = (title: string, namespaces: boolean | undefined) =>
  describe(title, () => {
    jest.setTimeout(120_000);
    let hosts: TestHosts;
    let folder: string;
    let echo: OnHost;
    let echoPort: number;
    const started: OnHost[] = [];
    const onHost = (host: TestHost, script: string, args: readonly string[]): OnHost => {
      const run = new OnHost(host, script, args);
      started.push(run);
      return run;
    };

    beforeAll(async () => {
      hosts = await makeTestHosts(['db', 'gw1', 'worker1'], namespaces === undefined ? {} : { namespaces });
      if (!hosts.isolated) process.stdout.write(`\ntest hosts on loopback addresses: ${hosts.fallbackReason}\n`);
      folder = mkdtempSync(path.join(tmpdir(), 'cschat-hosts-'));
      echo = onHost(hosts.host('db'), ECHO_SERVER, [hosts.host('db').address]);
      echoPort = Number((await echo.line((l) => l.startsWith('listening'), 'the echo server')).split(' ')[1]);
    });

    afterAll(async () => {
      for (const run of started) run.stop();
      const netns = hosts.hosts().flatMap((h) => (h.netns === undefined ? [] : [h.netns]));
      await hosts.destroy();
      rmSync(folder, { recursive: true, force: true });
      if (hosts.isolated) {
        // Nothing of the run is left: no namespace, no veth, no bridge.
        const id = netns[0]!.split('-')[0]!;
        const { stdout: namespacesLeft } = await execFileAsync('ip', ['netns', 'list']);
        const { stdout: linksLeft } = await execFileAsync('ip', ['-o', 'link', 'show']);
        expect(namespacesLeft.split('\n').filter((l) => l.startsWith(`${id}-`))).toEqual([]);
        expect(linksLeft.split('\n').filter((l) => l.includes(`: ${id}`))).toEqual([]);
      }
    });

    it('gives each host its own address, reached from another host and from the test process', async () => {
      const addresses = hosts.hosts().map((h) => h.address);
      expect(new Set(addresses).size).toBe(3);
      const client = onHost(hosts.host('gw1'), LINE_CLIENT, [hosts.host('db').address, String(echoPort)]);
      await client.line((l) => l === 'connected', 'gw1 connected to db');
      client.send('from gw1');
      await client.line((l) => l === 'reply from gw1', "db's echo to gw1");

      const socket = await open(hosts.host('db').address, echoPort);
      expect((await roundTrip(socket, Buffer.from('from the test'))).toString()).toBe('from the test');
      socket.destroy();
    });

    it('a host added later is reached like the others, and a removed one is gone', async () => {
      const gw3 = await hosts.add('gw3');
      expect(hosts.hosts().map((h) => h.name)).toContain('gw3');
      const client = onHost(gw3, LINE_CLIENT, [hosts.host('db').address, String(echoPort)]);
      await client.line((l) => l === 'connected', 'gw3 connected to db');
      client.send('from gw3');
      await client.line((l) => l === 'reply from gw3', "db's echo to gw3");
      await hosts.remove('gw3');
      expect(() => hosts.host('gw3')).toThrow(/no test host 'gw3'/);
      if (gw3.netns !== undefined) {
        const { stdout } = await execFileAsync('ip', ['netns', 'list']);
        expect(stdout).not.toContain(gw3.netns);
      }
    });

    it('cut stops an established connection and new ones between two hosts; heal restores both', async () => {
      const db = hosts.host('db');
      if (!hosts.isolated) {
        // The fallback cannot cut: it says so, with the reason, for the caller to skip that fault.
        await expect(hosts.cut('gw1', 'db')).rejects.toThrow(NeedsNamespacesError);
        await expect(hosts.cut('gw1', 'db')).rejects.toThrow(/needs network namespaces/);
        expect(hosts.fallbackReason).toEqual(expect.any(String));
        await expect(hosts.heal('gw1', 'db')).rejects.toThrow(hosts.fallbackReason);
        return;
      }
      const client = onHost(hosts.host('gw1'), LINE_CLIENT, [db.address, String(echoPort)]);
      await client.line((l) => l === 'connected', 'gw1 connected to db');
      client.send('before');
      await client.line((l) => l === 'reply before', 'the echo before the cut');

      await hosts.cut('gw1', 'db');
      client.send('during');
      // A stall has no end to wait for: give it a moment and check nothing came back.
      await sleep(1500);
      expect(client.lines).not.toContain('reply during');
      const fresh = onHost(hosts.host('gw1'), LINE_CLIENT, [db.address, String(echoPort), '3000']);
      const outcome = await fresh.line((l) => /^(connected|error|timeout)/.test(l), 'a new connection attempt');
      expect(outcome).not.toBe('connected');
      // Only that link is cut: worker1 and the test process still reach db.
      const other = onHost(hosts.host('worker1'), LINE_CLIENT, [db.address, String(echoPort)]);
      await other.line((l) => l === 'connected', 'worker1 connected to db during the cut');
      const socket = await open(db.address, echoPort);
      expect((await roundTrip(socket, Buffer.from('root'))).toString()).toBe('root');
      socket.destroy();

      await hosts.heal('gw1', 'db');
      // TCP retransmits what the cut held back: the established connection resumes.
      await client.line((l) => l === 'reply during', 'the held-back echo after heal', 60_000);
      const after = onHost(hosts.host('gw1'), LINE_CLIENT, [db.address, String(echoPort)]);
      await after.line((l) => l === 'connected', 'a new connection after heal');
    });

    it('the link proxy adds its latency to each direction, and a lost chunk waits a retransmission', async () => {
      // The test process listens on the bridge's address; a host reaches it there too.
      const proxy = await startLinkProxy({
        listen: { host: hosts.bridgeAddress },
        target: { host: hosts.host('db').address, port: echoPort },
      });
      try {
        const fromHost = onHost(hosts.host('worker1'), LINE_CLIENT, [proxy.host, String(proxy.port)]);
        await fromHost.line((l) => l === 'connected', 'worker1 connected to the proxy');
        fromHost.send('through the proxy');
        await fromHost.line((l) => l === 'reply through the proxy', 'the echo through the proxy');

        const socket = await open(proxy.host, proxy.port);
        proxy.impair({ latencyMs: [150, 250], lossRate: 0 });
        for (let i = 0; i < 3; i++) {
          const start = performance.now();
          expect((await roundTrip(socket, Buffer.from(`ping ${i}`))).toString()).toBe(`ping ${i}`);
          expect(performance.now() - start).toBeGreaterThanOrEqual(2 * 150);
        }
        proxy.impair({ latencyMs: [50, 50], lossRate: 1 });
        const start = performance.now();
        await roundTrip(socket, Buffer.from('lost'));
        expect(performance.now() - start).toBeGreaterThanOrEqual(2 * (50 + RETRANSMIT_MS));
        socket.destroy();
      } finally {
        await proxy.stop();
      }
    });

    it('the link proxy keeps the bytes of a few MB in order under latency and loss', async () => {
      const proxy = await startLinkProxy({
        listen: { host: hosts.bridgeAddress },
        target: { host: hosts.host('db').address, port: echoPort },
      });
      try {
        proxy.impair({ latencyMs: [1, 30], lossRate: 0.2 });
        const data = randomBytes(4 * 1024 * 1024);
        const socket = await open(proxy.host, proxy.port);
        const back = await roundTrip(socket, data);
        socket.destroy();
        expect(back.length).toBe(data.length);
        expect(sha(back)).toBe(sha(data));
        expect(proxy.stats().lost).toBeGreaterThan(0);
        proxy.clear();
      } finally {
        await proxy.stop();
      }
    });

    it('PostgreSQL and Redis on the db host answer a query from another host', async () => {
      const postgres = await startPostgres(hosts.host('db'), folder);
      const redis = await startRedis(hosts.host('db'));
      try {
        const worker = hosts.host('worker1');
        const run = async (argv: readonly string[]): Promise<string> => {
          const [file = '', ...args] = [...worker.prefix, ...argv];
          return (await execFileAsync(file, args)).stdout.trim();
        };
        const client = await run(['psql', '-X', postgres.url, '-tAc', 'select inet_client_addr()']);
        // Across the bridge, PostgreSQL sees worker1's own address (on loopback, 127.0.0.1).
        expect(client).toBe(hosts.isolated ? worker.address : '127.0.0.1');
        expect(await run(['redis-cli', '-u', redis.url, 'set', 'k', 'v'])).toBe('OK');
        expect(await run(['redis-cli', '-u', redis.url, 'get', 'k'])).toBe('v');

        // And from the test process, through the ordinary clients.
        const db = knexFactory({ client: 'pg', connection: postgres.url, pool: { min: 0, max: 1 } });
        expect((await db.raw<{ rows: unknown[] }>('select 41 + 1 as n')).rows).toEqual([{ n: 42 }]);
        await db.destroy();
        const ioredis = new Redis(redis.url);
        expect(await ioredis.get('k')).toBe('v');
        await redis.flush();
        expect(await ioredis.get('k')).toBeNull();
        ioredis.disconnect();
      } finally {
        await redis.stop();
        await postgres.stop();
      }
    });
  });

testHosts('test hosts (network namespaces where this machine allows them)', undefined);
testHosts('test hosts on the loopback fallback', false);
