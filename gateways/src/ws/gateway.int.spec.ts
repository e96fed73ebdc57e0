// The gateway over real sockets on loopback, with a fake authenticate and recording handlers.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import pino from 'pino';
import { Registry } from 'prom-client';
import { WebSocket, type ClientOptions } from 'ws';
import { waitFor } from '../../../test-support/wait';
import type { ClientFrame } from './frames';
import { SocketGateway } from './gateway';
import type { GatewayLimits } from './limits';
import { FrameError, Principal, type AckResult, type Authenticate, type Connection, type FrameHandlers } from './ports';
import { principalKey } from './registry';

type Frame = Record<string, unknown>;

interface Client {
  readonly ws: WebSocket;
  readonly frames: Frame[];
  readonly closed: Promise<{ code: number; reason: string }>;
  send(frame: unknown): void;
  /** The first frame received that matches, waiting for it if needed. */
  frame(what: string, matches: (frame: Frame) => boolean): Promise<Frame>;
}

/** Tokens are `kind:company:id` (`admin:acme:boss` is an agent with the admin role). */
const authenticate: Authenticate = async (token, kind) => {
  const [tokenKind, companyId, id] = token.split(':');
  if (tokenKind === 'fail') throw new Error('key store unreachable');
  const principal = {
    kind: tokenKind === 'admin' ? 'agent' : tokenKind,
    companyId,
    id,
    role: tokenKind,
  };
  return Principal.is(principal) && principal.kind === kind ? principal : undefined;
};

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Setup {
  readonly gateway: SocketGateway;
  readonly url: (path: string) => string;
  readonly calls: { connection: Connection; frame: ClientFrame }[];
  readonly connected: Connection[];
  readonly disconnected: Connection[];
  readonly logs: string[];
  readonly connect: (path: string, token?: string, options?: ClientOptions) => Promise<Client>;
}

const servers: Server[] = [];
const gateways: SocketGateway[] = [];
const clients: WebSocket[] = [];

afterEach(async () => {
  for (const ws of clients.splice(0)) ws.terminate();
  await Promise.all(gateways.splice(0).map((gateway) => gateway.stop()));
  await Promise.all(
    servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve).closeAllConnections())),
  );
});

/** What the recording onFrame does with a visitor's `message.send`, by its text. */
const scripted = async (frame: ClientFrame): Promise<AckResult | FrameError> => {
  if (frame.type !== 'message.send') return { handled: frame.type };
  switch (frame.text) {
    case 'slow':
      await delay(300);
      return { messageId: 'slow' };
    case 'throw':
      throw new FrameError('session_ended', 'the session has ended', { sessionId: 's1' });
    case 'return':
      return new FrameError('capacity_reached', 'no agent is free');
    case 'crash':
      throw new Error('password=hunter2 at db:5432');
    default:
      return { messageId: `m-${frame.clientMsgId}`, sessionId: 's1', type: 'overridden?', id: 'overridden?' };
  }
};

const setup = async (
  options: {
    limits?: Partial<GatewayLimits>;
    handlers?: Partial<FrameHandlers>;
    metrics?: Registry;
    refusal?: () => { code: number; reason: string } | undefined;
  } = {},
): Promise<Setup> => {
  const server = createServer((_request, response) => response.writeHead(426).end());
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const logs: string[] = [];
  const logger = pino(
    { level: 'debug' },
    new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        logs.push(chunk.toString());
        done();
      },
    }),
  );
  const calls: Setup['calls'] = [];
  const connected: Connection[] = [];
  const disconnected: Connection[] = [];
  const gateway = new SocketGateway({
    server,
    authenticate,
    logger,
    handlers: {
      onConnected: (connection) => void connected.push(connection),
      onFrame: async (connection, frame) => {
        calls.push({ connection, frame });
        return scripted(frame);
      },
      onDisconnected: (connection) => void disconnected.push(connection),
      ...options.handlers,
    },
    ...(options.limits === undefined ? {} : { limits: options.limits }),
    ...(options.metrics === undefined ? {} : { metrics: options.metrics }),
    ...(options.refusal === undefined ? {} : { refusal: options.refusal }),
  });
  gateway.start();
  gateways.push(gateway);
  const url = (path: string) => `ws://127.0.0.1:${port}${path}`;
  const connect = async (path: string, token?: string, clientOptions: ClientOptions = {}): Promise<Client> => {
    const ws = new WebSocket(url(token === undefined ? path : `${path}?token=${token}`), clientOptions);
    clients.push(ws);
    const frames: Frame[] = [];
    ws.on('message', (data: Buffer) => frames.push(JSON.parse(data.toString()) as Frame));
    const closed = new Promise<{ code: number; reason: string }>((resolve) =>
      ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return {
      ws,
      frames,
      closed,
      send: (frame) => ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame)),
      frame: (what, matches) => waitFor(what, async () => frames.find(matches), 5_000),
    };
  };
  return { gateway, url, calls, connected, disconnected, logs, connect };
};

const ackOf = (id: unknown) => (frame: Frame) => frame['type'] === 'ack' && frame['id'] === id;
const errorOf = (id: unknown) => (frame: Frame) => frame['type'] === 'error' && frame['id'] === id;
const visitorSend = (id: string | number | undefined, text: string) => ({
  type: 'message.send',
  ...(id === undefined ? {} : { id }),
  text,
  clientMsgId: `c-${String(id)}`,
});

describe('SocketGateway', () => {
  describe('authentication', () => {
    it.each([
      ['no token', '/ws/visitor', undefined],
      ['an empty token', '/ws/visitor', ''],
      ['a bad token', '/ws/visitor', 'nonsense'],
      ['a token of the other kind', '/ws/agent', 'visitor:acme:v1'],
      ['an agent token on the visitor path', '/ws/visitor', 'agent:acme:alice'],
    ])('closes with 4401 before sending anything, given %s', async (_case, path, token) => {
      const { connect, connected, calls } = await setup({
        handlers: { onConnected: (connection) => void connection.send({ type: 'suggestions', questions: ['q'] }) },
      });
      const client = await connect(path, token);
      client.send(visitorSend(1, 'hello'));
      expect(await client.closed).toEqual({ code: 4401, reason: 'unauthorized' });
      expect(client.frames).toEqual([]);
      expect(connected).toEqual([]);
      expect(calls).toEqual([]);
    });

    it('closes with 1011 when authentication could not be done, so that the client retries', async () => {
      const { connect } = await setup();
      const client = await connect('/ws/visitor', 'fail:acme:v1');
      expect(await client.closed).toEqual({ code: 1011, reason: 'authentication failed' });
      expect(client.frames).toEqual([]);
    });

    it('answers other paths with 404', async () => {
      const { url } = await setup();
      const ws = new WebSocket(url('/ws/other?token=visitor:acme:v1'));
      clients.push(ws);
      const status = await new Promise<number | undefined>((resolve) => {
        ws.once('unexpected-response', (_request, response) => resolve(response.statusCode));
        ws.once('error', () => resolve(undefined));
      });
      expect(status).toBe(404);
    });

    it('hands the principal to the handlers and never logs the token', async () => {
      const connected: Connection[] = [];
      const { connect, logs } = await setup({
        handlers: {
          onConnected: (connection) => {
            connected.push(connection);
            connection.send({ type: 'suggestions', questions: ['q?'] });
          },
        },
      });
      const client = await connect('/ws/agent', 'admin:acme:boss');
      expect(await client.frame('suggestions', (f) => f['type'] === 'suggestions')).toEqual({
        type: 'suggestions',
        questions: ['q?'],
      });
      expect(connected[0]?.principal).toEqual({ kind: 'agent', companyId: 'acme', id: 'boss', role: 'admin' });
      expect(logs.join('')).not.toContain('admin:acme:boss');
    });
  });

  describe('frames', () => {
    it('acks a valid frame with its id and the result fields, which cannot replace type and id', async () => {
      const { connect, calls } = await setup();
      const client = await connect('/ws/visitor', 'visitor:acme:v1');
      client.send(visitorSend('f1', 'hello'));
      client.send({ type: 'human.request', id: 2 });
      expect(await client.frame('ack f1', ackOf('f1'))).toEqual({
        type: 'ack',
        id: 'f1',
        messageId: 'm-c-f1',
        sessionId: 's1',
      });
      expect(await client.frame('ack 2', ackOf(2))).toEqual({ type: 'ack', id: 2, handled: 'human.request' });
      expect(calls.map((call) => call.frame)).toEqual([visitorSend('f1', 'hello'), { type: 'human.request', id: 2 }]);
      expect(calls[0]?.connection.principal).toEqual({ kind: 'visitor', companyId: 'acme', id: 'v1', role: 'visitor' });
    });

    it('does not ack a frame without id', async () => {
      const { connect, calls } = await setup();
      const client = await connect('/ws/visitor', 'visitor:acme:v1');
      client.send(visitorSend(undefined, 'no id'));
      client.send({ type: 'human.request', id: 'after' });
      await client.frame('ack after', ackOf('after'));
      expect(calls).toHaveLength(2);
      expect(client.frames).toEqual([{ type: 'ack', id: 'after', handled: 'human.request' }]);
    });

    it('answers invalid frames with bad_request, passes none of them on, and keeps the socket open', async () => {
      const { connect, calls, logs } = await setup();
      const visitor = await connect('/ws/visitor', 'visitor:acme:v1');
      const agent = await connect('/ws/agent', 'agent:acme:alice');
      visitor.send('not json {');
      visitor.send('"just a string"');
      visitor.send({ id: 'no-type' });
      visitor.send({ type: 'nonsense-type-secret', id: 'unknown' });
      visitor.send({ type: 'agent.status', id: 'agent-only', status: 'idle' });
      visitor.send({ type: 'message.send', id: 'missing', text: 'hi' });
      visitor.send(visitorSend('long', 'x'.repeat(5000)));
      visitor.send(visitorSend('blank', '   '));
      visitor.send({ ...visitorSend('bad-id', 'hi'), id: { nested: true } });
      agent.send({ type: 'session.transfer', id: 't', sessionId: 's1', toAgentId: 'bob', toGroupId: 'sales' });
      agent.send({ type: 'session.transfer', id: 'none', sessionId: 's1' });
      agent.send({ type: 'message.send', id: 'no-session', text: 'hi', clientMsgId: 'c1' });

      await waitFor('the visitor errors', async () => (visitor.frames.length === 9 ? true : undefined), 5_000);
      await waitFor('the agent errors', async () => (agent.frames.length === 3 ? true : undefined), 5_000);
      for (const frame of [...visitor.frames, ...agent.frames]) expect(frame['code']).toBe('bad_request');
      expect(visitor.frames.map((frame) => frame['id'])).toEqual([
        undefined,
        undefined,
        'no-type',
        'unknown',
        'agent-only',
        'missing',
        'long',
        'blank',
        undefined,
      ]);
      expect(await visitor.frame('missing', errorOf('missing'))).toEqual({
        type: 'error',
        id: 'missing',
        code: 'bad_request',
        message: 'clientMsgId: is required',
        field: 'clientMsgId',
      });
      // The field and the rule, as over HTTP (PROTOCOL "Security").
      expect(await visitor.frame('long', errorOf('long'))).toMatchObject({
        message: 'text: must be at most 4000 characters without NUL characters or unpaired surrogates',
        field: 'text',
      });
      expect(await visitor.frame('blank', errorOf('blank'))).toMatchObject({ field: 'text' });
      expect(await agent.frame('t', errorOf('t'))).toMatchObject({
        message: 'toGroupId: must be absent',
        field: 'toGroupId',
      });
      expect(await agent.frame('none', errorOf('none'))).toMatchObject({
        message: 'toAgentId: is required',
        field: 'toAgentId',
      });
      expect(await agent.frame('no-session', errorOf('no-session'))).toMatchObject({
        message: 'sessionId: is required',
        field: 'sessionId',
      });
      expect(JSON.stringify(visitor.frames)).not.toContain('nonsense-type-secret');
      expect(logs.join('')).not.toContain('nonsense-type-secret');
      expect(calls).toEqual([]);

      visitor.send(visitorSend('ok', 'still here'));
      agent.send({ type: 'session.transfer', id: 'ok', sessionId: 's1', toGroupId: 'sales' });
      await visitor.frame('ack ok', ackOf('ok'));
      await agent.frame('ack ok', ackOf('ok'));
      expect(calls.map((call) => call.frame.type)).toEqual(
        expect.arrayContaining(['message.send', 'session.transfer']),
      );
    });

    it('drops fields the protocol does not name before the handler sees the frame', async () => {
      const { connect, calls } = await setup();
      const client = await connect('/ws/visitor', 'visitor:acme:v1');
      client.send({ ...visitorSend('x', 'hi'), companyId: 'globex', role: 'admin' });
      await client.frame('ack x', ackOf('x'));
      expect(calls[0]?.frame).toEqual(visitorSend('x', 'hi'));
    });

    it('turns a FrameError, thrown or returned, into an error frame with its code; other failures into internal', async () => {
      const { connect, logs } = await setup();
      const client = await connect('/ws/visitor', 'visitor:acme:v1');
      client.send(visitorSend('t', 'throw'));
      client.send(visitorSend('r', 'return'));
      client.send(visitorSend('c', 'crash'));
      client.send(visitorSend(undefined, 'throw'));
      expect(await client.frame('t', errorOf('t'))).toEqual({
        type: 'error',
        id: 't',
        code: 'session_ended',
        message: 'the session has ended',
        details: { sessionId: 's1' },
      });
      expect(await client.frame('r', errorOf('r'))).toEqual({
        type: 'error',
        id: 'r',
        code: 'capacity_reached',
        message: 'no agent is free',
      });
      expect(await client.frame('c', errorOf('c'))).toEqual({
        type: 'error',
        id: 'c',
        code: 'internal',
        message: 'internal error',
      });
      expect(
        await client.frame('the error of the frame without id', (f) => f['type'] === 'error' && !('id' in f)),
      ).toEqual({
        type: 'error',
        code: 'session_ended',
        message: 'the session has ended',
        details: { sessionId: 's1' },
      });
      expect(logs.join('')).toContain('frame handler failed');
    });

    it("handles one socket's frames in order, the next after the previous one finished", async () => {
      let running = 0;
      let overlapped = false;
      const { connect, calls } = await setup({
        handlers: {
          onFrame: async (connection, frame) => {
            calls.push({ connection, frame });
            running += 1;
            overlapped ||= running > 1;
            try {
              return await scripted(frame);
            } finally {
              running -= 1;
            }
          },
        },
      });
      const client = await connect('/ws/visitor', 'visitor:acme:v1');
      client.send(visitorSend(1, 'slow'));
      client.send(visitorSend(2, 'fast'));
      client.send(visitorSend(undefined, 'fast, no id'));
      client.send(visitorSend(3, 'fast'));
      await client.frame('ack 3', ackOf(3));
      expect(client.frames.map((frame) => frame['id'])).toEqual([1, 2, 3]);
      expect(calls.map((call) => (call.frame.type === 'message.send' ? call.frame.text : ''))).toEqual([
        'slow',
        'fast',
        'fast, no id',
        'fast',
      ]);
      expect(overlapped).toBe(false);
    });
  });

  describe('several sockets per principal', () => {
    it("sends to every socket of the agent, and to no one else's", async () => {
      const { connect, gateway } = await setup();
      const tab1 = await connect('/ws/agent', 'agent:acme:alice');
      const tab2 = await connect('/ws/agent', 'agent:acme:alice');
      const otherCompany = await connect('/ws/agent', 'agent:globex:alice');
      const visitorNamedAlice = await connect('/ws/visitor', 'visitor:acme:alice');
      expect(gateway.connectionsOf(principalKey('acme', 'agent', 'alice'))).toHaveLength(2);

      const state = { type: 'agent.state', status: 'busy', load: 1, capacity: 2, name: 'Alice' } as const;
      expect(gateway.sendToAgent('acme', 'alice', state)).toBe(2);
      expect(await tab1.frame('state', (f) => f['type'] === 'agent.state')).toEqual(state);
      expect(await tab2.frame('state', (f) => f['type'] === 'agent.state')).toEqual(state);

      // Frames of one socket arrive in order: the first each of the others gets is its own.
      const mark = { type: 'suggestions', questions: ['mark'] } as const;
      expect(gateway.sendToAgent('globex', 'alice', mark)).toBe(1);
      expect(gateway.sendToVisitor('acme', 'alice', mark)).toBe(1);
      expect(await otherCompany.frame('mark', (f) => f['type'] === 'suggestions')).toEqual(mark);
      expect(await visitorNamedAlice.frame('mark', (f) => f['type'] === 'suggestions')).toEqual(mark);
      expect(otherCompany.frames).toEqual([mark]);
      expect(visitorNamedAlice.frames).toEqual([mark]);
      expect(gateway.sendToAgent('acme', 'nobody', state)).toBe(0);
    });

    it('forgets a socket when it closes, and tells onDisconnected after its frames were handled', async () => {
      const { connect, gateway, disconnected, calls } = await setup();
      const tab1 = await connect('/ws/agent', 'agent:acme:alice');
      const tab2 = await connect('/ws/agent', 'agent:acme:alice');
      tab1.send({ type: 'agent.status', status: 'away' });
      tab1.ws.close();
      await tab1.closed;
      await waitFor('onDisconnected', async () => disconnected[0]);
      expect(calls.map((call) => call.frame)).toEqual([{ type: 'agent.status', status: 'away' }]);
      expect(gateway.connectionsOf(principalKey('acme', 'agent', 'alice')).map((c) => c.id)).not.toContain(
        disconnected[0]?.id,
      );
      expect(gateway.sendToAgent('acme', 'alice', { type: 'suggestions', questions: [] })).toBe(1);
      await tab2.frame('the one left', (f) => f['type'] === 'suggestions');
    });
  });

  describe('limits', () => {
    it('answers frames over the rate with rate_limited and does not handle them', async () => {
      const { connect, calls } = await setup({ limits: { framesPerSecond: 1, burstFrames: 3 } });
      const client = await connect('/ws/visitor', 'visitor:acme:v1');
      for (let id = 1; id <= 6; id += 1) client.send({ type: 'human.request', id });
      await waitFor('six answers', async () => (client.frames.length === 6 ? true : undefined), 5_000);
      expect(client.frames.filter((f) => f['type'] === 'ack').map((f) => f['id'])).toEqual([1, 2, 3]);
      expect(client.frames.filter((f) => f['type'] === 'error')).toEqual(
        [4, 5, 6].map((id) => ({ type: 'error', id, code: 'rate_limited', message: 'too many frames' })),
      );
      expect(calls).toHaveLength(3);
      expect(client.ws.readyState).toBe(WebSocket.OPEN);
    });

    it('answers overloaded at once past maxInFlight frames in hand across sockets, and still answers those admitted', async () => {
      const { connect, calls } = await setup({ limits: { maxInFlight: 3, abuseRefusals: 3 } });
      const [a, b] = [await connect('/ws/visitor', 'visitor:acme:v1'), await connect('/ws/visitor', 'visitor:acme:v2')];
      a.send(visitorSend('a1', 'slow'));
      a.send(visitorSend('a2', 'slow'));
      b.send(visitorSend('b1', 'slow'));
      for (const id of ['b2', 'b3', 'b4', 'b5']) b.send(visitorSend(id, 'hello'));
      const started = performance.now();
      const refused = await Promise.all(['b2', 'b3', 'b4', 'b5'].map((id) => b.frame(id, errorOf(id))));
      // Before the first slow frame (300 ms) was answered: not queued behind it.
      expect(performance.now() - started).toBeLessThan(250);
      expect(refused).toEqual(
        ['b2', 'b3', 'b4', 'b5'].map((id) => ({
          type: 'error',
          id,
          code: 'overloaded',
          message: 'the service is overloaded: send the frame again later',
          details: { retryAfterMs: '1000' },
        })),
      );
      await Promise.all([a.frame('a1', ackOf('a1')), a.frame('a2', ackOf('a2')), b.frame('b1', ackOf('b1'))]);
      expect(calls.map((call) => call.frame)).toEqual(
        expect.arrayContaining(['a1', 'a2', 'b1'].map((id) => visitorSend(id, 'slow'))),
      );
      expect(calls).toHaveLength(3);
      // The slots are given back; refusals for the service's load are not the client's abuse.
      b.send(visitorSend('b6', 'hello'));
      await b.frame('b6', ackOf('b6'));
      expect(b.ws.readyState).toBe(WebSocket.OPEN);
    });

    it('closes with 4429 a socket over the per-principal limit, and takes one again when another closed', async () => {
      const { connect, connected } = await setup({ limits: { maxConnectionsPerPrincipal: 2 } });
      const [tab1] = [await connect('/ws/agent', 'agent:acme:alice'), await connect('/ws/agent', 'agent:acme:alice')];
      await waitFor('two sockets', async () => (connected.length === 2 ? true : undefined), 5_000);
      const third = await connect('/ws/agent', 'agent:acme:alice');
      expect(await third.closed).toEqual({ code: 4429, reason: 'too many connections' });
      const otherAgent = await connect('/ws/agent', 'agent:acme:bob');
      expect(otherAgent.ws.readyState).toBe(WebSocket.OPEN);
      tab1.ws.close();
      await tab1.closed;
      await waitFor(
        'the room back',
        async () => {
          const again = await connect('/ws/agent', 'agent:acme:alice');
          await delay(50);
          return again.ws.readyState === WebSocket.OPEN ? true : undefined;
        },
        5_000,
      );
      expect(connected).toHaveLength(4);
    });

    it('refuses with HTTP 429 sockets over the per-address limit, counting those not yet authenticated', async () => {
      const { connect, url } = await setup({ limits: { maxConnectionsPerIp: 2 } });
      const first = await connect('/ws/visitor', 'visitor:acme:v1');
      await connect('/ws/visitor', 'visitor:acme:v2');
      const status = async (): Promise<number | undefined> => {
        const ws = new WebSocket(url('/ws/visitor?token=visitor:acme:v3'));
        clients.push(ws);
        return new Promise((resolve) => {
          ws.once('unexpected-response', (_request, response) => resolve(response.statusCode));
          ws.once('open', () => resolve(101));
          ws.once('error', () => resolve(undefined));
        });
      };
      expect(await status()).toBe(429);
      first.ws.close();
      await first.closed;
      await waitFor('an address slot back', async () => ((await status()) === 101 ? true : undefined), 5_000);
    });

    it('closes with 4408 a socket whose frames were refused too often', async () => {
      const { connect, calls } = await setup({ limits: { framesPerSecond: 1, burstFrames: 2, abuseRefusals: 5 } });
      const client = await connect('/ws/visitor', 'visitor:acme:v1');
      for (let id = 1; id <= 30; id += 1) client.send({ type: 'human.request', id });
      expect(await client.closed).toEqual({ code: 4408, reason: 'rate limit exceeded' });
      expect(client.frames.filter((f) => f['code'] === 'rate_limited').map((f) => f['id'])).toEqual([3, 4, 5, 6, 7]);
      expect(calls).toHaveLength(2);
    });

    it('answers a frame over maxFrameBytes with frame_too_large, and ws closes with 1009 over maxPayloadBytes', async () => {
      const { connect, calls } = await setup({ limits: { maxFrameBytes: 1024, maxPayloadBytes: 4096 } });
      const client = await connect('/ws/visitor', 'visitor:acme:v1');
      client.send(visitorSend('big', 'x'.repeat(2000)));
      expect(await client.frame('big', errorOf('big'))).toEqual({
        type: 'error',
        id: 'big',
        code: 'frame_too_large',
        message: 'frames are at most 1024 bytes',
      });
      client.send(visitorSend('small', 'x'));
      await client.frame('small', ackOf('small'));
      expect(calls).toHaveLength(1);

      client.send(visitorSend('huge', 'x'.repeat(5000)));
      expect((await client.closed).code).toBe(1009);
      expect(calls).toHaveLength(1);
    });

    it('takes a 4000-character text in the default limits however the client escapes it', async () => {
      const { connect } = await setup();
      const client = await connect('/ws/visitor', 'visitor:acme:v1');
      const escaped = JSON.stringify(visitorSend('escaped', '中'.repeat(4000))).replace(
        /[\u0080-\uffff]/g,
        (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
      );
      client.send(escaped);
      await client.frame('ack', ackOf('escaped'));
    });
  });

  describe('metrics', () => {
    it('counts sockets and frames in a prom-client registry', async () => {
      const registry = new Registry();
      const { connect } = await setup({ metrics: registry });
      const client = await connect('/ws/visitor', 'visitor:acme:v1');
      client.send({ type: 'human.request', id: 1 });
      client.send('not json');
      await client.frame('ack', ackOf(1));
      await client.frame('error', (f) => f['type'] === 'error');
      const text = await registry.metrics();
      expect(text).toContain('cschat_ws_connections{kind="visitor"} 1');
      expect(text).toContain('cschat_ws_frames_in_total{kind="visitor",type="human.request"} 1');
      expect(text).toContain('cschat_ws_frames_in_total{kind="visitor",type="invalid"} 1');
      expect(text).toContain('cschat_ws_frames_refused_total{kind="visitor",code="bad_request"} 1');
      expect(text).toContain('cschat_ws_frames_out_total{kind="visitor",type="ack"} 1');
      client.ws.close();
      await client.closed;
      await waitFor('the gauge to drop', async () =>
        (await registry.metrics()).includes('cschat_ws_connections{kind="visitor"} 0') ? true : undefined,
      );
    });
  });

  describe('heartbeats', () => {
    it('terminates a client that stops answering pings, and keeps the others', async () => {
      const { connect, disconnected } = await setup({ limits: { heartbeatIntervalMs: 100 } });
      const silent = await connect('/ws/visitor', 'visitor:acme:v1', { autoPong: false });
      const lively = await connect('/ws/visitor', 'visitor:acme:v2');
      let pings = 0;
      silent.ws.on('ping', () => (pings += 1));
      expect((await silent.closed).code).toBe(1006);
      expect(pings).toBeGreaterThanOrEqual(1);
      await waitFor('onDisconnected', async () => disconnected[0]);
      await delay(300);
      expect(lively.ws.readyState).toBe(WebSocket.OPEN);
      expect(disconnected.map((connection) => connection.principal.id)).toEqual(['v1']);
    });
  });

  describe('closing every socket with a reason (the event feed lost)', () => {
    it('closes the open sockets with the code, and new ones at once while the refusal lasts', async () => {
      let refusal: { code: number; reason: string } | undefined;
      const { connect, gateway, connected, disconnected } = await setup({ refusal: () => refusal });
      const visitor = await connect('/ws/visitor', 'visitor:acme:v1');
      const agent = await connect('/ws/agent', 'agent:acme:alice');
      await waitFor('both welcomed', async () => (connected.length === 2 ? true : undefined));

      refusal = { code: 1013, reason: 'event feed lost; reconnect' };
      expect(gateway.closeAll(1013, 'event feed lost; reconnect')).toBe(2);
      expect(await visitor.closed).toEqual({ code: 1013, reason: 'event feed lost; reconnect' });
      expect(await agent.closed).toEqual({ code: 1013, reason: 'event feed lost; reconnect' });
      await waitFor('both farewells', async () => (disconnected.length === 2 ? true : undefined));

      // Refused before its token is checked: even a bad one gets the refusal, not 4401.
      const refused = await connect('/ws/visitor', 'nonsense');
      expect(await refused.closed).toEqual({ code: 1013, reason: 'event feed lost; reconnect' });
      expect(refused.frames).toEqual([]);
      expect(connected).toHaveLength(2);
      expect(gateway.connectionCount).toBe(0);

      refusal = undefined;
      const again = await connect('/ws/visitor', 'visitor:acme:v1');
      await waitFor('welcomed again', async () => (connected.length === 3 ? true : undefined));
      expect(gateway.connectionCount).toBe(1);
      again.ws.close();
    });
  });

  describe('stop', () => {
    it('closes every socket with 1001, waits for them, and takes no more', async () => {
      const { connect, gateway, disconnected, url } = await setup();
      const visitor = await connect('/ws/visitor', 'visitor:acme:v1');
      const agent = await connect('/ws/agent', 'agent:acme:alice');
      await gateway.stop();
      expect(await visitor.closed).toEqual({ code: 1001, reason: 'server shutting down' });
      expect(await agent.closed).toEqual({ code: 1001, reason: 'server shutting down' });
      expect(disconnected).toHaveLength(2);
      expect(gateway.connectionCount).toBe(0);
      await gateway.stop();

      const late = new WebSocket(url('/ws/visitor?token=visitor:acme:v1'));
      clients.push(late);
      await expect(
        new Promise((resolve, reject) => {
          late.once('open', resolve);
          late.once('error', reject);
        }),
      ).rejects.toThrow();
    });
  });
});
