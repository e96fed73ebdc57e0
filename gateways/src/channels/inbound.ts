// Webhooks in: the account the path names, its platform's adapter (signature on the raw body
// first), then each message enters the chat as the same visitor's message a web visitor would
// write — bot stage, transfer, queue. The platform's message id is the message's client id, so a
// redelivered webhook (platforms retry) finds the message already there and adds nothing. A
// platform has no buttons: an end word answering the bot's offer to end is the visitor's end.
import { createHash } from 'node:crypto';
import { isLeft } from 'fp-ts/Either';
import { session, visitor } from '@cschat/domain';
import {
  isEndWord,
  loadAggregate,
  messageAttachmentOf,
  type Attachments,
  type ChatService,
  type CompanyConfigStore,
  type EventStore,
  type Logger,
  type VisitorRef,
} from '@cschat/infra';
import type { Adapters, AnyAdapter, PreparedAdapter } from './adapters';
import type { HttpAnswer, InboundAttachment, InboundMessage, Platform, TokenCache, WebhookRequest } from './port';
import { visitRecorder, type RecordVisit } from '../visitors';
import { storableText } from '../text';

const ID = /^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,99}$/;

/** The visitor id of a platform user of an account: stable, and a valid id whatever the platform's ids look like. */
export const channelVisitorId = (platform: Platform, accountId: string, userId: string): string => {
  const plain = `${platform}:${accountId}:${userId}`;
  if (ID.test(plain)) return plain;
  return `${platform}:${createHash('sha256').update(`${accountId}\u0000${userId}`).digest('base64url').slice(0, 43)}`;
};

/** The API's error code of each status an adapter refuses with (openapi.yaml `x-error-codes`). */
const REFUSAL_CODES = { 400: 'bad_request', 401: 'unauthorized', 403: 'forbidden' } as const;

const refused = (status: number, code: string, message: string): HttpAnswer => ({
  status,
  contentType: 'application/json',
  body: JSON.stringify({ error: { code, message } }),
});

export interface ChannelInboundOptions {
  readonly config: CompanyConfigStore;
  readonly store: EventStore;
  readonly chat: ChatService;
  readonly adapters: Adapters;
  readonly logger: Logger;
  /**
   * Where visitors' photos and files go: fetched from the platform's media API into the store, they
   * become attachments like uploads. Absent: messages keep the platform's media ids only.
   */
  readonly media?: {
    readonly attachments: Attachments;
    /** Each platform's API base URL (configuration); the adapter's default otherwise. */
    readonly baseUrls: Partial<Readonly<Record<Platform, string>>>;
    readonly tokens: TokenCache;
    readonly maxBytes: number;
    readonly fetch?: typeof fetch;
  };
}

/**
 * The rating a platform message gives when it is nothing but one digit from 1 to 5 (spaces
 * around it allowed; full-width digits １-５ too, as Chinese keyboards type them).
 */
export const ratingOf = (text: string): number | undefined => {
  const match = /^\s*([1-5１-５])\s*$/u.exec(text);
  if (match === null) return undefined;
  const digit = match[1]!;
  return digit >= '１' ? digit.charCodeAt(0) - '０'.charCodeAt(0) : Number(digit);
};

export class ChannelInbound {
  private readonly recordVisit: RecordVisit;

  constructor(private readonly options: ChannelInboundOptions) {
    this.recordVisit = visitRecorder(options.store);
  }

  async handle(platform: string, accountId: string, request: WebhookRequest): Promise<HttpAnswer> {
    const { config, chat, adapters, logger } = this.options;
    const adapter = (adapters as Record<string, AnyAdapter | undefined>)[platform];
    const found = adapter === undefined ? undefined : await config.channelAccountById(accountId);
    if (adapter === undefined || found === undefined || isLeft(found) || found.right.platform !== platform) {
      return refused(404, 'not_found', 'no such channel account');
    }
    const account = found.right;
    if (!account.enabled) return refused(404, 'not_found', 'no such channel account');
    const prepared = adapter.prepare(account.credentials);
    if (prepared === undefined) {
      // The account's settings are incomplete: the platform is told to try later, the admin reads the log.
      logger.error({ platform, accountId }, 'channel account credentials do not fit the platform');
      return refused(503, 'misconfigured', 'the channel account is not fully configured');
    }
    const outcome = prepared.webhook(request);
    if (outcome.kind === 'refused') {
      const { status, reason, detail } = outcome;
      logger.warn(
        { platform, accountId, status, reason, ...(detail === undefined ? {} : { detail }) },
        'webhook refused',
      );
      return refused(outcome.status, REFUSAL_CODES[outcome.status], outcome.reason);
    }
    if (outcome.kind === 'answer') return outcome.answer;
    const { companyId, groupId } = account;
    for (const message of outcome.messages) {
      // A platform may send what the event store cannot keep (a NUL, half a surrogate pair): replaced, not refused,
      // since refusing would make the platform deliver it again and again.
      const userId = storableText(message.userId);
      const visitorId = channelVisitorId(adapter.platform, accountId, userId);
      if (message.attachments.length === 0 && isEndWord(message.text)) {
        const offer = await this.endOffer({ companyId, visitorId });
        if (offer === 'open') {
          const ended = await chat.visitorEnds({ companyId, visitorId });
          // Ended meanwhile (a timeout): nothing is left to end, and a retry would not change that.
          if (isLeft(ended)) logger.warn({ platform, accountId, code: ended.left.code }, 'end word: nothing ended');
        }
        if (offer !== undefined) continue;
      }
      // A lone digit 1-5 answers the satisfaction question of the visitor's latest session, if it
      // asked one not answered yet (or answered by this very message: a redelivery). Only a
      // message that is one digit costs the two reads; anything else is a message as before.
      const clientMsgId = storableText(`${adapter.platform}:${message.id}`.slice(0, 200));
      const rating = message.attachments.length === 0 ? ratingOf(message.text) : undefined;
      if (rating !== undefined) {
        const v = { companyId, visitorId };
        const sessionId = await chat.awaitingRating(v, clientMsgId);
        if (sessionId !== undefined) {
          const rated = await chat.csatSubmit(v, { sessionId, rating, clientMsgId });
          // Rated meanwhile by another message: the rating stands, this one adds nothing.
          if (isLeft(rated) && rated.left.code !== 'already_rated') {
            logger.error({ platform, accountId, code: rated.left.code }, 'webhook rating not taken');
            return refused(503, 'unavailable', 'the message could not be taken; try again');
          }
          continue;
        }
      }
      const attachments = await Promise.all(
        message.attachments.map((a, index) =>
          this.fetched(adapter, prepared, { companyId, accountId, visitorId }, message, a, index),
        ),
      );
      const posted = await chat.visitorMessage(
        { companyId, visitorId },
        {
          text: storableText(message.text),
          clientMsgId,
          attachments,
        },
        {
          channel: adapter.platform,
          channelAccountId: accountId,
          channelUserId: userId,
          groupId,
          ...(message.displayName === undefined ? {} : { visitorName: storableText(message.displayName) }),
        },
      );
      // Not taken: the platform is told to try again (its redelivery adds nothing that was taken).
      if (isLeft(posted)) {
        logger.error(
          { platform, accountId, code: posted.left.code, reason: posted.left.message },
          'webhook message not taken',
        );
        return refused(503, 'unavailable', 'the message could not be taken; try again');
      }
      // The platform's user as a visitor profile: its display name (a name too long is cut), its channel, last seen.
      const name = message.displayName === undefined ? undefined : storableText(message.displayName).slice(0, 200);
      const seen = await this.recordVisit(companyId, visitorId, {
        channel: adapter.platform,
        profile: name === undefined ? {} : { name },
      });
      if (isLeft(seen)) logger.warn({ platform, accountId, code: seen.left.code }, 'visitor profile not recorded');
      const stored = attachments.flatMap((a) => (a.attachmentId === undefined ? [] : [a.attachmentId]));
      if (stored.length > 0) await this.options.media?.attachments.bind(companyId, stored, posted.right.sessionId);
    }
    return outcome.answer;
  }

  /**
   * A photo or file of a platform message as the message keeps it: fetched into the attachment
   * store (the same file again when the webhook is redelivered), or, when that cannot be done (no
   * media API for the platform yet, the platform failed, a type not allowed), the platform's media id.
   */
  private async fetched(
    adapter: AnyAdapter,
    prepared: PreparedAdapter,
    where: { companyId: string; accountId: string; visitorId: string },
    message: InboundMessage,
    attachment: InboundAttachment,
    index: number,
  ): Promise<session.Attachment> {
    const platformOnly: session.Attachment = {
      kind: attachment.kind,
      mediaId: storableText(attachment.mediaId),
      ...(attachment.name === undefined ? {} : { name: storableText(attachment.name) }),
      ...(attachment.mimeType === undefined ? {} : { mimeType: storableText(attachment.mimeType) }),
    };
    const { media, logger } = this.options;
    if (media === undefined || prepared.media === undefined) return platformOnly;
    const context = {
      baseUrl: media.baseUrls[adapter.platform] ?? adapter.defaultBaseUrl,
      fetch: media.fetch ?? fetch,
      tokens: media.tokens,
      accountId: where.accountId,
      maxBytes: media.maxBytes,
    };
    const log = { platform: adapter.platform, accountId: where.accountId, messageId: message.id };
    const got = await prepared.media.fetch(attachment, context);
    if (!got.ok) {
      logger.warn({ ...log, reason: got.reason }, 'platform media not fetched');
      return platformOnly;
    }
    const attachmentId = `${adapter.platform}-${createHash('sha256')
      .update(`${where.accountId}\u0000${message.id}\u0000${index}`)
      .digest('hex')
      .slice(0, 40)}`;
    const kept = await media.attachments.upload(
      { companyId: where.companyId, role: 'visitor', id: where.visitorId },
      {
        bytes: got.file.bytes,
        name: got.file.name ?? '',
        attachmentId,
        ...(got.file.contentType === undefined ? {} : { claimedType: got.file.contentType }),
      },
    );
    if (isLeft(kept)) {
      logger.warn({ ...log, reason: kept.left.message }, 'platform media refused');
      return platformOnly;
    }
    return messageAttachmentOf(kept.right);
  }

  /**
   * Whether the bot's last message in the visitor's session offered to end it (the web widget's
   * button, `TEXTS.endByWord` on a platform): `open` while the bot holds it, `taken` once the
   * visitor ended it so (a redelivered webhook then does nothing, and opens no new session).
   */
  private async endOffer(v: VisitorRef): Promise<'open' | 'taken' | undefined> {
    const { store } = this.options;
    const { state: seen } = await loadAggregate(
      store,
      visitor.visitorAggregate,
      visitor.visitorStream(v.companyId, v.visitorId),
    );
    const sessionId = seen.openSessionId ?? seen.lastSessionId;
    if (sessionId === undefined) return undefined;
    const { state } = await loadAggregate(
      store,
      session.sessionAggregate,
      session.sessionStream(v.companyId, sessionId),
    );
    if (state.status === 'none' || state.endOffered !== true) return undefined;
    if (state.status === 'bot') return 'open';
    return state.status === 'ended' && state.endReason === 'visitor' ? 'taken' : undefined;
  }
}
