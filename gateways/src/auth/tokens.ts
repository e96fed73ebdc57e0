// Bearer tokens of visitors, agents and admins: JWTs signed with HS256 under the service's secret.
import { isLeft } from 'fp-ts/Either';
import * as t from 'io-ts';
import { errors, jwtVerify, SignJWT } from 'jose';
import { CompanyId, Id } from '@cschat/domain';

export const TOKEN_ISSUER = 'cschat';
const ALGORITHM = 'HS256';

/** Shorter secrets are refused: HS256 is as strong as its key, and RFC 7518 asks for at least 256 bits. */
export const MIN_SECRET_BYTES = 32;

export const TokenRole = t.keyof({ visitor: null, agent: null, supervisor: null, admin: null }, 'TokenRole');
export type TokenRole = t.TypeOf<typeof TokenRole>;

/** A token version: a whole number from 0 (an agent's row starts there; each revocation adds one). */
export const TokenVersion = t.refinement(t.number, (n) => Number.isSafeInteger(n) && n >= 0, 'TokenVersion');

/**
 * Who a token names: the company, the role, and the visitor's or agent's id as the subject; for staff, `tv`, the
 * token version of the agent when the token was issued (the token is revoked once the agent's version moved).
 */
export const TokenSubject = t.intersection(
  [t.strict({ company: CompanyId, role: TokenRole, sub: Id }), t.exact(t.partial({ tv: TokenVersion }))],
  'TokenSubject',
);
export type TokenSubject = t.TypeOf<typeof TokenSubject>;

/** The claims of a valid token; times are seconds since the epoch. */
export const TokenClaims = t.intersection(
  [TokenSubject, t.strict({ iss: t.literal(TOKEN_ISSUER), iat: t.number, exp: t.number })],
  'TokenClaims',
);
export type TokenClaims = t.TypeOf<typeof TokenClaims>;

export type TokenFailure = 'expired' | 'invalid';
export type VerifiedToken =
  { readonly ok: true; readonly claims: TokenClaims } | { readonly ok: false; readonly reason: TokenFailure };

const HOUR = 3600;
/** How long a token lives unless the caller says otherwise: a working day for agents, a week for visitors. */
export const DEFAULT_TOKEN_LIFETIME_SECONDS: Readonly<Record<TokenRole, number>> = {
  visitor: 7 * 24 * HOUR,
  agent: 12 * HOUR,
  supervisor: 12 * HOUR,
  admin: 12 * HOUR,
};

/** The secret is wrong for signing: a configuration error, found at the first token. */
export class TokenSecretError extends Error {
  override readonly name = 'TokenSecretError';
  constructor() {
    super(`the token secret must have at least ${MIN_SECRET_BYTES} bytes`);
  }
}

const keyOf = (secret: string | Uint8Array): Uint8Array => {
  const key = typeof secret === 'string' ? new TextEncoder().encode(secret) : secret;
  if (key.length < MIN_SECRET_BYTES) throw new TokenSecretError();
  return key;
};

const seconds = (date: Date): number => Math.floor(date.getTime() / 1000);

export interface IssueOptions {
  readonly secret: string | Uint8Array;
  /** Default: `DEFAULT_TOKEN_LIFETIME_SECONDS` of the role. */
  readonly lifetimeSeconds?: number;
  /** The issuing time; default now. */
  readonly now?: Date;
}

export const issueToken = async (subject: TokenSubject, options: IssueOptions): Promise<string> => {
  const issuedAt = seconds(options.now ?? new Date());
  return new SignJWT({
    company: subject.company,
    role: subject.role,
    ...(subject.tv === undefined ? {} : { tv: subject.tv }),
  })
    .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
    .setIssuer(TOKEN_ISSUER)
    .setSubject(subject.sub)
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + (options.lifetimeSeconds ?? DEFAULT_TOKEN_LIFETIME_SECONDS[subject.role]))
    .sign(keyOf(options.secret));
};

export interface VerifyOptions {
  readonly secret: string | Uint8Array;
  /** The time to check the expiry against; default now. */
  readonly now?: Date;
}

/**
 * The token's claims when it is ours (HS256 under this secret, issuer `cschat`), unexpired and of the right shape;
 * otherwise why not. `alg: none`, another algorithm or key, and a changed payload are all `invalid`.
 */
export const verifyToken = async (token: string, options: VerifyOptions): Promise<VerifiedToken> => {
  const key = keyOf(options.secret);
  try {
    const { payload } = await jwtVerify(token, key, {
      algorithms: [ALGORITHM],
      issuer: TOKEN_ISSUER,
      requiredClaims: ['exp', 'iat', 'sub'],
      ...(options.now === undefined ? {} : { currentDate: options.now }),
    });
    const claims = TokenClaims.decode(payload);
    return isLeft(claims) ? { ok: false, reason: 'invalid' } : { ok: true, claims: claims.right };
  } catch (error) {
    if (error instanceof errors.JWTExpired) return { ok: false, reason: 'expired' };
    if (error instanceof errors.JOSEError) return { ok: false, reason: 'invalid' };
    throw error;
  }
};

/**
 * The token version a staff token was issued under. A token without the claim (issued before tokens were revocable)
 * counts as version 0, the version every agent had then: it is ended by the first revocation of its agent (or its
 * expiry), and an upgrade signs nobody out.
 */
export const tokenVersionOf = (claims: TokenClaims): number => claims.tv ?? 0;

/**
 * Whether a verified token is still current: a visitor's always (visitors have no token version); a staff token's
 * while its agent exists and has the version the token names.
 */
export const isCurrent = (claims: TokenClaims, versions: ReadonlyMap<string, number>): boolean =>
  claims.role === 'visitor' || holdsVersion(versions, claims.sub, tokenVersionOf(claims));

/** Whether the agent exists and still has `tokenVersion` (a token, or a socket admitted with one, is current). */
export const holdsVersion = (versions: ReadonlyMap<string, number>, agentId: string, tokenVersion: number): boolean =>
  versions.get(agentId) === tokenVersion;

/** The token of an `Authorization: Bearer <token>` header, if that is what it is. */
export const bearerToken = (authorization: string | undefined): string | undefined =>
  /^Bearer +([^\s]+)$/i.exec(authorization ?? '')?.[1];
