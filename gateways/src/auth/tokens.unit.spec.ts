import { SignJWT, UnsecuredJWT } from 'jose';
import {
  bearerToken,
  DEFAULT_TOKEN_LIFETIME_SECONDS,
  isCurrent,
  issueToken,
  tokenVersionOf,
  TokenSecretError,
  verifyToken,
} from './tokens';
import { checkToken, refusalMessage } from './revocation';
import { decodeOrThrow } from '../../../test-support/fixtures';
import { TokenSubject } from './tokens';

const SECRET = 'a test secret of at least thirty-two bytes';
const OTHER_SECRET = 'another secret, also thirty-two bytes or more';
const NOW = new Date('2026-11-25T09:00:00.000Z');
const at = (offsetSeconds: number) => new Date(NOW.getTime() + offsetSeconds * 1000);
const subject = decodeOrThrow(TokenSubject);
const alice = subject({ company: 'acme', role: 'agent', sub: 'alice' });
const visitor = subject({ company: 'acme', role: 'visitor', sub: 'v-42' });

const part = (token: string, index: number): string => token.split('.')[index] ?? '';
const json = (segment: string): Record<string, unknown> =>
  JSON.parse(Buffer.from(segment, 'base64url').toString('utf8')) as Record<string, unknown>;
const segment = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A token signed with HS256 under our secret, with whatever claims a test needs. */
const signed = (claims: Record<string, unknown>, options: { alg?: string; secret?: string } = {}) =>
  new SignJWT(claims)
    .setProtectedHeader({ alg: options.alg ?? 'HS256' })
    .sign(new TextEncoder().encode(options.secret ?? SECRET));

const valid = { iss: 'cschat', company: 'acme', role: 'agent', sub: 'alice' };
const iat = Math.floor(NOW.getTime() / 1000);

describe('tokens', () => {
  it('issues an HS256 JWT from cschat naming the company, the role and the subject', async () => {
    const token = await issueToken(alice, { secret: SECRET, now: NOW });
    expect(json(part(token, 0))).toEqual({ alg: 'HS256', typ: 'JWT' });
    expect(json(part(token, 1))).toEqual({
      iss: 'cschat',
      company: 'acme',
      role: 'agent',
      sub: 'alice',
      iat,
      exp: iat + 12 * 3600,
    });
    expect(await verifyToken(token, { secret: SECRET, now: NOW })).toEqual({
      ok: true,
      claims: { iss: 'cschat', company: 'acme', role: 'agent', sub: 'alice', iat, exp: iat + 12 * 3600 },
    });
  });

  it('lives 12 hours for agents and admins and 7 days for visitors unless told otherwise', async () => {
    const lifetime = async (token: Promise<string>) => {
      const claims = json(part(await token, 1));
      return Number(claims['exp']) - Number(claims['iat']);
    };
    expect(await lifetime(issueToken(alice, { secret: SECRET }))).toBe(12 * 3600);
    expect(await lifetime(issueToken({ ...alice, role: 'admin' }, { secret: SECRET }))).toBe(12 * 3600);
    expect(await lifetime(issueToken(visitor, { secret: SECRET }))).toBe(7 * 24 * 3600);
    expect(await lifetime(issueToken(visitor, { secret: SECRET, lifetimeSeconds: 60 }))).toBe(60);
    expect(DEFAULT_TOKEN_LIFETIME_SECONDS.visitor).toBe(604_800);
  });

  it('expires at its expiry time, on a fixed clock', async () => {
    const token = await issueToken(visitor, { secret: SECRET, now: NOW, lifetimeSeconds: 600 });
    expect((await verifyToken(token, { secret: SECRET, now: at(599) })).ok).toBe(true);
    expect(await verifyToken(token, { secret: SECRET, now: at(600) })).toEqual({ ok: false, reason: 'expired' });
    expect(await verifyToken(token, { secret: SECRET, now: at(86_400) })).toEqual({ ok: false, reason: 'expired' });
  });

  it('refuses alg none', async () => {
    const unsecured = new UnsecuredJWT({ ...valid })
      .setIssuedAt(iat)
      .setExpirationTime(iat + 60)
      .encode();
    expect(await verifyToken(unsecured, { secret: SECRET, now: NOW })).toEqual({ ok: false, reason: 'invalid' });
    // The same claims with a signature anyway.
    const token = await issueToken(alice, { secret: SECRET, now: NOW });
    const none = `${segment({ alg: 'none', typ: 'JWT' })}.${part(token, 1)}.${part(token, 2)}`;
    expect(await verifyToken(none, { secret: SECRET, now: NOW })).toEqual({ ok: false, reason: 'invalid' });
  });

  it('refuses a token signed with another key or another algorithm', async () => {
    const theirs = await issueToken(alice, { secret: OTHER_SECRET, now: NOW });
    expect(await verifyToken(theirs, { secret: SECRET, now: NOW })).toEqual({ ok: false, reason: 'invalid' });
    const hs512 = await signed({ ...valid, iat, exp: iat + 60 }, { alg: 'HS512' });
    expect(await verifyToken(hs512, { secret: SECRET, now: NOW })).toEqual({ ok: false, reason: 'invalid' });
  });

  it('refuses a tampered payload', async () => {
    const token = await issueToken(alice, { secret: SECRET, now: NOW });
    const promoted = segment({ ...json(part(token, 1)), role: 'admin' });
    const tampered = `${part(token, 0)}.${promoted}.${part(token, 2)}`;
    expect(await verifyToken(tampered, { secret: SECRET, now: NOW })).toEqual({ ok: false, reason: 'invalid' });
    const otherCompany = `${part(token, 0)}.${segment({ ...json(part(token, 1)), company: 'globex' })}.${part(token, 2)}`;
    expect(await verifyToken(otherCompany, { secret: SECRET, now: NOW })).toEqual({ ok: false, reason: 'invalid' });
  });

  it('refuses claims of the wrong shape even when signed with our key', async () => {
    const times = { iat, exp: iat + 60 };
    for (const claims of [
      { ...valid, role: 'superuser' },
      { ...valid, company: 'acme-corp' }, // company ids have no '-'
      { ...valid, company: 42 },
      { ...valid, sub: 'has space' },
      { ...valid, iss: 'someone-else' },
      { iss: 'cschat', role: 'agent', sub: 'alice' },
      { iss: 'cschat', company: 'acme', sub: 'alice' },
      { iss: 'cschat', company: 'acme', role: 'agent' },
    ]) {
      expect([claims, await verifyToken(await signed({ ...claims, ...times }), { secret: SECRET, now: NOW })]).toEqual([
        claims,
        { ok: false, reason: 'invalid' },
      ]);
    }
    expect(await verifyToken(await signed({ ...valid, iat }), { secret: SECRET, now: NOW })).toEqual({
      ok: false,
      reason: 'invalid',
    });
  });

  it('answers invalid for what is not a token at all', async () => {
    for (const garbage of ['', 'abc', 'a.b.c', '..', 'eyJhbGciOiJIUzI1NiJ9..', `${segment({ alg: 'HS256' })}.e30.`]) {
      expect([garbage, await verifyToken(garbage, { secret: SECRET, now: NOW })]).toEqual([
        garbage,
        { ok: false, reason: 'invalid' },
      ]);
    }
  });

  it('refuses to sign or verify with a secret shorter than 32 bytes', async () => {
    await expect(issueToken(alice, { secret: 'short' })).rejects.toBeInstanceOf(TokenSecretError);
    await expect(verifyToken('a.b.c', { secret: new Uint8Array(31) })).rejects.toBeInstanceOf(TokenSecretError);
  });

  describe('the token version claim (tv)', () => {
    it('carries the agent’s token version as tv, and gives it back verified', async () => {
      const token = await issueToken({ ...alice, tv: 7 }, { secret: SECRET, now: NOW });
      expect(json(part(token, 1))).toMatchObject({ role: 'agent', sub: 'alice', tv: 7 });
      const verified = await verifyToken(token, { secret: SECRET, now: NOW });
      expect(verified).toEqual({
        ok: true,
        claims: { iss: 'cschat', company: 'acme', role: 'agent', sub: 'alice', tv: 7, iat, exp: iat + 12 * 3600 },
      });
      expect(verified.ok && tokenVersionOf(verified.claims)).toBe(7);
    });

    it('counts a token without tv (issued before tokens were revocable) as version 0', async () => {
      const verified = await verifyToken(await signed({ ...valid, iat, exp: iat + 60 }), { secret: SECRET, now: NOW });
      expect(verified.ok && tokenVersionOf(verified.claims)).toBe(0);
    });

    it('refuses as invalid a tv that is not a whole number from 0', async () => {
      for (const tv of [-1, 1.5, '3', null, Number.MAX_SAFE_INTEGER + 2]) {
        const token = await signed({ ...valid, tv, iat, exp: iat + 60 });
        expect([tv, await verifyToken(token, { secret: SECRET, now: NOW })]).toEqual([
          tv,
          { ok: false, reason: 'invalid' },
        ]);
      }
    });

    it('is current while its agent exists with the version it names; a visitor’s always is', async () => {
      const claims = { ...alice, tv: 2, iss: 'cschat' as const, iat, exp: iat + 60 };
      expect(isCurrent(claims, new Map([['alice', 2]]))).toBe(true);
      expect(isCurrent(claims, new Map([['alice', 3]]))).toBe(false);
      expect(isCurrent(claims, new Map([['bob', 2]]))).toBe(false);
      expect(isCurrent({ ...claims, tv: undefined as never }, new Map([['alice', 0]]))).toBe(true);
      expect(isCurrent({ ...visitor, iss: 'cschat', iat, exp: iat + 60 }, new Map())).toBe(true);
    });

    it('checks a token against the versions: revoked when moved or gone, one call per check, none for visitors', async () => {
      const asked: string[] = [];
      let versions = new Map([['alice', 1]]);
      const options = {
        secret: SECRET,
        versions: {
          tokenVersions: async (companyId: string) => {
            asked.push(companyId);
            return versions;
          },
        },
      };
      const token = await issueToken({ ...alice, tv: 1 }, { secret: SECRET });
      expect(await checkToken(token, options)).toMatchObject({ ok: true, claims: { sub: 'alice', tv: 1 } });
      versions = new Map([['alice', 2]]);
      expect(await checkToken(token, options)).toEqual({ ok: false, reason: 'revoked' });
      versions = new Map();
      expect(await checkToken(token, options)).toEqual({ ok: false, reason: 'revoked' });
      expect(await checkToken(await issueToken(visitor, { secret: SECRET }), options)).toMatchObject({ ok: true });
      expect(await checkToken('not.a.token', options)).toEqual({ ok: false, reason: 'invalid' });
      expect(asked).toEqual(['acme', 'acme', 'acme']);
      expect(refusalMessage('revoked')).toBe('the token has been revoked');
    });
  });

  it('reads the token of a bearer Authorization header', () => {
    expect(bearerToken('Bearer abc.def.ghi')).toBe('abc.def.ghi');
    expect(bearerToken('bearer abc')).toBe('abc');
    expect(bearerToken('Basic abc')).toBeUndefined();
    expect(bearerToken('Bearer ')).toBeUndefined();
    expect(bearerToken('Bearer a b')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });
});
