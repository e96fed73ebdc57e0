import { createCipheriv, createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isRight } from 'fp-ts/Either';
import { InMemoryTokenCache } from '@cschat/infra';
import type { SendContext, TokenCache, WebhookOutcome, WebhookRequest } from './port';
import {
  FRESHNESS_SECONDS,
  decryptMessage,
  encryptMessage,
  makeWechatAdapter,
  wechatAdapter,
  type WechatCredentials,
} from './wechat';
import { safeModeDelivery, sha1Signature, wechatDecrypt, wechatEncrypt } from '../../../test-support/wechat-safe-mode';

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

  it('without an EncodingAESKey, refuses a safe-mode body and reads the plaintext of a compatible-mode one', () => {
    const safe = wechatXml({ ToUserName: 'gh_0123456789ab', Encrypt: 'bXkgc2VjcmV0IG1lc3NhZ2U=' });
    const query = signedQuery({ encrypt_type: 'aes', msg_signature: 'abc' });
    expect(webhook(post(safe, query))).toEqual({
      kind: 'refused',
      status: 400,
      reason: 'safe mode: the channel account has no EncodingAESKey to decrypt with',
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
    expect(isRight(wechatAdapter.credentials.decode({ ...credentials, encodingAesKey: `${'a'.repeat(41)}+/` }))).toBe(
      true,
    );
    for (const encodingAesKey of [
      'short',
      'a'.repeat(42),
      'a'.repeat(44),
      `${'a'.repeat(42)}=`,
      `${'a'.repeat(42)}-`,
    ]) {
      expect(isRight(wechatAdapter.credentials.decode({ ...credentials, encodingAesKey }))).toBe(false);
    }
    expect(isRight(wechatAdapter.credentials.decode({ appId: 'wx1' }))).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------
// Safe mode (消息加解密)

/**
 * WeChat's own sample for the official account's message encryption (the Sample of the
 * 消息加解密 download, https://mp.weixin.qq.com/wiki?t=resource/res_main&id=mp1434696670), as
 * published in github.com/fotock/WXbizMsgCrypt-Node README.md: a compatible-mode body (plaintext
 * fields and <Encrypt>) with its msg_signature, timestamp and nonce. Decrypted independently
 * when this test was written, it holds exactly the plaintext fields beside it, and the AppID.
 */
const PUBLISHED = {
  token: 'spamtest',
  encodingAesKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG',
  appId: 'wx2c2769f8efd9abc2',
  timestamp: '1409735669',
  nonce: '1320562132',
  msgSignature: '5d197aaffba7e9b25a30732f161a50dee96bd5fa',
  encrypt:
    'hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PGHQHFVAFmOD2LdJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6tEDYsVticbSnyU8dKOIbgU6ux5VTjg3yt+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp3yZbGpy0VxpAe+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhvQl+q5rv1ixrcpCumEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE=',
};
const publishedCredentials: WechatCredentials = {
  appId: PUBLISHED.appId,
  appSecret: 'unused',
  token: PUBLISHED.token,
  encodingAesKey: PUBLISHED.encodingAesKey,
};
const publishedBody = `<xml><ToUserName><![CDATA[gh_10f6c3c3ac5a]]></ToUserName><FromUserName><![CDATA[oyORnuP8q7ou2gfYjqLzSIWZf0rs]]></FromUserName><CreateTime>1409735668</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[abcdteT]]></Content><MsgId>6054768590064713728</MsgId><Encrypt><![CDATA[${PUBLISHED.encrypt}]]></Encrypt></xml>`;
const publishedQuery = {
  signature: sha1Signature(PUBLISHED.token, PUBLISHED.timestamp, PUBLISHED.nonce),
  timestamp: PUBLISHED.timestamp,
  nonce: PUBLISHED.nonce,
  encrypt_type: 'aes',
  msg_signature: PUBLISHED.msgSignature,
};

/**
 * WeChat's Java sample test (WXBizMsgCryptTest.java of the same download, as published in
 * github.com/Wyl015/wuyiling work-test/src/main/resources/Utils/aes/WXBizMsgCryptTest.java):
 * the reply "我是中文abcd123" encrypted for wxb11529c136998cb6 with the random "aaaabbbbccccdddd".
 */
const PUBLISHED_REPLY = {
  encodingAesKey: 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG',
  appId: 'wxb11529c136998cb6',
  random: 'aaaabbbbccccdddd',
  message: '我是中文abcd123',
  encrypt: 'jn1L23DB+6ELqJ+6bruv21Y6MD7KeIfP82D6gU39rmkgczbWwt5+3bnyg5K55bgVtVzd832WzZGMhkP72vVOfg==',
};

describe('WeChat safe mode', () => {
  const NOW = 1_700_000_000;
  const account = {
    token: 'safeToken42',
    appId: 'wx1234567890abcdef',
    encodingAesKey: 'kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR',
  };
  const safeCredentials: WechatCredentials = { ...account, appSecret: 's3cr3t' };
  const at = (seconds: number) => makeWechatAdapter(() => seconds * 1000);
  const safe = (request: WebhookRequest, now = NOW): WebhookOutcome => at(now).webhook(request, safeCredentials);
  const text = (content: string, msgId = '5001', from = 'oSafeUser') =>
    wechatXml({
      ToUserName: 'gh_0123456789ab',
      FromUserName: from,
      CreateTime: NOW,
      MsgType: 'text',
      Content: content,
      MsgId: msgId,
    });
  const delivery = (message: string, options: Parameters<typeof safeModeDelivery>[2] = {}) =>
    safeModeDelivery(account, message, { timestamp: String(NOW), nonce: '1234567', ...options });
  /** AES-256-CBC of `plain` as it is (no padding added): to build ciphertexts WeChat would never send. */
  const rawCiphertext = (plain: Buffer, key = account.encodingAesKey): string => {
    const aes = Buffer.from(`${key}=`, 'base64');
    const cipher = createCipheriv('aes-256-cbc', aes, aes.subarray(0, 16));
    cipher.setAutoPadding(false);
    return Buffer.concat([cipher.update(plain), cipher.final()]).toString('base64');
  };
  const UNREADABLE = { kind: 'refused', status: 400, reason: 'the encrypted message cannot be read' };
  /** What the sender gets to see of an outcome (not the logged `detail`). */
  const answered = (outcome: WebhookOutcome) => {
    if (outcome.kind !== 'refused') return outcome;
    const { detail: _, ...seen } = outcome;
    return seen;
  };

  it("decrypts WeChat's published sample and checks its msg_signature", () => {
    const outcome = at(Number(PUBLISHED.timestamp)).webhook(post(publishedBody, publishedQuery), publishedCredentials);
    expect(outcome).toEqual({
      kind: 'messages',
      messages: [
        {
          id: '6054768590064713728',
          userId: 'oyORnuP8q7ou2gfYjqLzSIWZf0rs',
          text: 'abcdteT',
          attachments: [],
          at: new Date(1409735668_000),
        },
      ],
      answer: SUCCESS,
    });
    expect(decryptMessage(PUBLISHED.encodingAesKey, PUBLISHED.appId, PUBLISHED.encrypt)).toContain(
      '<MsgId>6054768590064713728</MsgId>',
    );
    // The same body with one signature digit changed, or for another AppID.
    const forged = { ...publishedQuery, msg_signature: `4${PUBLISHED.msgSignature.slice(1)}` };
    expect(at(Number(PUBLISHED.timestamp)).webhook(post(publishedBody, forged), publishedCredentials)).toMatchObject({
      kind: 'refused',
      status: 401,
      reason: 'msg_signature does not match',
    });
    expect(
      answered(
        at(Number(PUBLISHED.timestamp)).webhook(post(publishedBody, publishedQuery), {
          ...publishedCredentials,
          appId: 'wx2c2769f8efd9abc3',
        }),
      ),
    ).toEqual(UNREADABLE);
  });

  it("encrypts WeChat's published reply vector byte for byte, and reads it back", () => {
    const { encodingAesKey, appId, random, message, encrypt } = PUBLISHED_REPLY;
    expect(encryptMessage(encodingAesKey, appId, message, Buffer.from(random, 'latin1'))).toBe(encrypt);
    expect(decryptMessage(encodingAesKey, appId, encrypt)).toBe(message);
  });

  it('agrees with the independent reference both ways, with fresh random bytes each time', () => {
    const xml = text('你好 <safe> & ]]> 😀');
    const byReference = wechatEncrypt(account, xml);
    expect(decryptMessage(account.encodingAesKey, account.appId, byReference)).toBe(xml);
    const ours = encryptMessage(account.encodingAesKey, account.appId, xml);
    expect(wechatDecrypt(account, ours)).toMatchObject({ message: xml, appId: account.appId });
    expect(Buffer.from(ours, 'base64').length % 32).toBe(0);
    const again = encryptMessage(account.encodingAesKey, account.appId, xml);
    expect(again).not.toBe(ours);
    expect(wechatDecrypt(account, again).random.equals(wechatDecrypt(account, ours).random)).toBe(false);
    // Every plaintext length around the 32-byte boundary (a full block of padding included).
    for (let n = 0; n <= 70; n += 1) {
      const message = 'x'.repeat(n);
      expect(decryptMessage(account.encodingAesKey, account.appId, wechatEncrypt(account, message))).toBe(message);
      expect(wechatDecrypt(account, encryptMessage(account.encodingAesKey, account.appId, message)).message).toBe(
        message,
      );
    }
  });

  it('reads a safe-mode message and answers success in plaintext', () => {
    const { query, body } = delivery(text('在吗？'));
    expect(safe(post(body, query))).toEqual({
      kind: 'messages',
      messages: [{ id: '5001', userId: 'oSafeUser', text: '在吗？', attachments: [], at: new Date(NOW * 1000) }],
      answer: SUCCESS,
    });
  });

  it('in compatible mode reads the encrypted copy, never the plaintext beside it', () => {
    const { query, encrypt } = delivery(text('the real one', '5002'));
    const body = text('forged plaintext', '9999', 'oSomeoneElse').replace(
      '</xml>',
      `<Encrypt><![CDATA[${encrypt}]]></Encrypt></xml>`,
    );
    expect(safe(post(body, query))).toMatchObject({
      kind: 'messages',
      messages: [{ id: '5002', userId: 'oSafeUser', text: 'the real one' }],
    });
  });

  it('refuses a plaintext body once the account has an EncodingAESKey', () => {
    expect(safe(post(text('hi'), signedQuery({}, account.token)))).toMatchObject({
      kind: 'refused',
      status: 400,
      reason: 'the channel account has an EncodingAESKey: the body must carry <Encrypt> (safe or compatible mode)',
    });
  });

  it('refuses a missing, forged or tampered msg_signature with 401 before decrypting', () => {
    const { query, body, encrypt } = delivery(text('hi'));
    const { msg_signature: _, ...unsigned } = query;
    expect(safe(post(body, unsigned))).toMatchObject({ kind: 'refused', status: 401 });
    expect(safe(post(body, { ...query, msg_signature: 'zz' }))).toMatchObject({ kind: 'refused', status: 401 });
    // Signed with another token.
    const other = { ...query, msg_signature: sha1Signature('anotherToken', query.timestamp!, query.nonce!, encrypt) };
    expect(safe(post(body, other))).toMatchObject({ kind: 'refused', status: 401 });
    // One ciphertext character changed, the signature left as it was.
    const flipped = `${encrypt[0] === 'A' ? 'B' : 'A'}${encrypt.slice(1)}`;
    expect(safe(post(body.replace(encrypt, flipped), query))).toMatchObject({
      kind: 'refused',
      status: 401,
      reason: 'msg_signature does not match',
    });
    // Another nonce with the old msg_signature (the plaintext `signature` re-made to match).
    const renonced = {
      ...query,
      nonce: '7654321',
      signature: sha1Signature(account.token, query.timestamp!, '7654321'),
    };
    expect(safe(post(body, renonced))).toMatchObject({ kind: 'refused', status: 401 });
  });

  it('gives one and the same refusal for every signed ciphertext that cannot be read', () => {
    const message = Buffer.from(text('hi'), 'utf8');
    const header = (length: number) => {
      const h = Buffer.alloc(20, 7);
      h.writeUInt32BE(length, 16);
      return h;
    };
    const padded = (plain: Buffer, pad?: number) => {
      const n = 32 - (plain.length % 32);
      return Buffer.concat([plain, Buffer.alloc(n, pad ?? n)]);
    };
    const appId = Buffer.from(account.appId);
    const cases: Record<string, string> = {
      'not base64': '!!!!not-base64!!!!',
      'base64 with a hole': 'QUJD RA==',
      'one AES block (16 bytes)': rawCiphertext(Buffer.alloc(16, 16)),
      // Padded to 16 as plain PKCS#7 would, not to 32 as WeChat does: 3 blocks of 16.
      'padded to 16, not 32': rawCiphertext(
        (() => {
          const plain = Buffer.concat([header(message.length), message, appId]);
          const n = 16 - (plain.length % 16);
          const p = Buffer.concat([plain, Buffer.alloc(n, n)]);
          return p.length % 32 === 0 ? Buffer.concat([p, Buffer.alloc(16, 16)]) : p;
        })(),
      ),
      'padding byte 0': rawCiphertext(padded(Buffer.concat([header(message.length), message, appId]), 0)),
      'padding byte 33': rawCiphertext(
        (() => {
          const p = padded(Buffer.concat([header(message.length), message, appId]));
          p[p.length - 1] = 33;
          return p;
        })(),
      ),
      'padding bytes not all equal': rawCiphertext(
        (() => {
          const p = padded(Buffer.concat([header(message.length), message, appId]));
          const n = p[p.length - 1]!;
          if (n > 1) p[p.length - n] = (n + 1) % 256;
          else p[p.length - 1] = 2;
          return p;
        })(),
      ),
      'length beyond the plaintext': rawCiphertext(padded(Buffer.concat([header(10_000), message, appId]))),
      'shorter than the header': rawCiphertext(padded(Buffer.alloc(10, 1))),
      'not UTF-8': rawCiphertext(padded(Buffer.concat([header(2), Buffer.from([0xc3, 0x28]), appId]))),
      'another AppID': wechatEncrypt({ ...account, appId: 'wx0000000000000000' }, text('hi')),
      'no AppID': rawCiphertext(padded(Buffer.concat([header(message.length), message]))),
      'another key': wechatEncrypt({ ...account, encodingAesKey: PUBLISHED.encodingAesKey }, text('hi')),
      // Decrypted fine, but not a WeChat message: answered the same (CBC is malleable, see wechat.ts).
      'not XML inside': wechatEncrypt(account, 'not xml'),
      'no MsgType inside': wechatEncrypt(account, '<xml><Foo>1</Foo></xml>'),
      'a DTD inside': wechatEncrypt(account, '<!DOCTYPE xml [<!ENTITY x "y">]><xml>&x;</xml>'),
    };
    for (const [name, encrypt] of Object.entries(cases)) {
      const { query, body } = delivery('', { encrypt });
      const outcome = safe(post(body, query));
      expect([name, answered(outcome)]).toEqual([name, UNREADABLE]);
      // The cause is for the log.
      expect(outcome.kind === 'refused' && typeof outcome.detail).toBe('string');
    }
  });

  it('refuses a request whose timestamp is more than 5 minutes from the clock, either way', () => {
    expect(FRESHNESS_SECONDS).toBe(300);
    const { query, body } = delivery(text('hi'));
    expect(safe(post(body, query), NOW + 299)).toMatchObject({ kind: 'messages' });
    expect(safe(post(body, query), NOW - 299)).toMatchObject({ kind: 'messages' });
    for (const now of [NOW + 301, NOW - 301, NOW + 86_400]) {
      expect(safe(post(body, query), now)).toMatchObject({
        kind: 'refused',
        status: 401,
        reason: "timestamp is more than 300 s away from the server's clock",
      });
    }
  });

  it('applies the hardened XML rules to the decrypted message', () => {
    const xxe = `<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]><xml><FromUserName>oUser</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType><Content>&x;</Content><MsgId>1</MsgId></xml>`;
    const { query, body } = delivery(xxe);
    expect(safe(post(body, query))).toEqual({
      ...UNREADABLE,
      detail: 'decrypted message: DTDs and entity declarations are refused',
    });
  });

  it('answers the URL check with the plaintext of an encrypted echostr', () => {
    const timestamp = String(NOW);
    const nonce = '99887766';
    const echostr = wechatEncrypt(account, '1234567890123456789');
    const query = {
      signature: sha1Signature(account.token, timestamp, nonce),
      msg_signature: sha1Signature(account.token, timestamp, nonce, echostr),
      timestamp,
      nonce,
      echostr,
    };
    const get = (q: Record<string, string>): WebhookRequest => ({
      method: 'GET',
      query: q,
      headers: {},
      rawBody: Buffer.alloc(0),
    });
    expect(safe(get(query))).toEqual({
      kind: 'answer',
      answer: { status: 200, contentType: 'text/plain', body: '1234567890123456789' },
    });
    expect(safe(get({ ...query, msg_signature: sha1Signature('x', timestamp, nonce, echostr) }))).toMatchObject({
      status: 401,
    });
    const foreign = wechatEncrypt({ ...account, appId: 'wx0000000000000000' }, '42');
    expect(
      answered(
        safe(
          get({ ...query, echostr: foreign, msg_signature: sha1Signature(account.token, timestamp, nonce, foreign) }),
        ),
      ),
    ).toEqual(UNREADABLE);
    // Without msg_signature the plaintext handshake is unchanged.
    const { msg_signature: _, ...plain } = query;
    expect(safe(get(plain))).toMatchObject({ kind: 'answer', answer: { body: echostr } });
    // An account without the key cannot answer an encrypted one.
    expect(at(NOW).webhook(get(query), { ...safeCredentials, encodingAesKey: undefined } as never)).toMatchObject({
      kind: 'refused',
      status: 400,
    });
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
