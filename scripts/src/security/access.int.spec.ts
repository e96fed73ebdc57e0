// Security of the running service (embedded mode): for every HTTP route, every frame type and every platform's
// webhook, the call from the wrong side is refused and answers nothing of the data: another company's admin
// or agent, another agent (personal canned responses), another visitor, a token that is expired, signed with
// another key, unsigned (`alg: none`) or tampered, a webhook with a wrong signature. Every piece of data
// created here carries LEAKMARK, so that a refusal (or a socket frame) holding a byte of it shows. Then the
// stored password hashes, and a scan of the whole run's log (the production logger at trace level) for
// every password, token, key and channel secret that went through it.
import { createHash, createHmac } from 'node:crypto';
import { Writable } from 'node:stream';
import WebSocket from 'ws';
import { createLogger } from '@cschat/infra';
import { issueToken, TokenSubject } from '@cschat/gateways';
import { decodeOrThrow } from '../../../test-support/fixtures';
import { Tally } from '../../../test-support/fuzz';
import { safeModeDelivery } from '../../../test-support/wechat-safe-mode';
import {
  DEMO_PASSWORD,
  isDocumentedError,
  loadOpenApi,
  METRICS_TOKEN,
  PLATFORM_ADMIN_TOKEN,
  startHarness,
  TOKEN_SECRET,
  validBodies,
  type Answer,
  type Harness,
} from '../../../test-support/security';

/** In every piece of demo's data: another company, or a refusal, must never show it. */
const MARK = 'LEAKMARK';
/** In demo's conversations only: what another visitor, or an agent not holding the session, must never be sent. */
const CONVO = 'CONVOMARK';
const RIVAL_PASSWORD = 'rival-admin-password-LEAKMARK';
const CAROL_PASSWORD = 'carol-agent-password-LEAKMARK';
const DAVE_PASSWORD = 'dave-agent-password-LEAKMARK';
const SAM_PASSWORD = 'sam-supervisor-password-LEAKMARK';
const REX_PASSWORD = 'rex-agent-password-LEAKMARK';
const OTHER_KEY = 'a-completely-different-signing-key-of-32-bytes-or-more';

const CREDENTIALS = {
  telegram: { botToken: '123456:LEAKMARK-bot-token', secretToken: 'LEAKMARK_tg_secret-token' },
  whatsapp: {
    accessToken: 'LEAKMARK-wa-access-token',
    appSecret: 'LEAKMARK-wa-app-secret',
    verifyToken: 'LEAKMARK-wa-verify',
    phoneNumberId: '1555000',
  },
  messenger: {
    pageAccessToken: 'LEAKMARK-fb-page-token',
    appSecret: 'LEAKMARK-fb-app-secret',
    verifyToken: 'LEAKMARK-fb-verify',
    pageId: 'page-1',
  },
  instagram: {
    accessToken: 'LEAKMARK-ig-access-token',
    appSecret: 'LEAKMARK-ig-app-secret',
    verifyToken: 'LEAKMARK-ig-verify',
    igAccountId: 'ig-1',
  },
  wechat: { appId: 'wx1234567890', appSecret: 'LEAKMARK_wx_app_secret', token: 'LEAKMARKwxtoken' },
} as const;
type Platform = keyof typeof CREDENTIALS;
const PLATFORMS = Object.keys(CREDENTIALS) as Platform[];

type Frame = Record<string, unknown>;

class Socket {
  readonly frames: Frame[] = [];
  closed: number | undefined;
  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => this.frames.push(JSON.parse(data.toString()) as Frame));
    ws.on('close', (code: number) => (this.closed = code));
  }
  static async open(url: string): Promise<Socket> {
    const ws = new WebSocket(url);
    const socket = new Socket(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return socket;
  }
  async next(match: (f: Frame) => boolean, what: string): Promise<Frame> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const found = this.frames.find(match);
      if (found !== undefined) return found;
      if (Date.now() > deadline) throw new Error(`no ${what}; got ${JSON.stringify(this.frames).slice(0, 1000)}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
  private n = 0;
  async request(frame: Frame): Promise<Frame> {
    const id = `r${(this.n += 1)}`;
    this.ws.send(JSON.stringify({ ...frame, id }));
    return this.next((f) => f['id'] === id && (f['type'] === 'ack' || f['type'] === 'error'), `answer to ${id}`);
  }
  async waitClosed(): Promise<number> {
    const deadline = Date.now() + 5_000;
    while (this.closed === undefined) {
      if (Date.now() > deadline) throw new Error('not closed');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return this.closed;
  }
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const part = (token: string, i: number) => token.split('.')[i] ?? '';
const claimsOf = (token: string) =>
  JSON.parse(Buffer.from(part(token, 1), 'base64url').toString()) as Record<string, unknown>;

describe('security: calls from the wrong side are refused and leak nothing (embedded mode)', () => {
  jest.setTimeout(120_000);
  const refused = new Tally();
  const log: string[] = [];
  let scanned = 0;
  /** Every token the run handled, real or forged: none may reach the log. */
  const tokens: string[] = [];
  const openapi = loadOpenApi();
  let h: Harness;
  const sockets: Socket[] = [];
  const socket = async (kind: 'visitor' | 'agent', token: string) => {
    const opened = await Socket.open(`${h.wsBase}/ws/${kind}?token=${token}`);
    sockets.push(opened);
    return opened;
  };
  /** A WeChat account in safe mode: its EncodingAESKey carries the mark too (43 base64 characters). */
  const WECHAT_SAFE = {
    appId: 'wxsafe0000000001',
    token: 'LEAKMARKwxsafetoken',
    encodingAesKey: 'LEAKMARKwxSafeModeKey0123456789abcdefghijkl',
  };
  const login = async (companyId: string, username: string, password = DEMO_PASSWORD) => {
    const who = await h.login(companyId, username, password);
    tokens.push(who.token);
    return who;
  };

  let demoAdmin: { token: string; agentId: string };
  let alice: { token: string; agentId: string };
  let bob: { token: string; agentId: string };
  let rivalAdmin: { token: string; agentId: string };
  let carol: { token: string; agentId: string };
  let aliceSocket: Socket;
  let v1: { token: string; visitorId: string; sessionId: string; socket: Socket };
  let telegramSession: string;
  /** The ids of demo's items, by the collection path of their routes. */
  const ids = new Map<string, string[]>();
  const accounts = new Map<Platform, string>();
  let salesGroup: string;
  let alicePersonal: string;
  let companyCanned: string;

  const noLeak = (what: string, text: string, marker = MARK): void => {
    if (text.includes(marker)) throw new Error(`${what} leaks: ${text.slice(0, 500)}`);
  };
  /** A refusal: the status expected, the documented error body, and nothing of the data. */
  const expectRefused = (surface: string, what: string, answer: Answer, statuses: readonly number[]): void => {
    if (!statuses.includes(answer.status) || !isDocumentedError(answer, openapi.errorCodes)) {
      throw new Error(`${what}: expected ${statuses.join('/')}, got ${answer.status} ${answer.text.slice(0, 300)}`);
    }
    noLeak(what, answer.text);
    refused.add(surface);
  };

  beforeAll(async () => {
    h = await startHarness({
      logger: createLogger({
        level: 'trace',
        destination: new Writable({
          write: (chunk: Buffer, _encoding, done) => {
            log.push(chunk.toString());
            done();
          },
        }),
      }),
    });
    demoAdmin = await login('demo', 'admin');
    alice = await login('demo', 'alice');
    bob = await login('demo', 'bob');

    // A rival company with an admin and an agent of its own.
    const rival = await h.json(
      'POST',
      '/api/companies',
      {
        companyId: 'rival',
        name: 'Rival',
        timeZone: 'UTC',
        adminUsername: 'boss',
        adminPassword: RIVAL_PASSWORD,
      },
      PLATFORM_ADMIN_TOKEN,
    );
    expect(rival.status).toBe(201);
    rivalAdmin = await login('rival', 'boss', RIVAL_PASSWORD);
    const rivalGroup = String(
      ((await h.json('POST', '/api/admin/groups', { name: 'Rival support' }, rivalAdmin.token)).json as { id: string })
        .id,
    );
    const carolBody = {
      username: 'carol',
      password: CAROL_PASSWORD,
      role: 'agent',
      groupIds: [rivalGroup],
      capacity: 2,
    };
    expect((await h.json('POST', '/api/admin/agents', carolBody, rivalAdmin.token)).status).toBe(201);
    expect((await h.json('PUT', '/api/admin/settings', { defaultGroupId: rivalGroup }, rivalAdmin.token)).status).toBe(
      200,
    );
    carol = await login('rival', 'carol', CAROL_PASSWORD);

    // demo's data, every piece of it marked.
    const create = async (collection: string, body: unknown, token = demoAdmin.token): Promise<string> => {
      const answer = await h.json('POST', collection, body, token);
      expect([collection, answer.status, answer.text]).toEqual([collection, 201, answer.text]);
      const id = String((answer.json as { id: string }).id);
      ids.set(collection, [...(ids.get(collection) ?? []), id]);
      return id;
    };
    salesGroup = await create('/api/admin/groups', { name: `Sales ${MARK}` });
    ids.set('/api/admin/groups', ['support', salesGroup]);
    await create('/api/admin/agents', {
      username: 'dave',
      password: DAVE_PASSWORD,
      name: `Dave ${MARK}`,
      role: 'agent',
      groupIds: [salesGroup],
      capacity: 1,
    });
    ids.set('/api/admin/agents', [alice.agentId, ...(ids.get('/api/admin/agents') ?? [])]);
    for (const platform of PLATFORMS) {
      const credentials = CREDENTIALS[platform];
      accounts.set(
        platform,
        await create('/api/admin/channel-accounts', {
          platform,
          name: `${platform} ${MARK}`,
          groupId: 'support',
          credentials,
        }),
      );
    }
    await create('/api/admin/working-hours', {
      groupId: salesGroup,
      type: 'regular',
      timeZone: 'Asia/Shanghai',
      weekly: [{ day: 'mon', from: '09:00', to: '18:00' }],
    });
    await create('/api/admin/faq', { question: `Question ${MARK}?`, answer: `Answer ${MARK}` });
    await create('/api/admin/webhooks', { url: `https://hooks.example.com/${MARK}`, events: ['sla.breached'] });
    await create('/api/admin/intents', {
      name: `intent-${MARK}`,
      phrases: [`phrase ${MARK}`],
      action: 'answer',
      answer: `Intent answer ${MARK}`,
    });
    companyCanned = await create('/api/canned-responses', {
      shortcut: `company-${MARK}`,
      text: `Company canned ${MARK}`,
      scope: 'company',
    });
    alicePersonal = await create(
      '/api/canned-responses',
      { shortcut: `alice-${MARK}`, text: `Alice's own ${MARK} ${CONVO}`, scope: 'personal' },
      alice.token,
    );
    expect((await h.json('PUT', '/api/admin/settings', { greeting: `Hello ${MARK}` }, demoAdmin.token)).status).toBe(
      200,
    );

    // A web visitor served by alice, and a Telegram user still with the bot.
    aliceSocket = await socket('agent', alice.token);
    aliceSocket.ws.send(`{"type": "not json`);
    expect(await aliceSocket.request({ type: 'agent.status', status: 'idle' })).toMatchObject({ type: 'ack' });
    const visitor = await h.visitor('demo');
    tokens.push(visitor.token);
    const v1Socket = await socket('visitor', visitor.token);
    const sent = await v1Socket.request({
      type: 'message.send',
      text: `V1 says ${MARK} ${CONVO}`,
      clientMsgId: 'v1-1',
    });
    expect(await v1Socket.request({ type: 'human.request' })).toMatchObject({ state: 'assigned' });
    v1 = { ...visitor, sessionId: String(sent['sessionId']), socket: v1Socket };
    const reply = {
      type: 'message.send',
      sessionId: v1.sessionId,
      text: `Alice says ${MARK} ${CONVO}`,
      clientMsgId: 'a-1',
    };
    expect(await aliceSocket.request(reply)).toMatchObject({ type: 'ack' });
    const update = JSON.stringify({
      update_id: 1,
      message: {
        message_id: 1,
        date: Math.floor(Date.now() / 1000),
        chat: { id: 4242, type: 'private' },
        from: { id: 4242, first_name: 'Li' },
        text: `Telegram says ${MARK} ${CONVO}`,
      },
    });
    // The bot's answer to it fails once (retried), then for good: the sender's failures are in the log too.
    let telegramSends = 0;
    h.fake.respond((request) => {
      if (request.path.endsWith('/sendMessage')) {
        telegramSends += 1;
        return telegramSends === 1
          ? { status: 500, body: { ok: false, error_code: 500, description: 'Internal Server Error' } }
          : {
              status: 403,
              body: { ok: false, error_code: 403, description: 'Forbidden: bot was blocked by the user' },
            };
      }
      if (request.path === '/cgi-bin/token')
        return { status: 200, body: { access_token: 'AT-fake-wechat-access-token', expires_in: 7200 } };
      return request.path.startsWith('/cgi-bin/') ? { status: 200, body: { errcode: 0, errmsg: 'ok' } } : undefined;
    });
    const delivered = await h.call('POST', `/webhooks/telegram/${accounts.get('telegram')!}`, {
      body: update,
      headers: {
        'content-type': 'application/json',
        'x-telegram-bot-api-secret-token': CREDENTIALS.telegram.secretToken,
      },
    });
    expect(delivered.status).toBe(200);
    const history = await h.call('GET', '/api/sessions', { token: demoAdmin.token });
    expect(history.status).toBe(200);
    const deadline = Date.now() + 10_000;
    for (;;) {
      const { rows } = await h.app.storage.readModels.raw<{ rows: { session_id: string }[] }>(
        `select session_id from read_models.session_list where company_id = 'demo' and channel = 'telegram'`,
      );
      if (rows[0] !== undefined) {
        telegramSession = rows[0].session_id;
        break;
      }
      if (Date.now() > deadline) throw new Error('no telegram session');
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    ids.set('/api/sessions', [v1.sessionId, telegramSession]);
    // The erasure's path: only demo's admin may erase demo's visitor (no test here does: its data is checked for leaks).
    ids.set('/api/admin/visitors', [v1.visitorId]);
    // A WeChat message too, so that an access token is fetched and used.
    const timestamp = String(Math.floor(Date.now() / 1000));
    const signature = createHash('sha1')
      .update([CREDENTIALS.wechat.token, timestamp, 'n'].sort().join(''))
      .digest('hex');
    const wechat = await h.call(
      'POST',
      `/webhooks/wechat/${accounts.get('wechat')!}?signature=${signature}&timestamp=${timestamp}&nonce=n`,
      {
        body: `<xml><FromUserName><![CDATA[oUser1]]></FromUserName><CreateTime>${timestamp}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[WeChat says ${MARK} ${CONVO}]]></Content><MsgId>77</MsgId></xml>`,
        headers: { 'content-type': 'text/xml' },
      },
    );
    expect(wechat.status).toBe(200);
    const sendsDone = Date.now() + 15_000;
    while (telegramSends < 2 || !h.fake.requests.some((r) => r.path === '/cgi-bin/message/custom/send')) {
      if (Date.now() > sendsDone) throw new Error('the channel sends did not happen');
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }, 90_000);

  afterAll(async () => {
    refused.print('security: refused attempts per surface:');
    process.stdout.write(`  log lines of the run scanned for secrets: ${scanned}\n`);
    for (const s of sockets) s.ws.terminate();
    await h?.stop();
  });

  /** The routes with a path parameter, each with the ids of demo's items to aim at. */
  const itemTargets = (op: { path: string }): string[] => {
    // An item's own sub-resource (`/{id}/messages`, `/{id}/alternatives`, ...) targets the item's ids.
    const collection = op.path.replace(/\/\{id\}.*$/, '');
    return ids.get(collection) ?? [];
  };
  const bodyFor = (op: { method: string; path: string }, groupId: string, companyId: string): string | undefined => {
    const body = validBodies(groupId, companyId)[`${op.method} ${op.path}`];
    return body === undefined ? undefined : JSON.stringify(body);
  };
  const callAs = (op: { method: string; path: string }, path: string, authorization: string, body?: string) =>
    h.call(op.method, path, {
      headers: { authorization, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body }),
    });

  it('HTTP: a supervisor is refused every configuration route (403), reads the live board (200), and only its own company', async () => {
    const created = await h.json(
      'POST',
      '/api/admin/agents',
      { username: 'sam', password: SAM_PASSWORD, role: 'supervisor', groupIds: ['support'], capacity: 1 },
      demoAdmin.token,
    );
    expect(created.status).toBe(201);
    const sam = await login('demo', 'sam', SAM_PASSWORD);
    const configuration = openapi.operations.filter(
      (o) =>
        o.security.includes('admin') &&
        !o.security.includes('supervisor') &&
        !o.security.includes('platformAdminToken'),
    );
    expect(configuration.length).toBeGreaterThan(20);
    for (const op of configuration) {
      const path = op.path.replace('{id}', itemTargets(op)[0] ?? 'x1');
      const answer = await callAs(op, path, `Bearer ${sam.token}`, bodyFor(op, salesGroup, 'demo'));
      expectRefused('HTTP: a supervisor on configuration routes', `supervisor ${op.method} ${path}`, answer, [403]);
    }
    const live = await h.call('GET', '/api/admin/live', { headers: { authorization: `Bearer ${sam.token}` } });
    expect(live.status).toBe(200);
    const board = live.json as { agents: { agentId: string }[] };
    expect(board.agents.map((a) => a.agentId)).toEqual(expect.arrayContaining([alice.agentId, sam.agentId]));
    // Demo's supervisor sees nothing of the rival's floor, and the rival's agent no floor at all.
    noLeak('the live board', live.text, 'carol');
    const rivalAgent = await h.call('GET', '/api/admin/live', { headers: { authorization: `Bearer ${carol.token}` } });
    expectRefused('HTTP: an agent on the live board', 'rival agent GET /api/admin/live', rivalAgent, [403]);
  });

  it('HTTP: an expired, foreign-key, unsigned (alg none), tampered or malformed token is refused (401) on every route', async () => {
    const subject = decodeOrThrow(TokenSubject)({ company: 'demo', role: 'admin', sub: demoAdmin.agentId });
    const expired = await issueToken(subject, {
      secret: TOKEN_SECRET,
      now: new Date(Date.now() - 86_400_000),
      lifetimeSeconds: 3600,
    });
    const foreign = await issueToken(subject, { secret: OTHER_KEY });
    const algNone = `${b64({ alg: 'none', typ: 'JWT' })}.${part(demoAdmin.token, 1)}.`;
    const algNoneSigned = `${b64({ alg: 'none', typ: 'JWT' })}.${part(demoAdmin.token, 1)}.${part(demoAdmin.token, 2)}`;
    // alice's token promoted to admin of another company, her signature kept.
    const tampered = `${part(alice.token, 0)}.${b64({ ...claimsOf(alice.token), role: 'admin', company: 'rival' })}.${part(alice.token, 2)}`;
    const bad = { expired, foreign, algNone, algNoneSigned, tampered, malformed: 'not.a.token' };
    tokens.push(...Object.values(bad));
    const before = await h.settled();
    for (const op of openapi.operations) {
      if (op.security.length === 0) continue;
      const targets = op.path.includes('{id}') ? itemTargets(op).slice(0, 1) : [''];
      for (const id of targets) {
        const path = op.path.replace('{id}', id);
        for (const [kind, token] of Object.entries(bad)) {
          const answer = await callAs(op, path, `Bearer ${token}`, bodyFor(op, salesGroup, 'demo'));
          expectRefused('HTTP: bad tokens', `${kind} ${op.method} ${path}`, answer, [401]);
        }
      }
    }
    expect(await h.settled()).toBe(before);
  });

  it('HTTP and websocket: after POST /api/agents/logout every token of the agent (each device) is refused on every route and its socket closes with 4401', async () => {
    const created = await h.json(
      'POST',
      '/api/admin/agents',
      { username: 'rex', password: REX_PASSWORD, role: 'agent', groupIds: ['support'], capacity: 1 },
      demoAdmin.token,
    );
    expect(created.status).toBe(201);
    // Two devices: a socket on the first, the logout from the second.
    const [first, second] = [await login('demo', 'rex', REX_PASSWORD), await login('demo', 'rex', REX_PASSWORD)];
    const rexSocket = await socket('agent', first.token);
    expect(await rexSocket.request({ type: 'agent.status', status: 'idle' })).toMatchObject({ type: 'ack' });
    const out = await h.call('POST', '/api/agents/logout', { token: second.token });
    expect(out.status).toBe(204);
    // PROTOCOL: within 2 seconds on every process (this one).
    const deadline = Date.now() + 2_000;
    while (rexSocket.closed === undefined && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 10));
    expect(rexSocket.closed).toBe(4401);
    const before = await h.settled();
    for (const op of openapi.operations) {
      if (op.security.length === 0 || op.security.includes('platformAdminToken')) continue;
      const path = op.path.replace('{id}', itemTargets(op)[0] ?? 'x1');
      for (const [device, token] of [
        ['first', first.token],
        ['second', second.token],
      ] as const) {
        const answer = await callAs(op, path, `Bearer ${token}`, bodyFor(op, salesGroup, 'demo'));
        expectRefused('HTTP: revoked tokens', `signed-out (${device} device) ${op.method} ${path}`, answer, [401]);
        // The uploads' routes say only that a valid token is required, whatever was wrong with it.
        const said = op.path.startsWith('/api/uploads') ? 'a valid token is required' : 'the token has been revoked';
        expect([op.path, answer.json]).toMatchObject([op.path, { error: { message: said } }]);
      }
    }
    expect(await h.settled()).toBe(before);
    for (const token of [first.token, second.token]) {
      const again = await Socket.open(`${h.wsBase}/ws/agent?token=${token}`);
      expect([await again.waitClosed(), again.frames]).toEqual([4401, []]);
      refused.add('websocket: revoked tokens');
    }
    // Others' tokens are untouched; a new login works.
    expect((await h.call('GET', '/api/agents', { token: alice.token })).status).toBe(200);
    const rexAgain = await login('demo', 'rex', REX_PASSWORD);
    expect((await h.call('GET', '/api/agents', { token: rexAgain.token })).status).toBe(200);
  });

  it("HTTP: another company's admin and agent find none of this company's items, and their lists show none of them", async () => {
    const listsBefore = await demoLists();
    const before = await h.settled();
    for (const op of openapi.operations) {
      const roles = op.security;
      if (roles.length === 0 || roles.includes('platformAdminToken')) continue;
      for (const [who, caller] of [
        ['admin', rivalAdmin],
        ['agent', carol],
      ] as const) {
        const admitted = roles.includes(who);
        if (op.path.includes('{id}')) {
          for (const id of itemTargets(op)) {
            const path = op.path.replace('{id}', id);
            const body = bodyFor(op, salesGroup, 'rival');
            const answer = await callAs(op, path, `Bearer ${caller.token}`, body);
            // A body naming demo's group may be refused for that first (400 unknown_group).
            const statuses = !admitted ? [403] : body === undefined ? [404] : [404, 400];
            expectRefused('HTTP: another company', `rival ${who} ${op.method} ${path}`, answer, statuses);
          }
        } else if (op.method === 'GET') {
          // A search needs its words: the ones this company's visitor and agent wrote.
          const query = op.path === '/api/search/messages' ? `?q=${encodeURIComponent(CONVO)}` : '';
          // A path's other parameter names one of a fixed set (a report's chart): the first of them.
          const route = op.path.replace('{name}', 'sessions.svg');
          const answer = await callAs(op, `${route}${query}`, `Bearer ${caller.token}`);
          if (!admitted) {
            expectRefused('HTTP: another company', `rival ${who} GET ${op.path}`, answer, [403]);
            continue;
          }
          expect([op.path, answer.status]).toEqual([op.path, 200]);
          noLeak(`rival ${who} GET ${op.path}`, answer.text);
          for (const id of [...ids.values()].flat().filter((i) => i !== 'support'))
            expect(answer.text).not.toContain(id);
          refused.add('HTTP: another company (lists hold only its own)');
        }
      }
    }
    // Pointing at demo's group from the rival company's writes: unknown there.
    const references: [string, string, unknown][] = [
      [
        'POST',
        '/api/admin/agents',
        { username: 'spy', password: 'pw-spy-123', role: 'agent', groupIds: [salesGroup], capacity: 1 },
      ],
      [
        'POST',
        '/api/admin/channel-accounts',
        { platform: 'telegram', name: 'spy', groupId: salesGroup, credentials: CREDENTIALS.telegram },
      ],
      [
        'POST',
        '/api/admin/working-hours',
        { groupId: salesGroup, type: 'irregular', timeZone: 'UTC', dates: [{ date: '2026-10-02', closed: true }] },
      ],
      ['PUT', '/api/admin/settings', { defaultGroupId: salesGroup }],
    ];
    for (const [method, path, body] of references) {
      const answer = await h.json(method, path, body, rivalAdmin.token);
      expectRefused('HTTP: another company', `rival admin ${method} ${path} naming demo's group`, answer, [400]);
    }
    expect(await h.settled()).toBe(before);
    expect(await demoLists()).toEqual(listsBefore);
  });

  /** What demo's admin and alice see of demo's configuration. */
  const demoLists = async () => {
    const paths = [
      '/api/admin/groups',
      '/api/admin/agents',
      '/api/admin/channel-accounts',
      '/api/admin/working-hours',
      '/api/admin/faq',
      '/api/admin/intents',
      '/api/admin/settings',
      '/api/admin/suggested-questions',
      '/api/admin/webhooks',
    ];
    const seen: Record<string, unknown> = {};
    for (const path of paths) seen[path] = (await h.call('GET', path, { token: demoAdmin.token })).json;
    seen['canned'] = (await h.call('GET', '/api/canned-responses', { token: alice.token })).json;
    return seen;
  };

  it("HTTP: another agent never sees nor changes an agent's personal canned response", async () => {
    const before = await h.settled();
    for (const [who, caller] of [
      ['bob', bob],
      ['demo admin', demoAdmin],
      ['rival admin', rivalAdmin],
    ] as const) {
      for (const path of ['/api/canned-responses', `/api/canned-responses?q=${encodeURIComponent(`alice-${MARK}`)}`]) {
        const list = await h.call('GET', path, { token: caller.token });
        expect(list.status).toBe(200);
        expect(list.text).not.toContain(alicePersonal);
        expect(list.text).not.toContain(`Alice's own`);
        refused.add('HTTP: another agent (personal canned responses)');
      }
      const put = await h.json('PUT', `/api/canned-responses/${alicePersonal}`, { text: 'mine now' }, caller.token);
      expectRefused('HTTP: another agent (personal canned responses)', `${who} PUT`, put, [404]);
      const del = await h.call('DELETE', `/api/canned-responses/${alicePersonal}`, { token: caller.token });
      expectRefused('HTTP: another agent (personal canned responses)', `${who} DELETE`, del, [404]);
    }
    // An agent writes no company-wide response.
    const put = await h.json('PUT', `/api/canned-responses/${companyCanned}`, { text: 'changed' }, alice.token);
    expectRefused('HTTP: another agent (personal canned responses)', 'agent PUT company-wide', put, [403]);
    const post = await h.json(
      'POST',
      '/api/canned-responses',
      { shortcut: 'x', text: 'y', scope: 'company' },
      bob.token,
    );
    expectRefused('HTTP: another agent (personal canned responses)', 'agent POST company-wide', post, [403]);
    expect(await h.settled()).toBe(before);
    expect((await h.call('GET', '/api/canned-responses', { token: alice.token })).text).toContain(alicePersonal);
  });

  it("HTTP: a visitor reads only its own sessions, and no web login becomes a platform's visitor", async () => {
    const v2 = await h.visitor('demo');
    tokens.push(v2.token);
    for (const sessionId of [v1.sessionId, telegramSession]) {
      const answer = await h.call('GET', `/api/sessions/${sessionId}/messages`, { token: v2.token });
      expectRefused('HTTP: another visitor', `visitor reading ${sessionId}`, answer, [404]);
    }
    const rivalVisitor = await h.visitor('rival');
    const answer = await h.call('GET', `/api/sessions/${v1.sessionId}/messages`, { token: rivalVisitor.token });
    expectRefused('HTTP: another visitor', 'a rival visitor reading', answer, [404]);
    // The visitor's own history works (the refusals above are not an outage).
    expect((await h.call('GET', `/api/sessions/${v1.sessionId}/messages`, { token: v1.token })).text).toContain(
      'V1 says',
    );
    // Another visitor's id is not a login (PROTOCOL second edition, "Security"): without that visitor's resumeToken,
    // or with one of another visitor, the answer is 401 and carries no token.
    for (const resumeToken of [undefined, '', 'guessed-token', v2.resumeToken]) {
      const taken = await h.json('POST', '/api/visitors/login', {
        companyId: 'demo',
        visitorId: v1.visitorId,
        ...(resumeToken === undefined ? {} : { resumeToken }),
      });
      expectRefused('HTTP: another visitor', `web login as ${v1.visitorId} with ${String(resumeToken)}`, taken, [401]);
      expect(taken.text).not.toContain('"token"');
    }
    // A Telegram user's visitor id is the platform's to vouch for: a web login cannot take it.
    for (const visitorId of [`telegram:${accounts.get('telegram')!}:4242`, 'whatsapp:acct:8613800000000', 'wechat:x']) {
      const taken = await h.json('POST', '/api/visitors/login', { companyId: 'demo', visitorId });
      expectRefused('HTTP: another visitor', `web login as ${visitorId}`, taken, [400]);
    }
    for (const op of openapi.operations.filter((o) => o.security.length > 0 && !o.security.includes('visitor'))) {
      const path = op.path.replace('{id}', itemTargets(op)[0] ?? 'x1');
      const refusedAnswer = await callAs(op, path, `Bearer ${v2.token}`, bodyFor(op, salesGroup, 'demo'));
      expectRefused(
        'HTTP: a visitor on staff routes',
        `visitor ${op.method} ${path}`,
        refusedAnswer,
        op.security.includes('platformAdminToken') ? [401] : [403],
      );
    }
  });

  it('websocket: a missing, expired, foreign-key, unsigned, tampered or wrong-kind token closes with 4401 before anything is sent', async () => {
    const visitorSubject = decodeOrThrow(TokenSubject)({ company: 'demo', role: 'visitor', sub: v1.visitorId });
    const agentSubject = decodeOrThrow(TokenSubject)({ company: 'demo', role: 'agent', sub: alice.agentId });
    const forged = async (subject: TokenSubject, real: string) => ({
      expired: await issueToken(subject, {
        secret: TOKEN_SECRET,
        now: new Date(Date.now() - 30 * 86_400_000),
        lifetimeSeconds: 60,
      }),
      foreign: await issueToken(subject, { secret: OTHER_KEY }),
      algNone: `${b64({ alg: 'none', typ: 'JWT' })}.${part(real, 1)}.`,
      tampered: `${part(real, 0)}.${b64({ ...claimsOf(real), sub: 'someone-else' })}.${part(real, 2)}`,
      empty: '',
      garbage: 'garbage',
    });
    const cases: ['visitor' | 'agent', string, string][] = [
      ...Object.entries(await forged(visitorSubject, v1.token)).map(
        ([k, t]) => ['visitor', k, t] as ['visitor', string, string],
      ),
      ...Object.entries(await forged(agentSubject, alice.token)).map(
        ([k, t]) => ['agent', k, t] as ['agent', string, string],
      ),
      ['agent', 'a visitor token on /ws/agent', v1.token],
      ['visitor', 'an agent token on /ws/visitor', alice.token],
      ['visitor', 'an admin token on /ws/visitor', demoAdmin.token],
    ];
    tokens.push(...cases.map(([, , t]) => t).filter((t) => t.length > 20));
    for (const [kind, what, token] of cases) {
      const opened = await Socket.open(`${h.wsBase}/ws/${kind}${token === '' ? '' : `?token=${token}`}`);
      opened.ws.send(JSON.stringify({ type: 'agent.status', status: 'idle', id: 1 }));
      expect([what, await opened.waitClosed(), opened.frames]).toEqual([what, 4401, []]);
      refused.add('websocket: bad tokens');
    }
  });

  it("websocket: another company's agent, another agent and another visitor cannot act on a session, and see nothing of it", async () => {
    const streamOf = async (sessionId: string) =>
      (await h.app.storage.eventStore.readStream(`session-demo-${sessionId}`)).length;
    const v1Events = await streamOf(v1.sessionId);
    const telegramEvents = await streamOf(telegramSession);
    const carolSocket = await socket('agent', carol.token);
    expect(await carolSocket.request({ type: 'agent.status', status: 'idle' })).toMatchObject({ type: 'ack' });
    const bobSocket = await socket('agent', bob.token);
    expect(await bobSocket.request({ type: 'agent.status', status: 'idle' })).toMatchObject({ type: 'ack' });
    const actions = (sessionId: string): Frame[] => [
      { type: 'message.send', sessionId, text: 'let me in', clientMsgId: `x-${sessionId}` },
      { type: 'session.read', sessionId },
      { type: 'session.transfer', sessionId, toAgentId: carol.agentId },
      { type: 'session.transfer', sessionId, toAgentId: bob.agentId },
      { type: 'session.transfer', sessionId, toGroupId: 'support' },
      { type: 'session.end', sessionId },
      // What supervisors do: an agent is refused (`forbidden`), another company's too.
      { type: 'session.watch', sessionId },
      { type: 'session.takeover', sessionId },
      { type: 'live.subscribe' },
    ];
    for (const [who, caller, surface] of [
      ['carol (rival)', carolSocket, 'websocket: another company'],
      ['bob (same company)', bobSocket, 'websocket: another agent'],
    ] as const) {
      for (const sessionId of [v1.sessionId, telegramSession]) {
        for (const frame of actions(sessionId)) {
          const answer = await caller.request(frame);
          if (answer['type'] !== 'error')
            throw new Error(`${who} ${JSON.stringify(frame)} answered ${JSON.stringify(answer)}`);
          refused.add(surface);
        }
      }
    }
    // A rival session of carol's cannot be handed to demo's agent or group.
    const rivalVisitor = await h.visitor('rival');
    const rv = await socket('visitor', rivalVisitor.token);
    const opened = await rv.request({ type: 'message.send', text: 'rival visitor here', clientMsgId: 'rv-1' });
    expect(await rv.request({ type: 'human.request' })).toMatchObject({ state: 'assigned', agentId: carol.agentId });
    const rivalSession = String(opened['sessionId']);
    for (const frame of [
      { type: 'session.transfer', sessionId: rivalSession, toAgentId: alice.agentId },
      { type: 'session.transfer', sessionId: rivalSession, toGroupId: salesGroup },
      { type: 'session.transfer', sessionId: rivalSession, toGroupId: 'support' },
    ]) {
      expect([frame, (await carolSocket.request(frame))['type']]).toEqual([frame, 'error']);
      refused.add('websocket: another company');
    }
    // Another visitor's frames name no session: fields naming another visitor's session, company or id are dropped.
    const v2 = await h.visitor('demo');
    const v2Socket = await socket('visitor', v2.token);
    const injected = await v2Socket.request({
      type: 'message.send',
      text: 'injected?',
      clientMsgId: 'inj-1',
      sessionId: v1.sessionId,
      companyId: 'rival',
      visitorId: v1.visitorId,
    });
    expect(injected['sessionId']).not.toBe(v1.sessionId);
    refused.add('websocket: another visitor');
    const ended = await v2Socket.request({ type: 'session.end', sessionId: v1.sessionId });
    expect(ended['sessionId']).not.toBe(v1.sessionId);
    refused.add('websocket: another visitor');

    expect(await streamOf(v1.sessionId)).toBe(v1Events);
    expect(await streamOf(telegramSession)).toBe(telegramEvents);
    // None of them was sent a byte of demo's conversations; alice was sent nothing of the rival's.
    await new Promise((resolve) => setTimeout(resolve, 300));
    for (const [who, s, marker] of [
      ['carol', carolSocket, MARK],
      ['rival visitor', rv, MARK],
      // Same company: its greeting and FAQ answers are theirs too, its conversations are not.
      ['bob', bobSocket, CONVO],
      ['v2', v2Socket, CONVO],
    ] as const) {
      noLeak(`frames sent to ${who}`, JSON.stringify(s.frames), marker);
      // Pushed frames, that is: an error may repeat the session id the caller itself sent.
      const pushed = s.frames.filter((f) => f['type'] !== 'error');
      expect(JSON.stringify(pushed)).not.toContain(v1.sessionId);
      expect(JSON.stringify(pushed)).not.toContain(telegramSession);
    }
    expect(JSON.stringify(aliceSocket.frames)).not.toContain(rivalSession);
    expect(JSON.stringify(aliceSocket.frames)).not.toContain('rival visitor here');
  });

  it('webhooks: a wrong or missing signature, another account, another platform or a disabled account is refused and stores nothing', async () => {
    // A second Telegram account, disabled: right signature, still refused.
    const disabled = String(
      (
        (
          await h.json(
            'POST',
            '/api/admin/channel-accounts',
            {
              platform: 'telegram',
              name: 'off',
              groupId: 'support',
              credentials: { botToken: '9:off', secretToken: 'off-secret' },
            },
            demoAdmin.token,
          )
        ).json as { id: string }
      ).id,
    );
    expect(
      (await h.json('PUT', `/api/admin/channel-accounts/${disabled}`, { enabled: false }, demoAdmin.token)).status,
    ).toBe(200);
    const before = await h.settled();
    const body = (platform: Platform) =>
      platform === 'telegram'
        ? JSON.stringify({
            update_id: 9,
            message: { message_id: 9, date: 1, chat: { id: 1, type: 'private' }, text: 'forged' },
          })
        : platform === 'wechat'
          ? '<xml><FromUserName>u</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType><Content>forged</Content><MsgId>1</MsgId></xml>'
          : JSON.stringify({
              object:
                platform === 'whatsapp' ? 'whatsapp_business_account' : platform === 'messenger' ? 'page' : 'instagram',
              entry: [],
            });
    const wechatQuery = (token: string) => {
      const timestamp = String(Math.floor(Date.now() / 1000));
      return `signature=${createHash('sha1').update([token, timestamp, 'n'].sort().join('')).digest('hex')}&timestamp=${timestamp}&nonce=n`;
    };
    const post = (platform: string, account: string, raw: string, headers: Record<string, string>, query = '') =>
      h.call('POST', `/webhooks/${platform}/${account}${query === '' ? '' : `?${query}`}`, {
        body: raw,
        headers: { 'content-type': 'application/json', ...headers },
      });
    const hmac = (secret: string, raw: string) => `sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`;
    for (const platform of PLATFORMS) {
      const account = accounts.get(platform)!;
      const raw = body(platform);
      const attempts: [string, () => Promise<Answer>, number[]][] = [];
      if (platform === 'telegram') {
        attempts.push(
          ['no secret header', () => post(platform, account, raw, {}), [401]],
          ['a wrong secret', () => post(platform, account, raw, { 'x-telegram-bot-api-secret-token': 'guess' }), [401]],
          [
            'the disabled account, right secret',
            () => post(platform, disabled, raw, { 'x-telegram-bot-api-secret-token': 'off-secret' }),
            [404],
          ],
          [
            "another account's secret",
            () => post(platform, account, raw, { 'x-telegram-bot-api-secret-token': 'off-secret' }),
            [401],
          ],
        );
      } else if (platform === 'wechat') {
        attempts.push(
          ['no signature', () => post(platform, account, raw, {}), [401]],
          [
            'a signature under another token',
            () => post(platform, account, raw, {}, wechatQuery('anothertoken')),
            [401],
          ],
          [
            'a forged handshake',
            () => h.call('GET', `/webhooks/wechat/${account}?${wechatQuery('anothertoken')}&echostr=x`),
            [401],
          ],
        );
      } else {
        const secret = CREDENTIALS[platform].appSecret;
        const other = platform === 'whatsapp' ? CREDENTIALS.messenger.appSecret : CREDENTIALS.whatsapp.appSecret;
        attempts.push(
          ['no signature', () => post(platform, account, raw, {}), [401]],
          [
            "another app's secret",
            () => post(platform, account, raw, { 'x-hub-signature-256': hmac(other, raw) }),
            [401],
          ],
          [
            'the signature of another body',
            () => post(platform, account, raw, { 'x-hub-signature-256': hmac(secret, `${raw} `) }),
            [401],
          ],
          [
            'a handshake with a wrong verify token',
            () =>
              h.call(
                'GET',
                `/webhooks/${platform}/${account}?hub.mode=subscribe&hub.verify_token=guess&hub.challenge=c`,
              ),
            [403],
          ],
        );
      }
      const elsewhere = PLATFORMS.find((p) => p !== platform)!;
      attempts.push(
        ['the account under another platform', () => post(elsewhere, account, raw, {}), [404]],
        ['an unknown account', () => post(platform, '00000000-0000-0000-0000-000000000000', raw, {}), [404]],
      );
      for (const [what, attempt, statuses] of attempts) {
        expectRefused(`webhooks: ${platform}`, `${platform}: ${what}`, await attempt(), statuses);
      }
    }
    expect(await h.settled()).toBe(before);
    // A WeChat account in safe mode: forged, altered, foreign, stale and plaintext deliveries.
    const safeAccount = String(
      (
        (
          await h.json(
            'POST',
            '/api/admin/channel-accounts',
            {
              platform: 'wechat',
              name: 'safe mode',
              groupId: 'support',
              credentials: { ...WECHAT_SAFE, appSecret: 'LEAKMARK_wx_safe_secret' },
            },
            demoAdmin.token,
          )
        ).json as { id: string }
      ).id,
    );
    const xml = `<xml><FromUserName><![CDATA[oSafe]]></FromUserName><CreateTime>${Math.floor(Date.now() / 1000)}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[forged]]></Content><MsgId>88</MsgId></xml>`;
    const safePost = (delivery: { query: Record<string, string>; body: string }) =>
      h.call('POST', `/webhooks/wechat/${safeAccount}?${new URLSearchParams(delivery.query).toString()}`, {
        body: delivery.body,
        headers: { 'content-type': 'text/xml' },
      });
    const genuine = safeModeDelivery(WECHAT_SAFE, xml);
    const beforeSafe = await h.settled();
    const safeAttempts: [string, () => Promise<Answer>, number[]][] = [
      [
        'safe mode: signed under another token',
        () => safePost(safeModeDelivery({ ...WECHAT_SAFE, token: 'anothertoken' }, xml)),
        [401],
      ],
      [
        'safe mode: the ciphertext altered under its signature',
        () => safePost({ ...genuine, body: genuine.body.replace(genuine.encrypt, `A${genuine.encrypt.slice(1)}`) }),
        [401],
      ],
      [
        'safe mode: a ciphertext for another AppID, signed with the token',
        () => safePost(safeModeDelivery({ ...WECHAT_SAFE, appId: 'wxsomeoneelse000' }, xml)),
        [400],
      ],
      [
        'safe mode: a ciphertext under another key, signed with the token',
        () =>
          safePost(
            safeModeDelivery({ ...WECHAT_SAFE, encodingAesKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG' }, xml),
          ),
        [400],
      ],
      [
        'safe mode: a plaintext body with a good signature',
        () => safePost({ query: { ...genuine.query, msg_signature: '' }, body: xml }),
        [400],
      ],
      [
        'safe mode: a stale timestamp',
        () => safePost(safeModeDelivery(WECHAT_SAFE, xml, { timestamp: String(Math.floor(Date.now() / 1000) - 3600) })),
        [401],
      ],
    ];
    for (const [what, attempt, statuses] of safeAttempts) {
      expectRefused('webhooks: wechat', `wechat: ${what}`, await attempt(), statuses);
    }
    expect(await h.settled()).toBe(beforeSafe);
  });

  it('operations: /metrics needs the METRICS_TOKEN (401 without it, with another token or a staff JWT); health stays open', async () => {
    for (const authorization of [
      undefined,
      'Bearer not-the-metrics-token',
      `Bearer ${PLATFORM_ADMIN_TOKEN}`,
      `Bearer ${demoAdmin.token}`,
      `Basic ${Buffer.from(`x:${METRICS_TOKEN}`).toString('base64')}`,
      METRICS_TOKEN,
    ]) {
      const answer = await h.call('GET', '/metrics', {
        headers: authorization === undefined ? {} : { authorization },
      });
      expectRefused('HTTP operations', `GET /metrics with ${String(authorization).slice(0, 12)}`, answer, [401]);
      expect(answer.text).not.toContain('cschat_');
    }
    const scraped = await h.call('GET', '/metrics', { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(scraped.status).toBe(200);
    expect(scraped.text).toContain('# TYPE');
    for (const path of ['/healthz', '/readyz']) expect((await h.call('GET', path)).status).toBe(200);
  });

  it('logins: after 10 wrong passwords for a username the 11th attempt is 429 with retry-after, the right password included', async () => {
    const password = 'dana-keeps-her-password';
    const created = await h.json(
      'POST',
      '/api/admin/agents',
      { username: 'dana', password, role: 'agent', groupIds: ['support'], capacity: 1 },
      demoAdmin.token,
    );
    expect(created.status).toBe(201);
    for (let i = 0; i < 10; i += 1) {
      const wrong = await h.json('POST', '/api/agents/login', {
        companyId: 'demo',
        username: 'dana',
        password: `guess ${i}`,
      });
      expectRefused('HTTP logins', `wrong password ${i}`, wrong, [401]);
    }
    const refused = await h.json('POST', '/api/agents/login', { companyId: 'demo', username: 'dana', password });
    expectRefused('HTTP logins', 'the right password after 10 wrong ones', refused, [429]);
    expect(refused.json).toMatchObject({ error: { code: 'too_many_requests' } });
    expect(Number(refused.retryAfter)).toBeGreaterThan(800);
    expect(refused.text).not.toContain('token');
    // Another username logs in from the same address.
    await login('demo', 'bob');
  });

  it('passwords: stored as memory-hard scrypt hashes (N=2^15, r=8, p=3, salted), never returned by the API', async () => {
    const { rows } = await h.app.storage.readModels.raw<{ rows: { username: string; password_hash: string }[] }>(
      'select username, password_hash from config.agents',
    );
    expect(rows.length).toBeGreaterThanOrEqual(6);
    const passwords = [DEMO_PASSWORD, RIVAL_PASSWORD, CAROL_PASSWORD, DAVE_PASSWORD, SAM_PASSWORD];
    for (const row of rows) {
      expect([row.username, row.password_hash]).toEqual([
        row.username,
        expect.stringMatching(/^scrypt\$32768\$8\$3\$[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{43}=$/),
      ]);
      for (const password of passwords) expect(row.password_hash).not.toContain(password);
    }
    // The same password, a different salt: alice's and bob's hashes differ.
    const hashes = rows.filter((r) => r.username === 'alice' || r.username === 'bob').map((r) => r.password_hash);
    expect(new Set(hashes).size).toBe(2);
    for (const [path, token] of [
      ['/api/admin/agents', demoAdmin.token],
      ['/api/admin/channel-accounts', demoAdmin.token],
      ['/api/agents', alice.token],
    ] as const) {
      const answer = await h.call('GET', path, { token });
      expect(answer.status).toBe(200);
      expect(answer.text).not.toMatch(/scrypt\$|password/i);
      for (const credentials of Object.values(CREDENTIALS)) {
        for (const [key, value] of Object.entries(credentials)) {
          if (/secret|token/i.test(key)) expect(answer.text).not.toContain(value);
        }
      }
    }
  });

  it('no secret of the whole run reached the log: passwords, tokens, the signing key, platform credentials, hashes', () => {
    const text = log.join('');
    // The run was logged at all, through the paths that matter.
    expect(log.length).toBeGreaterThan(20);
    for (const line of ['socket opened', 'webhook refused', 'send failed', 'frame refused'])
      expect(text).toContain(line);
    const secrets = [
      DEMO_PASSWORD,
      RIVAL_PASSWORD,
      CAROL_PASSWORD,
      DAVE_PASSWORD,
      SAM_PASSWORD,
      REX_PASSWORD,
      TOKEN_SECRET,
      PLATFORM_ADMIN_TOKEN,
      METRICS_TOKEN,
      OTHER_KEY,
      'AT-fake-wechat-access-token',
      WECHAT_SAFE.token,
      WECHAT_SAFE.encodingAesKey,
      ...PLATFORMS.flatMap((platform) =>
        Object.entries(CREDENTIALS[platform])
          .filter(([key]) => /secret|token/i.test(key))
          .map(([, value]) => value),
      ),
      // Each token whole, and its signature alone.
      ...tokens,
      ...tokens.map((token) => part(token, 2)).filter((signature) => signature.length > 20),
    ];
    const found = secrets.filter((secret) => text.includes(secret));
    expect(found).toEqual([]);
    expect(text).not.toMatch(/scrypt\$\d+\$/);
    scanned = log.length;
  });
});
