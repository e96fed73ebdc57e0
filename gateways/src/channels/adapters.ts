// Every platform's adapter, with its credentials type erased behind a checked decode: the
// webhook receiver and the sender handle accounts of any platform alike.
import { isLeft } from 'fp-ts/Either';
import { instagramAdapter } from './instagram';
import { messengerAdapter } from './messenger';
import type { ChannelAdapter, Platform, SendContext, SendResult, WebhookOutcome, WebhookRequest } from './port';
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
}

export const erase = <C>(adapter: ChannelAdapter<C>): AnyAdapter => ({
  platform: adapter.platform,
  defaultBaseUrl: adapter.defaultBaseUrl,
  prepare: (stored) => {
    const decoded = adapter.credentials.decode(stored);
    if (isLeft(decoded)) return undefined;
    const credentials = decoded.right;
    return {
      webhook: (request) => adapter.webhook(request, credentials),
      send: (to, text, context) => adapter.send(to, text, credentials, context),
    };
  },
});

export type Adapters = Readonly<Record<Platform, AnyAdapter>>;

export const ADAPTERS: Adapters = {
  telegram: erase(telegramAdapter),
  whatsapp: erase(whatsappAdapter),
  messenger: erase(messengerAdapter),
  instagram: erase(instagramAdapter),
  wechat: erase(wechatAdapter),
};
