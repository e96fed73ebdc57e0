// The platforms' media APIs against the fake platform: files fetched the way each platform serves
// them, files sent the way each takes them (multipart), limits and failures as results.
import { startFakePlatform, type FakeFile, type FakePlatform } from './fake-platform';
import { telegramMedia, whatsappMedia } from './media';
import type { OutboundFile, SendContext, TokenCache } from './port';
import type { TelegramCredentials } from './telegram';
import type { WhatsappCredentials } from './whatsapp';

const TELEGRAM: TelegramCredentials = { botToken: '123456:SECRET-bot-token', secretToken: 's' };
const WHATSAPP: WhatsappCredentials = {
  accessToken: 'EAAG-access-token',
  appSecret: 'app-secret',
  verifyToken: 'verify',
  phoneNumberId: '1098765',
};
const PHOTO = Buffer.from('\x89PNG\r\n\x1a\n-not-a-real-png-but-bytes', 'latin1');
const FILE: OutboundFile = {
  kind: 'file',
  name: '发票.pdf',
  contentType: 'application/pdf',
  bytes: Buffer.from('%PDF-1.4 ...'),
};
const IMAGE: OutboundFile = { kind: 'image', name: 'photo.png', contentType: 'image/png', bytes: PHOTO };

describe('platform media against the fake platform', () => {
  let fake: FakePlatform;
  let context: SendContext & { maxBytes: number };
  const tokens: TokenCache = { get: async () => 'unused', invalidate: async () => undefined };

  beforeAll(async () => {
    fake = await startFakePlatform();
  });
  beforeEach(() => {
    fake.requests.length = 0;
    fake.respond(() => undefined);
    context = { baseUrl: fake.baseUrl, fetch, tokens, accountId: 'acct-1', maxBytes: 1024 };
  });
  afterAll(() => fake.close());

  describe('Telegram', () => {
    it('fetches a file by its file_id: getFile, then the file path', async () => {
      fake.respond((request) => {
        if (request.path === `/bot${TELEGRAM.botToken}/getFile`)
          return {
            status: 200,
            body: { ok: true, result: { file_id: 'F1', file_path: 'photos/file_7.jpg', file_size: PHOTO.length } },
          };
        if (request.path === `/file/bot${TELEGRAM.botToken}/photos/file_7.jpg`)
          return { status: 200, body: undefined, raw: PHOTO };
        return { status: 404, body: { ok: false, error_code: 404, description: 'Not Found' } };
      });
      const got = await telegramMedia.fetchMedia({ kind: 'image', mediaId: 'F1' }, TELEGRAM, context);
      expect(got).toEqual({ ok: true, file: { bytes: PHOTO, name: 'file_7.jpg' } });
      expect(fake.requests.map((r) => [r.path, r.query])).toEqual([
        [`/bot${TELEGRAM.botToken}/getFile`, { file_id: 'F1' }],
        [`/file/bot${TELEGRAM.botToken}/photos/file_7.jpg`, {}],
      ]);
    });

    it('refuses a file over the limit from its size, without downloading it', async () => {
      fake.respond(() => ({
        status: 200,
        body: { ok: true, result: { file_path: 'documents/big.zip', file_size: 5000 } },
      }));
      const got = await telegramMedia.fetchMedia({ kind: 'file', mediaId: 'BIG', name: 'big.zip' }, TELEGRAM, context);
      expect(got).toMatchObject({ ok: false, permanent: true });
      expect(!got.ok && got.reason).toContain('over 1024 bytes');
      expect(fake.requests).toHaveLength(1);
    });

    it('refuses a download that passes the limit while it streams', async () => {
      fake.respond((request) =>
        request.path.endsWith('/getFile')
          ? { status: 200, body: { ok: true, result: { file_path: 'documents/x.bin' } } }
          : { status: 200, body: undefined, raw: Buffer.alloc(4096, 7) },
      );
      const got = await telegramMedia.fetchMedia({ kind: 'file', mediaId: 'X' }, TELEGRAM, context);
      expect(got).toMatchObject({ ok: false, permanent: true });
      expect(!got.ok && got.reason).toContain('over 1024 bytes');
    });

    it('says an unknown file_id fails for good, without the bot token in the reason', async () => {
      fake.respond(() => ({
        status: 400,
        body: { ok: false, error_code: 400, description: 'Bad Request: invalid file_id' },
      }));
      const got = await telegramMedia.fetchMedia({ kind: 'file', mediaId: 'nope' }, TELEGRAM, context);
      expect(got).toMatchObject({ ok: false, permanent: true });
      expect(!got.ok && got.reason).toContain('invalid file_id');
      expect(JSON.stringify(got)).not.toContain(TELEGRAM.botToken);
    });

    it('sends a picture with sendPhoto and a file with sendDocument, as multipart uploads', async () => {
      fake.respond(() => ({ status: 200, body: { ok: true, result: { message_id: 77 } } }));
      expect(await telegramMedia.sendMedia('987', IMAGE, TELEGRAM, context)).toEqual({
        ok: true,
        platformMessageId: '77',
      });
      expect(await telegramMedia.sendMedia('987', FILE, TELEGRAM, context)).toEqual({
        ok: true,
        platformMessageId: '77',
      });
      const [photo, document] = fake.requests;
      expect(photo?.path).toBe(`/bot${TELEGRAM.botToken}/sendPhoto`);
      expect(photo?.form?.['chat_id']).toBe('987');
      expect((photo?.form?.['photo'] as FakeFile).bytes).toEqual(PHOTO);
      expect(document?.path).toBe(`/bot${TELEGRAM.botToken}/sendDocument`);
      expect(document?.form?.['document']).toEqual({ name: '发票.pdf', type: 'application/pdf', bytes: FILE.bytes });
    });

    it('reports a blocked user as a permanent failure and a rate limit as a retry', async () => {
      fake.respond(() => ({
        status: 403,
        body: { ok: false, error_code: 403, description: 'Forbidden: bot was blocked by the user' },
      }));
      expect(await telegramMedia.sendMedia('987', IMAGE, TELEGRAM, context)).toEqual({
        ok: false,
        permanent: true,
        reason: 'Forbidden: bot was blocked by the user',
      });
      fake.respond(() => ({
        status: 429,
        body: { ok: false, error_code: 429, description: 'Too Many Requests', parameters: { retry_after: 3 } },
      }));
      expect(await telegramMedia.sendMedia('987', IMAGE, TELEGRAM, context)).toEqual(
        expect.objectContaining({ ok: false, permanent: false, retryAfterMs: 3000 }),
      );
    });
  });

  describe('WhatsApp', () => {
    it('fetches a media id: its URL from the Graph API, then the bytes, both with the access token', async () => {
      fake.respond((request) => {
        if (request.path === '/v21.0/MEDIA-1')
          return {
            status: 200,
            body: {
              url: `${fake.baseUrl}/lookaside/MEDIA-1`,
              mime_type: 'image/jpeg',
              file_size: PHOTO.length,
              id: 'MEDIA-1',
            },
          };
        if (request.path === '/lookaside/MEDIA-1') return { status: 200, body: undefined, raw: PHOTO };
        return { status: 404, body: {} };
      });
      const got = await whatsappMedia.fetchMedia({ kind: 'image', mediaId: 'MEDIA-1' }, WHATSAPP, context);
      expect(got).toEqual({ ok: true, file: { bytes: PHOTO, contentType: 'image/jpeg' } });
      expect(fake.requests.map((r) => r.headers['authorization'])).toEqual([
        `Bearer ${WHATSAPP.accessToken}`,
        `Bearer ${WHATSAPP.accessToken}`,
      ]);
    });

    it('says a bad token fails for good', async () => {
      fake.respond(() => ({
        status: 401,
        body: { error: { message: 'Invalid OAuth access token', type: 'OAuthException', code: 190 } },
      }));
      const got = await whatsappMedia.fetchMedia({ kind: 'file', mediaId: 'M' }, WHATSAPP, context);
      expect(got).toMatchObject({ ok: false, permanent: true });
      expect(!got.ok && got.reason).toContain('access token');
    });

    it('uploads a file to the phone number, then sends a document message naming it', async () => {
      fake.respond((request) =>
        request.path.endsWith('/media')
          ? { status: 200, body: { id: 'UPLOADED-9' } }
          : { status: 200, body: { messaging_product: 'whatsapp', messages: [{ id: 'wamid.42' }] } },
      );
      expect(await whatsappMedia.sendMedia('8613800000000', FILE, WHATSAPP, context)).toEqual({
        ok: true,
        platformMessageId: 'wamid.42',
      });
      const [upload, message] = fake.requests;
      expect(upload?.path).toBe('/v21.0/1098765/media');
      expect(upload?.form).toEqual({
        messaging_product: 'whatsapp',
        type: 'application/pdf',
        file: { name: '发票.pdf', type: 'application/pdf', bytes: FILE.bytes },
      });
      expect(message?.path).toBe('/v21.0/1098765/messages');
      expect(message?.body).toEqual({
        messaging_product: 'whatsapp',
        recipient_type: 'individual',
        to: '8613800000000',
        type: 'document',
        document: { id: 'UPLOADED-9', filename: '发票.pdf' },
      });
    });

    it('sends a picture as an image message, and reports a failed upload without sending', async () => {
      fake.respond((request) =>
        request.path.endsWith('/media')
          ? { status: 200, body: { id: 'IMG-1' } }
          : { status: 200, body: { messages: [{ id: 'w1' }] } },
      );
      await whatsappMedia.sendMedia('86', IMAGE, WHATSAPP, context);
      expect(fake.requests[1]?.body).toEqual(expect.objectContaining({ type: 'image', image: { id: 'IMG-1' } }));
      fake.requests.length = 0;
      fake.respond(() => ({ status: 500, body: { error: { message: 'oops', code: 1 } } }));
      expect(await whatsappMedia.sendMedia('86', IMAGE, WHATSAPP, context)).toEqual(
        expect.objectContaining({ ok: false, permanent: false }),
      );
      expect(fake.requests).toHaveLength(1);
    });
  });
});
