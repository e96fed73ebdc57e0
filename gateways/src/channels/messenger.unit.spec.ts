import { createHmac } from 'node:crypto';
import { startFakePlatform, type FakePlatform } from './fake-platform';
import { messengerAdapter, type MessengerCredentials } from './messenger';
import type { SendContext, TokenCache, WebhookRequest } from './port';

const CREDENTIALS: MessengerCredentials = {
  pageAccessToken: 'EAAB-page-token',
  appSecret: 'the-app-secret',
  verifyToken: 'the-verify-token',
  pageId: '100841475479486',
};

/** Meta serialises its payloads with non-ASCII characters and slashes escaped, and signs those bytes. */
const metaJson = (payload: unknown): string =>
  JSON.stringify(payload)
    .replace(/\//g, '\\/')
    .replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

const signed = (payload: unknown, secret = CREDENTIALS.appSecret): WebhookRequest => {
  const rawBody = Buffer.from(metaJson(payload), 'utf8');
  const signature = `sha256=${createHmac('sha256', secret).update(rawBody).digest('hex')}`;
  return {
    method: 'POST',
    query: {},
    headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature },
    rawBody,
  };
};

const PAGE = CREDENTIALS.pageId;
const event = (psid: string, timestamp: number, message: Record<string, unknown>) => ({
  sender: { id: psid },
  recipient: { id: PAGE },
  timestamp,
  message,
});

describe('messengerAdapter.webhook', () => {
  it('answers the handshake', () => {
    const outcome = messengerAdapter.webhook(
      {
        method: 'GET',
        query: { 'hub.mode': 'subscribe', 'hub.verify_token': 'the-verify-token', 'hub.challenge': 'CHALLENGE' },
        headers: {},
        rawBody: Buffer.alloc(0),
      },
      CREDENTIALS,
    );
    expect(outcome).toEqual({ kind: 'answer', answer: { status: 200, contentType: 'text/plain', body: 'CHALLENGE' } });
  });

  it('reads every message of every entry of a signed delivery, skipping echoes, deliveries and reads', () => {
    const request = signed({
      object: 'page',
      entry: [
        {
          id: PAGE,
          time: 1732521600500,
          messaging: [
            event('PSID-1', 1732521600123, { mid: 'm_1', text: '你好 café' }),
            {
              sender: { id: PAGE },
              recipient: { id: 'PSID-1' },
              timestamp: 1732521600200,
              message: { is_echo: true, app_id: 1517776481860111, mid: 'm_echo', text: 'our reply' },
            },
            {
              sender: { id: 'PSID-1' },
              recipient: { id: PAGE },
              timestamp: 1732521600300,
              delivery: { mids: ['m_echo'] },
            },
            { sender: { id: 'PSID-1' }, recipient: { id: PAGE }, timestamp: 1732521600400, read: { watermark: 1 } },
          ],
        },
        {
          id: PAGE,
          time: 1732521601500,
          messaging: [
            event('PSID-2', 1732521601000, {
              mid: 'm_2',
              attachments: [
                { type: 'image', payload: { url: 'https://scontent.xx.fbcdn.net/v/photo.jpg?x=1' } },
                { type: 'file', payload: { url: 'https://cdn.fbsbx.com/v/invoice.pdf' } },
                { type: 'template', payload: { template_type: 'generic' } },
              ],
            }),
          ],
        },
        { id: 'ANOTHER-PAGE', time: 1, messaging: [event('PSID-3', 1732521602000, { mid: 'm_3', text: 'not ours' })] },
      ],
    });
    expect(request.rawBody.toString('utf8')).toContain('\\u4f60\\u597d caf\\u00e9');
    expect(request.rawBody.toString('utf8')).toContain('https:\\/\\/scontent');

    expect(messengerAdapter.webhook(request, CREDENTIALS)).toEqual({
      kind: 'messages',
      answer: { status: 200, contentType: 'text/plain', body: 'EVENT_RECEIVED' },
      messages: [
        { id: 'm_1', userId: 'PSID-1', text: '你好 café', attachments: [], at: new Date(1732521600123) },
        {
          id: 'm_2',
          userId: 'PSID-2',
          text: '',
          attachments: [
            { kind: 'image', mediaId: 'https://scontent.xx.fbcdn.net/v/photo.jpg?x=1' },
            { kind: 'file', mediaId: 'https://cdn.fbsbx.com/v/invoice.pdf' },
          ],
          at: new Date(1732521601000),
        },
      ],
    });
  });

  it('answers a delivery of echoes and reads only with 200 and nothing', () => {
    const request = signed({
      object: 'page',
      entry: [
        {
          id: PAGE,
          time: 1,
          messaging: [
            event(PAGE, 1732521600200, { is_echo: true, mid: 'm_echo', text: 'our reply' }),
            { sender: { id: 'PSID-1' }, recipient: { id: PAGE }, timestamp: 1, read: { watermark: 1 } },
          ],
        },
      ],
    });
    expect(messengerAdapter.webhook(request, CREDENTIALS)).toEqual({
      kind: 'answer',
      answer: { status: 200, contentType: 'text/plain', body: 'EVENT_RECEIVED' },
    });
  });

  it('refuses a bad or missing signature with 401', () => {
    const payload = { object: 'page', entry: [] };
    expect(messengerAdapter.webhook(signed(payload, 'another-secret'), CREDENTIALS)).toMatchObject({
      kind: 'refused',
      status: 401,
    });
    expect(messengerAdapter.webhook({ ...signed(payload), headers: {} }, CREDENTIALS)).toMatchObject({
      kind: 'refused',
      status: 401,
    });
  });

  it("refuses Instagram's body with 400 after the signature", () => {
    expect(messengerAdapter.webhook(signed({ object: 'instagram', entry: [] }), CREDENTIALS)).toMatchObject({
      kind: 'refused',
      status: 400,
    });
  });
});

describe('messengerAdapter.send', () => {
  let fake: FakePlatform;
  let context: SendContext;
  const tokens: TokenCache = {
    get: () => Promise.reject(new Error('Page tokens are not cached')),
    invalidate: () => Promise.resolve(),
  };

  beforeEach(async () => {
    fake = await startFakePlatform();
    context = { baseUrl: `${fake.baseUrl}/`, fetch, tokens, accountId: 'fb-1' };
  });
  afterEach(() => fake.close());

  it('posts a RESPONSE to the user as the Page, with the Bearer Page token', async () => {
    fake.respond(() => ({ status: 200, body: { recipient_id: 'PSID-1', message_id: 'm_out' } }));

    expect(await messengerAdapter.send('PSID-1', '你好 café', CREDENTIALS, context)).toEqual({
      ok: true,
      platformMessageId: 'm_out',
    });
    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]).toMatchObject({
      method: 'POST',
      path: '/v21.0/100841475479486/messages',
      query: {},
      headers: { authorization: 'Bearer EAAB-page-token', 'content-type': 'application/json' },
      body: { recipient: { id: 'PSID-1' }, messaging_type: 'RESPONSE', message: { text: '你好 café' } },
    });
  });

  it('retries a 500', async () => {
    fake.respond(() => ({ status: 500, body: { error: { message: 'An unexpected error has occurred.', code: 2 } } }));
    expect(await messengerAdapter.send('PSID-1', 'hi', CREDENTIALS, context)).toMatchObject({
      ok: false,
      permanent: false,
    });
  });

  it('retries the rate limit', async () => {
    fake.respond(() => ({
      status: 400,
      body: { error: { message: 'Calls to this API have exceeded the rate limit.', code: 613 } },
      headers: { 'retry-after': '30' },
    }));
    expect(await messengerAdapter.send('PSID-1', 'hi', CREDENTIALS, context)).toMatchObject({
      ok: false,
      permanent: false,
      retryAfterMs: 30_000,
    });
  });

  it('gives up on a user who is unavailable, saying why', async () => {
    fake.respond(() => ({
      status: 400,
      body: {
        error: {
          message: "(#551) This person isn't available right now.",
          type: 'OAuthException',
          code: 551,
          error_subcode: 1545041,
        },
      },
    }));
    expect(await messengerAdapter.send('PSID-1', 'hi', CREDENTIALS, context)).toEqual({
      ok: false,
      permanent: true,
      reason: "Messenger: user unavailable (code 551/1545041): (#551) This person isn't available right now.",
    });
  });

  it('gives up outside the window', async () => {
    fake.respond(() => ({
      status: 400,
      body: {
        error: { message: '(#10) This message is sent outside of allowed window.', code: 10, error_subcode: 2018278 },
      },
    }));
    const result = await messengerAdapter.send('PSID-1', 'hi', CREDENTIALS, context);
    expect(result).toMatchObject({ ok: false, permanent: true });
    expect(!result.ok && result.reason).toContain('outside the 24 h reply window (code 10/2018278)');
  });
});
