// Fuzzing the running service (embedded mode, one process) through its real edges: websocket frames on
// real sockets (and raw websocket framing), every HTTP route of openapi.yaml with hostile paths, queries,
// bodies and content types, and every platform's webhook route. The service never crashes or hangs,
// answers every input with an error the contract documents (never `internal` or 500), and an input it
// refuses stores nothing (the configuration's rows, its audit and the event store's position stay as
// they were). The adapters themselves are fuzzed harder in gateways/src/channels/webhooks.fuzz.unit.spec.ts.
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import fc from 'fast-check';
import { isRight } from 'fp-ts/Either';
import type * as t from 'io-ts';
import { parse } from 'yaml';
import WebSocket from 'ws';
import { createLogger } from '@cschat/infra';
import { CLIENT_FRAMES } from '../../../gateways/src/ws/frames';
import { hostileJson, hostileText, mutated, NASTY_PIECES, runs, Tally } from '../../../test-support/fuzz';
import {
  isDocumentedError,
  loadOpenApi,
  namesItsField,
  PLATFORM_ADMIN_TOKEN,
  startHarness,
  type Answer,
  type Harness,
  validBodies,
  type Operation,
} from '../../../test-support/security';

type Frame = Record<string, unknown>;
type Kind = 'visitor' | 'agent';

const openapi = loadOpenApi();
const tally = new Tally();

// ---- the contract's error codes for socket frames (asyncapi.yaml) ----

type Node = Record<string, unknown>;
const asyncapi = parse(readFileSync(path.join(__dirname, '../../../docs/api/asyncapi.yaml'), 'utf8')) as Node;
const deref = (value: unknown): Node => {
  let node = value as Node;
  while (typeof node['$ref'] === 'string') {
    node = node['$ref']
      .slice(2)
      .split('/')
      .reduce<Node>((at, key) => at[key] as Node, asyncapi);
  }
  return node;
};
/** kind -> frame type -> the codes an answer to it may carry. */
const FRAME_ERROR_CODES = new Map<string, Set<string>>();
const GATEWAY_CODES = ['bad_request', 'rate_limited', 'frame_too_large'];
for (const op of Object.values(asyncapi['operations'] as Record<string, Node>)) {
  if (op['action'] !== 'receive') continue;
  const kind = String(deref(op['channel'])['address']).replace('/ws/', '');
  for (const message of op['messages'] as unknown[]) {
    const type = String(deref(message)['name']);
    const codes = (op['x-error-codes'] as string[] | undefined) ?? [];
    FRAME_ERROR_CODES.set(`${kind} ${type}`, new Set([...GATEWAY_CODES, ...codes]));
  }
}

// ---- what makes a frame invalid, decided here rather than by the codecs ----

const isFrameId = (id: unknown): boolean =>
  (typeof id === 'string' && id.length >= 1 && id.length <= 100) || (typeof id === 'number' && Number.isFinite(id));
const ID = /^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,99}$/;
const isObject = (value: unknown): value is Frame =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
/** Whether the gateway's codec takes the frame (a valid frame of the socket's kind). */
const decodes = (kind: Kind, value: unknown): boolean => {
  if (!isObject(value)) return false;
  const codec = CLIENT_FRAMES[kind].get(typeof value['type'] === 'string' ? value['type'] : '') as
    t.Decoder<unknown, unknown> | undefined;
  return codec !== undefined && isRight(codec.decode(value));
};

const notString = hostileJson(2).filter((v) => typeof v !== 'string');
const blank = fc
  .array(fc.constantFrom(' ', '\t', '\n', '\r', '\u00a0', '\u2028', '\ufeff', '\u3000'), { maxLength: 6 })
  .map((parts) => parts.join(''));
/** Longer than `max` characters. */
const tooLong = (max: number) =>
  hostileText(20).map((s) => (s === '' ? 'x' : s).repeat(max + 1).slice(0, max + 1 + (s.length % 50)));
const withUnstorable = hostileText(20).chain((s) =>
  fc.constantFrom('\u0000', '\ud800', '\udc00', 'a\udbffb').map((bad) => `${s}${bad}${s}`),
);
const badText = fc.oneof(notString, fc.constant(''), blank, tooLong(4000), withUnstorable);
const badClientMsgId = fc.oneof(notString, fc.constant(''), tooLong(100), withUnstorable);
const badId = fc.oneof(
  notString,
  hostileText(30).filter((s) => !ID.test(s)),
  tooLong(100).map((s) => `a${s}`),
);
const badFrameId = fc.oneof(
  hostileJson(1).filter((v) => !isFrameId(v)),
  fc.constant(''),
  tooLong(100),
);
const validId = fc.oneof(fc.string({ minLength: 1, maxLength: 100 }), fc.integer());
const extraFields = fc.dictionary(
  hostileText(10).filter(
    (k) => !['type', 'id', 'text', 'clientMsgId', 'sessionId', 'status', 'toAgentId', 'toGroupId'].includes(k),
  ),
  hostileJson(1),
  { maxKeys: 2 },
);

/** A frame of a known type with a field that must fail its codec (or a bad `id`). */
const brokenFrame = (kind: Kind): fc.Arbitrary<Frame> => {
  const field = (name: string, value: fc.Arbitrary<unknown>) => value.map((v) => ({ [name]: v }));
  const drop = (frame: Frame, name: string): Frame =>
    Object.fromEntries(Object.entries(frame).filter(([k]) => k !== name));
  const cases: fc.Arbitrary<Frame>[] =
    kind === 'visitor'
      ? [
          fc.oneof(field('text', badText), field('clientMsgId', badClientMsgId)).map((bad) => ({
            type: 'message.send',
            text: 'hello',
            clientMsgId: 'c1',
            ...bad,
          })),
          fc
            .constantFrom('text', 'clientMsgId')
            .map((name) => drop({ type: 'message.send', text: 'hi', clientMsgId: 'c' }, name)),
          fc.tuple(fc.constantFrom('human.request', 'session.end', 'message.send'), badFrameId).map(([type, id]) => ({
            type,
            text: 'hi',
            clientMsgId: 'c',
            id,
          })),
        ]
      : [
          fc
            .oneof(
              notString,
              hostileText(10).filter((s) => !['idle', 'busy', 'away', 'offline'].includes(s)),
            )
            .map((status) => ({
              type: 'agent.status',
              status,
            })),
          fc
            .oneof(field('sessionId', badId), field('text', badText), field('clientMsgId', badClientMsgId))
            .map((bad) => ({ type: 'message.send', sessionId: 's1', text: 'hi', clientMsgId: 'c', ...bad })),
          fc
            .tuple(
              fc.constantFrom('session.read', 'session.end', 'session.watch', 'session.unwatch', 'session.takeover'),
              fc.option(badId, { nil: undefined }),
            )
            .map(([type, id]) => (id === undefined ? { type } : { type, sessionId: id })),
          fc.oneof(
            fc.constant({ type: 'session.transfer', sessionId: 's1', toAgentId: 'bob', toGroupId: 'support' }),
            fc.constant({ type: 'session.transfer', sessionId: 's1' }),
            badId.map((id) => ({ type: 'session.transfer', sessionId: 's1', toAgentId: id })),
            badId.map((id) => ({ type: 'session.transfer', sessionId: 's1', toGroupId: id })),
            badId.map((id) => ({ type: 'session.transfer', sessionId: id, toGroupId: 'support' })),
          ),
          badFrameId.map((id) => ({ type: 'agent.status', status: 'idle', id })),
          fc
            .tuple(fc.constantFrom('live.subscribe', 'live.unsubscribe', 'session.watch'), badFrameId)
            .map(([type, id]) => ({ type, sessionId: 's1', id })),
        ];
  return fc
    .tuple(fc.oneof(...cases), extraFields, fc.option(validId, { nil: undefined }))
    .map(([frame, extra, id]) => ({ ...extra, ...(id === undefined || 'id' in frame ? {} : { id }), ...frame }));
};

interface Sent {
  readonly data: string | Buffer;
  readonly binary: boolean;
}

/** Anything a socket may send that the gateway must refuse. */
const invalidFrame = (kind: Kind): fc.Arbitrary<Sent> => {
  const known = new Set(CLIENT_FRAMES[kind].keys());
  const text = (data: string): Sent => ({ data, binary: false });
  return fc.oneof(
    { weight: 2, arbitrary: hostileText(200).map(text) },
    {
      weight: 1,
      arbitrary: fc.uint8Array({ maxLength: 300 }).map((bytes) => ({ data: Buffer.from(bytes), binary: true })),
    },
    {
      weight: 2,
      arbitrary: hostileJson(3)
        .filter((v) => !(isObject(v) && typeof v['type'] === 'string'))
        .map((v) => text(JSON.stringify(v))),
    },
    {
      weight: 2,
      arbitrary: fc
        .tuple(
          fc.oneof(hostileText(20), fc.constantFrom(...CLIENT_FRAMES[kind === 'visitor' ? 'agent' : 'visitor'].keys())),
          extraFields,
          fc.option(validId),
        )
        .filter(([type]) => !known.has(type))
        .map(([type, extra, id]) => text(JSON.stringify({ ...extra, type, ...(id === null ? {} : { id }) }))),
    },
    { weight: 6, arbitrary: brokenFrame(kind).map((frame) => text(JSON.stringify(frame))) },
  );
};

/** What the gateway must answer to a refused frame, worked out from the bytes. */
const expectedRefusal = (sent: Sent): { code: string; id?: unknown } => {
  const bytes = Buffer.isBuffer(sent.data) ? sent.data.length : Buffer.byteLength(sent.data);
  let json: unknown;
  try {
    json = sent.binary ? undefined : (JSON.parse(String(sent.data)) as unknown);
  } catch {
    json = undefined;
  }
  const id = isObject(json) && isFrameId(json['id']) ? json['id'] : undefined;
  if (bytes > 32 * 1024) return { code: 'frame_too_large', ...(id === undefined ? {} : { id }) };
  return { code: 'bad_request', ...(id === undefined || sent.binary ? {} : { id }) };
};

// ---- sockets ----

interface Socket {
  readonly ws: WebSocket;
  readonly frames: Frame[];
  closed: number | undefined;
}

const openSocket = async (url: string, welcome: string): Promise<Socket> => {
  const ws = new WebSocket(url);
  const socket: Socket = { ws, frames: [], closed: undefined };
  ws.on('message', (data: Buffer) => socket.frames.push(JSON.parse(data.toString()) as Frame));
  ws.on('close', (code: number) => (socket.closed = code));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  await waitUntil(() => socket.frames.some((f) => f['type'] === welcome), `the ${welcome} frame`);
  return socket;
};

const waitUntil = async (done: () => boolean, what: string, timeoutMs = 15_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};

const answers = (socket: Socket): Frame[] => socket.frames.filter((f) => f['type'] === 'ack' || f['type'] === 'error');

/** Percent-encodes every byte but the unreserved ones (a lone surrogate goes as U+FFFD's bytes). */
const pct = (s: string): string =>
  [...Buffer.from(s, 'utf8')]
    .map((b) =>
      /[A-Za-z0-9\-._~]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).padStart(2, '0')}`,
    )
    .join('');

describe('fuzzing the running service (embedded mode)', () => {
  jest.setTimeout(180_000);
  let h: Harness;
  const errorLog: string[] = [];

  beforeAll(async () => {
    // The production logger, at error level: a handler that fails unexpectedly logs there.
    const logger = createLogger({
      level: 'error',
      destination: new Writable({
        write: (chunk: Buffer, _encoding, done) => {
          errorLog.push(chunk.toString());
          done();
        },
      }),
    });
    // The frame rate and the connection limits are raised so that one socket takes thousands of frames;
    // the limits themselves are tested at their defaults in limits.int.spec.ts.
    h = await startHarness({
      logger,
      // No worker role: nothing appends in the background (routing, recording sends), so that the event store's
      // position moves only for what a request stores.
      env: { ROLES: 'gateway,api,projector,relay' },
      socketLimits: {
        framesPerSecond: 1_000_000,
        burstFrames: 1_000_000,
        abuseRefusals: 1_000_000_000,
        maxQueuedFrames: 1_000_000,
        maxConnectionsPerPrincipal: 10_000,
        maxConnectionsPerIp: 10_000,
      },
    });
  }, 60_000);

  afterAll(async () => {
    tally.print('fuzz inputs per surface (running service):');
    await h?.stop();
  });

  describe('websocket frames', () => {
    const sockets: Socket[] = [];
    afterAll(() => sockets.forEach((s) => s.ws.terminate()));
    const socketOf = async (kind: Kind): Promise<Socket> => {
      const token = kind === 'visitor' ? (await h.visitor('demo')).token : (await h.login('demo', 'alice')).token;
      const socket = await openSocket(
        `${h.wsBase}/ws/${kind}?token=${token}`,
        kind === 'visitor' ? 'suggestions' : 'session.list',
      );
      sockets.push(socket);
      return socket;
    };

    it.each<Kind>(['visitor', 'agent'])(
      'answers every invalid %s frame with one documented error, in order, keeps the socket open and stores nothing',
      async (kind) => {
        const socket = await socketOf(kind);
        const before = await h.fingerprint();
        const seed = Date.now();
        const sample = fc.sample(invalidFrame(kind), { numRuns: runs(6000), seed });
        for (let from = 0; from < sample.length; from += 300) {
          const batch = sample.slice(from, from + 300);
          const start = answers(socket).length;
          for (const sent of batch) socket.ws.send(sent.data, { binary: sent.binary });
          await waitUntil(() => answers(socket).length >= start + batch.length, `answers to frames ${from}..`);
          const got = answers(socket).slice(start);
          batch.forEach((sent, i) => {
            const answer = got[i]!;
            const { code, id } = expectedRefusal(sent);
            // A frame that fails its codec names the field and the rule, with `field` (PROTOCOL "Security").
            const field = answer['field'] === undefined ? {} : { field: answer['field'] };
            const expected = {
              type: 'error',
              ...(id === undefined ? {} : { id }),
              code,
              message: answer['message'],
              ...field,
            };
            if (JSON.stringify(answer) !== JSON.stringify(expected) || !namesItsField(answer)) {
              throw new Error(
                `seed ${seed}: frame ${String(sent.data).slice(0, 300)} answered ${JSON.stringify(answer)}`,
              );
            }
            if (!sent.binary) {
              // The codecs agree that the frame is invalid.
              let json: unknown;
              try {
                json = JSON.parse(String(sent.data)) as unknown;
              } catch {
                json = undefined;
              }
              if (decodes(kind, json)) throw new Error(`a valid frame? ${String(sent.data)}`);
            }
          });
          tally.add(`websocket ${kind} frames (invalid)`, batch.length);
        }
        expect(socket.closed).toBeUndefined();
        expect(await h.fingerprint()).toBe(before);
      },
    );

    it.each<Kind>(['visitor', 'agent'])(
      'answers mutations of valid %s frames with an ack or an error the contract lists for that frame',
      async (kind) => {
        const socket = await socketOf(kind);
        // Real sessions to aim at: a visitor of demo with a session, handed to alice.
        const v = await socketOf('visitor');
        v.ws.send(JSON.stringify({ type: 'message.send', id: 'open', text: 'hello', clientMsgId: 'open' }));
        await waitUntil(() => answers(v).some((f) => f['id'] === 'open'), 'a session');
        const sessionId = String(answers(v).find((f) => f['id'] === 'open')!['sessionId']);
        const templates: Frame[] =
          kind === 'visitor'
            ? [
                { type: 'message.send', text: 'where is my order', clientMsgId: 'c1' },
                { type: 'human.request' },
                { type: 'session.end' },
              ]
            : [
                { type: 'agent.status', status: 'idle' },
                { type: 'message.send', sessionId, text: 'hello from alice', clientMsgId: 'a1' },
                { type: 'session.read', sessionId },
                { type: 'session.transfer', sessionId, toAgentId: 'bob' },
                { type: 'session.transfer', sessionId, toGroupId: 'support' },
                { type: 'session.end', sessionId },
              ];
        const seed = Date.now();
        const sample = fc.sample(
          fc.constantFrom(...templates).chain((template) => mutated(template as fc.JsonValue, 2)),
          { numRuns: runs(kind === 'visitor' ? 600 : 1200), seed },
        );
        let n = 0;
        for (let from = 0; from < sample.length; from += 40) {
          const batch = sample.slice(from, from + 40).map((value) => {
            n += 1;
            const id = `m${n}`;
            const frame: unknown = isObject(value) ? { ...value, id } : value;
            return { id, frame };
          });
          for (const { frame } of batch) socket.ws.send(JSON.stringify(frame));
          const ofBatch = (f: Frame) => batch.some((b) => isObject(b.frame) && b.frame['id'] === f['id']);
          const expected = batch.filter((b) => isObject(b.frame)).length;
          await waitUntil(
            () => answers(socket).filter(ofBatch).length >= expected,
            `answers to mutated frames ${from}..`,
            30_000,
          );
          for (const { id, frame } of batch) {
            if (!isObject(frame)) continue;
            const answer = answers(socket).find((f) => f['id'] === id)!;
            const valid = decodes(kind, frame);
            const allowed = valid ? FRAME_ERROR_CODES.get(`${kind} ${String(frame['type'])}`)! : new Set(GATEWAY_CODES);
            const fine =
              answer['type'] === 'ack' ? valid : allowed.has(String(answer['code'])) && namesItsField(answer);
            if (!fine)
              throw new Error(
                `seed ${seed}: ${JSON.stringify(frame).slice(0, 300)} answered ${JSON.stringify(answer)}`,
              );
          }
          tally.add(`websocket ${kind} frames (mutated valid)`, batch.length);
        }
        expect(socket.closed).toBeUndefined();
      },
    );

    it('survives raw websocket framing gone wrong: bad opcodes, lengths, masks, reserved bits, cut frames', async () => {
      const { token } = await h.visitor('demo');
      const url = new URL(`${h.base}/ws/visitor?token=${token}`);
      /** A masked client text frame, as a browser sends it. */
      const frameOf = (payload: Buffer): Buffer => {
        const mask = randomBytes(4);
        const length =
          payload.length < 126
            ? Buffer.from([0x80 | payload.length])
            : Buffer.from([0x80 | 126, payload.length >> 8, payload.length & 0xff]);
        return Buffer.concat([Buffer.from([0x81]), length, mask, Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!))]);
      };
      const valid = frameOf(Buffer.from(JSON.stringify({ type: 'human.request', id: 1 })));
      const rawCase = fc.oneof(
        fc.uint8Array({ minLength: 1, maxLength: 64 }).map((bytes) => Buffer.from(bytes)),
        fc
          .array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 })
          .map((flips) => {
            const copy = Buffer.from(valid);
            for (const [at, value] of flips) copy[at] = value;
            return copy;
          }),
        fc.nat(valid.length - 1).map((cut) => valid.subarray(0, cut)),
        // A 64-bit length of up to 2^63: the server must not try to allocate it.
        fc.bigInt({ min: 65_536n, max: 2n ** 63n - 1n }).map((len) => {
          const header = Buffer.alloc(14);
          header[0] = 0x81;
          header[1] = 0x80 | 127;
          header.writeBigUInt64BE(len, 2);
          return header;
        }),
        fc
          .integer({ min: 0, max: 15 })
          .map((opcode) => Buffer.concat([Buffer.from([0x80 | opcode]), valid.subarray(1)])),
        fc.constant(Buffer.concat([Buffer.from([0x01 | 0x70]), valid.subarray(1)])), // RSV bits set
        fc.constant(Buffer.concat([Buffer.from([0x81, valid[1]! & 0x7f]), valid.subarray(6)])), // not masked
      );
      const raw = async (bytes: Buffer): Promise<void> =>
        new Promise((resolve, reject) => {
          const socket = connect(Number(url.port), '127.0.0.1');
          let upgraded = false;
          let received = '';
          // The server closes the connection, or it is given up on 150 ms after the bytes went out.
          let timer = setTimeout(() => socket.destroy(), 10_000);
          socket.on('error', () => undefined);
          socket.on('close', () => {
            clearTimeout(timer);
            if (upgraded) resolve();
            else reject(new Error(`no upgrade: ${received.slice(0, 200)}`));
          });
          socket.on('data', (chunk) => {
            received += chunk.toString('latin1');
            if (!upgraded && received.includes('\r\n\r\n')) {
              upgraded = received.startsWith('HTTP/1.1 101');
              if (!upgraded) return void socket.destroy();
              socket.write(bytes);
              clearTimeout(timer);
              timer = setTimeout(() => socket.destroy(), 150);
            }
          });
          socket.write(
            `GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
              `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
          );
        });
      const sample = fc.sample(rawCase, { numRuns: runs(160) });
      for (let from = 0; from < sample.length; from += 24) {
        await Promise.all(sample.slice(from, from + 24).map(raw));
        tally.add('websocket raw framing', Math.min(24, sample.length - from));
      }
      // Still serving.
      const after = await socketOf('visitor');
      after.ws.send(JSON.stringify({ type: 'human.request', id: 'after' }));
      await waitUntil(() => answers(after).some((f) => f['id'] === 'after'), 'an answer after the raw fuzzing');
    });
  });

  describe('platform webhooks', () => {
    const PLATFORMS = {
      telegram: { botToken: '123:fuzz', secretToken: 'fuzz-secret_token' },
      whatsapp: { accessToken: 'wa-t', appSecret: 'wa-secret', verifyToken: 'wa-verify', phoneNumberId: '1555000' },
      messenger: { pageAccessToken: 'fb-t', appSecret: 'fb-secret', verifyToken: 'fb-verify', pageId: 'page-1' },
      instagram: { accessToken: 'ig-t', appSecret: 'ig-secret', verifyToken: 'ig-verify', igAccountId: 'ig-1' },
      wechat: { appId: 'wx1234567890', appSecret: 'wxsecret', token: 'wxtoken123' },
    } as const;
    type Platform = keyof typeof PLATFORMS;
    const accounts = new Map<Platform, string>();
    const now = Math.floor(Date.now() / 1000);
    const VALID: Record<Exclude<Platform, 'wechat'>, fc.JsonValue> = {
      telegram: {
        update_id: 1,
        message: {
          message_id: 7,
          date: now,
          chat: { id: 4242, type: 'private' },
          from: { id: 4242, first_name: 'Li' },
          text: 'hi',
        },
      },
      whatsapp: {
        object: 'whatsapp_business_account',
        entry: [
          {
            id: 'w',
            changes: [
              {
                field: 'messages',
                value: {
                  metadata: { phone_number_id: '1555000' },
                  contacts: [{ wa_id: '86138', profile: { name: 'Wang' } }],
                  messages: [
                    { from: '86138', id: 'wamid.1', timestamp: String(now), type: 'text', text: { body: 'hi' } },
                  ],
                },
              },
            ],
          },
        ],
      },
      messenger: {
        object: 'page',
        entry: [
          {
            id: 'page-1',
            messaging: [{ sender: { id: 'psid-1' }, timestamp: now * 1000, message: { mid: 'm.1', text: 'hi' } }],
          },
        ],
      },
      instagram: {
        object: 'instagram',
        entry: [
          {
            id: 'ig-1',
            messaging: [{ sender: { id: 'igsid-1' }, timestamp: now * 1000, message: { mid: 'm.1', text: 'hi' } }],
          },
        ],
      },
    };

    beforeAll(async () => {
      const { token } = await h.login('demo', 'admin');
      for (const [platform, credentials] of Object.entries(PLATFORMS)) {
        const created = await h.json(
          'POST',
          '/api/admin/channel-accounts',
          { platform, name: `fuzz ${platform}`, groupId: 'support', credentials },
          token,
        );
        expect(created.status).toBe(201);
        accounts.set(platform as Platform, String((created.json as { id: string }).id));
      }
    });

    const wechatQuery = (token: string) => {
      const timestamp = String(now);
      const nonce = 'n1';
      const signature = createHash('sha1').update([token, timestamp, nonce].sort().join('')).digest('hex');
      return `?signature=${signature}&timestamp=${timestamp}&nonce=${nonce}`;
    };
    const deliver = (platform: Platform, body: Buffer, signed: boolean, headers: Record<string, string> = {}) => {
      const where = `/webhooks/${platform}/${accounts.get(platform)!}`;
      const credentials = PLATFORMS[platform] as Record<string, string>;
      if (platform === 'wechat') {
        return h.call('POST', `${where}${signed ? wechatQuery(credentials['token']!) : wechatQuery('forged')}`, {
          body,
          headers: { 'content-type': 'text/xml', ...headers },
        });
      }
      const auth: Record<string, string> =
        platform === 'telegram'
          ? signed
            ? { 'x-telegram-bot-api-secret-token': credentials['secretToken']! }
            : {}
          : {
              'x-hub-signature-256': `sha256=${createHmac('sha256', signed ? credentials['appSecret']! : 'forged')
                .update(body)
                .digest('hex')}`,
            };
      return h.call('POST', where, { body, headers: { 'content-type': 'application/json', ...auth, ...headers } });
    };
    const checkWebhookAnswer = (answer: Answer, allowed: readonly number[], input: string): void => {
      const documented =
        allowed.includes(answer.status) && (answer.status < 400 || isDocumentedError(answer, openapi.errorCodes));
      if (!documented) throw new Error(`${input.slice(0, 300)} answered ${answer.status} ${answer.text.slice(0, 300)}`);
    };

    it.each(Object.keys(PLATFORMS) as Platform[])(
      '%s: refuses forged deliveries and stores nothing',
      async (platform) => {
        const before = await h.fingerprint();
        const bodies = fc.sample(
          fc.oneof(
            fc.uint8Array({ maxLength: 400 }).map((b) => Buffer.from(b)),
            hostileJson(3).map((v) => Buffer.from(JSON.stringify(v))),
            platform === 'wechat'
              ? fc.constant(Buffer.from('<xml><MsgType>text</MsgType></xml>'))
              : fc.constant(Buffer.from(JSON.stringify(VALID[platform]))),
          ),
          runs(150),
        );
        for (const body of bodies) {
          const answer = await deliver(platform, body, false);
          checkWebhookAnswer(answer, [401, 403], body.toString('utf8'));
          tally.add(`webhook ${platform} (forged)`);
        }
        expect(await h.fingerprint()).toBe(before);
      },
    );

    it.each(Object.keys(PLATFORMS) as Platform[])(
      '%s: answers signed hostile and mutated deliveries with 200 or 400, storing nothing from what it refuses',
      async (platform) => {
        const xmlPieces = [
          '<xml>',
          '</xml>',
          '<Content>',
          '</Content>',
          '<![CDATA[',
          ']]>',
          '<!DOCTYPE x [<!ENTITY e "boom">]>',
          '&e;',
          '&#0;',
          '&#xD800;',
          '<MsgType>text</MsgType>',
          '<FromUserName>u1</FromUserName>',
          `<CreateTime>${now}</CreateTime>`,
          '<MsgId>9</MsgId>',
        ];
        const wechatBody = fc
          .array(fc.oneof(fc.constantFrom(...xmlPieces, ...NASTY_PIECES), hostileText(6)), { maxLength: 30 })
          .map((parts) => parts.join(''));
        const wechatValid = (content: string, msgId: string) =>
          `<xml><FromUserName><![CDATA[oUser1]]></FromUserName><CreateTime>${now}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content>${content}</Content><MsgId>${msgId}</MsgId></xml>`;
        const bodies = fc.sample(
          platform === 'wechat'
            ? fc.oneof(
                wechatBody,
                fc
                  .tuple(hostileText(20), fc.nat())
                  .map(([text, id]) => wechatValid(text.replace(/[<&]/g, ''), String(id))),
                fc
                  .constantFrom('&#0;', '&#xD800;', 'a&#xDFFF;b', '\u0000')
                  .map((text) => wechatValid(text, String(Math.random()).slice(2))),
              )
            : fc.oneof(
                { weight: 4, arbitrary: mutated(VALID[platform], 3).map((v) => JSON.stringify(v)) },
                { weight: 1, arbitrary: hostileText(200) },
              ),
          runs(platform === 'wechat' ? 100 : 200),
        );
        let stored = await h.fingerprint();
        for (const body of bodies) {
          const answer = await deliver(platform, Buffer.from(body, 'utf8'), true);
          checkWebhookAnswer(answer, [200, 400], body);
          const now = await h.fingerprint();
          if (answer.status >= 400 && now !== stored) throw new Error(`refused but stored: ${body.slice(0, 300)}`);
          stored = now;
          tally.add(`webhook ${platform} (signed)`);
        }
      },
    );

    it('answers hostile handshakes, methods and paths with documented statuses', async () => {
      const cases = fc.sample(
        fc.tuple(
          fc.constantFrom('GET', 'POST', 'PUT', 'DELETE'),
          fc.oneof(fc.constantFrom(...Object.keys(PLATFORMS)), hostileText(10)),
          fc.oneof(fc.constantFrom(...accounts.values()), hostileText(40)),
          fc.array(
            fc.tuple(
              fc.oneof(
                fc.constantFrom(
                  'hub.mode',
                  'hub.verify_token',
                  'hub.challenge',
                  'signature',
                  'timestamp',
                  'nonce',
                  'echostr',
                ),
                hostileText(8),
              ),
              hostileText(30),
            ),
            { maxLength: 5 },
          ),
        ),
        runs(400),
      );
      const before = await h.fingerprint();
      for (const [method, platform, account, query] of cases) {
        const q = query.map(([k, v]) => `${pct(k)}=${pct(v)}`).join('&');
        const answer = await h.call(method, `/webhooks/${pct(platform)}/${pct(account)}${q === '' ? '' : `?${q}`}`);
        checkWebhookAnswer(answer, [200, 400, 401, 403, 404], `${method} ${platform} ${account} ${q}`);
        tally.add('webhook handshakes and paths');
      }
      expect(await h.fingerprint()).toBe(before);
    });
  });

  describe('HTTP routes', () => {
    let admin: string;
    const ids = new Map<string, string[]>();

    beforeAll(async () => {
      // A company of its own: the fuzzing may change or delete anything in it.
      const created = await h.json(
        'POST',
        '/api/companies',
        {
          companyId: 'fuzzco',
          name: 'Fuzz Co',
          timeZone: 'Asia/Shanghai',
          adminUsername: 'boss',
          adminPassword: 'fuzz-admin-password',
        },
        PLATFORM_ADMIN_TOKEN,
      );
      expect(created.status).toBe(201);
      admin = (await h.login('fuzzco', 'boss', 'fuzz-admin-password')).token;
      const create = async (collection: string, body: unknown) => {
        const answer = await h.json('POST', collection, body, admin);
        expect([collection, answer.status]).toEqual([collection, 201]);
        const id = String((answer.json as { id: string }).id);
        ids.set(collection, [...(ids.get(collection) ?? []), id]);
        return id;
      };
      const group = await create('/api/admin/groups', { name: 'Fuzz group' });
      await create('/api/admin/agents', {
        username: 'agent1',
        password: 'agent-password',
        role: 'agent',
        groupIds: [group],
        capacity: 2,
      });
      await create('/api/admin/channel-accounts', {
        platform: 'telegram',
        name: 'T',
        groupId: group,
        credentials: { botToken: '1:a', secretToken: 'abc' },
      });
      await create('/api/admin/working-hours', {
        groupId: group,
        type: 'regular',
        timeZone: 'Asia/Shanghai',
        weekly: [{ day: 'mon', from: '09:00', to: '18:00' }],
      });
      await create('/api/admin/faq', { question: 'How do refunds work?', answer: 'Within 7 days.' });
      await create('/api/admin/intents', { name: 'greet', phrases: ['hello there'], action: 'answer', answer: 'Hi!' });
      await create('/api/admin/webhooks', { url: 'https://hooks.example.com/fuzz', events: ['session.ended'] });
      await create('/api/canned-responses', { shortcut: 'hi', text: 'Hello!', scope: 'company' });
      ids.set('/api/sessions', ['x1']);
      // A visitor of the company for the erasure's path (DELETE /api/admin/visitors/{id}).
      const visitor = await h.json('POST', '/api/visitors/login', { companyId: 'fuzzco', name: 'Fuzzed visitor' });
      ids.set('/api/admin/visitors', [String((visitor.json as { visitorId: string }).visitorId)]);
    });

    const validBody = (op: Operation): fc.JsonValue =>
      validBodies(ids.get('/api/admin/groups')?.[0] ?? 'g1', 'fuzzco')[`${op.method} ${op.path}`] ?? {};

    const body = (op: Operation): fc.Arbitrary<{ contentType?: string; data?: string }> => {
      const json = (data: string) => ({ contentType: 'application/json', data });
      return fc.oneof(
        { weight: 6, arbitrary: mutated(validBody(op), 3).map((v) => json(JSON.stringify(v))) },
        { weight: 2, arbitrary: hostileJson(4).map((v) => json(JSON.stringify(v))) },
        { weight: 1, arbitrary: hostileText(100).map(json) },
        {
          weight: 1,
          arbitrary: fc
            .constantFrom(
              '{"__proto__":{"admin":true}}',
              '{"constructor":{"prototype":{"x":1}}}',
              `${'['.repeat(5000)}${']'.repeat(5000)}`,
              '{"name":"\\ud800"}',
              '{"name":"\\u0000"}',
              '',
            )
            .map(json),
        },
        {
          weight: 1,
          arbitrary: fc
            .tuple(
              fc.constantFrom(
                'text/plain',
                'application/x-www-form-urlencoded',
                'multipart/form-data; boundary=x',
                'application/xml',
                'application/json; charset=utf-16',
                'application/json\tx',
                ' application/json',
                'APPLICATION/JSON',
                'application/json, text/plain',
                '',
              ),
              fc.oneof(hostileText(80), fc.constant(JSON.stringify(validBody(op)))),
            )
            .map(([contentType, data]) => ({ contentType, data })),
        },
        { weight: 1, arbitrary: fc.constant({}) },
      );
    };

    const pathOf = (op: Operation): fc.Arbitrary<string> => {
      if (!op.path.includes('{id}')) return fc.constant(op.path);
      // An item's own sub-resource (`/{id}/messages`, `/{id}/alternatives`, ...) takes the item's ids.
      const collection = op.path.replace(/\/\{id\}.*$/, '');
      const real = ids.get(collection) ?? ['x1'];
      return fc
        .oneof(
          { weight: 3, arbitrary: fc.constantFrom(...real) },
          { weight: 3, arbitrary: hostileText(30).map(pct) },
          {
            weight: 1,
            arbitrary: fc.constantFrom(
              '%00',
              '%ZZ',
              '%',
              '%ED%A0%80',
              '%C0%AF',
              '..',
              '%2e%2e',
              'a%2Fb',
              'x'.repeat(3000),
              '%F0%9F%99%82',
            ),
          },
        )
        .map((id) => op.path.replace('{id}', id === '' ? 'x' : id));
    };

    const queryOf = fc.oneof(
      { weight: 2, arbitrary: fc.constant('') },
      {
        weight: 3,
        arbitrary: fc
          .array(
            fc.tuple(
              fc.oneof(
                fc.constantFrom('q', 'before', 'limit', 'days', '__proto__', 'q[]', 'constructor'),
                hostileText(8),
              ),
              fc.oneof(
                hostileText(30),
                fc.constantFrom('1', '0', '-1', '201', '1e3', '2026-01-01T00:00:00Z', 'NaN', ''),
              ),
            ),
            { maxLength: 4 },
          )
          .map((pairs) => (pairs.length === 0 ? '' : `?${pairs.map(([k, v]) => `${pct(k)}=${pct(v)}`).join('&')}`)),
      },
      {
        weight: 1,
        arbitrary: fc.constantFrom(
          '?q=%ZZ',
          '?q=%00',
          '?q=%ED%A0%80',
          '?limit=%00',
          '?q=1&q=2',
          '?before=2026-13-45',
          '?limit=1&limit=2',
          '?%',
        ),
      },
    );

    const authOf = (op: Operation): fc.Arbitrary<Record<string, string>> => {
      const right: Record<string, string> = op.security.includes('platformAdminToken')
        ? { authorization: `Bearer ${PLATFORM_ADMIN_TOKEN}` }
        : op.security.length > 0
          ? { authorization: `Bearer ${admin}` }
          : {};
      return fc.oneof(
        { weight: 9, arbitrary: fc.constant(right) },
        {
          weight: 1,
          arbitrary: fc
            .string({ unit: 'grapheme-ascii', maxLength: 60 })
            .map((s) => ({ authorization: `Bearer ${s}` })),
        },
        {
          weight: 1,
          arbitrary: fc.constantFrom<Record<string, string>>(
            { authorization: 'Basic YTpi' },
            { authorization: '' },
            {},
          ),
        },
      );
    };

    const lateness = (op: Operation): number => (op.path === '/api/agents/logout' ? 2 : op.method === 'DELETE' ? 1 : 0);
    const operations = [...openapi.operations]
      .filter((op) => !op.path.startsWith('/webhooks/'))
      // Deletions last, so that the other operations meet the items first; the logout after them, as it revokes
      // the admin token every other operation is called with.
      .sort((a, b) => lateness(a) - lateness(b));

    it.each(operations.map((op) => [`${op.method} ${op.path}`, op] as const))(
      '%s: never 500, only documented statuses and error bodies; a refused request stores nothing',
      async (_name, op) => {
        // A login or a new agent costs a scrypt hash: fewer runs where bodies reach one.
        const costly = /login|agents|companies/.test(op.path) && op.method !== 'GET' && op.method !== 'DELETE';
        const withBody = op.method === 'POST' || op.method === 'PUT';
        const none: fc.Arbitrary<{ contentType?: string; data?: string }> = fc.constant({});
        // What is stored after the previous request: a refused one must leave it as it was.
        let stored = await h.fingerprint();
        await fc.assert(
          fc.asyncProperty(
            pathOf(op),
            op.method === 'GET' ? queryOf : fc.constant(''),
            withBody ? body(op) : none,
            authOf(op),
            async (p, query, b, auth) => {
              const answer = await h.call(op.method, `${p}${query}`, {
                headers: { ...auth, ...(b.contentType === undefined ? {} : { 'content-type': b.contentType }) },
                ...(b.data === undefined ? {} : { body: b.data }),
              });
              tally.add(`HTTP ${op.method} routes`);
              const fine =
                answer.status !== 500 &&
                (op.statuses.has(answer.status) || (answer.status === 404 && op.path.includes('{id}'))) &&
                (answer.status < 400 || isDocumentedError(answer, openapi.errorCodes));
              if (!fine) throw new Error(`answered ${answer.status} ${answer.text.slice(0, 300)}`);
              // isDocumentedError checked that a 400's message is there and that a field it names is in `field`.
              if (answer.status === 400 && (answer.json as { error: { field?: string } }).error.field !== undefined) {
                tally.add('HTTP 400 answers naming their field');
              }
              const now = await h.fingerprint();
              const before = stored;
              stored = now;
              if (answer.status >= 400 && now !== before) throw new Error('a refused request changed what is stored');
            },
          ),
          { numRuns: runs(costly ? 30 : 80) },
        );
      },
    );
  });

  it('visitor login: hostile resumeTokens and ids never continue an existing visitor, and store nothing', async () => {
    const owner = await h.visitor('demo');
    const other = await h.visitor('demo');
    const cases = fc.sample(
      fc
        .record({
          visitorId: fc.oneof(
            { weight: 4, arbitrary: fc.constant(owner.visitorId) },
            { weight: 1, arbitrary: hostileText(40) },
          ),
          resumeToken: fc.oneof(
            // Another visitor's real token; the owner's with one character changed, cut or extended.
            fc.constant(other.resumeToken),
            fc
              .tuple(fc.nat(42), fc.constantFrom('A', '-', '_', '0', '\u0000', '=='))
              .map(([i, c]) => `${owner.resumeToken.slice(0, i)}${c}${owner.resumeToken.slice(i + 1)}`),
            fc.nat(42).map((n) => owner.resumeToken.slice(0, n)),
            fc.constant(`${owner.resumeToken}A`),
            fc.constant(owner.resumeToken.toLowerCase()),
            hostileText(60),
            notString,
          ),
        })
        .filter((c) => c.resumeToken !== owner.resumeToken),
      runs(150),
    );
    const stored = await h.fingerprint();
    for (const attempt of cases) {
      const answer = await h.json('POST', '/api/visitors/login', { companyId: 'demo', ...attempt });
      tally.add('visitor login resume tokens');
      if (![400, 401].includes(answer.status) || !isDocumentedError(answer, openapi.errorCodes))
        throw new Error(`answered ${answer.status} to ${JSON.stringify(attempt)}: ${answer.text.slice(0, 300)}`);
    }
    expect(await h.fingerprint()).toBe(stored);
    // The refusals spent nothing: the owner's own token still continues it.
    const resumed = await h.json('POST', '/api/visitors/login', {
      companyId: 'demo',
      visitorId: owner.visitorId,
      resumeToken: owner.resumeToken,
    });
    expect([resumed.status, (resumed.json as { visitorId?: string }).visitorId]).toEqual([200, owner.visitorId]);
  });

  it('is still up, and logged no unexpected failure while being fuzzed', async () => {
    expect((await h.call('GET', '/healthz')).status).toBe(200);
    expect(errorLog).toEqual([]);
  });
});
