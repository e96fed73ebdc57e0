// Instagram messaging through the Instagram API with Instagram Login (graph.instagram.com):
// webhook of `object: instagram` (Meta handshake and signature, see meta.ts; events shaped as
// Messenger's, our own sends echoed back with `is_echo`) and text sends from the professional account.
import * as t from 'io-ts';
import { asRecord, asText, trimBase } from './common';
import { CredentialString, GRAPH_API_VERSION, graphSend, messagingMessages, metaWebhook } from './meta';
import type { ChannelAdapter } from './port';

export const InstagramCredentials = t.strict(
  {
    /** An Instagram user access token with instagram_business_manage_messages. */
    accessToken: CredentialString,
    appSecret: CredentialString,
    verifyToken: CredentialString,
    /** The Instagram professional account id: the `entry.id` of its webhooks (`user_id` of /me). */
    igAccountId: CredentialString,
  },
  'InstagramCredentials',
);
export type InstagramCredentials = t.TypeOf<typeof InstagramCredentials>;

export const instagramAdapter: ChannelAdapter<InstagramCredentials> = {
  platform: 'instagram',
  credentials: InstagramCredentials,
  defaultBaseUrl: 'https://graph.instagram.com',
  webhook: (request, credentials) =>
    metaWebhook(request, credentials, 'instagram', (entries) => messagingMessages(entries, credentials.igAccountId)),
  send: (to, text, credentials, context) =>
    graphSend(context, {
      platformName: 'Instagram',
      url: `${trimBase(context.baseUrl)}/${GRAPH_API_VERSION}/${encodeURIComponent(credentials.igAccountId)}/messages`,
      accessToken: credentials.accessToken,
      body: { recipient: { id: to }, message: { text } },
      messageId: (answer) => asText(asRecord(answer)?.message_id),
    }),
};
