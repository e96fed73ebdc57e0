// Messages out (worker role): an agent's or the bot's message in a session that came from a
// platform is sent through that platform's API. Transient failures are retried with backoff
// (the platform's retry-after when it gives one); the outcome is recorded on the session once
// (`ChannelDeliveryRecorded`), so a redelivered event does not send again, and a failure for good
// (invalid token, outside the reply window, blocked by the user) reaches the agent with its reason.
import { isLeft, isRight } from 'fp-ts/Either';
import { session } from '@cschat/domain';
import {
  decodeDomainEvent,
  DEFAULT_COMPANY_LANGUAGE,
  EVENTS_TOPIC,
  fromBusMessage,
  INLINE_IMAGE_TYPES,
  loadAggregate,
  say,
  type AttachmentStore,
  type Bus,
  type Commands,
  type CompanyConfigStore,
  type Consumer,
  type EventStore,
  type Logger,
  type TextKey,
} from '@cschat/infra';
import type { Adapters } from './adapters';
import type { OutboundFile, Platform, SendResult, TokenCache } from './port';

export interface ChannelSenderOptions {
  readonly bus: Bus;
  readonly store: EventStore;
  readonly commands: Commands;
  readonly config: CompanyConfigStore;
  readonly adapters: Adapters;
  /** Each platform's API base URL (configuration); the adapter's default otherwise. */
  readonly baseUrls: Partial<Readonly<Record<Platform, string>>>;
  readonly tokens: TokenCache;
  readonly logger: Logger;
  readonly fetch?: typeof fetch;
  /** Tries per message before a transient failure counts as a failure (default 5). */
  readonly maxAttempts?: number;
  /** The pause before try `attempt` (2, 3, ...) when the platform named none (default 0.5 s doubling). */
  readonly backoffMs?: (attempt: number) => number;
  readonly onSent?: (platform: Platform, outcome: 'delivered' | 'failed') => void;
  /** Where the files of agents' messages are read from, to go out through the platform's media API. */
  readonly attachments?: AttachmentStore;
}

/** The delivery ids of the satisfaction question and its thanks: once per session each. */
export const CSAT_QUESTION_ID = 'csat-question';
export const CSAT_THANKS_ID = 'csat-thanks';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class ChannelSender {
  private consumer: Consumer | undefined;

  constructor(private readonly options: ChannelSenderOptions) {}

  async start(): Promise<void> {
    this.consumer ??= await this.options.bus.consume({
      topic: EVENTS_TOPIC,
      groupId: 'channel-sender',
      handle: async (message) => {
        const recorded = fromBusMessage(message.value);
        if (isLeft(recorded)) return;
        const decoded = decodeDomainEvent(recorded.right);
        if (decoded === undefined || isLeft(decoded)) return;
        const event = decoded.right;
        // A message that names its channel as the web needs no look at the session (most of them).
        if (
          event.type === 'MessagePosted' &&
          (event.from.role === 'agent' || event.from.role === 'bot') &&
          event.channel !== 'web'
        )
          await this.deliver(event);
        // The satisfaction question in words (a platform has no stars), and the thanks for the digit.
        if (event.type === 'CsatRequested' && event.channel !== 'web' && event.channel !== undefined)
          await this.sendText(event.companyId, event.sessionId, CSAT_QUESTION_ID, 'csatQuestion');
        if (event.type === 'CsatSubmitted')
          await this.sendText(event.companyId, event.sessionId, CSAT_THANKS_ID, 'csatThanks');
      },
    });
  }

  async stop(): Promise<void> {
    await this.consumer?.stop();
    this.consumer = undefined;
  }

  /** Sends one message to the visitor's platform unless its outcome is already recorded. */
  async deliver(event: session.SessionEvent & { type: 'MessagePosted' }): Promise<void> {
    const { companyId, sessionId, messageId } = event;
    await this.send(companyId, sessionId, messageId, async () => event.text, event.attachments ?? []);
  }

  /**
   * One of the server's own texts (infra/src/texts), in the company's language, to a platform
   * visitor of the session; recorded under `deliveryId` (so once per session) like a message.
   */
  async sendText(companyId: string, sessionId: string, deliveryId: string, key: TextKey): Promise<void> {
    await this.send(
      companyId,
      sessionId,
      deliveryId,
      async () => {
        const settings = await this.options.config.getSettings(companyId);
        return say(isRight(settings) ? settings.right.language : DEFAULT_COMPANY_LANGUAGE, key);
      },
      [],
    );
  }

  private async send(
    companyId: string,
    sessionId: string,
    messageId: string,
    textOf: () => Promise<string>,
    attachments: readonly session.Attachment[],
  ): Promise<void> {
    const { store, config, adapters, logger } = this.options;
    const { state } = await loadAggregate(store, session.sessionAggregate, session.sessionStream(companyId, sessionId));
    if (state.status === 'none' || state.channel === 'web') return;
    if (session.deliveryOf(state, messageId) !== undefined) return;
    const record = (outcome: 'delivered' | 'failed', extra: { reason?: string; platformMessageId?: string }) =>
      this.record(companyId, sessionId, messageId, outcome, extra, state.channel as Platform);
    if (state.channelAccountId === undefined || state.channelUserId === undefined)
      return record('failed', { reason: 'the session does not say where on the platform the visitor is' });
    const found = await config.channelAccountById(state.channelAccountId);
    if (isLeft(found) || found.right.companyId !== companyId)
      return record('failed', { reason: 'the channel account no longer exists' });
    const account = found.right;
    if (!account.enabled) return record('failed', { reason: 'the channel account is disabled' });
    const adapter = adapters[account.platform];
    const prepared = adapter.prepare(account.credentials);
    if (prepared === undefined) return record('failed', { reason: 'the channel account is not fully configured' });
    const context = {
      baseUrl: this.options.baseUrls[adapter.platform] ?? adapter.defaultBaseUrl,
      fetch: this.options.fetch ?? fetch,
      tokens: this.options.tokens,
      accountId: account.id,
    };
    // The words, then each file: every part is tried until it is sent or fails for good.
    const to = state.channelUserId;
    const files = attachments.flatMap((a) => (a.attachmentId === undefined ? [] : [a.attachmentId]));
    const text = await textOf();
    const parts: (() => Promise<SendResult>)[] = [
      ...(text.trim() !== '' || files.length === 0 ? [() => prepared.send(to, text, context)] : []),
      ...files.map((attachmentId) => async (): Promise<SendResult> => {
        if (prepared.media === undefined)
          return { ok: false, permanent: true, reason: `files are not sent to ${adapter.platform} yet` };
        const file = await this.fileOf(companyId, attachmentId);
        if (file === undefined) return { ok: false, permanent: true, reason: `the file ${attachmentId} is gone` };
        return prepared.media.send(to, file, context);
      }),
    ];
    const maxAttempts = this.options.maxAttempts ?? 5;
    let firstId: string | undefined;
    for (const part of parts) {
      let result: SendResult = { ok: false, permanent: false, reason: 'not sent' };
      for (let attempt = 1; attempt <= maxAttempts; attempt += 1) {
        result = await part();
        if (result.ok || result.permanent) break;
        logger.warn(
          { platform: adapter.platform, sessionId, messageId, attempt, reason: result.reason },
          'send failed',
        );
        if (attempt < maxAttempts)
          await sleep(result.retryAfterMs ?? (this.options.backoffMs ?? ((n) => 250 * 2 ** (n - 1)))(attempt + 1));
      }
      if (!result.ok)
        return record('failed', {
          reason: result.permanent ? result.reason : `gave up after ${maxAttempts} tries: ${result.reason}`,
        });
      firstId ??= result.platformMessageId;
    }
    return record('delivered', firstId === undefined ? {} : { platformMessageId: firstId });
  }

  /** A stored file as it goes to a platform. */
  private async fileOf(companyId: string, attachmentId: string): Promise<OutboundFile | undefined> {
    const { attachments } = this.options;
    const record = await attachments?.find(companyId, attachmentId);
    const bytes = record === undefined ? undefined : await attachments?.read(companyId, attachmentId, 'original');
    if (record === undefined || bytes === undefined) return undefined;
    return {
      kind: INLINE_IMAGE_TYPES.has(record.contentType) ? 'image' : 'file',
      name: record.name,
      contentType: record.contentType,
      bytes,
    };
  }

  private async record(
    companyId: string,
    sessionId: string,
    messageId: string,
    outcome: 'delivered' | 'failed',
    extra: { reason?: string; platformMessageId?: string },
    platform: Platform,
  ): Promise<void> {
    const recorded = await this.options.commands.onSession(companyId, sessionId, {
      type: 'RecordChannelDelivery',
      messageId,
      outcome,
      ...extra,
    });
    if (isLeft(recorded)) {
      this.options.logger.error({ companyId, sessionId, messageId, code: recorded.left.code }, 'delivery not recorded');
      return;
    }
    this.options.onSent?.(platform, outcome);
    if (outcome === 'failed')
      this.options.logger.warn(
        { companyId, sessionId, messageId, reason: extra.reason },
        'message not delivered to the platform',
      );
  }
}
