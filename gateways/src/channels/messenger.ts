// Facebook Messenger (a Page's inbox): webhook of `object: page` (Meta handshake and signature,
// see meta.ts) and text sends as the Page, in answer to the user (`messaging_type: RESPONSE`,
// so within the 24 h window).
import * as t from 'io-ts';
import { asRecord, asText, trimBase } from './common';
import { CredentialString, GRAPH_API_VERSION, graphSend, messagingMessages, metaWebhook } from './meta';
import type { ChannelAdapter } from './port';

export const MessengerCredentials = t.strict(
  {
    /** A Page access token with pages_messaging. */
    pageAccessToken: CredentialString,
    appSecret: CredentialString,
    verifyToken: CredentialString,
    pageId: CredentialString,
  },
  'MessengerCredentials',
);
export type MessengerCredentials = t.TypeOf<typeof MessengerCredentials>;

export const messengerAdapter: ChannelAdapter<MessengerCredentials> = {
  platform: 'messenger',
  credentials: MessengerCredentials,
  defaultBaseUrl: 'https://graph.facebook.com',
  webhook: (request, credentials) =>
    metaWebhook(request, credentials, 'page', (entries) => messagingMessages(entries, credentials.pageId)),
  send: (to, text, credentials, context) =>
    graphSend(context, {
      platformName: 'Messenger',
      url: `${trimBase(context.baseUrl)}/${GRAPH_API_VERSION}/${encodeURIComponent(credentials.pageId)}/messages`,
      accessToken: credentials.pageAccessToken,
      body: { recipient: { id: to }, messaging_type: 'RESPONSE', message: { text } },
      messageId: (answer) => asText(asRecord(answer)?.message_id),
    }),
};
