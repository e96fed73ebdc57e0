// Fuzzing every platform's webhook adapter in process (tens of thousands of requests in seconds): forged
// requests, signed random bytes, signed random JSON, signed mutations of real payloads, and for WeChat
// XML built from markup pieces plus a corpus of entity tricks, and WeChat's safe mode (forged msg_signature,
// signed ciphertexts not made with the key, bit flips, hostile XML inside a real ciphertext). An adapter never throws, refuses with a
// status the API documents, never lets a forged request through, expands no entity, and gives only
// well-formed messages. The HTTP route and what is stored are fuzzed in scripts/src/security/.
import { createHash, createHmac } from 'node:crypto';
import fc from 'fast-check';
import { hostileJson, hostileText, mutated, NASTY_PIECES, runs, Tally } from '../../../test-support/fuzz';
import { ADAPTERS, type PreparedAdapter } from './adapters';
import type { Platform, WebhookOutcome, WebhookRequest } from './port';
import { safeModeDelivery, sha1Signature, wechatEncrypt } from '../../../test-support/wechat-safe-mode';

const CREDENTIALS: Record<Platform, Record<string, string>> = {
  telegram: { botToken: '123456:fuzz-bot-token', secretToken: 'fuzz_secret-token' },
  whatsapp: { accessToken: 'wa-token', appSecret: 'wa-app-secret', verifyToken: 'wa-verify', phoneNumberId: '1555000' },
  messenger: { pageAccessToken: 'page-token', appSecret: 'fb-app-secret', verifyToken: 'fb-verify', pageId: 'page-1' },
  instagram: { accessToken: 'ig-token', appSecret: 'ig-app-secret', verifyToken: 'ig-verify', igAccountId: 'ig-1' },
  wechat: { appId: 'wx1234567890', appSecret: 'wx-app-secret', token: 'wxtoken123' },
};
const PLATFORMS = Object.keys(CREDENTIALS) as Platform[];

const prepared = (platform: Platform): PreparedAdapter => {
  const adapter = ADAPTERS[platform].prepare(CREDENTIALS[platform]);
  if (adapter === undefined) throw new Error(`the ${platform} fixture credentials do not fit`);
  return adapter;
};

const wechatQuery = (token: string, timestamp = '1700000000', nonce = '42'): Record<string, string> => ({
  signature: createHash('sha1').update([token, timestamp, nonce].sort().join('')).digest('hex'),
  timestamp,
  nonce,
});

/** A POST as the platform signs it, for any body. */
const signedPost = (platform: Platform, body: Buffer): WebhookRequest => {
  const credentials = CREDENTIALS[platform];
  if (platform === 'wechat')
    return { method: 'POST', query: wechatQuery(credentials['token']!), headers: {}, rawBody: body };
  if (platform === 'telegram') {
    return {
      method: 'POST',
      query: {},
      headers: { 'x-telegram-bot-api-secret-token': credentials['secretToken'] },
      rawBody: body,
    };
  }
  const signature = createHmac('sha256', credentials['appSecret']!).update(body).digest('hex');
  return { method: 'POST', query: {}, headers: { 'x-hub-signature-256': `sha256=${signature}` }, rawBody: body };
};

const now = 1_732_521_600;
/** A real delivery of each platform with one text message (the mutations start from these). */
const VALID: Record<Exclude<Platform, 'wechat'>, fc.JsonValue> = {
  telegram: {
    update_id: 1,
    message: {
      message_id: 7,
      date: now,
      chat: { id: 4242, type: 'private' },
      from: { id: 4242, is_bot: false, first_name: 'Li' },
      text: 'hello',
      photo: [{ file_id: 'p1', width: 90, height: 60 }],
      document: { file_id: 'd1', file_name: 'a.pdf', mime_type: 'application/pdf' },
    },
  },
  whatsapp: {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: 'waba',
        changes: [
          {
            field: 'messages',
            value: {
              messaging_product: 'whatsapp',
              metadata: { phone_number_id: '1555000' },
              contacts: [{ wa_id: '8613800000000', profile: { name: 'Wang' } }],
              messages: [
                { from: '8613800000000', id: 'wamid.1', timestamp: String(now), type: 'text', text: { body: 'hi' } },
                { from: '8613800000000', id: 'wamid.2', timestamp: String(now), type: 'image', image: { id: 'm1' } },
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
        time: now * 1000,
        messaging: [
          {
            sender: { id: 'psid-1' },
            recipient: { id: 'page-1' },
            timestamp: now * 1000,
            message: { mid: 'm.1', text: 'hi', attachments: [{ type: 'image', payload: { url: 'https://x/y' } }] },
          },
        ],
      },
    ],
  },
  instagram: {
    object: 'instagram',
    entry: [
      {
        id: 'ig-1',
        time: now * 1000,
        messaging: [
          {
            sender: { id: 'igsid-1' },
            recipient: { id: 'ig-1' },
            timestamp: now * 1000,
            message: { mid: 'm.1', text: 'hi' },
          },
        ],
      },
    ],
  },
};

const wechatXml = (content: string, msgId = '1001') =>
  `<xml><ToUserName><![CDATA[gh_x]]></ToUserName><FromUserName><![CDATA[oUser1]]></FromUserName>` +
  `<CreateTime>${now}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[${content}]]></Content>` +
  `<MsgId>${msgId}</MsgId></xml>`;

const tally = new Tally();
afterAll(() => tally.print('webhook adapters fuzzed in process (inputs per surface):'));

/** The invariants of any outcome: documented statuses, and messages a chat can take. */
const checkOutcome = (outcome: WebhookOutcome): void => {
  if (outcome.kind === 'refused') {
    expect([400, 401, 403]).toContain(outcome.status);
    expect(typeof outcome.reason).toBe('string');
    return;
  }
  expect(outcome.answer.status).toBe(200);
  if (outcome.kind === 'answer') return;
  expect(outcome.messages.length).toBeGreaterThan(0);
  for (const message of outcome.messages) {
    expect(typeof message.id === 'string' && message.id.length > 0).toBe(true);
    expect(typeof message.userId === 'string' && message.userId.length > 0).toBe(true);
    expect(typeof message.text).toBe('string');
    expect(message.text.length > 0 || message.attachments.length > 0).toBe(true);
    for (const attachment of message.attachments) {
      expect(['image', 'file']).toContain(attachment.kind);
      expect(typeof attachment.mediaId === 'string' && attachment.mediaId.length > 0).toBe(true);
    }
  }
};

/** Runs the adapter on the request; a throw fails the property with the input. */
const run = (platform: Platform, request: WebhookRequest, surface: string): WebhookOutcome => {
  tally.add(`${platform} ${surface}`);
  const outcome = prepared(platform).webhook(request);
  checkOutcome(outcome);
  return outcome;
};

const headerValue = fc.oneof(hostileText(80), fc.constant(undefined));

describe.each(PLATFORMS)('%s webhook under fuzzing', (platform) => {
  it('lets no forged or unsigned request through, whatever its method, query, headers and body', () => {
    const credentials = CREDENTIALS[platform];
    fc.assert(
      fc.property(
        fc.constantFrom<'GET' | 'POST'>('GET', 'POST'),
        fc.dictionary(hostileText(12), hostileText(40), { maxKeys: 4 }),
        headerValue,
        fc.oneof(
          fc.uint8Array({ maxLength: 512 }),
          hostileJson(3).map((v) => Buffer.from(JSON.stringify(v))),
        ),
        fc.constantFrom('none', 'random', 'other-key'),
        (method, query, header, body, forgery) => {
          const rawBody = Buffer.from(body);
          const headers: Record<string, string | undefined> = {};
          const q: Record<string, string> = { ...query };
          if (platform === 'telegram') {
            // Anything but the secret itself.
            const given = forgery === 'none' ? undefined : forgery === 'random' ? header : 'fuzz_secret-tokeN';
            if (given === credentials['secretToken']) return;
            headers['x-telegram-bot-api-secret-token'] = given;
          } else if (platform === 'wechat') {
            Object.assign(q, forgery === 'other-key' ? wechatQuery('anothertoken') : {});
            if (forgery === 'random') q['signature'] = header ?? '';
            const expected = wechatQuery(credentials['token']!, q['timestamp'] ?? '', q['nonce'] ?? '');
            if (q['signature'] === expected.signature) return;
          } else {
            // Meta: a signature of other bytes or under another key; the handshake with another verify token.
            const key = forgery === 'other-key' ? 'not-the-app-secret' : credentials['appSecret']!;
            const signed = createHmac('sha256', key)
              .update(Buffer.concat([rawBody, Buffer.from('x')]))
              .digest('hex');
            headers['x-hub-signature-256'] = forgery === 'random' ? header : `sha256=${signed}`;
            if (method === 'GET') {
              q['hub.mode'] = 'subscribe';
              if (q['hub.verify_token'] === credentials['verifyToken']) return;
            }
          }
          const outcome = run(platform, { method, query: q, headers, rawBody }, 'forged or unsigned');
          expect(outcome.kind).toBe('refused');
        },
      ),
      { numRuns: runs(1500) },
    );
  });

  it('takes any signed bytes without throwing, answering 200 or 400', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 2048 }),
          hostileText(400).map((s) => Buffer.from(s)),
        ),
        (body) => {
          run(platform, signedPost(platform, Buffer.from(body)), 'signed random bytes');
        },
      ),
      { numRuns: runs(1500) },
    );
  });

  it('takes any signed JSON without throwing', () => {
    fc.assert(
      fc.property(hostileJson(5), (value) => {
        run(platform, signedPost(platform, Buffer.from(JSON.stringify(value))), 'signed random JSON');
      }),
      { numRuns: runs(1000) },
    );
  });
});

describe.each(['telegram', 'whatsapp', 'messenger', 'instagram'] as const)('%s deliveries mutated', (platform) => {
  it('takes a signed real delivery with up to four mutations without throwing', () => {
    // The unmutated delivery gives messages: the mutations start from a payload that reaches the reader.
    expect(
      run(platform, signedPost(platform, Buffer.from(JSON.stringify(VALID[platform]))), 'signed mutated').kind,
    ).toBe('messages');
    let read = 0;
    const numRuns = runs(2500);
    fc.assert(
      fc.property(mutated(VALID[platform], 4), (value) => {
        const outcome = run(platform, signedPost(platform, Buffer.from(JSON.stringify(value))), 'signed mutated');
        if (outcome.kind === 'messages') read += 1;
      }),
      { numRuns },
    );
    // Enough of the mutants still reach the message reader for the fuzzing to mean something.
    expect(read).toBeGreaterThan(numRuns / 10);
  });
});

// ---- WeChat's XML ----

/** Markup pieces a hostile XML body is built from: tags, text, CDATA, entities, declarations, DTDs. */
const XML_PIECES: readonly string[] = [
  '<xml>',
  '</xml>',
  '<Content>',
  '</Content>',
  '<MsgType>text</MsgType>',
  '<MsgType><![CDATA[text]]></MsgType>',
  '<FromUserName>oUser1</FromUserName>',
  `<CreateTime>${now}</CreateTime>`,
  '<MsgId>1</MsgId>',
  '<![CDATA[',
  ']]>',
  '<!-- c -->',
  '<?pi x?>',
  '<?xml version="1.0"?>',
  '<!DOCTYPE xml>',
  '<!DOCTYPE xml [<!ENTITY x "boom">]>',
  '<!DOCTYPE xml SYSTEM "file:///etc/passwd">',
  '<!ENTITY % p SYSTEM "http://127.0.0.1/x.dtd">',
  '%p;',
  '&x;',
  '&lt;',
  '&amp;',
  '&#0;',
  '&#x10FFFF;',
  '&#xD800;',
  '&#99999999;',
  '<a b="c">',
  '</a>',
  '<__proto__>',
  '</__proto__>',
  '<constructor>x</constructor>',
  '<xi:include href="/etc/passwd"/>',
  '<Encrypt>abc</Encrypt>',
  '\u0000',
  '\ufeff',
  '<',
  '>',
  '&',
];

const xmlBody = fc
  .array(fc.oneof(fc.constantFrom(...XML_PIECES), hostileText(8)), { maxLength: 40 })
  .map((parts) => parts.join(''));

/** Entity tricks and other classics, each of which must be refused (400) and expand nothing. */
const ENTITY_TRICKS: readonly string[] = [
  // Billion laughs.
  `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]><xml><Content>&lol3;</Content></xml>`,
  // External entity (XXE), file and network.
  `<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><xml><MsgType>text</MsgType><FromUserName>u</FromUserName><CreateTime>1</CreateTime><Content>&xxe;</Content></xml>`,
  `<!DOCTYPE xml [<!ENTITY xxe SYSTEM "http://127.0.0.1:1/steal">]><xml><Content>&xxe;</Content></xml>`,
  // Parameter entities and an external DTD.
  `<!DOCTYPE xml [<!ENTITY % dtd SYSTEM "http://127.0.0.1:1/evil.dtd"> %dtd;]><xml><Content>&send;</Content></xml>`,
  `<!DOCTYPE xml SYSTEM "http://127.0.0.1:1/evil.dtd"><xml><Content>x</Content></xml>`,
  // A DTD after leading white space, in lower case, and with odd spacing.
  `  \n<!doctype xml [<!entity e "x">]><xml/>`,
  `<?xml version="1.0"?>\n<!DOCTYPE\txml[<!ENTITY e 'x'>]><xml/>`,
  // Quadratic blow-up: one big entity used many times.
  `<!DOCTYPE xml [<!ENTITY a "${'a'.repeat(5000)}">]><xml><Content>${'&a;'.repeat(2000)}</Content></xml>`,
  // Comments and processing instructions that hide markup.
  `<xml><!-- <!DOCTYPE x [<!ENTITY e "x">]> --><Content>&e;</Content></xml>`,
  `<xml><?xml-stylesheet href="http://127.0.0.1:1/x.xsl"?><Content>x</Content></xml>`,
  // XInclude.
  `<xml xmlns:xi="http://www.w3.org/2001/XInclude"><xi:include parse="text" href="file:///etc/passwd"/></xml>`,
  // An unclosed CDATA section hiding a DTD.
  `<xml><Content><![CDATA[ok</Content></xml><!DOCTYPE x [<!ENTITY e "x">]>`,
  // UTF-16 with a BOM (WeChat sends UTF-8).
  Buffer.from(`\ufeff<!DOCTYPE xml [<!ENTITY e "x">]><xml>&e;</xml>`, 'utf16le').toString('latin1'),
];

/** Tricks that are not markup at all but a user's text in a CDATA section: taken as text, never expanded. */
const TEXT_TRICKS: readonly string[] = [
  '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>&e;',
  '&lt;&#0;&#xD800;&amp;amp;',
  '<!-- -->',
  '<?php ?>',
];

describe('WeChat XML under fuzzing', () => {
  const webhook = (body: string | Buffer, surface: string) =>
    run('wechat', signedPost('wechat', Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8')), surface);

  it('takes XML built from markup pieces and hostile text without throwing; a DTD outside CDATA is always refused', () => {
    fc.assert(
      fc.property(xmlBody, (body) => {
        const outcome = webhook(body, 'signed XML from pieces');
        const withoutCdata = body.replace(/<!\[CDATA\[[\s\S]*?\]\]>/g, '');
        if (/<!\s*(DOCTYPE|ENTITY)/i.test(withoutCdata))
          expect(outcome).toMatchObject({ kind: 'refused', status: 400 });
        if (outcome.kind === 'messages') {
          for (const message of outcome.messages) expect(message.text).not.toContain('boom');
        }
      }),
      { numRuns: runs(4000) },
    );
  });

  it('takes mutations of a real message without throwing', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(), fc.constantFrom(...XML_PIECES, ...NASTY_PIECES)), { minLength: 1, maxLength: 4 }),
        (inserts) => {
          const body = inserts.reduce((xml, [where, piece]) => {
            const i = where % (xml.length + 1);
            return xml.slice(0, i) + piece + xml.slice(i);
          }, wechatXml('你好'));
          webhook(body, 'signed XML mutated');
        },
      ),
      { numRuns: runs(3000) },
    );
  });

  it('refuses every entity trick with 400, quickly, expanding nothing', () => {
    for (const trick of ENTITY_TRICKS) {
      const started = performance.now();
      const outcome = webhook(
        Buffer.from(trick, trick.startsWith('\u00ff\u00fe') ? 'latin1' : 'utf8'),
        'XML entity tricks',
      );
      expect([trick.slice(0, 60), outcome.kind, outcome.kind === 'refused' ? outcome.status : 200]).toEqual([
        trick.slice(0, 60),
        'refused',
        400,
      ]);
      expect(performance.now() - started).toBeLessThan(1_000);
    }
  });

  it('keeps markup inside CDATA as the text the user wrote', () => {
    for (const text of TEXT_TRICKS) {
      const outcome = webhook(wechatXml(text), 'XML entity tricks');
      expect(outcome.kind === 'messages' && outcome.messages[0]?.text).toBe(text);
    }
  });

  it('reads large and deeply nested bodies in linear time', () => {
    const cases = [
      `<xml>${'<a>'.repeat(20_000)}${'</a>'.repeat(20_000)}</xml>`,
      `<xml><Content><![CDATA[${'x'.repeat(200_000)}]]></Content></xml>`,
      `<xml>${'<![CDATA['.repeat(20_000)}</xml>`,
      `<xml>${'&amp;'.repeat(50_000)}</xml>`,
      `<xml>${'<MsgId>1</MsgId>'.repeat(10_000)}</xml>`,
      `<xml><Content a="${'"'.repeat(1)}${'x'.repeat(100_000)}"/></xml>`,
    ];
    for (const body of cases) {
      const started = performance.now();
      webhook(body, 'XML large or deep');
      expect([body.slice(0, 30), performance.now() - started < 2_000]).toEqual([body.slice(0, 30), true]);
    }
  });

  afterAll(() => {
    // Names such as __proto__ and constructor in bodies changed no prototype.
    expect(({} as Record<string, unknown>)['x']).toBeUndefined();
    expect(Object.keys(Object.prototype)).toEqual([]);
  });
});

// ---- WeChat's safe mode (消息加解密) ----

describe('WeChat safe mode under fuzzing', () => {
  const account = { ...CREDENTIALS.wechat, encodingAesKey: 'kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR' } as {
    token: string;
    appId: string;
    appSecret: string;
    encodingAesKey: string;
  };
  const safeAdapter = ADAPTERS.wechat.prepare(account)!;
  const UNREADABLE = { kind: 'refused', status: 400, reason: 'the encrypted message cannot be read' };
  /** What the sender gets to see of an outcome (not the logged `detail`). */
  const answered = (outcome: WebhookOutcome) => {
    if (outcome.kind !== 'refused') return outcome;
    const { detail: _, ...seen } = outcome;
    return seen;
  };
  const runSafe = (request: WebhookRequest, surface: string): WebhookOutcome => {
    tally.add(`wechat safe mode ${surface}`);
    const outcome = safeAdapter.webhook(request);
    checkOutcome(outcome);
    return outcome;
  };
  const postOf = (delivery: { query: Record<string, string>; body: string }): WebhookRequest => ({
    method: 'POST',
    query: delivery.query,
    headers: {},
    rawBody: Buffer.from(delivery.body, 'utf8'),
  });

  it('lets no ciphertext through without the right msg_signature', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          hostileText(60),
          fc.uint8Array({ maxLength: 256 }).map((b) => Buffer.from(b).toString('base64')),
        ),
        fc.oneof(
          hostileText(40),
          fc.uint8Array({ minLength: 20, maxLength: 20 }).map((b) => Buffer.from(b).toString('hex')),
        ),
        fc.constantFrom('random', 'missing', 'other-token', 'other-ciphertext'),
        (encrypt, given, forgery) => {
          const delivery = safeModeDelivery(account, wechatXml('hi'), { encrypt: encrypt.replace(/]]>/g, '') });
          const query = { ...delivery.query };
          if (forgery === 'random') query['msg_signature'] = given;
          else if (forgery === 'missing') delete query['msg_signature'];
          else if (forgery === 'other-token') {
            query['msg_signature'] = sha1Signature(
              'anothertoken',
              query['timestamp']!,
              query['nonce']!,
              delivery.encrypt,
            );
          } else {
            query['msg_signature'] = sha1Signature(
              account.token,
              query['timestamp']!,
              query['nonce']!,
              `${delivery.encrypt}A`,
            );
          }
          expect(runSafe(postOf({ query, body: delivery.body }), 'forged msg_signature')).toMatchObject({
            kind: 'refused',
          });
        },
      ),
      { numRuns: runs(3000) },
    );
  });

  it('gives the one same refusal to every signed ciphertext not made with the key', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 400 }),
          fc
            .integer({ min: 1, max: 12 })
            .chain((blocks) => fc.uint8Array({ minLength: blocks * 32, maxLength: blocks * 32 })),
        ),
        (bytes) => {
          const encrypt = Buffer.from(bytes).toString('base64');
          const outcome = runSafe(postOf(safeModeDelivery(account, '', { encrypt })), 'signed random ciphertext');
          if (bytes.length === 0) expect(outcome).toMatchObject({ kind: 'refused', status: 400 });
          else expect(answered(outcome)).toEqual(UNREADABLE);
        },
      ),
      { numRuns: runs(3000) },
    );
  });

  it('gives the same refusal to bit flips of a real delivery, signed again', () => {
    const real = wechatEncrypt(account, wechatXml('你好'));
    const bytes = Buffer.from(real, 'base64');
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(bytes.length - 1), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 3 }),
        (flips) => {
          const mutated = Buffer.from(bytes);
          for (const [where, mask] of flips) mutated[where]! ^= mask;
          const encrypt = mutated.toString('base64');
          const outcome = runSafe(postOf(safeModeDelivery(account, '', { encrypt })), 'signed bit flips');
          // CBC without a MAC: a flip garbles its block and flips the same bit of the next one's
          // plaintext; whatever that breaks, the answer is the same. A flip whose damage lands in
          // the random bytes or inside a text only may still read as a (well-formed) message.
          if (outcome.kind === 'refused') expect(answered(outcome)).toEqual(UNREADABLE);
        },
      ),
      { numRuns: runs(3000) },
    );
  });

  it('applies the XML rules to hostile XML encrypted with the key', () => {
    fc.assert(
      fc.property(xmlBody, (xml) => {
        const outcome = runSafe(postOf(safeModeDelivery(account, xml)), 'encrypted XML from pieces');
        const withoutCdata = xml.replace(/<!\[CDATA\[[\s\S]*?\]\]>/g, '');
        if (/<!\s*(DOCTYPE|ENTITY)/i.test(withoutCdata))
          expect(outcome).toMatchObject({ kind: 'refused', status: 400 });
        if (outcome.kind === 'messages') {
          for (const message of outcome.messages) expect(message.text).not.toContain('boom');
        }
      }),
      { numRuns: runs(2000) },
    );
    for (const trick of ENTITY_TRICKS.slice(0, -1)) {
      expect(runSafe(postOf(safeModeDelivery(account, trick)), 'encrypted entity tricks')).toMatchObject({
        kind: 'refused',
        status: 400,
      });
    }
  });

  it('takes hostile envelopes around a real ciphertext without throwing', () => {
    const delivery = safeModeDelivery(account, wechatXml('hi'));
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(), fc.constantFrom(...XML_PIECES, ...NASTY_PIECES)), { minLength: 1, maxLength: 4 }),
        (inserts) => {
          const body = inserts.reduce((xml, [where, piece]) => {
            const i = where % (xml.length + 1);
            return xml.slice(0, i) + piece + xml.slice(i);
          }, delivery.body);
          runSafe(postOf({ query: delivery.query, body }), 'envelope mutated');
        },
      ),
      { numRuns: runs(2000) },
    );
  });
});
