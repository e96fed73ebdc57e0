// A messaging platform (Telegram, WhatsApp, Messenger, Instagram, WeChat) behind one port: its
// webhook (handshake, signature check on the raw body before any parsing, messages out of it)
// and its send call. Adapters are pure apart from `send`, which gets its HTTP client, the
// platform's base URL (configuration, so tests use local fakes) and a shared token cache.
import type * as t from 'io-ts';

export type Platform = 'telegram' | 'whatsapp' | 'messenger' | 'instagram' | 'wechat';

export interface WebhookRequest {
  readonly method: 'GET' | 'POST';
  readonly query: Readonly<Record<string, string>>;
  /** Lower-case header names. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  /** The body exactly as received: signatures are over these bytes. */
  readonly rawBody: Buffer;
}

export interface InboundAttachment {
  readonly kind: 'image' | 'file';
  /** The platform's media id (Telegram file_id, WhatsApp media id, WeChat MediaId, or a URL for Meta pages). */
  readonly mediaId: string;
  readonly name?: string;
  readonly mimeType?: string;
}

export interface InboundMessage {
  /** The platform's id of this message: a redelivered webhook carries the same one. */
  readonly id: string;
  /** The sender, stable per platform and account (chat id, wa_id, PSID, IGSID, OpenID). */
  readonly userId: string;
  /** The sender's display name, when the platform gives one. */
  readonly displayName?: string;
  readonly text: string;
  readonly attachments: readonly InboundAttachment[];
  readonly at: Date;
}

export interface HttpAnswer {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

export type WebhookOutcome =
  /** A handshake, or a delivery with nothing for us (statuses, echoes): answer and store nothing. */
  | { readonly kind: 'answer'; readonly answer: HttpAnswer }
  /**
   * A signature or verify token that does not match, or a body that is not the platform's: nothing
   * stored. `reason` is answered and logged; `detail`, only logged, says what the answer must not
   * tell a sender (why a signed ciphertext could not be read: an answer that differs is an oracle).
   */
  | {
      readonly kind: 'refused';
      readonly status: 400 | 401 | 403;
      readonly reason: string;
      readonly detail?: string;
    }
  /** Messages to enter the chat, then this answer. */
  | { readonly kind: 'messages'; readonly messages: readonly InboundMessage[]; readonly answer: HttpAnswer };

export type SendResult =
  | { readonly ok: true; readonly platformMessageId?: string }
  /**
   * `permanent`: retrying cannot help (invalid token, outside the reply window, blocked by the
   * user); otherwise the sender retries with backoff (`retryAfterMs` when the platform said).
   */
  | { readonly ok: false; readonly permanent: boolean; readonly reason: string; readonly retryAfterMs?: number };

/** Access tokens that expire (WeChat): fetched once, shared by every worker, refreshed before expiry. */
export interface TokenCache {
  /** The cached token under `key`, or the one `fetch` gets (only one caller fetches at a time). */
  get(key: string, fetch: () => Promise<{ token: string; expiresInMs: number }>): Promise<string>;
  /** Forgets the token (the platform said it is invalid), so the next get fetches a new one. */
  invalidate(key: string, token: string): Promise<void>;
}

export interface SendContext {
  /** The platform API's base URL, e.g. https://api.telegram.org (configuration). */
  readonly baseUrl: string;
  readonly fetch: typeof fetch;
  readonly tokens: TokenCache;
  /** The channel account's id (token cache keys). */
  readonly accountId: string;
}

/** A file going to or coming from a platform. */
export interface MediaFile {
  readonly bytes: Buffer;
  readonly name?: string;
  readonly contentType?: string;
}

/** A file to send: `image` when the platform shows it as a picture. */
export interface OutboundFile extends MediaFile {
  readonly kind: 'image' | 'file';
  readonly name: string;
  readonly contentType: string;
}

export type MediaFetchResult =
  | { readonly ok: true; readonly file: MediaFile }
  | { readonly ok: false; readonly permanent: boolean; readonly reason: string };

/**
 * A platform's media API (media.ts): fetching a file a webhook named, sending one. Never throws;
 * a file over `maxBytes` is a permanent failure.
 */
export interface MediaApi<Credentials> {
  fetchMedia(
    attachment: InboundAttachment,
    credentials: Credentials,
    context: SendContext & { readonly maxBytes: number },
  ): Promise<MediaFetchResult>;
  sendMedia(to: string, file: OutboundFile, credentials: Credentials, context: SendContext): Promise<SendResult>;
}

export interface ChannelAdapter<Credentials> {
  readonly platform: Platform;
  /** The io-ts codec of this platform's credentials as an admin enters them. */
  readonly credentials: t.Type<Credentials, unknown>;
  /** The API base URL used when the configuration names none. */
  readonly defaultBaseUrl: string;
  /** Checks the request (signature on the raw body first), then reads it. Never throws on bad input. */
  webhook(request: WebhookRequest, credentials: Credentials): WebhookOutcome;
  /** Sends a text to the user (`to` is an InboundMessage's `userId`). Never throws: failures are results. */
  send(to: string, text: string, credentials: Credentials, context: SendContext): Promise<SendResult>;
}
