import { createHmac } from 'node:crypto';
import { isRight } from 'fp-ts/Either';
import { startFakePlatform, type FakePlatform } from './fake-platform';
import type { SendContext, TokenCache, WebhookRequest } from './port';
import { whatsappAdapter, type WhatsappCredentials } from './whatsapp';

const CREDENTIALS: WhatsappCredentials = {
  accessToken: 'EAAG-access-token',
  appSecret: 'the-app-secret',
  verifyToken: 'the-verify-token',
  phoneNumberId: '106540352242922',
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

const change = (value: Record<string, unknown>, phoneNumberId = CREDENTIALS.phoneNumberId) => ({
  field: 'messages',
  value: {
    messaging_product: 'whatsapp',
    metadata: { display_phone_number: '15550783881', phone_number_id: phoneNumberId },
    ...value,
  },
});

const delivery = (...changes: unknown[]) => ({
  object: 'whatsapp_business_account',
  entry: [{ id: '102290129340398', changes }],
});

const status = {
  id: 'wamid.OUT1',
  status: 'delivered',
  timestamp: '1732521700',
  recipient_id: '8613800000000',
  conversation: { id: 'c1', origin: { type: 'service' } },
};

describe('whatsappAdapter.webhook', () => {
  it('answers the handshake', () => {
    const outcome = whatsappAdapter.webhook(
      {
        method: 'GET',
        query: { 'hub.mode': 'subscribe', 'hub.verify_token': 'the-verify-token', 'hub.challenge': '987654' },
        headers: {},
        rawBody: Buffer.alloc(0),
      },
      CREDENTIALS,
    );
    expect(outcome).toEqual({ kind: 'answer', answer: { status: 200, contentType: 'text/plain', body: '987654' } });
  });

  it('reads every message of a signed delivery, with names from contacts, and skips statuses', () => {
    const request = signed(
      delivery(
        change({
          contacts: [
            { profile: { name: 'Lǐ Wěi' }, wa_id: '8613800000000' },
            { profile: { name: 'Ana' }, wa_id: '34600000000' },
          ],
          messages: [
            {
              from: '8613800000000',
              id: 'wamid.IN1',
              timestamp: '1732521600',
              type: 'text',
              text: { body: '你好 café' },
            },
            {
              from: '34600000000',
              id: 'wamid.IN2',
              timestamp: '1732521601',
              type: 'image',
              image: { caption: 'the receipt', mime_type: 'image/jpeg', sha256: 'abc', id: 'MEDIA-1' },
            },
            {
              from: '34600000000',
              id: 'wamid.IN3',
              timestamp: '1732521602',
              type: 'document',
              document: { filename: 'invoice.pdf', mime_type: 'application/pdf', sha256: 'def', id: 'MEDIA-2' },
            },
            { from: '34600000000', id: 'wamid.IN4', timestamp: '1732521603', type: 'reaction', reaction: {} },
          ],
        }),
        change({ statuses: [status] }),
      ),
    );
    expect(request.rawBody.toString('utf8')).toContain('\\u4f60\\u597d caf\\u00e9');

    const outcome = whatsappAdapter.webhook(request, CREDENTIALS);

    expect(outcome).toEqual({
      kind: 'messages',
      answer: { status: 200, contentType: 'text/plain', body: 'EVENT_RECEIVED' },
      messages: [
        {
          id: 'wamid.IN1',
          userId: '8613800000000',
          displayName: 'Lǐ Wěi',
          text: '你好 café',
          attachments: [],
          at: new Date('2024-11-25T08:00:00.000Z'),
        },
        {
          id: 'wamid.IN2',
          userId: '34600000000',
          displayName: 'Ana',
          text: 'the receipt',
          attachments: [{ kind: 'image', mediaId: 'MEDIA-1', mimeType: 'image/jpeg' }],
          at: new Date('2024-11-25T08:00:01.000Z'),
        },
        {
          id: 'wamid.IN3',
          userId: '34600000000',
          displayName: 'Ana',
          text: '',
          attachments: [{ kind: 'file', mediaId: 'MEDIA-2', name: 'invoice.pdf', mimeType: 'application/pdf' }],
          at: new Date('2024-11-25T08:00:02.000Z'),
        },
      ],
    });
  });

  it('answers a delivery of statuses only with 200 and nothing', () => {
    expect(whatsappAdapter.webhook(signed(delivery(change({ statuses: [status] }))), CREDENTIALS)).toEqual({
      kind: 'answer',
      answer: { status: 200, contentType: 'text/plain', body: 'EVENT_RECEIVED' },
    });
  });

  it("skips messages to another of the app's phone numbers", () => {
    const message = { from: '1', id: 'wamid.X', timestamp: '1732521600', type: 'text', text: { body: 'hi' } };
    const outcome = whatsappAdapter.webhook(signed(delivery(change({ messages: [message] }, '999'))), CREDENTIALS);
    expect(outcome.kind).toBe('answer');
  });

  it('skips malformed messages and keeps the others', () => {
    const good = { from: '1', id: 'wamid.OK', timestamp: '1732521600', type: 'text', text: { body: 'hi' } };
    const outcome = whatsappAdapter.webhook(
      signed(delivery(change({ messages: [null, { id: 'wamid.NOFROM', type: 'text' }, good] }))),
      CREDENTIALS,
    );
    expect(outcome.kind === 'messages' && outcome.messages.map((m) => m.id)).toEqual(['wamid.OK']);
  });

  it('refuses a bad or missing signature with 401', () => {
    const payload = delivery(change({ statuses: [status] }));
    expect(whatsappAdapter.webhook(signed(payload, 'another-secret'), CREDENTIALS)).toMatchObject({
      kind: 'refused',
      status: 401,
    });
    const unsigned = { ...signed(payload), headers: { 'content-type': 'application/json' } };
    expect(whatsappAdapter.webhook(unsigned, CREDENTIALS)).toMatchObject({ kind: 'refused', status: 401 });
  });

  it("refuses another platform's body with 400 after the signature", () => {
    expect(whatsappAdapter.webhook(signed({ object: 'page', entry: [] }), CREDENTIALS)).toMatchObject({
      kind: 'refused',
      status: 400,
    });
  });
});

describe('whatsappAdapter.credentials', () => {
  it('takes four non-blank strings', () => {
    expect(isRight(whatsappAdapter.credentials.decode(CREDENTIALS))).toBe(true);
    expect(isRight(whatsappAdapter.credentials.decode({ ...CREDENTIALS, phoneNumberId: '' }))).toBe(false);
    expect(isRight(whatsappAdapter.credentials.decode({ ...CREDENTIALS, accessToken: ' ' }))).toBe(false);
    const { verifyToken: _, ...withoutVerifyToken } = CREDENTIALS;
    expect(isRight(whatsappAdapter.credentials.decode(withoutVerifyToken))).toBe(false);
  });
});

describe('whatsappAdapter.send', () => {
  let fake: FakePlatform;
  let context: SendContext;
  const tokens: TokenCache = {
    get: () => Promise.reject(new Error('WhatsApp tokens do not expire')),
    invalidate: () => Promise.resolve(),
  };

  beforeEach(async () => {
    fake = await startFakePlatform();
    context = { baseUrl: fake.baseUrl, fetch, tokens, accountId: 'wa-1' };
  });
  afterEach(() => fake.close());

  it('posts the text message to the phone number with the Bearer token', async () => {
    fake.respond(() => ({
      status: 200,
      body: {
        messaging_product: 'whatsapp',
        contacts: [{ input: '8613800000000', wa_id: '8613800000000' }],
        messages: [{ id: 'wamid.OUT42' }],
      },
    }));

    const result = await whatsappAdapter.send('8613800000000', '你好 café', CREDENTIALS, context);

    expect(result).toEqual({ ok: true, platformMessageId: 'wamid.OUT42' });
    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]).toMatchObject({
      method: 'POST',
      path: '/v21.0/106540352242922/messages',
      query: {},
      headers: { authorization: 'Bearer EAAG-access-token', 'content-type': 'application/json' },
      body: {
        messaging_product: 'whatsapp',
        recipient_type: 'individual',
        to: '8613800000000',
        type: 'text',
        text: { preview_url: false, body: '你好 café' },
      },
    });
  });

  it('retries a 500', async () => {
    fake.respond(() => ({ status: 500, body: { error: { message: 'boom', code: 131000 } } }));
    expect(await whatsappAdapter.send('1', 'hi', CREDENTIALS, context)).toMatchObject({ ok: false, permanent: false });
  });

  it('retries the throughput limit', async () => {
    fake.respond(() => ({ status: 400, body: { error: { message: '(#130429) Rate limit hit', code: 130429 } } }));
    expect(await whatsappAdapter.send('1', 'hi', CREDENTIALS, context)).toMatchObject({ ok: false, permanent: false });
  });

  it('gives up outside the 24 h window, saying why', async () => {
    fake.respond(() => ({
      status: 400,
      body: {
        error: {
          message: '(#131047) Re-engagement message',
          type: 'OAuthException',
          code: 131047,
          error_data: {
            messaging_product: 'whatsapp',
            details: 'Message failed to send because more than 24 hours have passed',
          },
          fbtrace_id: 'Abc',
        },
      },
    }));
    expect(await whatsappAdapter.send('1', 'hi', CREDENTIALS, context)).toEqual({
      ok: false,
      permanent: true,
      reason: 'WhatsApp: outside the 24 h reply window (code 131047): (#131047) Re-engagement message',
    });
  });

  it('gives up on an expired token', async () => {
    fake.respond(() => ({
      status: 401,
      body: { error: { message: 'Session has expired', code: 190, error_subcode: 463 } },
    }));
    const result = await whatsappAdapter.send('1', 'hi', CREDENTIALS, context);
    expect(result).toMatchObject({ ok: false, permanent: true });
    expect(!result.ok && result.reason).toContain('code 190/463');
  });

  it('retries when the network fails, without throwing', async () => {
    const failing: typeof fetch = () => Promise.reject(new TypeError('fetch failed'));
    const result = await whatsappAdapter.send('1', 'hi', CREDENTIALS, { ...context, fetch: failing });
    expect(result).toEqual({ ok: false, permanent: false, reason: 'WhatsApp unreachable: TypeError: fetch failed' });
  });
});
