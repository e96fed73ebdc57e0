// Every platform's adapter, with its credentials type erased behind a checked decode: the
// webhook receiver and the sender handle accounts of any platform alike.
import { isLeft } from 'fp-ts/Either';
import { instagramAdapter } from './instagram';
import { messengerAdapter } from './messenger';
import { telegramMedia, whatsappMedia } from './media';
import type {
  ChannelAdapter,
  InboundAttachment,
  MediaApi,
  MediaFetchResult,
  OutboundFile,
  Platform,
  SendContext,
  SendResult,
  WebhookOutcome,
  WebhookRequest,
} from './port';
import { telegramAdapter } from './telegram';
import { wechatAdapter } from './wechat';
import { whatsappAdapter } from './whatsapp';

/** A platform's adapter taking the credentials as stored (JSON), decoding them with its codec. */
export interface AnyAdapter {
  readonly platform: Platform;
  readonly defaultBaseUrl: string;
  /** Undefined when the stored credentials do not fit the platform (an incomplete account). */
  prepare(stored: unknown): PreparedAdapter | undefined;
}

export interface PreparedAdapter {
  webhook(request: WebhookRequest): WebhookOutcome;
  send(to: string, text: string, context: SendContext): Promise<SendResult>;
  /** The platform's media API (media.ts); absent where files are not fetched or sent yet. */
  readonly media?: {
    fetch(
      attachment: InboundAttachment,
      context: SendContext & { readonly maxBytes: number },
    ): Promise<MediaFetchResult>;
    send(to: string, file: OutboundFile, context: SendContext): Promise<SendResult>;
  };
}

export const erase = <C>(adapter: ChannelAdapter<C>, media?: MediaApi<C>): AnyAdapter => ({
  platform: adapter.platform,
  defaultBaseUrl: adapter.defaultBaseUrl,
  prepare: (stored) => {
    const decoded = adapter.credentials.decode(stored);
    if (isLeft(decoded)) return undefined;
    const credentials = decoded.right;
    return {
      webhook: (request) => adapter.webhook(request, credentials),
      send: (to, text, context) => adapter.send(to, text, credentials, context),
      ...(media === undefined
        ? {}
        : {
            media: {
              fetch: (attachment, context) => media.fetchMedia(attachment, credentials, context),
              send: (to, file, context) => media.sendMedia(to, file, credentials, context),
            },
          }),
    };
  },
});

export type Adapters = Readonly<Record<Platform, AnyAdapter>>;

export const ADAPTERS: Adapters = {
  telegram: erase(telegramAdapter, telegramMedia),
  whatsapp: erase(whatsappAdapter, whatsappMedia),
  messenger: erase(messengerAdapter),
  instagram: erase(instagramAdapter),
  wechat: erase(wechatAdapter),
};
