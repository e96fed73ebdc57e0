// WeChat Official Account (公众号): the server URL's webhook (token signature over the query, XML
// body) and the customer-service message API for sending (access token shared through the
// token cache).
//
// Encryption (消息加解密): plaintext, compatible and safe mode. Without an EncodingAESKey in the
// account, plaintext mode: the body's fields are read (in compatible mode the plaintext beside
// `<Encrypt>`), and a safe-mode body is refused. With the key, every POST must carry `<Encrypt>`
// (safe mode, or compatible mode whose plaintext copy is ignored): `msg_signature` = SHA-1 of the
// sorted [token, timestamp, nonce, Encrypt] is checked in constant time before anything is
// decrypted; then AES-256-CBC (key = base64 of the EncodingAESKey + '=', IV = its first 16
// bytes, PKCS#7 padding to 32-byte blocks) gives 16 random bytes, the message's length (4 bytes,
// big-endian), the message (XML, UTF-8) and the AppID, which must be the account's. Whatever is
// wrong with a signed ciphertext (base64, block size, padding, length, UTF-8, AppID, then the XML
// and fields inside) gets one answer, the cause going to the log only: CBC has no MAC, so whoever
// knows the token can sign altered ciphertexts, and differing answers would be a padding oracle. A plaintext body is refused when the
// key is set: its fields are covered by no signature (see Replay).
//
// Replies: the adapter answers `success` at once and sends through the customer-service API,
// never a passive XML reply, so nothing in an answer needs encrypting (WeChat takes a plain
// `success` in safe mode too). `encryptMessage` is the algorithm's other half, for passive
// replies if they come, and for tests.
//
// Replay: in plaintext mode the `signature` covers the token, timestamp and nonce, not the body,
// and WeChat documents no freshness rule for `timestamp`, so no age limit is enforced there (the
// dedupe on MsgId catches WeChat's own retries); a stolen signed query could be replayed with
// another body. In safe mode `msg_signature` covers the ciphertext too, so a replay can only be
// the same delivery again, which the dedupe on MsgId drops while the user's session lasts; to
// bound it beyond that, a safe-mode request whose `timestamp` is more than FRESHNESS_SECONDS
// (5 minutes) from our clock is refused. WeChat's own retries come within about 15 s (3 tries,
// 5 s apart), so the window leaves room for clock skew of a few minutes and nothing more.
import { createCipheriv, createDecipheriv, createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import * as t from 'io-ts';
import type {
  ChannelAdapter,
  HttpAnswer,
  InboundAttachment,
  InboundMessage,
  SendContext,
  SendResult,
  WebhookOutcome,
} from './port';

export interface WechatCredentials {
  readonly appId: string;
  readonly appSecret: string;
  /** The Token entered in the account's server configuration (signs the webhook's query). */
  readonly token: string;
  /**
   * The EncodingAESKey (43 base64 characters): set, the account is in safe or compatible mode
   * and every POST must be encrypted with it (see above).
   */
  readonly encodingAesKey?: string;
}

const matching = (name: string, pattern: RegExp, rule: string): t.Type<string, string, unknown> =>
  new t.Type<string, string, unknown>(
    name,
    (u): u is string => typeof u === 'string' && pattern.test(u),
    (u, c) => (typeof u === 'string' && pattern.test(u) ? t.success(u) : t.failure(u, c, `${name}: ${rule}`)),
    t.identity,
  );

const credentialsCodec = t.exact(
  t.intersection([
    t.type({
      appId: matching('appId', /^[A-Za-z0-9_-]{1,64}$/, '1 to 64 letters, digits, _ or -'),
      appSecret: matching('appSecret', /^[A-Za-z0-9_-]{1,128}$/, '1 to 128 letters, digits, _ or -'),
      // The account's settings page takes 3 to 32 letters or digits.
      token: matching('token', /^[A-Za-z0-9]{3,32}$/, '3 to 32 letters or digits'),
    }),
    t.partial({
      // 43 base64 characters without the padding: 32 bytes once '=' is added. WeChat's settings
      // page generates letters and digits only; '+' and '/' are base64 too.
      encodingAesKey: matching(
        'encodingAesKey',
        /^[A-Za-z0-9+/]{43}$/,
        'exactly 43 base64 characters (letters, digits, + or /)',
      ),
    }),
  ]),
  'WechatCredentials',
);

const SUCCESS: HttpAnswer = { status: 200, contentType: 'text/plain', body: 'success' };
const REQUEST_TIMEOUT_MS = 8_000;

// ---------------------------------------------------------------------------------------------
// Webhook

/** `signature` = hex SHA-1 of the sorted, concatenated [token, timestamp, nonce]. */
const signatureMatches = (token: string, timestamp: string, nonce: string, signature: string): boolean => {
  const expected = createHash('sha1').update([token, timestamp, nonce].sort().join('')).digest();
  const given = /^[0-9a-f]{40}$/i.test(signature) ? Buffer.from(signature, 'hex') : undefined;
  return given !== undefined && timingSafeEqual(expected, given);
};

// Hardened: no DTD, no entities of any kind (a body declaring them is refused before parsing
// anyway), no number parsing (MsgId is a 64-bit integer), no prototype-polluting names, bounded depth.
const parser = new XMLParser({
  processEntities: false,
  htmlEntities: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  ignoreAttributes: true,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  cdataPropName: '#cdata',
  maxNestedTags: 16,
  strictReservedNames: true,
});

/** Markup that WeChat never sends: DTDs (external entities, entity expansion), comments, PIs. */
const DTD = /<!\s*(DOCTYPE|ENTITY|ELEMENT|ATTLIST|NOTATION)/i;
const XML_DECLARATION = /^\s*<\?xml\s[^<>?]*\?>/;
/** An element's start or end tag, attributes allowed (without `<`, as XML requires). */
const TAG = /<\/?[A-Za-z_][\w.:-]*(?:\s+[\w.:-]+\s*=\s*(?:"[^"<]*"|'[^'<]*'))*\s*\/?>/g;

/** The body without its CDATA sections (user text), or undefined when one is not closed. Linear. */
const outsideCdata = (body: string): string | undefined => {
  let outside = '';
  let from = 0;
  for (;;) {
    const start = body.indexOf('<![CDATA[', from);
    if (start < 0) return outside + body.slice(from);
    const end = body.indexOf(']]>', start + 9);
    if (end < 0) return undefined;
    outside += body.slice(from, start);
    from = end + 3;
  }
};

/**
 * Checked before any parsing: outside CDATA sections, only start and end tags and text may
 * remain (and a leading XML declaration). A DOCTYPE, an entity declaration, a comment or a
 * processing instruction is refused; the same text inside a CDATA section is a user's message.
 */
const markupProblem = (body: string): string | undefined => {
  const outside = outsideCdata(body.replace(XML_DECLARATION, ''));
  if (outside === undefined) return 'a CDATA section is not closed';
  const rest = outside.replace(TAG, '');
  if (!rest.includes('<')) return undefined;
  return DTD.test(rest)
    ? 'DTDs and entity declarations are refused'
    : 'only elements, text and CDATA are accepted (no comments, processing instructions or DTDs)';
};

/** The five predefined entities and character references; nothing else is expanded. */
const decodeXmlText = (text: string): string =>
  text.replace(/&(lt|gt|amp|quot|apos|#[0-9]{1,7}|#x[0-9a-fA-F]{1,6});/g, (whole, name: string) => {
    switch (name) {
      case 'lt':
        return '<';
      case 'gt':
        return '>';
      case 'amp':
        return '&';
      case 'quot':
        return '"';
      case 'apos':
        return "'";
      default: {
        const code = name.startsWith('#x') ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
        return code <= 0x10ffff ? String.fromCodePoint(code) : whole;
      }
    }
  });

type XmlNode = Readonly<Record<string, unknown>>;

const isNode = (u: unknown): u is XmlNode => typeof u === 'object' && u !== null && !Array.isArray(u);

/** The text of a leaf element: plain text (entities decoded) and CDATA sections. */
const textOf = (node: unknown): string | undefined => {
  if (typeof node === 'string') return decodeXmlText(node);
  if (!isNode(node)) return undefined;
  const plain = node['#text'];
  const cdata = node['#cdata'];
  const sections = typeof cdata === 'string' ? [cdata] : Array.isArray(cdata) ? cdata : [];
  if (!sections.every((s): s is string => typeof s === 'string')) return undefined;
  if (Object.keys(node).some((k) => k !== '#text' && k !== '#cdata')) return undefined;
  return (typeof plain === 'string' ? decodeXmlText(plain) : '') + sections.join('');
};

const parseXml = (body: string): XmlNode | string => {
  const problem = markupProblem(body);
  if (problem !== undefined) return problem;
  if (XMLValidator.validate(body) !== true) return 'the body is not well-formed XML';
  let parsed: unknown;
  try {
    parsed = parser.parse(body);
  } catch {
    return 'the body is not acceptable XML';
  }
  const root = isNode(parsed) ? parsed['xml'] : undefined;
  return isNode(root) ? root : 'the body is not a WeChat message (no <xml> root)';
};

const attachmentOf = (msgType: string, xml: XmlNode): InboundAttachment | undefined => {
  const mediaId = textOf(xml['MediaId']);
  if (mediaId === undefined || mediaId === '') return undefined;
  return { kind: msgType === 'image' ? 'image' : 'file', mediaId };
};

type Read = { readonly kind: 'message'; readonly message: InboundMessage } | { readonly kind: 'nothing' } | string;

const readMessage = (xml: XmlNode): Read => {
  const msgType = textOf(xml['MsgType']);
  if (msgType === undefined) {
    return xml['Encrypt'] !== undefined
      ? 'safe mode: the channel account has no EncodingAESKey to decrypt with'
      : 'the body is not a WeChat message (no MsgType)';
  }
  const userId = textOf(xml['FromUserName']);
  const createTime = textOf(xml['CreateTime']);
  if (userId === undefined || userId === '' || createTime === undefined || !/^[0-9]{1,12}$/.test(createTime)) {
    return 'the body is not a WeChat message (FromUserName, CreateTime)';
  }
  const at = new Date(Number(createTime) * 1000);
  // MsgId is on every user message; the (FromUserName, CreateTime) pair is WeChat's own dedupe
  // key for events, used here only if a message ever comes without one.
  const msgId = textOf(xml['MsgId']);
  const id = msgId !== undefined && msgId !== '' ? msgId : `${userId}:${createTime}`;
  switch (msgType) {
    case 'text': {
      const text = textOf(xml['Content']);
      return text === undefined
        ? { kind: 'nothing' }
        : { kind: 'message', message: { id, userId, text, attachments: [], at } };
    }
    case 'image':
    case 'voice':
    case 'video':
    case 'shortvideo':
    case 'file': {
      const attachment = attachmentOf(msgType, xml);
      if (attachment === undefined) return { kind: 'nothing' };
      // Voice messages carry WeChat's transcription when the account has it enabled.
      const text = msgType === 'voice' ? (textOf(xml['Recognition']) ?? '') : '';
      return { kind: 'message', message: { id, userId, text, attachments: [attachment], at } };
    }
    default:
      // Events (subscribe, menu clicks, ...), locations, links: nothing for the chat.
      return { kind: 'nothing' };
  }
};

// ---------------------------------------------------------------------------------------------
// Safe mode (消息加解密)

/** How far a safe-mode request's `timestamp` may be from our clock, either way (see Replay above). */
export const FRESHNESS_SECONDS = 300;

/** WeChat pads to a multiple of 32 bytes (PKCS#7 with k = 32), not AES's 16. */
const BLOCK = 32;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})+(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The one answer to a signed ciphertext that cannot be read, whatever the cause. */
const UNREADABLE = 'the encrypted message cannot be read';

const aesKey = (encodingAesKey: string): Buffer => Buffer.from(`${encodingAesKey}=`, 'base64');

/** `msg_signature` = hex SHA-1 of the sorted, concatenated [token, timestamp, nonce, encrypt]. */
export const msgSignature = (token: string, timestamp: string, nonce: string, encrypt: string): string =>
  createHash('sha1').update([token, timestamp, nonce, encrypt].sort().join('')).digest('hex');

const msgSignatureMatches = (
  token: string,
  timestamp: string,
  nonce: string,
  encrypt: string,
  signature: string,
): boolean => {
  const expected = Buffer.from(msgSignature(token, timestamp, nonce, encrypt), 'hex');
  const given = /^[0-9a-f]{40}$/i.test(signature) ? Buffer.from(signature, 'hex') : undefined;
  return given !== undefined && timingSafeEqual(expected, given);
};

/**
 * The message inside `encrypt` (base64), or undefined when anything about it is wrong: not
 * base64, not whole 32-byte blocks, bad padding, a length beyond the plaintext, not UTF-8, or
 * another AppID. Called only once `msg_signature` matched.
 */
export const decryptMessage = (encodingAesKey: string, appId: string, encrypt: string): string | undefined => {
  if (!BASE64.test(encrypt)) return undefined;
  const ciphertext = Buffer.from(encrypt, 'base64');
  if (ciphertext.length === 0 || ciphertext.length % BLOCK !== 0) return undefined;
  const key = aesKey(encodingAesKey);
  let padded: Buffer;
  try {
    const decipher = createDecipheriv('aes-256-cbc', key, key.subarray(0, 16)).setAutoPadding(false);
    padded = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  } catch {
    return undefined;
  }
  const pad = padded[padded.length - 1] ?? 0;
  if (pad < 1 || pad > BLOCK || !padded.subarray(padded.length - pad).every((b) => b === pad)) return undefined;
  const plain = padded.subarray(0, padded.length - pad);
  if (plain.length < 20) return undefined;
  const length = plain.readUInt32BE(16);
  if (length > plain.length - 20) return undefined;
  try {
    const message = utf8.decode(plain.subarray(20, 20 + length));
    const receiver = utf8.decode(plain.subarray(20 + length));
    return receiver === appId ? message : undefined;
  } catch {
    return undefined;
  }
};

/**
 * `message` encrypted for `appId` as WeChat's servers do (base64): 16 random bytes, the length,
 * the message, the AppID, PKCS#7-padded to 32 bytes. `random` is for fixed test vectors only.
 */
export const encryptMessage = (
  encodingAesKey: string,
  appId: string,
  message: string,
  random: Buffer = randomBytes(16),
): string => {
  const body = Buffer.from(message, 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(body.length);
  const plain = Buffer.concat([random.subarray(0, 16), length, body, Buffer.from(appId, 'utf8')]);
  const pad = BLOCK - (plain.length % BLOCK);
  const key = aesKey(encodingAesKey);
  const cipher = createCipheriv('aes-256-cbc', key, key.subarray(0, 16)).setAutoPadding(false);
  return Buffer.concat([cipher.update(Buffer.concat([plain, Buffer.alloc(pad, pad)])), cipher.final()]).toString(
    'base64',
  );
};

interface Refusal {
  readonly status: 400 | 401;
  readonly reason: string;
  readonly detail?: string;
}
type Opened = { readonly message: string } | Refusal;

/** A signed ciphertext that cannot be read or does not hold a WeChat message: one answer, the cause logged only. */
const unreadable = (detail: string): Refusal => ({ status: 400, reason: UNREADABLE, detail });

/** Signature, freshness, then decryption of a safe-mode `encrypt` (a POST's `<Encrypt>` or a GET's `echostr`). */
const openSafeMode = (
  credentials: WechatCredentials & { readonly encodingAesKey: string },
  query: Readonly<Record<string, string>>,
  encrypt: string,
  nowMs: number,
): Opened => {
  const { msg_signature: signature, timestamp, nonce } = query;
  if (signature === undefined || timestamp === undefined || nonce === undefined) {
    return { status: 401, reason: 'msg_signature, timestamp or nonce missing (safe mode)' };
  }
  if (!msgSignatureMatches(credentials.token, timestamp, nonce, encrypt, signature)) {
    return { status: 401, reason: 'msg_signature does not match' };
  }
  if (!/^[0-9]{1,12}$/.test(timestamp) || Math.abs(nowMs / 1000 - Number(timestamp)) > FRESHNESS_SECONDS) {
    return { status: 401, reason: `timestamp is more than ${FRESHNESS_SECONDS} s away from the server's clock` };
  }
  const message = decryptMessage(credentials.encodingAesKey, credentials.appId, encrypt);
  return message === undefined
    ? unreadable('not a ciphertext of this EncodingAESKey and AppID (base64, blocks, padding, length, UTF-8 or AppID)')
    : { message };
};

const hasKey = (credentials: WechatCredentials): credentials is WechatCredentials & { encodingAesKey: string } =>
  credentials.encodingAesKey !== undefined;

// ---------------------------------------------------------------------------------------------
// Send

class TokenFetchError extends Error {
  constructor(
    readonly permanent: boolean,
    reason: string,
  ) {
    super(reason);
  }
}

interface ApiAnswer {
  readonly status: number;
  readonly json: Readonly<Record<string, unknown>> | undefined;
}

const call = async (context: SendContext, path: string, init: RequestInit): Promise<ApiAnswer> => {
  const response = await context.fetch(`${context.baseUrl.replace(/\/+$/, '')}${path}`, {
    ...init,
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const body = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    json = undefined;
  }
  return { status: response.status, json: isNode(json) ? json : undefined };
};

const errcodeOf = (json: Readonly<Record<string, unknown>>): number | undefined =>
  typeof json['errcode'] === 'number' ? json['errcode'] : undefined;

const errorText = (json: Readonly<Record<string, unknown>>): string => {
  const errmsg = typeof json['errmsg'] === 'string' ? json['errmsg'] : '';
  return `errcode ${String(json['errcode'])}${errmsg === '' ? '' : `: ${errmsg}`}`;
};

/** Errors that retrying soon cannot fix (`cgi-bin/token`): bad AppID/AppSecret, IP not whitelisted, ... */
const TOKEN_PERMANENT = new Set([40001, 40002, 40013, 40125, 40164, 41002, 41004]);

const fetchToken = async (credentials: WechatCredentials, context: SendContext) => {
  const query = new URLSearchParams({
    grant_type: 'client_credential',
    appid: credentials.appId,
    secret: credentials.appSecret,
  });
  let answer: ApiAnswer;
  try {
    answer = await call(context, `/cgi-bin/token?${query.toString()}`, { method: 'GET' });
  } catch (error) {
    throw new TokenFetchError(false, `access token: ${networkError(error)}`);
  }
  const { json } = answer;
  if (answer.status < 200 || answer.status > 299 || json === undefined) {
    throw new TokenFetchError(false, `access token: HTTP ${answer.status}`);
  }
  const errcode = errcodeOf(json);
  if (errcode !== undefined && errcode !== 0) {
    throw TOKEN_PERMANENT.has(errcode)
      ? new TokenFetchError(true, `invalid app credentials (${errorText(json)})`)
      : new TokenFetchError(false, `access token: ${errorText(json)}`);
  }
  const token = json['access_token'];
  const expiresIn = json['expires_in'];
  if (typeof token !== 'string' || token === '' || typeof expiresIn !== 'number' || !(expiresIn > 0)) {
    throw new TokenFetchError(false, 'access token: unexpected answer');
  }
  return { token, expiresInMs: expiresIn * 1000 };
};

const networkError = (error: unknown): string => {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) return 'timed out';
  const cause: unknown = error instanceof Error ? error.cause : undefined;
  const code = isNode(cause) && typeof cause['code'] === 'string' ? ` (${cause['code']})` : '';
  // Never the URL or the error's own text, which could carry the secret or the access token.
  return `network error${code}`;
};

/** The access token was refused: forget it and try once more with a new one. */
const TOKEN_INVALID = new Set([40001, 40014, 42001]);

const SEND_PERMANENT: ReadonlyMap<number, string> = new Map([
  [40003, 'invalid OpenID'],
  [43004, 'the user has unsubscribed'],
  [45015, 'outside the 48 h reply window'],
  [45047, 'customer-service message quota used up'],
  [45002, 'message too long'],
  [40033, 'invalid characters in the message'],
  [48001, 'the account may not use the customer-service API'],
]);

type Attempt = SendResult | { readonly kind: 'token-invalid'; readonly reason: string };

const postText = async (to: string, text: string, accessToken: string, context: SendContext): Promise<Attempt> => {
  let answer: ApiAnswer;
  try {
    answer = await call(context, `/cgi-bin/message/custom/send?access_token=${encodeURIComponent(accessToken)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      // JSON.stringify keeps non-ASCII characters as they are (WeChat refuses \uXXXX escapes, 40033).
      body: JSON.stringify({ touser: to, msgtype: 'text', text: { content: text } }),
    });
  } catch (error) {
    return { ok: false, permanent: false, reason: networkError(error) };
  }
  const { json } = answer;
  if (answer.status < 200 || answer.status > 299 || json === undefined) {
    return { ok: false, permanent: false, reason: `HTTP ${answer.status}` };
  }
  const errcode = errcodeOf(json);
  if (errcode === 0) return { ok: true };
  if (errcode === undefined) return { ok: false, permanent: false, reason: 'unexpected answer' };
  if (TOKEN_INVALID.has(errcode)) return { kind: 'token-invalid', reason: errorText(json) };
  const permanent = SEND_PERMANENT.get(errcode);
  if (permanent !== undefined) return { ok: false, permanent: true, reason: `${permanent} (${errorText(json)})` };
  // 45009/45011: the API's call quota; try again in a minute.
  if (errcode === 45009 || errcode === 45011) {
    return { ok: false, permanent: false, reason: `rate limited (${errorText(json)})`, retryAfterMs: 60_000 };
  }
  // -1 (system busy) and codes not known here: retried with backoff.
  return { ok: false, permanent: false, reason: errorText(json) };
};

const sendText = async (
  to: string,
  text: string,
  credentials: WechatCredentials,
  context: SendContext,
): Promise<SendResult> => {
  const key = `wechat:${credentials.appId}`;
  const token = async (): Promise<string | SendResult> => {
    try {
      return await context.tokens.get(key, () => fetchToken(credentials, context));
    } catch (error) {
      return error instanceof TokenFetchError
        ? { ok: false, permanent: error.permanent, reason: error.message }
        : { ok: false, permanent: false, reason: 'access token: the token cache failed' };
    }
  };
  for (let attempt = 1; ; attempt += 1) {
    const accessToken = await token();
    if (typeof accessToken !== 'string') return accessToken;
    const result = await postText(to, text, accessToken, context);
    if ('ok' in result) return result;
    await context.tokens.invalidate(key, accessToken).catch(() => undefined);
    if (attempt >= 2) return { ok: false, permanent: false, reason: `access token refused twice (${result.reason})` };
  }
};

const outcomeOf = (read: Exclude<Read, string>): WebhookOutcome =>
  read.kind === 'message'
    ? { kind: 'messages', messages: [read.message], answer: SUCCESS }
    : { kind: 'answer', answer: SUCCESS };

/** The adapter, reading the clock through `now` (safe mode's freshness check). */
export const makeWechatAdapter = (now: () => number = Date.now): ChannelAdapter<WechatCredentials> => ({
  platform: 'wechat',
  credentials: credentialsCodec,
  defaultBaseUrl: 'https://api.weixin.qq.com',

  webhook(request, credentials) {
    const { signature, timestamp, nonce } = request.query;
    if (signature === undefined || timestamp === undefined || nonce === undefined) {
      return { kind: 'refused', status: 401, reason: 'signature, timestamp or nonce missing' };
    }
    if (!signatureMatches(credentials.token, timestamp, nonce, signature)) {
      return { kind: 'refused', status: 401, reason: 'signature does not match' };
    }
    if (request.method === 'GET') {
      const echostr = request.query['echostr'];
      if (echostr === undefined) return { kind: 'refused', status: 400, reason: 'echostr missing' };
      // With msg_signature, echostr is encrypted: the answer is its plaintext.
      if (request.query['msg_signature'] !== undefined) {
        if (!hasKey(credentials)) {
          return { kind: 'refused', status: 400, reason: 'safe mode: the channel account has no EncodingAESKey' };
        }
        const opened = openSafeMode(credentials, request.query, echostr, now());
        return 'message' in opened
          ? { kind: 'answer', answer: { status: 200, contentType: 'text/plain', body: opened.message } }
          : { kind: 'refused', ...opened };
      }
      return { kind: 'answer', answer: { status: 200, contentType: 'text/plain', body: echostr } };
    }
    const xml = parseXml(request.rawBody.toString('utf8').replace(/^\uFEFF/, ''));
    if (typeof xml === 'string') return { kind: 'refused', status: 400, reason: xml };
    if (hasKey(credentials)) {
      // Safe or compatible mode: only the encrypted copy counts.
      const encrypt = textOf(xml['Encrypt']);
      if (encrypt === undefined || encrypt === '') {
        return {
          kind: 'refused',
          status: 400,
          reason: 'the channel account has an EncodingAESKey: the body must carry <Encrypt> (safe or compatible mode)',
        };
      }
      const opened = openSafeMode(credentials, request.query, encrypt, now());
      if (!('message' in opened)) return { kind: 'refused', ...opened };
      // CBC without a MAC is malleable: whoever knows the token can sign altered ciphertexts, so
      // whatever goes wrong after decryption (padding, XML, fields) gets the same answer.
      const inner = parseXml(opened.message.replace(/^\uFEFF/, ''));
      const read = typeof inner === 'string' ? inner : readMessage(inner);
      if (typeof read === 'string') return { kind: 'refused', ...unreadable(`decrypted message: ${read}`) };
      return outcomeOf(read);
    }
    const read = readMessage(xml);
    if (typeof read === 'string') return { kind: 'refused', status: 400, reason: read };
    return outcomeOf(read);
  },

  async send(to, text, credentials, context) {
    try {
      return await sendText(to, text, credentials, context);
    } catch {
      return { ok: false, permanent: false, reason: 'unexpected failure' };
    }
  },
});

export const wechatAdapter: ChannelAdapter<WechatCredentials> = makeWechatAdapter();
