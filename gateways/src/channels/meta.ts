// What WhatsApp, Messenger and Instagram share, being Meta webhooks and Graph API calls:
// - the GET handshake (`hub.mode=subscribe`, `hub.verify_token` checked, `hub.challenge` echoed);
// - the POST signature, `X-Hub-Signature-256: sha256=<hex>`, an HMAC-SHA256 of the raw body bytes
//   under the App Secret, checked in constant time before anything parses the body (Meta signs the
//   escaped-unicode JSON it sends, so re-serialising the parsed body would not match);
// - the `messaging[]` events of Messenger and Instagram (same shape);
// - the send call (Bearer token, JSON) and the mapping of Graph API errors to send results.
import { createHmac, timingSafeEqual } from 'node:crypto';
import * as t from 'io-ts';
import type {
  HttpAnswer,
  InboundAttachment,
  InboundMessage,
  SendContext,
  SendResult,
  WebhookOutcome,
  WebhookRequest,
} from './port';
import { asArray, asRecord, asText, errorText, isRecord, parseJson, readBody, sameSecret } from './common';

/**
 * The Graph API version in every send URL. v21.0 is available until 2027-01-21 (Graph API
 * changelog); after that Meta answers calls to it with the oldest version still available.
 */
export const GRAPH_API_VERSION = 'v21.0';

/** Sends that hang are abandoned (and retried by the sender) after this long. */
export const SEND_TIMEOUT_MS = 15_000;

/** A credential as an admin enters it: a non-blank string without surrounding white space. */
export const CredentialString = new t.Type<string, string, unknown>(
  'CredentialString',
  (u): u is string => typeof u === 'string' && u.trim().length > 0 && u.trim() === u,
  (u, c) => (typeof u === 'string' && u.trim().length > 0 && u.trim() === u ? t.success(u) : t.failure(u, c)),
  t.identity,
);

/** What every Meta webhook needs: the App Secret (signatures) and the verify token (handshake). */
export interface MetaWebhookSecrets {
  readonly appSecret: string;
  readonly verifyToken: string;
}

export const EVENT_RECEIVED: HttpAnswer = { status: 200, contentType: 'text/plain', body: 'EVENT_RECEIVED' };

const refused = (status: 400 | 401 | 403, reason: string): WebhookOutcome => ({ kind: 'refused', status, reason });

const SIGNATURE = /^sha256=([0-9a-fA-F]{64})$/;

/** Checks `X-Hub-Signature-256` against the raw body; the reason when it does not match. */
export const signatureProblem = (request: WebhookRequest, appSecret: string): string | undefined => {
  const header = request.headers['x-hub-signature-256'];
  if (header === undefined || header === '') return 'no X-Hub-Signature-256 header';
  const hex = SIGNATURE.exec(header.trim())?.[1];
  if (hex === undefined) return 'X-Hub-Signature-256 is not sha256=<64 hex digits>';
  const expected = createHmac('sha256', appSecret).update(request.rawBody).digest();
  return timingSafeEqual(Buffer.from(hex, 'hex'), expected) ? undefined : 'X-Hub-Signature-256 does not match the body';
};

/**
 * A Meta webhook call: the handshake on GET; on POST the signature, then the JSON body with the
 * expected `object` and an `entry` array, whose messages `read` takes out (the parts it does not
 * understand it skips). Never throws.
 */
export const metaWebhook = (
  request: WebhookRequest,
  secrets: MetaWebhookSecrets,
  object: string,
  read: (entries: readonly unknown[]) => readonly InboundMessage[],
): WebhookOutcome => {
  if (request.method === 'GET') {
    if (request.query['hub.mode'] !== 'subscribe') return refused(403, 'hub.mode is not subscribe');
    if (!sameSecret(request.query['hub.verify_token'], secrets.verifyToken)) {
      return refused(403, 'hub.verify_token does not match');
    }
    const challenge = request.query['hub.challenge'];
    if (challenge === undefined || challenge === '') return refused(400, 'no hub.challenge');
    return { kind: 'answer', answer: { status: 200, contentType: 'text/plain', body: challenge } };
  }
  const problem = signatureProblem(request, secrets.appSecret);
  if (problem !== undefined) return refused(401, problem);
  const body = parseJson(request.rawBody);
  if (!isRecord(body)) return refused(400, 'the body is not a JSON object');
  if (body.object !== object) return refused(400, `the body's object is not ${object}`);
  if (!Array.isArray(body.entry)) return refused(400, 'the body has no entry array');
  const messages = read(body.entry as unknown[]);
  return messages.length === 0
    ? { kind: 'answer', answer: EVENT_RECEIVED }
    : { kind: 'messages', messages, answer: EVENT_RECEIVED };
};

/** Seconds (number or digit string, as WhatsApp sends them) or milliseconds since the epoch as a Date. */
export const epochDate = (value: unknown, unit: 'seconds' | 'milliseconds'): Date | undefined => {
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) return undefined;
  const date = new Date(unit === 'seconds' ? n * 1000 : n);
  return Number.isNaN(date.getTime()) ? undefined : date;
};

const messagingAttachment = (value: unknown): InboundAttachment | undefined => {
  const attachment = asRecord(value);
  const url = asText(asRecord(attachment?.payload)?.url);
  if (attachment === undefined || url === undefined) return undefined;
  return { kind: attachment.type === 'image' ? 'image' : 'file', mediaId: url };
};

const messagingEvent = (value: unknown): InboundMessage | undefined => {
  const event = asRecord(value);
  const message = asRecord(event?.message);
  if (event === undefined || message === undefined) return undefined; // deliveries, reads, postbacks...
  if (message.is_echo === true || message.is_deleted === true) return undefined;
  const userId = asText(asRecord(event.sender)?.id);
  const id = asText(message.mid);
  const at = epochDate(event.timestamp, 'milliseconds');
  if (userId === undefined || id === undefined || at === undefined) return undefined;
  const text = typeof message.text === 'string' ? message.text : '';
  const attachments = asArray(message.attachments)
    .map(messagingAttachment)
    .filter((a): a is InboundAttachment => a !== undefined);
  if (text === '' && attachments.length === 0) return undefined; // unsupported content, nothing to show
  return { id, userId, text, attachments, at };
};

/**
 * The messages in Messenger's and Instagram's `entry[].messaging[]`, for the entries of this
 * account only (`entry.id` is the Page id or the Instagram professional account id: one app
 * webhook serves every account subscribed to the app). Echoes of our own sends, deletions,
 * deliveries, reads and postbacks are skipped, as are `standby` events (another app's thread).
 */
export const messagingMessages = (entries: readonly unknown[], accountId: string): readonly InboundMessage[] =>
  entries.flatMap((value) => {
    const entry = asRecord(value);
    if (entry === undefined || String(entry.id) !== accountId) return [];
    return asArray(entry.messaging)
      .map(messagingEvent)
      .filter((m): m is InboundMessage => m !== undefined);
  });

// ---- sending -------------------------------------------------------------------------------

/** Rate limits: app (4), user (17), page (32), API (613), WABA (80007), throughput (130429), pair (131056). */
const RATE_LIMIT_CODES: ReadonlySet<number> = new Set([4, 17, 32, 613, 80007, 130429, 131056]);
/** "Temporary issue due to downtime, retry": unknown (1), service (2), app limit (341), Messenger's temporary send failure (1200). */
const TEMPORARY_CODES: ReadonlySet<number> = new Set([1, 2, 341, 1200]);
/** Messenger's and Instagram's code 10 subcodes for a send outside the reply window. */
const OUTSIDE_WINDOW_SUBCODES: ReadonlySet<number> = new Set([2018278, 2534022]);

export interface GraphError {
  readonly code?: number;
  readonly subcode?: number;
  readonly message?: string;
  readonly isTransient?: boolean;
}

const readGraphError = (body: unknown): GraphError | undefined => {
  const error = asRecord(asRecord(body)?.error);
  if (error === undefined) return undefined;
  return {
    ...(typeof error.code === 'number' ? { code: error.code } : {}),
    ...(typeof error.error_subcode === 'number' ? { subcode: error.error_subcode } : {}),
    ...(typeof error.message === 'string' ? { message: error.message } : {}),
    ...(typeof error.is_transient === 'boolean' ? { isTransient: error.is_transient } : {}),
  };
};

const describeError = (label: string, error: GraphError, status: number): string => {
  const code =
    error.code === undefined
      ? `HTTP ${status}`
      : `code ${error.code}${error.subcode === undefined ? '' : `/${error.subcode}`}`;
  return `${label} (${code})${error.message === undefined ? '' : `: ${error.message}`}`;
};

/** `Retry-After` in seconds, as milliseconds. */
export const retryAfterHeader = (value: string | null): number | undefined => {
  if (value === null || !/^\d+$/.test(value.trim())) return undefined;
  return Number(value.trim()) * 1000;
};

/**
 * A failed Graph API call as a send result. Rate limits and temporary errors (and anything Meta
 * marks `is_transient`, any 5xx without a known permanent code, 408, 429) are retried; a bad
 * token (190), missing permissions (3, 10, 200-299), an unavailable user (551), a send outside
 * the 24 h window (131047, or 10 with the window subcodes) and other 4xx are permanent.
 */
export const graphFailure = (
  status: number,
  body: unknown,
  retryAfterMs: number | undefined,
): Extract<SendResult, { ok: false }> => {
  const error = readGraphError(body) ?? {};
  const code = error.code;
  const retry = retryAfterMs === undefined ? {} : { retryAfterMs };
  const transient = (label: string) => ({
    ok: false as const,
    permanent: false,
    reason: describeError(label, error, status),
    ...retry,
  });
  const permanent = (label: string) => ({
    ok: false as const,
    permanent: true,
    reason: describeError(label, error, status),
  });
  if (code !== undefined && RATE_LIMIT_CODES.has(code)) return transient('rate limited');
  if (code !== undefined && TEMPORARY_CODES.has(code)) return transient('temporary platform error');
  if (code === 190) return permanent('access token invalid or expired');
  if (code === 131047) return permanent('outside the 24 h reply window');
  if (code === 10 && error.subcode !== undefined && OUTSIDE_WINDOW_SUBCODES.has(error.subcode)) {
    return permanent('outside the 24 h reply window');
  }
  if (code === 3 || code === 10 || (code !== undefined && code >= 200 && code <= 299)) {
    return permanent('permission missing');
  }
  if (code === 551) return permanent('user unavailable');
  if (error.isTransient === true || status >= 500 || status === 408 || status === 429) {
    return transient('platform error');
  }
  return permanent('request refused');
};

export interface GraphCall {
  readonly platformName: string;
  readonly url: string;
  readonly accessToken: string;
  readonly body: unknown;
  /** The sent message's id in a successful answer. */
  readonly messageId: (answer: unknown) => string | undefined;
}

/**
 * POSTs JSON to the Graph API with `Authorization: Bearer` (the token stays out of URLs and so
 * out of access logs). Never throws: network errors and timeouts are transient failures.
 */
export const graphSend = async (context: SendContext, call: GraphCall): Promise<SendResult> => {
  let response: Response;
  try {
    response = await context.fetch(call.url, {
      method: 'POST',
      headers: { authorization: `Bearer ${call.accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(call.body),
      signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
    });
  } catch (error) {
    return { ok: false, permanent: false, reason: `${call.platformName} unreachable: ${errorText(error)}` };
  }
  const body = await readBody(response);
  if (response.ok) {
    // Accepted: even without a readable id, retrying would send the message twice.
    const id = call.messageId(body);
    return id === undefined ? { ok: true } : { ok: true, platformMessageId: id };
  }
  const failure = graphFailure(response.status, body, retryAfterHeader(response.headers.get('retry-after')));
  return { ...failure, reason: `${call.platformName}: ${failure.reason}` };
};
