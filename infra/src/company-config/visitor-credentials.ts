// Web visitors' resume tokens (PROTOCOL second edition, "Security"): the one credential that continues a visitor
// after its first login. The token is random (256 bits from node:crypto, base64url) and only its SHA-256 is kept: a
// plain hash is enough for a high-entropy random secret (there is nothing to guess, so no slow hash is needed), and a
// leaked table continues nobody.
//
// Rotation: every successful login returns a new token, and the five newest stay valid. A single valid token would
// log out a visitor's second tab (or a login whose answer was lost) the moment the first tab logs in again; keeping a
// few lets tabs race and lets a lost answer be retried, while a token still expires after five newer logins.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Knex } from 'knex';

/** How many of a visitor's newest tokens are valid at once (the migration's check says the same). */
export const RESUME_TOKENS_KEPT = 5;

/** A new resume token for the client, and the hash the store keeps of it. */
export const newResumeToken = (): { readonly token: string; readonly hash: string } => {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: hashResumeToken(token) };
};

/** What the store keeps of a token (hex SHA-256). */
export const hashResumeToken = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');

/** Whether `hash` is one of `kept`, comparing every one of them in constant time (no early exit). */
const isOneOf = (hash: string, kept: readonly string[]): boolean => {
  const presented = Buffer.from(hash, 'hex');
  let found = false;
  for (const stored of kept) {
    const candidate = Buffer.from(stored, 'hex');
    if (candidate.length === presented.length && timingSafeEqual(candidate, presented)) found = true;
  }
  return found;
};

/** The visitors' credentials in the company-config database (table `visitor_resume_tokens`, migration 009). */
export class VisitorCredentials {
  constructor(
    private readonly knex: Knex,
    private readonly schema: string,
  ) {}

  private get table(): string {
    return `"${this.schema}".visitor_resume_tokens`;
  }

  /**
   * Makes `hash` the first token of a visitor that has none yet: true when it did, false when the visitor already
   * has a credential (then nothing changes). One statement, so two first logins with one chosen id cannot both win.
   */
  async claim(companyId: string, visitorId: string, hash: string): Promise<boolean> {
    const { rows } = await this.knex.raw<{ rows: unknown[] }>(
      `insert into ${this.table} (company_id, visitor_id, token_hashes) values (?, ?, array[?::text])
       on conflict (company_id, visitor_id) do nothing returning 1 as claimed`,
      [companyId, visitorId, hash],
    );
    return rows.length === 1;
  }

  /**
   * When `presentedHash` is one of the visitor's valid tokens, adds `newHash` as its newest (the oldest beyond
   * RESUME_TOKENS_KEPT stop being valid) and answers true; otherwise changes nothing and answers false.
   */
  async rotate(companyId: string, visitorId: string, presentedHash: string, newHash: string): Promise<boolean> {
    const { rows } = await this.knex.raw<{ rows: { hashes: string }[] }>(
      `select array_to_string(token_hashes, ',') as hashes from ${this.table} where company_id = ? and visitor_id = ?`,
      [companyId, visitorId],
    );
    const kept = rows[0]?.hashes.split(',') ?? [];
    if (!isOneOf(presentedHash, kept)) return false;
    // Checked again in the statement: another login may have pushed the presented token out meanwhile. The prepend
    // happens under the row's lock, so two tabs rotating at once both keep their new token.
    const { rows: updated } = await this.knex.raw<{ rows: unknown[] }>(
      `update ${this.table}
       set token_hashes = (array[?::text] || token_hashes)[1:${RESUME_TOKENS_KEPT}], updated_at = now()
       where company_id = ? and visitor_id = ? and ?::text = any(token_hashes)
       returning 1 as rotated`,
      [newHash, companyId, visitorId, presentedHash],
    );
    return updated.length === 1;
  }

  /** Whether the visitor has a credential (a row of its tokens). */
  async has(companyId: string, visitorId: string): Promise<boolean> {
    const { rows } = await this.knex.raw<{ rows: unknown[] }>(
      `select 1 from ${this.table} where company_id = ? and visitor_id = ?`,
      [companyId, visitorId],
    );
    return rows.length === 1;
  }

  /**
   * Ends every token of the visitor (an erasure): its id then logs in as nobody, since the visitor stays known by
   * its events. Answers whether there was a credential.
   */
  async forget(companyId: string, visitorId: string): Promise<boolean> {
    const { rows } = await this.knex.raw<{ rows: unknown[] }>(
      `delete from ${this.table} where company_id = ? and visitor_id = ? returning 1 as forgotten`,
      [companyId, visitorId],
    );
    return rows.length === 1;
  }
}
