// The documented limits, at their defaults, on the service as `npm start` wires it (embedded mode): request
// bodies (256 KiB), frame size (32 KiB answered, 64 KiB closed), message length (4000), frames per second
// (20, burst 40) and the close after 50 refusals, sockets per visitor or agent and per address (the
// WS_MAX_CONNECTIONS_* variables), and what the websocket library itself closes for. The gateway's own tests
// (gateways/src/ws/gateway.int.spec.ts) cover the same limits set small; these check the values and the wiring.
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import WebSocket from 'ws';
import { Tally } from '../../../test-support/fuzz';
import { isDocumentedError, loadOpenApi, startHarness, type Harness } from '../../../test-support/security';

type Frame = Record<string, unknown>;

interface Socket {
  readonly ws: WebSocket;
  readonly frames: Frame[];
  closed?: { code: number; reason: string };
}

const KIB = 1024;

describe('limits at their defaults (embedded mode)', () => {
  jest.setTimeout(60_000);
  const tally = new Tally();
  const openapi = loadOpenApi();
  let h: Harness;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    h = await startHarness({ env: { WS_MAX_CONNECTIONS_PER_USER: '3', WS_MAX_CONNECTIONS_PER_IP: '12' } });
  }, 60_000);
  afterAll(async () => {
    tally.print('limits checked (attempts over a limit, per limit):');
    for (const s of sockets) s.ws.terminate();
    await h?.stop();
  });

  const open = async (kind: 'visitor' | 'agent', token: string): Promise<Socket> => {
    const ws = new WebSocket(`${h.wsBase}/ws/${kind}?token=${token}`);
    const socket: Socket = { ws, frames: [] };
    sockets.push(socket);
    ws.on('message', (data: Buffer) => socket.frames.push(JSON.parse(data.toString()) as Frame));
    ws.on('close', (code: number, reason: Buffer) => (socket.closed = { code, reason: reason.toString() }));
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return socket;
  };
  const until = async (done: () => boolean, what: string): Promise<void> => {
    const deadline = Date.now() + 10_000;
    while (!done()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };
  const closeAll = async (): Promise<void> => {
    for (const s of sockets.splice(0)) s.ws.close();
    await new Promise((resolve) => setTimeout(resolve, 200));
  };

  it('request bodies: 256 KiB is read, one byte more is refused with 413 payload_too_large, on the API and on webhooks', async () => {
    const { token } = await h.login('demo', 'admin');
    const before = await h.settled();
    const over = (size: number) => JSON.stringify({ question: 'q?', answer: 'a'.repeat(size - 30) }).padEnd(size, ' ');
    const refused = await h.call('POST', '/api/admin/faq', {
      token,
      headers: { 'content-type': 'application/json' },
      body: over(256 * KIB + 1),
    });
    expect([refused.status, isDocumentedError(refused, openapi.errorCodes)]).toEqual([413, true]);
    expect((refused.json as { error: { code: string } }).error.code).toBe('payload_too_large');
    expect(await h.settled()).toBe(before);
    tally.add('request body over 256 KiB');
    const account = await h.json(
      'POST',
      '/api/admin/channel-accounts',
      {
        platform: 'telegram',
        name: 't',
        groupId: 'support',
        credentials: { botToken: '1:a', secretToken: 'limit-secret' },
      },
      token,
    );
    const webhook = `/webhooks/telegram/${String((account.json as { id: string }).id)}`;
    const afterAccount = await h.settled();
    for (const contentType of ['application/json', 'text/xml', 'application/octet-stream']) {
      const answer = await h.call('POST', webhook, {
        headers: { 'content-type': contentType, 'x-telegram-bot-api-secret-token': 'limit-secret' },
        body: 'x'.repeat(256 * KIB + 1),
      });
      expect([contentType, answer.status, isDocumentedError(answer, openapi.errorCodes)]).toEqual([
        contentType,
        413,
        true,
      ]);
      tally.add('request body over 256 KiB');
    }
    expect(await h.settled()).toBe(afterAccount);
    // 256 KiB itself is read (and, being a FAQ answer over 10 000 characters, refused for that).
    const at = await h.call('POST', '/api/admin/faq', {
      token,
      headers: { 'content-type': 'application/json' },
      body: over(256 * KIB),
    });
    expect([at.status, (at.json as { error: { code: string } }).error.code]).toEqual([400, 'bad_request']);
  });

  it('frames: 4000 characters and 32 KiB are taken; more is refused, and past 64 KiB the socket is closed with 1009', async () => {
    const { token } = await h.visitor('demo');
    const socket = await open('visitor', token);
    const answer = (id: string) => until(() => socket.frames.some((f) => f['id'] === id), `the answer to ${id}`);
    const byId = (id: string) => socket.frames.find((f) => f['id'] === id)!;
    const send = (id: string, text: string, pad = 0) =>
      socket.ws.send(JSON.stringify({ type: 'message.send', id, text, clientMsgId: id, padding: 'p'.repeat(pad) }));

    send('4000', 'x'.repeat(4000));
    send('4001', 'x'.repeat(4001));
    await answer('4001');
    await answer('4000');
    expect(byId('4000')['type']).toBe('ack');
    expect(byId('4001')).toMatchObject({ type: 'error', code: 'bad_request' });
    tally.add('message over 4000 characters');

    const frameOf = (id: string, bytes: number) => {
      const base = JSON.stringify({ type: 'message.send', id, text: 'hi', clientMsgId: id, padding: '' });
      return JSON.stringify({
        type: 'message.send',
        id,
        text: 'hi',
        clientMsgId: id,
        padding: 'p'.repeat(bytes - base.length),
      });
    };
    expect(Buffer.byteLength(frameOf('k32', 32 * KIB))).toBe(32 * KIB);
    socket.ws.send(frameOf('k32', 32 * KIB));
    socket.ws.send(frameOf('k32+1', 32 * KIB + 1));
    await answer('k32+1');
    await answer('k32');
    expect(byId('k32')['type']).toBe('ack');
    expect(byId('k32+1')).toMatchObject({ type: 'error', code: 'frame_too_large' });
    tally.add('frame over 32 KiB');
    socket.ws.send(frameOf('k64+1', 64 * KIB + 1));
    await until(() => socket.closed !== undefined, 'the close');
    expect(socket.closed?.code).toBe(1009);
    expect(socket.frames.some((f) => f['id'] === 'k64+1')).toBe(false);
    tally.add('message over 64 KiB');
  });

  it('frames per second: a burst of 40 is taken, then 20 a second; 50 refusals within a minute close the socket with 4408', async () => {
    const { token } = await h.visitor('demo');
    const socket = await open('visitor', token);
    await until(() => socket.frames.some((f) => f['type'] === 'suggestions'), 'the welcome');
    // session.end without a session: a cheap frame the handler answers with an error of its own.
    for (let i = 1; i <= 60; i += 1) socket.ws.send(JSON.stringify({ type: 'session.end', id: i }));
    await until(() => socket.frames.filter((f) => typeof f['id'] === 'number').length === 60, '60 answers');
    const limited = socket.frames.filter((f) => f['code'] === 'rate_limited');
    const handled = socket.frames.filter((f) => typeof f['id'] === 'number' && f['code'] !== 'rate_limited');
    // The bucket refills at 20 a second while the 60 arrive: 40 and a few more are taken.
    expect(handled.length).toBeGreaterThanOrEqual(40);
    expect(handled.length).toBeLessThan(52);
    expect(limited.length).toBe(60 - handled.length);
    tally.add('frames over the rate', limited.length);
    for (let i = 61; i <= 140 && socket.closed === undefined; i += 1) {
      socket.ws.send(JSON.stringify({ type: 'session.end', id: i }));
    }
    await until(() => socket.closed !== undefined, 'the close');
    expect(socket.closed).toEqual({ code: 4408, reason: 'rate limit exceeded' });
    tally.add('refusals within a minute over 50');
  });

  it('sockets: WS_MAX_CONNECTIONS_PER_USER per visitor or agent (4429), WS_MAX_CONNECTIONS_PER_IP per address (HTTP 429)', async () => {
    await closeAll();
    const { token } = await h.login('demo', 'alice');
    const tabs = [await open('agent', token), await open('agent', token), await open('agent', token)];
    await until(() => tabs.every((t) => t.frames.some((f) => f['type'] === 'session.list')), 'three welcomes');
    const fourth = await open('agent', token);
    await until(() => fourth.closed !== undefined, 'the fourth closed');
    expect(fourth.closed).toEqual({ code: 4429, reason: 'too many connections' });
    expect(fourth.frames).toEqual([]);
    tally.add('sockets over WS_MAX_CONNECTIONS_PER_USER');
    expect(tabs.every((t) => t.closed === undefined)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 100));
    // Nine visitors more make twelve sockets from 127.0.0.1; the thirteenth is refused before the handshake.
    for (let i = 0; i < 9; i += 1) await open('visitor', (await h.visitor('demo')).token);
    const status = await new Promise<number | undefined>((resolve) => {
      void h.visitor('demo').then(({ token: t }) => {
        const ws = new WebSocket(`${h.wsBase}/ws/visitor?token=${t}`);
        ws.once('unexpected-response', (_request, response) => resolve(response.statusCode));
        ws.once('open', () => resolve(101));
        ws.once('error', () => resolve(undefined));
      });
    });
    expect(status).toBe(429);
    tally.add('sockets over WS_MAX_CONNECTIONS_PER_IP');
    await closeAll();
  });

  it('the websocket library closes a text frame that is not UTF-8 with 1007, and a broken frame with 1002', async () => {
    const { token } = await h.visitor('demo');
    const socket = await open('visitor', token);
    socket.ws.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false });
    await until(() => socket.closed !== undefined, 'the close');
    expect(socket.closed?.code).toBe(1007);
    tally.add('text frame not UTF-8');

    // An unmasked client frame, over a raw connection: the close frame the server sends names 1002.
    const { token: t2 } = await h.visitor('demo');
    const url = new URL(`${h.base}/ws/visitor?token=${t2}`);
    const closeCode = await new Promise<number | undefined>((resolve) => {
      const raw = connect(Number(url.port), '127.0.0.1');
      let buffer = Buffer.alloc(0);
      let upgraded = false;
      raw.on('error', () => resolve(undefined));
      raw.on('close', () => resolve(undefined));
      raw.on('data', (chunk: Buffer) => {
        buffer = Buffer.concat([buffer, chunk]);
        if (!upgraded) {
          const end = buffer.indexOf('\r\n\r\n');
          if (end < 0) return;
          upgraded = true;
          buffer = buffer.subarray(end + 4);
          raw.write(Buffer.concat([Buffer.from([0x81, 0x02]), Buffer.from('{}')]));
        }
        // Server frames are unmasked: opcode, 7-bit or 16-bit length, payload.
        while (buffer.length >= 2) {
          const opcode = buffer[0]! & 0x0f;
          let length = buffer[1]! & 0x7f;
          let offset = 2;
          if (length === 126) {
            if (buffer.length < 4) return;
            length = buffer.readUInt16BE(2);
            offset = 4;
          }
          if (buffer.length < offset + length) return;
          if (opcode === 0x8) {
            resolve(buffer.readUInt16BE(offset));
            raw.destroy();
            return;
          }
          buffer = buffer.subarray(offset + length);
        }
      });
      raw.write(
        `GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
    });
    expect(closeCode).toBe(1002);
    tally.add('websocket protocol error');
  });
});
