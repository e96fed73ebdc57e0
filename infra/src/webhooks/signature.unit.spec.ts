import { newWebhookSecret, signatureHeader, verifySignature } from './signature';

describe('webhook signatures', () => {
  const body = '{"id":"d1"}';
  // Computed apart from this code: python3 -c "import hmac,hashlib; print(hmac.new(b'whsec_test',
  // b'1700000000.{\"id\":\"d1\"}', hashlib.sha256).hexdigest())"
  const KNOWN = '7aa818774b12d07b487b77188a423aa42da8d52da13f1fface316ecdf0a91f53';

  it('signs "<t>.<body>" with HMAC-SHA256 of the secret (a known vector)', () => {
    expect(signatureHeader('whsec_test', 1_700_000_000, body)).toBe(`t=1700000000,v1=${KNOWN}`);
  });

  it('verifies its own signature within the tolerance', () => {
    const header = signatureHeader('whsec_test', 1_700_000_000, body);
    expect(verifySignature('whsec_test', header, body, 1_700_000_100)).toEqual({ ok: true });
    expect(verifySignature('whsec_test', header, body, 1_699_999_900)).toEqual({ ok: true });
  });

  it('refuses an old (or future) timestamp: a replayed delivery', () => {
    const header = signatureHeader('whsec_test', 1_700_000_000, body);
    expect(verifySignature('whsec_test', header, body, 1_700_000_301)).toEqual({ ok: false, reason: 'expired' });
    expect(verifySignature('whsec_test', header, body, 1_699_999_000)).toEqual({ ok: false, reason: 'expired' });
    expect(verifySignature('whsec_test', header, body, 1_700_000_050, 10)).toEqual({ ok: false, reason: 'expired' });
  });

  it('refuses another body, another secret, another timestamp under the same MAC', () => {
    const header = signatureHeader('whsec_test', 1_700_000_000, body);
    expect(verifySignature('whsec_test', header, '{"id":"d2"}', 1_700_000_000)).toEqual({
      ok: false,
      reason: 'mismatch',
    });
    expect(verifySignature('whsec_other', header, body, 1_700_000_000)).toEqual({ ok: false, reason: 'mismatch' });
    const moved = `t=1700000001,v1=${KNOWN}`;
    expect(verifySignature('whsec_test', moved, body, 1_700_000_000)).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('refuses malformed headers', () => {
    for (const header of [undefined, '', 't=1700000000', `v1=${KNOWN}`, `t=abc,v1=${KNOWN}`, 't=1700000000,v1=zz'])
      expect(verifySignature('whsec_test', header, body, 1_700_000_000)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('accepts any of several v1 signatures', () => {
    const header = `t=1700000000,v1=${'0'.repeat(64)},v1=${KNOWN}`;
    expect(verifySignature('whsec_test', header, body, 1_700_000_000)).toEqual({ ok: true });
  });

  it('makes secrets of 32 random bytes, never the same', () => {
    const a = newWebhookSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(newWebhookSecret()).not.toBe(a);
  });
});
