// Revocable staff tokens (PROTOCOL "Security"): a token signed by us and unexpired is still refused once its agent
// was deleted, given another role or password, or signed out, which move the agent's token version.
import type { TokenVersions } from '@cschat/infra';
import { isCurrent, verifyToken, type TokenClaims, type TokenFailure } from './tokens';

export type CheckedToken =
  | { readonly ok: true; readonly claims: TokenClaims }
  | { readonly ok: false; readonly reason: TokenFailure | 'revoked' };

export interface CheckOptions {
  readonly secret: string | Uint8Array;
  /**
   * The agents' current token versions (the company directory, cached under the configuration version). Absent:
   * only the signature and expiry are checked, as route tests that build the HTTP API alone do; the service always
   * passes it.
   */
  readonly versions?: TokenVersions | undefined;
}

/**
 * `verifyToken`, then for a staff token whether it is still current: one directory call, which answers from its
 * cache while the company's configuration version has not moved. A visitor's token has no version.
 */
export const checkToken = async (token: string, options: CheckOptions): Promise<CheckedToken> => {
  const verified = await verifyToken(token, { secret: options.secret });
  if (!verified.ok || options.versions === undefined || verified.claims.role === 'visitor') return verified;
  const versions = await options.versions.tokenVersions(verified.claims.company);
  return isCurrent(verified.claims, versions) ? verified : { ok: false, reason: 'revoked' };
};

/** What a refused token is told, by why. */
export const refusalMessage = (reason: TokenFailure | 'revoked'): string =>
  reason === 'expired'
    ? 'the token has expired'
    : reason === 'revoked'
      ? 'the token has been revoked'
      : 'invalid token';
