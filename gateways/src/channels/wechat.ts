// WeChat Official Account (公众号): the server URL's webhook (token signature over the query, XML
// body) and the customer-service message API for sending (access token shared through the
// token cache).
//
// Encryption: only plaintext and compatible mode are supported. In compatible mode WeChat sends
// the plaintext fields beside `<Encrypt>`, and those are read; safe mode (only `<Encrypt>`, AES
// with the EncodingAESKey, `msg_signature`) is NOT supported: such a body is refused. The
// EncodingAESKey is accepted and stored so that safe mode can be added without re-entering it.
//
// Replay: the `signature` covers the token, timestamp and nonce, not the body, and WeChat
// documents no freshness rule for `timestamp`, so no age limit is enforced here (the dedupe on
// MsgId catches WeChat's own retries). A stolen signed query could be replayed with another body.
import { createHash, timingSafeEqual } from 'node:crypto';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import * as t from 'io-ts';
import type { ChannelAdapter, HttpAnswer, InboundAttachment, InboundMessage, SendContext, SendResult } from './port';

export interface WechatCredentials {
  readonly appId: string;
  readonly appSecret: string;
  /** The Token entered in the account's server configuration (signs the webhook's query). */
  readonly token: string;
  /** Stored for safe mode, which is not supported yet (see above). */
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
      encodingAesKey: matching('encodingAesKey', /^[A-Za-z0-9]{43}$/, '43 letters or digits'),
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
      ? 'safe mode is not supported: use plaintext or compatible mode'
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

export const wechatAdapter: ChannelAdapter<WechatCredentials> = {
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
      return echostr === undefined
        ? { kind: 'refused', status: 400, reason: 'echostr missing' }
        : { kind: 'answer', answer: { status: 200, contentType: 'text/plain', body: echostr } };
    }
    const xml = parseXml(request.rawBody.toString('utf8').replace(/^\uFEFF/, ''));
    if (typeof xml === 'string') return { kind: 'refused', status: 400, reason: xml };
    const read = readMessage(xml);
    if (typeof read === 'string') return { kind: 'refused', status: 400, reason: read };
    return read.kind === 'message'
      ? { kind: 'messages', messages: [read.message], answer: SUCCESS }
      : { kind: 'answer', answer: SUCCESS };
  },

  async send(to, text, credentials, context) {
    try {
      return await sendText(to, text, credentials, context);
    } catch {
      return { ok: false, permanent: false, reason: 'unexpected failure' };
    }
  },
};
