import { createHmac } from 'node:crypto';
import { epochDate, graphFailure, messagingMessages, metaWebhook, retryAfterHeader, signatureProblem } from './meta';
import type { WebhookRequest } from './port';

const SECRETS = { appSecret: 'the-app-secret', verifyToken: 'the-verify-token' };

/** Meta serialises its payloads with non-ASCII characters and slashes escaped, and signs those bytes. */
const metaJson = (payload: unknown): string =>
  JSON.stringify(payload)
    .replace(/\//g, '\\/')
    .replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

const sign = (raw: Buffer, secret = SECRETS.appSecret) =>
  `sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`;

const post = (raw: string, headers: Record<string, string> = {}): WebhookRequest => {
  const rawBody = Buffer.from(raw, 'utf8');
  return { method: 'POST', query: {}, headers: { 'x-hub-signature-256': sign(rawBody), ...headers }, rawBody };
};

const get = (query: Record<string, string>): WebhookRequest => ({
  method: 'GET',
  query,
  headers: {},
  rawBody: Buffer.alloc(0),
});

const noMessages = () => [];

describe('Meta webhooks', () => {
  describe('the GET handshake', () => {
    it('echoes hub.challenge as text/plain when the mode is subscribe and the verify token matches', () => {
      const outcome = metaWebhook(
        get({ 'hub.mode': 'subscribe', 'hub.verify_token': 'the-verify-token', 'hub.challenge': '1158201444' }),
        SECRETS,
        'page',
        noMessages,
      );
      expect(outcome).toEqual({
        kind: 'answer',
        answer: { status: 200, contentType: 'text/plain', body: '1158201444' },
      });
    });

    it.each([
      ['a wrong verify token', { 'hub.mode': 'subscribe', 'hub.verify_token': 'guess', 'hub.challenge': '1' }],
      ['no verify token', { 'hub.mode': 'subscribe', 'hub.challenge': '1' }],
      ['another mode', { 'hub.mode': 'unsubscribe', 'hub.verify_token': 'the-verify-token', 'hub.challenge': '1' }],
      ['no mode', { 'hub.verify_token': 'the-verify-token', 'hub.challenge': '1' }],
    ])('refuses %s with 403', (_, query) => {
      expect(metaWebhook(get(query), SECRETS, 'page', noMessages)).toMatchObject({ kind: 'refused', status: 403 });
    });

    it('refuses a valid handshake without a challenge with 400', () => {
      const outcome = metaWebhook(
        get({ 'hub.mode': 'subscribe', 'hub.verify_token': 'the-verify-token' }),
        SECRETS,
        'page',
        noMessages,
      );
      expect(outcome).toMatchObject({ kind: 'refused', status: 400 });
    });
  });

  describe('the POST signature', () => {
    const raw = metaJson({ object: 'page', entry: [{ id: '1', messaging: [{ message: { text: '你好 café' } }] }] });

    it('is computed over the raw bytes Meta sent (escaped unicode), not a re-serialisation', () => {
      expect(raw).toContain('\\u4f60\\u597d caf\\u00e9');
      const request = post(raw);
      expect(signatureProblem(request, SECRETS.appSecret)).toBeUndefined();
      const reserialised = Buffer.from(JSON.stringify(JSON.parse(raw)), 'utf8');
      expect(reserialised.equals(request.rawBody)).toBe(false);
      expect(signatureProblem(post(raw, { 'x-hub-signature-256': sign(reserialised) }), SECRETS.appSecret)).toBe(
        'X-Hub-Signature-256 does not match the body',
      );
    });

    it('accepts upper-case hex digits', () => {
      const request = post(raw);
      const upper = `sha256=${(request.headers['x-hub-signature-256'] ?? '').slice(7).toUpperCase()}`;
      expect(signatureProblem(post(raw, { 'x-hub-signature-256': upper }), SECRETS.appSecret)).toBeUndefined();
    });

    it.each([
      ['missing', undefined],
      ['empty', ''],
      ['the SHA-1 form', `sha1=${createHmac('sha1', SECRETS.appSecret).update(raw).digest('hex')}`],
      ['without its prefix', createHmac('sha256', SECRETS.appSecret).update(raw).digest('hex')],
      ['too short', 'sha256=abcdef'],
      ['not hex', `sha256=${'z'.repeat(64)}`],
      ['under another secret', sign(Buffer.from(raw), 'another-secret')],
    ])('is refused with 401 when %s, before the body is parsed', (_, signature) => {
      const request = post('{ not json', signature === undefined ? {} : { 'x-hub-signature-256': signature });
      const headers = { ...request.headers };
      if (signature === undefined) delete headers['x-hub-signature-256'];
      expect(metaWebhook({ ...request, headers }, SECRETS, 'page', noMessages)).toMatchObject({
        kind: 'refused',
        status: 401,
      });
    });

    it('refuses a body that changed after signing', () => {
      const request = post(raw);
      const tampered = { ...request, rawBody: Buffer.from(raw.replace('caf', 'cap'), 'utf8') };
      expect(metaWebhook(tampered, SECRETS, 'page', noMessages)).toMatchObject({ kind: 'refused', status: 401 });
    });
  });

  describe('a signed body', () => {
    it.each([
      ['not JSON', '{ "object": "page", '],
      ['not an object', '[1, 2]'],
      ['another object', metaJson({ object: 'instagram', entry: [] })],
      ['without entries', metaJson({ object: 'page' })],
      ['with entries that are not an array', metaJson({ object: 'page', entry: {} })],
    ])('is refused with 400 when it is %s', (_, raw) => {
      expect(metaWebhook(post(raw), SECRETS, 'page', noMessages)).toMatchObject({ kind: 'refused', status: 400 });
    });

    it('is answered 200 with nothing when it holds no message', () => {
      expect(metaWebhook(post(metaJson({ object: 'page', entry: [] })), SECRETS, 'page', noMessages)).toEqual({
        kind: 'answer',
        answer: { status: 200, contentType: 'text/plain', body: 'EVENT_RECEIVED' },
      });
    });

    it('never throws on odd shapes inside the entries', () => {
      const odd = [
        null,
        1,
        'x',
        [],
        { id: 'PAGE', messaging: 'nope' },
        { id: 'PAGE', messaging: [null, { message: 7 }] },
      ];
      expect(messagingMessages(odd, 'PAGE')).toEqual([]);
    });
  });
});

describe('epochDate', () => {
  it('reads seconds as numbers or digit strings, and milliseconds', () => {
    expect(epochDate('1732521600', 'seconds')).toEqual(new Date('2024-11-25T08:00:00.000Z'));
    expect(epochDate(1732521600, 'seconds')).toEqual(new Date('2024-11-25T08:00:00.000Z'));
    expect(epochDate(1732521600123, 'milliseconds')).toEqual(new Date('2024-11-25T08:00:00.123Z'));
  });

  it.each([undefined, null, 'soon', '-1', -1, Number.NaN, 1e300])('refuses %p', (value) => {
    expect(epochDate(value, 'seconds')).toBeUndefined();
  });
});

describe('graphFailure', () => {
  const error = (code: number, subcode?: number) => ({
    error: {
      message: `error ${code}`,
      type: 'OAuthException',
      code,
      ...(subcode === undefined ? {} : { error_subcode: subcode }),
      fbtrace_id: 'Abc',
    },
  });

  it.each([4, 17, 32, 613, 80007, 130429, 131056])('retries rate limit %i', (code) => {
    const failure = graphFailure(400, error(code), undefined);
    expect(failure).toMatchObject({ ok: false, permanent: false });
    expect(failure.reason).toContain(`code ${code}`);
    expect(failure.reason).toContain('rate limited');
  });

  it.each([1, 2, 341, 1200])('retries temporary error %i', (code) => {
    expect(graphFailure(500, error(code), undefined)).toMatchObject({ ok: false, permanent: false });
  });

  it.each([
    [190, undefined, 'access token invalid or expired'],
    [10, undefined, 'permission missing'],
    [200, undefined, 'permission missing'],
    [230, undefined, 'permission missing'],
    [551, undefined, 'user unavailable'],
    [131047, undefined, 'outside the 24 h reply window'],
    [10, 2018278, 'outside the 24 h reply window'],
    [10, 2534022, 'outside the 24 h reply window'],
    [100, 2018001, 'request refused'],
    [131026, undefined, 'request refused'],
  ])('gives up on code %i/%p: %s', (code, subcode, label) => {
    const failure = graphFailure(400, error(code, subcode), undefined);
    expect(failure).toMatchObject({ ok: false, permanent: true });
    expect(failure.reason).toBe(`${label} (code ${code}${subcode === undefined ? '' : `/${subcode}`}): error ${code}`);
  });

  it('keeps a known permanent code permanent even on a 5xx', () => {
    expect(graphFailure(500, error(190), undefined)).toMatchObject({ permanent: true });
  });

  it('retries what Meta marks is_transient, and 5xx, 408 and 429 without a known code', () => {
    const transient = { error: { message: 'later', code: 99999, is_transient: true } };
    expect(graphFailure(400, transient, undefined)).toMatchObject({ permanent: false });
    expect(graphFailure(503, undefined, undefined)).toEqual({
      ok: false,
      permanent: false,
      reason: 'platform error (HTTP 503)',
    });
    expect(graphFailure(502, '<html>bad gateway</html>', undefined)).toMatchObject({ permanent: false });
    expect(graphFailure(408, undefined, undefined)).toMatchObject({ permanent: false });
    expect(graphFailure(429, undefined, 3000)).toMatchObject({ permanent: false, retryAfterMs: 3000 });
  });

  it('gives up on other 4xx', () => {
    expect(graphFailure(404, undefined, undefined)).toEqual({
      ok: false,
      permanent: true,
      reason: 'request refused (HTTP 404)',
    });
  });

  it('reads Retry-After seconds only', () => {
    expect(retryAfterHeader('12')).toBe(12_000);
    expect(retryAfterHeader(null)).toBeUndefined();
    expect(retryAfterHeader('Wed, 21 Oct 2015 07:28:00 GMT')).toBeUndefined();
  });
});
