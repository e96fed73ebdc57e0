import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isRight } from 'fp-ts/Either';
import { InMemoryTokenCache } from '@cschat/infra';
import type { SendContext, TokenCache, WebhookOutcome, WebhookRequest } from './port';
import { wechatAdapter, type WechatCredentials } from './wechat';

const credentials: WechatCredentials = { appId: 'wx1234567890abcdef', appSecret: 's3cr3t', token: 'verifyToken42' };

const sign = (token: string, timestamp: string, nonce: string): string =>
  createHash('sha1').update([token, timestamp, nonce].sort().join('')).digest('hex');

const signedQuery = (extra: Record<string, string> = {}, token = credentials.token): Record<string, string> => {
  const timestamp = '1700000000';
  const nonce = '372619844';
  return { signature: sign(token, timestamp, nonce), timestamp, nonce, ...extra };
};

const post = (body: string, query: Record<string, string> = signedQuery()): WebhookRequest => ({
  method: 'POST',
  query,
  headers: { 'content-type': 'text/xml' },
  rawBody: Buffer.from(body, 'utf8'),
});

const webhook = (request: WebhookRequest): WebhookOutcome => wechatAdapter.webhook(request, credentials);

/** A message as WeChat's server sends it: every string in CDATA, numbers bare. */
const wechatXml = (fields: Record<string, string | number>): string =>
  `<xml>${Object.entries(fields)
    .map(([name, value]) => `<${name}>${typeof value === 'number' ? value : `<![CDATA[${value}]]>`}</${name}>`)
    .join('')}</xml>`;

const SUCCESS = { status: 200, contentType: 'text/plain', body: 'success' };

describe('WeChat webhook', () => {
  it('answers the handshake with echostr unchanged when the signature matches', () => {
    const outcome = webhook({
      method: 'GET',
      query: signedQuery({ echostr: '6207315427390263' }),
      headers: {},
      rawBody: Buffer.alloc(0),
    });
    expect(outcome).toEqual({
      kind: 'answer',
      answer: { status: 200, contentType: 'text/plain', body: '6207315427390263' },
    });
  });

  it('refuses a wrong or missing signature with 401, before reading the body', () => {
    const forged = { ...signedQuery({}, 'another-token'), echostr: 'x' };
    expect(webhook({ method: 'GET', query: forged, headers: {}, rawBody: Buffer.alloc(0) })).toMatchObject({
      kind: 'refused',
      status: 401,
    });
    expect(webhook(post('not even xml', forged))).toMatchObject({ kind: 'refused', status: 401 });
    const { signature: _, ...unsigned } = signedQuery();
    expect(webhook(post('not even xml', unsigned))).toMatchObject({ kind: 'refused', status: 401 });
    expect(webhook(post('not even xml', { ...signedQuery(), signature: 'zz' }))).toMatchObject({ status: 401 });
    expect(webhook(post('not even xml', { ...signedQuery(), timestamp: '1700000001' }))).toMatchObject({
      status: 401,
    });
  });

  it('reads a text message', () => {
    const body = wechatXml({
      ToUserName: 'gh_0123456789ab',
      FromUserName: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o',
      CreateTime: 1700000000,
      MsgType: 'text',
      Content: '  你好 <b>&amp; ',
      MsgId: '24276512345678901234',
    });
    expect(webhook(post(body))).toEqual({
      kind: 'messages',
      messages: [
        {
          id: '24276512345678901234',
          userId: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o',
          text: '  你好 <b>&amp; ',
          attachments: [],
          at: new Date(1700000000_000),
        },
      ],
      answer: SUCCESS,
    });
  });

  it('reads an image message as an image attachment with its MediaId', () => {
    const body = wechatXml({
      ToUserName: 'gh_0123456789ab',
      FromUserName: 'oUser',
      CreateTime: 1700000001,
      MsgType: 'image',
      PicUrl: 'http://mmbiz.qpic.cn/mmbiz_jpg/abc/0',
      MediaId: 'Q8dK_media-id',
      MsgId: '24276512345678901235',
    });
    expect(webhook(post(body))).toEqual({
      kind: 'messages',
      messages: [
        {
          id: '24276512345678901235',
          userId: 'oUser',
          text: '',
          attachments: [{ kind: 'image', mediaId: 'Q8dK_media-id' }],
          at: new Date(1700000001_000),
        },
      ],
      answer: SUCCESS,
    });
  });

  it('reads voice and video messages as file attachments', () => {
    for (const msgType of ['voice', 'video']) {
      const body = wechatXml({
        FromUserName: 'oUser',
        CreateTime: 1700000002,
        MsgType: msgType,
        MediaId: 'm1',
        MsgId: '9',
      });
      const outcome = webhook(post(body));
      expect(outcome.kind === 'messages' && outcome.messages[0]?.attachments).toEqual([
        { kind: 'file', mediaId: 'm1' },
      ]);
    }
  });

  it('keeps a user text that looks like markup, inside its CDATA section', () => {
    const text = '<!DOCTYPE html><!-- hi --> <?php ?> a]]>b';
    // WeChat splits a "]]>" in the text over two CDATA sections, as XML requires.
    const body = `<xml><FromUserName><![CDATA[oUser]]></FromUserName><CreateTime>1700000000</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[${text.replace(']]>', ']]]]><![CDATA[>')}]]></Content><MsgId>1</MsgId></xml>`;
    const outcome = webhook(post(body));
    expect(outcome.kind === 'messages' && outcome.messages[0]?.text).toBe(text);
  });

  it('answers success and stores nothing for events and other message types', () => {
    const subscribe = wechatXml({
      ToUserName: 'gh_0123456789ab',
      FromUserName: 'oUser',
      CreateTime: 1700000003,
      MsgType: 'event',
      Event: 'subscribe',
    });
    expect(webhook(post(subscribe))).toEqual({ kind: 'answer', answer: SUCCESS });
    const location = wechatXml({ FromUserName: 'oUser', CreateTime: 1, MsgType: 'location', Label: 'x', MsgId: '2' });
    expect(webhook(post(location))).toEqual({ kind: 'answer', answer: SUCCESS });
  });

  it('refuses DTDs and entities (XXE, billion laughs) with 400 before parsing', () => {
    const xxe = `<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]><xml><FromUserName>oUser</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType><Content>&x;</Content><MsgId>1</MsgId></xml>`;
    const laughs = `<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]><xml><FromUserName>oUser</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType><Content>&lol3;</Content><MsgId>1</MsgId></xml>`;
    // A DOCTYPE hidden behind something that looks like the start of a CDATA section.
    const hidden = `<xml><!-- <![CDATA[ --><!DOCTYPE x [<!ENTITY a "b">]><MsgType><![CDATA[text]]></MsgType></xml>`;
    const inAttribute = `<xml a="<![CDATA["><!DOCTYPE x [<!ENTITY a "b">]><MsgType><![CDATA[ ]]></MsgType></xml>`;
    for (const body of [xxe, laughs, hidden, inAttribute]) {
      expect(webhook(post(body))).toMatchObject({ kind: 'refused', status: 400 });
    }
    expect(webhook(post(xxe))).toMatchObject({ reason: 'DTDs and entity declarations are refused' });
  });

  it('refuses bodies that are not WeChat XML with 400', () => {
    for (const body of [
      '',
      'not xml',
      '{"MsgType":"text"}',
      '<xml><MsgType>text</Foo></xml>',
      '<xml><MsgType><![CDATA[text</MsgType></xml>',
      '<root><MsgType>text</MsgType></root>',
      '<xml><__proto__>x</__proto__></xml>',
      wechatXml({ MsgType: 'text', Content: 'no sender' }),
    ]) {
      expect(webhook(post(body))).toMatchObject({ kind: 'refused', status: 400 });
    }
  });

  it('refuses a safe-mode body, and reads the plaintext of a compatible-mode one', () => {
    const safe = wechatXml({ ToUserName: 'gh_0123456789ab', Encrypt: 'bXkgc2VjcmV0IG1lc3NhZ2U=' });
    const query = signedQuery({ encrypt_type: 'aes', msg_signature: 'abc' });
    expect(webhook(post(safe, query))).toEqual({
      kind: 'refused',
      status: 400,
      reason: 'safe mode is not supported: use plaintext or compatible mode',
    });
    const compatible = wechatXml({
      ToUserName: 'gh_0123456789ab',
      FromUserName: 'oUser',
      CreateTime: 1700000000,
      MsgType: 'text',
      Content: 'hi',
      MsgId: '7',
      Encrypt: 'bXkgc2VjcmV0IG1lc3NhZ2U=',
    });
    expect(webhook(post(compatible, query))).toMatchObject({ kind: 'messages', messages: [{ id: '7', text: 'hi' }] });
  });

  it('decodes the predefined entities in text outside CDATA, and nothing else', () => {
    const body = `<xml><FromUserName>oUser</FromUserName><CreateTime>1700000000</CreateTime><MsgType>text</MsgType><Content>a &lt;b&gt; &amp;amp; &#x4F60;&#22909; &nbsp;</Content><MsgId>3</MsgId></xml>`;
    const outcome = webhook(post(body));
    expect(outcome.kind === 'messages' && outcome.messages[0]?.text).toBe('a <b> &amp; 你好 &nbsp;');
  });
});

describe('WeChat credentials', () => {
  it('accepts what an admin enters and refuses a malformed token', () => {
    expect(isRight(wechatAdapter.credentials.decode(credentials))).toBe(true);
    expect(isRight(wechatAdapter.credentials.decode({ ...credentials, encodingAesKey: 'a'.repeat(43) }))).toBe(true);
    expect(isRight(wechatAdapter.credentials.decode({ ...credentials, token: 'x' }))).toBe(false);
    expect(isRight(wechatAdapter.credentials.decode({ ...credentials, encodingAesKey: 'short' }))).toBe(false);
    expect(isRight(wechatAdapter.credentials.decode({ appId: 'wx1' }))).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------
// send() against a local fake of api.weixin.qq.com

interface FakeWechat {
  readonly baseUrl: string;
  readonly tokenRequests: URLSearchParams[];
  readonly sends: { readonly accessToken: string | null; readonly body: unknown }[];
  /** What the send endpoint answers next (then `{errcode:0}`). */
  readonly sendAnswers: unknown[];
  tokenAnswer: unknown;
  close(): Promise<void>;
}

const startFake = async (): Promise<FakeWechat> => {
  let issued = 0;
  const fake = {
    baseUrl: '',
    tokenRequests: [] as URLSearchParams[],
    sends: [] as { accessToken: string | null; body: unknown }[],
    sendAnswers: [] as unknown[],
    tokenAnswer: undefined as unknown,
    close: async (): Promise<void> => undefined,
  };
  const reply = (res: ServerResponse, status: number, body: unknown): void => {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://fake');
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (req.method === 'GET' && url.pathname === '/cgi-bin/token') {
      fake.tokenRequests.push(url.searchParams);
      issued += 1;
      reply(res, 200, fake.tokenAnswer ?? { access_token: `ACCESS_${issued}`, expires_in: 7200 });
    } else if (req.method === 'POST' && url.pathname === '/cgi-bin/message/custom/send') {
      fake.sends.push({
        accessToken: url.searchParams.get('access_token'),
        body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
      });
      const answer = fake.sendAnswers.shift() ?? { errcode: 0, errmsg: 'ok' };
      if (typeof answer === 'number') reply(res, answer, { error: 'gateway' });
      else reply(res, 200, answer);
    } else {
      reply(res, 404, {});
    }
  };
  const server: Server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  fake.baseUrl = `http://127.0.0.1:${port}`;
  fake.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return fake;
};

describe('WeChat send', () => {
  let fake: FakeWechat;
  let tokens: TokenCache;
  let context: SendContext;

  beforeEach(async () => {
    fake = await startFake();
    tokens = new InMemoryTokenCache();
    context = { baseUrl: fake.baseUrl, fetch, tokens, accountId: 'acct-1' };
  });
  afterEach(() => fake.close());

  it('fetches the access token once for two sends and posts a customer-service text', async () => {
    expect(await wechatAdapter.send('oUser', '您好 "quoted"', credentials, context)).toEqual({ ok: true });
    expect(await wechatAdapter.send('oUser', 'second', credentials, context)).toEqual({ ok: true });
    expect(fake.tokenRequests).toHaveLength(1);
    expect(Object.fromEntries(fake.tokenRequests[0] ?? [])).toEqual({
      grant_type: 'client_credential',
      appid: credentials.appId,
      secret: credentials.appSecret,
    });
    expect(fake.sends).toEqual([
      { accessToken: 'ACCESS_1', body: { touser: 'oUser', msgtype: 'text', text: { content: '您好 "quoted"' } } },
      { accessToken: 'ACCESS_1', body: { touser: 'oUser', msgtype: 'text', text: { content: 'second' } } },
    ]);
  });

  it('on 40001 invalidates the token, fetches a new one and retries once', async () => {
    fake.sendAnswers.push({ errcode: 40001, errmsg: 'invalid credential, access_token is invalid or not latest' });
    expect(await wechatAdapter.send('oUser', 'hi', credentials, context)).toEqual({ ok: true });
    expect(fake.tokenRequests).toHaveLength(2);
    expect(fake.sends.map((s) => s.accessToken)).toEqual(['ACCESS_1', 'ACCESS_2']);
  });

  it('gives up as transient when the fresh token is refused too', async () => {
    fake.sendAnswers.push({ errcode: 42001, errmsg: 'access_token expired' }, { errcode: 40014, errmsg: 'invalid' });
    const result = await wechatAdapter.send('oUser', 'hi', credentials, context);
    expect(result).toMatchObject({ ok: false, permanent: false });
    expect(fake.sends).toHaveLength(2);
    // The refused token is forgotten: the next send fetches a third one.
    expect(await wechatAdapter.send('oUser', 'hi', credentials, context)).toEqual({ ok: true });
    expect(fake.sends.map((s) => s.accessToken)).toEqual(['ACCESS_1', 'ACCESS_2', 'ACCESS_3']);
  });

  it('reports outside-the-window, quota, unsubscribed and bad OpenID as permanent', async () => {
    for (const [errcode, reason] of [
      [45015, 'outside the 48 h reply window'],
      [45047, 'quota'],
      [43004, 'unsubscribed'],
      [40003, 'invalid OpenID'],
    ] as const) {
      fake.sendAnswers.push({ errcode, errmsg: 'from wechat' });
      const result = await wechatAdapter.send('oUser', 'hi', credentials, context);
      expect(result).toMatchObject({ ok: false, permanent: true });
      expect(result.ok === false && result.reason).toContain(reason);
    }
    expect(fake.tokenRequests).toHaveLength(1);
  });

  it('reports system busy, 5xx and network failures as transient', async () => {
    fake.sendAnswers.push({ errcode: -1, errmsg: 'system error' }, 502);
    expect(await wechatAdapter.send('oUser', 'hi', credentials, context)).toMatchObject({
      ok: false,
      permanent: false,
    });
    expect(await wechatAdapter.send('oUser', 'hi', credentials, context)).toMatchObject({
      ok: false,
      permanent: false,
    });
    await fake.close();
    const result = await wechatAdapter.send('oUser', 'hi', credentials, context);
    expect(result).toMatchObject({ ok: false, permanent: false });
    expect(JSON.stringify(result)).not.toContain('ACCESS_1');
  });

  it('reports bad app credentials from the token endpoint as permanent, without the secret', async () => {
    fake.tokenAnswer = { errcode: 40125, errmsg: 'invalid appsecret' };
    const result = await wechatAdapter.send('oUser', 'hi', credentials, context);
    expect(result).toMatchObject({ ok: false, permanent: true });
    expect(result.ok === false && result.reason).toContain('invalid app credentials');
    expect(JSON.stringify(result)).not.toContain(credentials.appSecret);
    expect(fake.sends).toHaveLength(0);
  });

  it('reports a busy token endpoint as transient', async () => {
    fake.tokenAnswer = { errcode: -1, errmsg: 'system error' };
    expect(await wechatAdapter.send('oUser', 'hi', credentials, context)).toMatchObject({
      ok: false,
      permanent: false,
    });
  });

  it('never throws, even when the token cache does', async () => {
    const broken: TokenCache = {
      get: async () => {
        throw new Error('redis down');
      },
      invalidate: async () => undefined,
    };
    const result = await wechatAdapter.send('oUser', 'hi', credentials, { ...context, tokens: broken });
    expect(result).toMatchObject({ ok: false, permanent: false });
  });
});
