// WhatsApp Cloud API: webhook of `object: whatsapp_business_account` (Meta handshake and
// signature, see meta.ts) and text sends from the business phone number.
import * as t from 'io-ts';
import { asArray, asRecord, asText, trimBase, type UnknownRecord } from './common';
import { CredentialString, epochDate, GRAPH_API_VERSION, graphSend, metaWebhook } from './meta';
import type { ChannelAdapter, InboundAttachment, InboundMessage } from './port';

export const WhatsappCredentials = t.strict(
  {
    /** A system-user (or user) access token with whatsapp_business_messaging. */
    accessToken: CredentialString,
    appSecret: CredentialString,
    verifyToken: CredentialString,
    /** The business phone number's id (not the number itself). */
    phoneNumberId: CredentialString,
  },
  'WhatsappCredentials',
);
export type WhatsappCredentials = t.TypeOf<typeof WhatsappCredentials>;

/** Media message types and the attachment kind each becomes (all carry a media `id`). */
const MEDIA_KINDS: Readonly<Record<string, InboundAttachment['kind']>> = {
  image: 'image',
  sticker: 'image',
  document: 'file',
  video: 'file',
  audio: 'file',
};

const mediaAttachment = (message: UnknownRecord, type: string): InboundAttachment | undefined => {
  const kind = MEDIA_KINDS[type];
  const media = asRecord(message[type]);
  const mediaId = asText(media?.id);
  if (kind === undefined || media === undefined || mediaId === undefined) return undefined;
  const name = asText(media.filename);
  const mimeType = asText(media.mime_type);
  return { kind, mediaId, ...(name === undefined ? {} : { name }), ...(mimeType === undefined ? {} : { mimeType }) };
};

/** The text of a message: its body, a media caption, or the title of a tapped button or list row. */
const messageText = (message: UnknownRecord, type: string): string => {
  if (type === 'text') return asText(asRecord(message.text)?.body) ?? '';
  if (type === 'button') return asText(asRecord(message.button)?.text) ?? '';
  if (type === 'interactive') {
    const interactive = asRecord(message.interactive);
    return asText(asRecord(interactive?.button_reply)?.title) ?? asText(asRecord(interactive?.list_reply)?.title) ?? '';
  }
  return asText(asRecord(message[type])?.caption) ?? '';
};

const readMessage = (value: unknown, names: ReadonlyMap<string, string>): InboundMessage | undefined => {
  const message = asRecord(value);
  if (message === undefined) return undefined;
  const id = asText(message.id);
  const userId = asText(message.from);
  const at = epochDate(message.timestamp, 'seconds');
  const type = asText(message.type) ?? '';
  if (id === undefined || userId === undefined || at === undefined) return undefined;
  const text = messageText(message, type);
  const attachment = mediaAttachment(message, type);
  const attachments = attachment === undefined ? [] : [attachment];
  // Reactions, locations, contacts, system and unsupported messages: nothing to show.
  if (text === '' && attachments.length === 0) return undefined;
  const displayName = names.get(userId);
  return { id, userId, text, attachments, at, ...(displayName === undefined ? {} : { displayName }) };
};

/**
 * The messages in `entry[].changes[].value.messages[]` sent to this phone number (one app
 * webhook serves every number of every WABA subscribed to the app); statuses and errors skipped.
 */
const readMessages = (entries: readonly unknown[], phoneNumberId: string): readonly InboundMessage[] =>
  entries.flatMap((entry) =>
    asArray(asRecord(entry)?.changes).flatMap((changeValue) => {
      const change = asRecord(changeValue);
      const value = asRecord(change?.value);
      if (change === undefined || value === undefined) return [];
      if (change.field !== undefined && change.field !== 'messages') return [];
      if (asRecord(value.metadata)?.phone_number_id !== phoneNumberId) return [];
      const names = new Map<string, string>();
      for (const contactValue of asArray(value.contacts)) {
        const contact = asRecord(contactValue);
        const waId = asText(contact?.wa_id);
        const name = asText(asRecord(contact?.profile)?.name);
        if (waId !== undefined && name !== undefined) names.set(waId, name);
      }
      return asArray(value.messages)
        .map((m) => readMessage(m, names))
        .filter((m): m is InboundMessage => m !== undefined);
    }),
  );

export const whatsappAdapter: ChannelAdapter<WhatsappCredentials> = {
  platform: 'whatsapp',
  credentials: WhatsappCredentials,
  defaultBaseUrl: 'https://graph.facebook.com',
  webhook: (request, credentials) =>
    metaWebhook(request, credentials, 'whatsapp_business_account', (entries) =>
      readMessages(entries, credentials.phoneNumberId),
    ),
  send: (to, text, credentials, context) =>
    graphSend(context, {
      platformName: 'WhatsApp',
      url: `${trimBase(context.baseUrl)}/${GRAPH_API_VERSION}/${encodeURIComponent(credentials.phoneNumberId)}/messages`,
      accessToken: credentials.accessToken,
      body: {
        messaging_product: 'whatsapp',
        recipient_type: 'individual',
        to,
        type: 'text',
        text: { preview_url: false, body: text },
      },
      messageId: (answer) => asText(asRecord(asArray(asRecord(answer)?.messages)[0])?.id),
    }),
};
