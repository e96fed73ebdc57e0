import { isRight } from 'fp-ts/Either';
import { startFakePlatform, type FakePlatform } from './fake-platform';
import type { SendContext, TokenCache, WebhookRequest } from './port';
import { telegramAdapter, telegramResult, type TelegramCredentials } from './telegram';

const CREDENTIALS: TelegramCredentials = {
  botToken: '123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw',
  secretToken: 'the_secret-Token_42',
};

/** As Telegram sends an Update: JSON in UTF-8, the secret in its header (none when null). */
const update = (payload: unknown, secret: string | null = CREDENTIALS.secretToken): WebhookRequest => ({
  method: 'POST',
  query: {},
  headers: {
    'content-type': 'application/json',
    ...(secret === null ? {} : { 'x-telegram-bot-api-secret-token': secret }),
  },
  rawBody: Buffer.from(JSON.stringify(payload), 'utf8'),
});

const OK = { status: 200, contentType: 'application/json', body: '{}' };
const chat = { id: 987654321, first_name: 'Wei', last_name: 'Li', username: 'liwei', type: 'private' };
const from = {
  id: 987654321,
  is_bot: false,
  first_name: 'Wei',
  last_name: 'Li',
  username: 'liwei',
  language_code: 'zh-hans',
};

describe('telegramAdapter.webhook', () => {
  it('reads a text message once the secret token matches', () => {
    const request = update({
      update_id: 10001,
      message: { message_id: 55, from, chat, date: 1732521600, text: '你好 café' },
    });
    expect(telegramAdapter.webhook(request, CREDENTIALS)).toEqual({
      kind: 'messages',
      answer: OK,
      messages: [
        {
          id: '987654321:55',
          userId: '987654321',
          displayName: 'Wei Li',
          text: '你好 café',
          attachments: [],
          at: new Date('2024-11-25T08:00:00.000Z'),
        },
      ],
    });
  });

  it('reads the largest photo size as an image, with its caption', () => {
    const photo = [
      { file_id: 'small', file_unique_id: 's', width: 90, height: 60, file_size: 1000 },
      { file_id: 'large', file_unique_id: 'l', width: 1280, height: 853, file_size: 90000 },
      { file_id: 'medium', file_unique_id: 'm', width: 320, height: 213, file_size: 9000 },
    ];
    const request = update({
      update_id: 10002,
      message: {
        message_id: 56,
        from: { id: 1, is_bot: false, first_name: 'Ana' },
        chat,
        date: 1732521601,
        photo,
        caption: 'the receipt',
      },
    });
    expect(telegramAdapter.webhook(request, CREDENTIALS)).toMatchObject({
      kind: 'messages',
      messages: [
        {
          id: '987654321:56',
          displayName: 'Ana',
          text: 'the receipt',
          attachments: [{ kind: 'image', mediaId: 'large' }],
        },
      ],
    });
  });

  it('reads a document as a file with its name and type', () => {
    const request = update({
      update_id: 10003,
      message: {
        message_id: 57,
        from: { id: 2, is_bot: false, first_name: '', username: 'only_username' },
        chat,
        date: 1732521602,
        document: {
          file_id: 'DOC-1',
          file_unique_id: 'd',
          file_name: 'invoice.pdf',
          mime_type: 'application/pdf',
          file_size: 1,
        },
      },
    });
    expect(telegramAdapter.webhook(request, CREDENTIALS)).toMatchObject({
      kind: 'messages',
      messages: [
        {
          displayName: 'only_username',
          text: '',
          attachments: [{ kind: 'file', mediaId: 'DOC-1', name: 'invoice.pdf', mimeType: 'application/pdf' }],
        },
      ],
    });
  });

  it.each([
    ['an edited message', { edited_message: { message_id: 55, chat, date: 1, edit_date: 2, text: 'edited' } }],
    ['a callback query', { callback_query: { id: 'q', from, data: 'x' } }],
    ['a channel post', { channel_post: { message_id: 1, chat: { id: -100, type: 'channel' }, date: 1, text: 'x' } }],
    ['a sticker', { message: { message_id: 58, chat, date: 1, sticker: { file_id: 'S' } } }],
    ['a message without chat', { message: { message_id: 59, date: 1, text: 'x' } }],
  ])('answers %s with 200 and nothing', (_, payload) => {
    expect(telegramAdapter.webhook(update({ update_id: 10004, ...payload }), CREDENTIALS)).toEqual({
      kind: 'answer',
      answer: OK,
    });
  });

  it.each([
    ['missing', null],
    ['different', 'the_secret-Token_43'],
    ['a prefix of it', 'the_secret'],
    ['longer', `${CREDENTIALS.secretToken}x`],
    ['empty', ''],
  ])('refuses a secret token that is %s with 401, before parsing the body', (_, secret) => {
    const request: WebhookRequest = { ...update({}, secret), rawBody: Buffer.from('{ not json', 'utf8') };
    expect(telegramAdapter.webhook(request, CREDENTIALS)).toMatchObject({ kind: 'refused', status: 401 });
  });

  it.each([
    ['not JSON', '{ "update_id": '],
    ['not an object', '[]'],
    ['without update_id', JSON.stringify({ message: { message_id: 1 } })],
  ])('refuses a body that is %s with 400 once the secret matches', (_, raw) => {
    const request: WebhookRequest = { ...update({}), rawBody: Buffer.from(raw, 'utf8') };
    expect(telegramAdapter.webhook(request, CREDENTIALS)).toMatchObject({ kind: 'refused', status: 400 });
  });

  it('refuses a GET with 400', () => {
    const request: WebhookRequest = { ...update({}), method: 'GET' };
    expect(telegramAdapter.webhook(request, CREDENTIALS)).toMatchObject({ kind: 'refused', status: 400 });
  });
});

describe('telegramAdapter.credentials', () => {
  const decodes = (value: unknown) => isRight(telegramAdapter.credentials.decode(value));

  it('takes a bot token and a secret token of the form setWebhook accepts', () => {
    expect(decodes(CREDENTIALS)).toBe(true);
    expect(decodes({ ...CREDENTIALS, botToken: '' })).toBe(false);
    expect(decodes({ ...CREDENTIALS, botToken: '123:abc/def' })).toBe(false);
    expect(decodes({ ...CREDENTIALS, secretToken: '' })).toBe(false);
    expect(decodes({ ...CREDENTIALS, secretToken: 'has space' })).toBe(false);
    expect(decodes({ ...CREDENTIALS, secretToken: 'x'.repeat(257) })).toBe(false);
    expect(decodes({ botToken: CREDENTIALS.botToken })).toBe(false);
  });
});

describe('telegramAdapter.send', () => {
  let fake: FakePlatform;
  let context: SendContext;
  const tokens: TokenCache = {
    get: () => Promise.reject(new Error('bot tokens do not expire')),
    invalidate: () => Promise.resolve(),
  };

  beforeEach(async () => {
    fake = await startFakePlatform();
    context = { baseUrl: fake.baseUrl, fetch, tokens, accountId: 'tg-1' };
  });
  afterEach(() => fake.close());

  it('posts chat_id and text to sendMessage under the bot token', async () => {
    fake.respond(() => ({
      status: 200,
      body: { ok: true, result: { message_id: 4242, chat: { id: 987654321 }, date: 1 } },
    }));

    expect(await telegramAdapter.send('987654321', '你好 café', CREDENTIALS, context)).toEqual({
      ok: true,
      platformMessageId: '4242',
    });
    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]).toMatchObject({
      method: 'POST',
      path: '/bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/sendMessage',
      query: {},
      headers: { 'content-type': 'application/json' },
      body: { chat_id: '987654321', text: '你好 café' },
    });
    expect(fake.requests[0]?.body).toEqual({ chat_id: '987654321', text: '你好 café' });
  });

  it('retries a 429 after retry_after', async () => {
    fake.respond(() => ({
      status: 429,
      body: {
        ok: false,
        error_code: 429,
        description: 'Too Many Requests: retry after 7',
        parameters: { retry_after: 7 },
      },
    }));
    expect(await telegramAdapter.send('1', 'hi', CREDENTIALS, context)).toEqual({
      ok: false,
      permanent: false,
      reason: 'Too Many Requests: retry after 7',
      retryAfterMs: 7000,
    });
  });

  it('retries a 500', async () => {
    fake.respond(() => ({ status: 500, body: { ok: false, error_code: 500, description: 'Internal Server Error' } }));
    expect(await telegramAdapter.send('1', 'hi', CREDENTIALS, context)).toEqual({
      ok: false,
      permanent: false,
      reason: 'Internal Server Error',
    });
  });

  it.each([
    [403, 'Forbidden: bot was blocked by the user'],
    [400, 'Bad Request: chat not found'],
    [401, 'Unauthorized'],
  ])('gives up on %i %s, with the description as reason', async (status, description) => {
    fake.respond(() => ({ status, body: { ok: false, error_code: status, description } }));
    expect(await telegramAdapter.send('1', 'hi', CREDENTIALS, context)).toEqual({
      ok: false,
      permanent: true,
      reason: description,
    });
  });

  it('retries when the platform cannot be reached, never naming the token', async () => {
    const closed = await startFakePlatform();
    await closed.close();
    const result = await telegramAdapter.send('1', 'hi', CREDENTIALS, { ...context, baseUrl: closed.baseUrl });
    expect(result).toMatchObject({ ok: false, permanent: false });
    expect(!result.ok && result.reason).toMatch(/^Telegram unreachable: /);
    expect(!result.ok && result.reason).not.toContain(CREDENTIALS.botToken);
  });
});

describe('telegramResult', () => {
  it('uses Retry-After when the body gives no retry_after', () => {
    expect(telegramResult(429, undefined, '3')).toEqual({
      ok: false,
      permanent: false,
      reason: 'HTTP 429',
      retryAfterMs: 3000,
    });
  });

  it('accepts a success without a readable message id', () => {
    expect(telegramResult(200, { ok: true, result: true }, null)).toEqual({ ok: true });
  });

  it('gives up on a 404 (a wrong bot token)', () => {
    expect(telegramResult(404, { ok: false, error_code: 404, description: 'Not Found' }, null)).toEqual({
      ok: false,
      permanent: true,
      reason: 'Not Found',
    });
  });
});
