// Telegram Bot API: the bot's webhook (set with setWebhook and a `secret_token`, which Telegram
// sends back in `X-Telegram-Bot-Api-Secret-Token`; there is no handshake and no HMAC) and text
// sends through sendMessage.
//
// Webhook:
// - POST only: any other method is refused with 400 (Telegram never sends one);
// - the secret header is compared in constant time before the body is parsed (401 when it is
//   missing or different); a body that is not an Update after a valid secret is refused (400);
// - an Update with a `message` gives one message: id `<chat id>:<message_id>` (message ids are
//   unique per chat only, and a redelivered update carries the same ones), user id the chat id
//   (what sendMessage takes), text or caption, the largest photo as an image, a document, video,
//   audio, voice note or video note as a file (Telegram file_id); any other update
//   (edited_message, callback_query, channel_post...) or a message with nothing to show
//   (stickers, locations, service messages) is answered 200 with nothing stored.
import * as t from 'io-ts';
import type {
  ChannelAdapter,
  HttpAnswer,
  InboundAttachment,
  InboundMessage,
  SendResult,
  WebhookOutcome,
  WebhookRequest,
} from './port';
import { asRecord, asText, errorText, parseJson, readBody, sameSecret, trimBase, type UnknownRecord } from './common';

/** Sends that hang are abandoned (and retried by the sender) after this long. */
export const TELEGRAM_SEND_TIMEOUT_MS = 15_000;

/** A string codec for credentials of a given form (decoded values stay plain strings). */
const stringMatching = (name: string, form: RegExp): t.Type<string, string, unknown> =>
  new t.Type<string, string, unknown>(
    name,
    (u): u is string => typeof u === 'string' && form.test(u),
    (u, c) => (typeof u === 'string' && form.test(u) ? t.success(u) : t.failure(u, c)),
    t.identity,
  );

export const TelegramCredentials = t.strict(
  {
    /** The token from @BotFather: part of every API URL path, so no white space, `/`, `?` or `#`. */
    botToken: stringMatching('BotToken', /^[^\s/?#]+$/),
    /** setWebhook's secret_token: 1-256 characters of A-Z, a-z, 0-9, _ and -. */
    secretToken: stringMatching('TelegramSecretToken', /^[A-Za-z0-9_-]{1,256}$/),
  },
  'TelegramCredentials',
);
export type TelegramCredentials = t.TypeOf<typeof TelegramCredentials>;

const OK: HttpAnswer = { status: 200, contentType: 'application/json', body: '{}' };

const isInteger = (value: unknown): value is number => typeof value === 'number' && Number.isSafeInteger(value);

const optional = (name: string | undefined, mimeType: string | undefined) => ({
  ...(name === undefined ? {} : { name }),
  ...(mimeType === undefined ? {} : { mimeType }),
});

/** The largest PhotoSize (Telegram sends several sizes of one photo). */
const largestPhoto = (value: unknown): InboundAttachment | undefined => {
  if (!Array.isArray(value)) return undefined;
  let best: { id: string; area: number } | undefined;
  for (const sizeValue of value as unknown[]) {
    const size = asRecord(sizeValue);
    const id = asText(size?.file_id);
    if (size === undefined || id === undefined) continue;
    const area = (isInteger(size.width) ? size.width : 0) * (isInteger(size.height) ? size.height : 0);
    if (best === undefined || area >= best.area) best = { id, area };
  }
  return best === undefined ? undefined : { kind: 'image', mediaId: best.id };
};

/** Files: `document` (also set for animations), video, audio, voice and video notes. */
const FILE_FIELDS = ['document', 'video', 'audio', 'voice', 'video_note'] as const;

const fileAttachment = (value: unknown): InboundAttachment | undefined => {
  const file = asRecord(value);
  const mediaId = asText(file?.file_id);
  if (file === undefined || mediaId === undefined) return undefined;
  return { kind: 'file', mediaId, ...optional(asText(file.file_name), asText(file.mime_type)) };
};

const displayNameOf = (person: UnknownRecord | undefined): string | undefined => {
  if (person === undefined) return undefined;
  const full = [asText(person.first_name), asText(person.last_name)].filter((s) => s !== undefined).join(' ');
  return asText(full.trim()) ?? asText(person.username) ?? asText(person.title);
};

const readMessage = (value: unknown): InboundMessage | undefined => {
  const message = asRecord(value);
  const chat = asRecord(message?.chat);
  if (message === undefined || chat === undefined) return undefined;
  if (!isInteger(chat.id) || !isInteger(message.message_id) || !isInteger(message.date)) return undefined;
  const text = asText(message.text) ?? asText(message.caption) ?? '';
  const attachments = [
    largestPhoto(message.photo),
    ...FILE_FIELDS.map((field) => fileAttachment(message[field])),
  ].filter((a): a is InboundAttachment => a !== undefined);
  if (text === '' && attachments.length === 0) return undefined;
  const displayName = displayNameOf(asRecord(message.from)) ?? displayNameOf(chat);
  return {
    id: `${chat.id}:${message.message_id}`,
    userId: String(chat.id),
    text,
    attachments,
    at: new Date(message.date * 1000),
    ...(displayName === undefined ? {} : { displayName }),
  };
};

const webhook = (request: WebhookRequest, credentials: TelegramCredentials): WebhookOutcome => {
  if (request.method !== 'POST') {
    return { kind: 'refused', status: 400, reason: 'Telegram delivers updates by POST only' };
  }
  const secret = request.headers['x-telegram-bot-api-secret-token'];
  if (!sameSecret(secret, credentials.secretToken)) {
    const reason =
      secret === undefined ? 'no X-Telegram-Bot-Api-Secret-Token header' : 'the secret token does not match';
    return { kind: 'refused', status: 401, reason };
  }
  const update = asRecord(parseJson(request.rawBody));
  if (update === undefined || !isInteger(update.update_id)) {
    return { kind: 'refused', status: 400, reason: 'the body is not a Telegram Update' };
  }
  const message = readMessage(update.message);
  return message === undefined ? { kind: 'answer', answer: OK } : { kind: 'messages', messages: [message], answer: OK };
};

/**
 * sendMessage's answer as a send result: `ok` -> sent; 429 -> retry after `parameters.retry_after`
 * (or `Retry-After`); 5xx and 408 -> retry; other errors (400 chat not found, 401 Unauthorized,
 * 403 bot was blocked by the user, 404 for a wrong token...) -> permanent, the description as reason.
 */
export const telegramResult = (httpStatus: number, body: unknown, retryAfterHeader: string | null): SendResult => {
  const answer = asRecord(body);
  if (httpStatus >= 200 && httpStatus < 300 && answer?.ok !== false) {
    const id = asRecord(answer?.result)?.message_id;
    return isInteger(id) || typeof id === 'string' ? { ok: true, platformMessageId: String(id) } : { ok: true };
  }
  const status = isInteger(answer?.error_code) ? answer.error_code : httpStatus;
  const description = asText(answer?.description) ?? `HTTP ${status}`;
  if (status === 429) {
    const seconds = asRecord(answer?.parameters)?.retry_after;
    const header =
      retryAfterHeader !== null && /^\d+$/.test(retryAfterHeader.trim()) ? Number(retryAfterHeader) : undefined;
    const retryAfter = typeof seconds === 'number' && Number.isFinite(seconds) && seconds >= 0 ? seconds : header;
    return {
      ok: false,
      permanent: false,
      reason: description,
      ...(retryAfter === undefined ? {} : { retryAfterMs: retryAfter * 1000 }),
    };
  }
  if (status >= 500 || status === 408) return { ok: false, permanent: false, reason: description };
  return { ok: false, permanent: true, reason: description };
};

export const telegramAdapter: ChannelAdapter<TelegramCredentials> = {
  platform: 'telegram',
  credentials: TelegramCredentials,
  defaultBaseUrl: 'https://api.telegram.org',
  webhook,
  send: async (to, text, credentials, context) => {
    // The URL holds the bot token: it never goes into a reason.
    const url = `${trimBase(context.baseUrl)}/bot${credentials.botToken}/sendMessage`;
    let response: Response;
    try {
      response = await context.fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ chat_id: to, text }),
        signal: AbortSignal.timeout(TELEGRAM_SEND_TIMEOUT_MS),
      });
    } catch (error) {
      return { ok: false, permanent: false, reason: `Telegram unreachable: ${errorText(error)}` };
    }
    return telegramResult(response.status, await readBody(response), response.headers.get('retry-after'));
  },
};
