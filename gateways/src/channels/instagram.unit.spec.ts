import { createHmac } from 'node:crypto';
import { startFakePlatform, type FakePlatform } from './fake-platform';
import { instagramAdapter, type InstagramCredentials } from './instagram';
import type { SendContext, TokenCache, WebhookRequest } from './port';

const CREDENTIALS: InstagramCredentials = {
  accessToken: 'IGAA-user-token',
  appSecret: 'the-instagram-app-secret',
  verifyToken: 'the-verify-token',
  igAccountId: '17841400000000000',
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

const IG = CREDENTIALS.igAccountId;

describe('instagramAdapter.webhook', () => {
  it('answers the handshake and refuses a wrong verify token', () => {
    const handshake = (token: string): WebhookRequest => ({
      method: 'GET',
      query: { 'hub.mode': 'subscribe', 'hub.verify_token': token, 'hub.challenge': '42' },
      headers: {},
      rawBody: Buffer.alloc(0),
    });
    expect(instagramAdapter.webhook(handshake('the-verify-token'), CREDENTIALS)).toEqual({
      kind: 'answer',
      answer: { status: 200, contentType: 'text/plain', body: '42' },
    });
    expect(instagramAdapter.webhook(handshake('the-verify-tokeN'), CREDENTIALS)).toMatchObject({
      kind: 'refused',
      status: 403,
    });
  });

  it('reads the messages of a signed delivery and skips the echoes of our sends', () => {
    const request = signed({
      object: 'instagram',
      entry: [
        {
          id: IG,
          time: 1732521602000,
          messaging: [
            {
              sender: { id: 'IGSID-1' },
              recipient: { id: IG },
              timestamp: 1732521600000,
              message: { mid: 'ig_1', text: '你好 café' },
            },
            {
              sender: { id: IG },
              recipient: { id: 'IGSID-1' },
              timestamp: 1732521600500,
              message: { mid: 'ig_echo', text: 'our reply', is_echo: true },
            },
            {
              sender: { id: 'IGSID-2' },
              recipient: { id: IG },
              timestamp: 1732521601000,
              message: {
                mid: 'ig_2',
                attachments: [
                  { type: 'image', payload: { url: 'https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=1' } },
                ],
              },
            },
            {
              sender: { id: 'IGSID-2' },
              recipient: { id: IG },
              timestamp: 1732521601500,
              message: { mid: 'ig_deleted', is_deleted: true },
            },
          ],
        },
      ],
    });
    expect(request.rawBody.toString('utf8')).toContain('\\u4f60\\u597d caf\\u00e9');

    expect(instagramAdapter.webhook(request, CREDENTIALS)).toEqual({
      kind: 'messages',
      answer: { status: 200, contentType: 'text/plain', body: 'EVENT_RECEIVED' },
      messages: [
        { id: 'ig_1', userId: 'IGSID-1', text: '你好 café', attachments: [], at: new Date(1732521600000) },
        {
          id: 'ig_2',
          userId: 'IGSID-2',
          text: '',
          attachments: [{ kind: 'image', mediaId: 'https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=1' }],
          at: new Date(1732521601000),
        },
      ],
    });
  });

  it('answers a delivery of echoes only with 200 and nothing', () => {
    const request = signed({
      object: 'instagram',
      entry: [
        {
          id: IG,
          time: 1,
          messaging: [
            {
              sender: { id: IG },
              recipient: { id: 'IGSID-1' },
              timestamp: 1,
              message: { mid: 'e', text: 'x', is_echo: true },
            },
          ],
        },
      ],
    });
    expect(instagramAdapter.webhook(request, CREDENTIALS).kind).toBe('answer');
  });

  it('refuses a bad or missing signature with 401', () => {
    const payload = { object: 'instagram', entry: [] };
    expect(instagramAdapter.webhook(signed(payload, 'the-facebook-app-secret'), CREDENTIALS)).toMatchObject({
      kind: 'refused',
      status: 401,
    });
    expect(instagramAdapter.webhook({ ...signed(payload), headers: {} }, CREDENTIALS)).toMatchObject({
      kind: 'refused',
      status: 401,
    });
  });
});

describe('instagramAdapter.send', () => {
  let fake: FakePlatform;
  let context: SendContext;
  const tokens: TokenCache = {
    get: () => Promise.reject(new Error('Instagram tokens are not cached')),
    invalidate: () => Promise.resolve(),
  };

  beforeEach(async () => {
    fake = await startFakePlatform();
    context = { baseUrl: fake.baseUrl, fetch, tokens, accountId: 'ig-1' };
  });
  afterEach(() => fake.close());

  it('posts the text to the user from the professional account, with the Bearer token', async () => {
    fake.respond(() => ({ status: 200, body: { recipient_id: 'IGSID-1', message_id: 'ig_out' } }));

    expect(await instagramAdapter.send('IGSID-1', '你好 café', CREDENTIALS, context)).toEqual({
      ok: true,
      platformMessageId: 'ig_out',
    });
    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]).toMatchObject({
      method: 'POST',
      path: '/v21.0/17841400000000000/messages',
      query: {},
      headers: { authorization: 'Bearer IGAA-user-token', 'content-type': 'application/json' },
      body: { recipient: { id: 'IGSID-1' }, message: { text: '你好 café' } },
    });
    expect(fake.requests[0]?.body).toEqual({ recipient: { id: 'IGSID-1' }, message: { text: '你好 café' } });
  });

  it('retries a 500', async () => {
    fake.respond(() => ({ status: 500, body: { error: { message: 'oops' } } }));
    expect(await instagramAdapter.send('IGSID-1', 'hi', CREDENTIALS, context)).toMatchObject({
      ok: false,
      permanent: false,
    });
  });

  it('gives up outside the window, saying why', async () => {
    fake.respond(() => ({
      status: 400,
      body: { error: { message: 'This message is sent outside of allowed window.', code: 10, error_subcode: 2534022 } },
    }));
    expect(await instagramAdapter.send('IGSID-1', 'hi', CREDENTIALS, context)).toEqual({
      ok: false,
      permanent: true,
      reason:
        'Instagram: outside the 24 h reply window (code 10/2534022): This message is sent outside of allowed window.',
    });
  });
});
