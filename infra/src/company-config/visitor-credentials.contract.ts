// The visitors' resume tokens (visitor-credentials.ts), one contract on PGlite and on PostgreSQL, over the
// company-config fixture, with companies `acme` and `globex`.
import { CompanyId, Id } from '@cschat/domain';
import { decodeOrThrow, valueOrThrow } from '../../../test-support/fixtures';
import { NewCompany } from './codecs';
import { newResumeToken, hashResumeToken, RESUME_TOKENS_KEPT } from './visitor-credentials';
import type { ConfigFixture } from './store.contract';

export const visitorCredentialsContract = (open: () => Promise<ConfigFixture>): void => {
  describe('visitor resume tokens', () => {
    let fixture: ConfigFixture;
    beforeEach(async () => {
      fixture = await open();
      for (const companyId of ['acme', 'globex'])
        valueOrThrow(
          await fixture.store.createCompany(
            decodeOrThrow(NewCompany)({
              companyId: decodeOrThrow(CompanyId)(companyId),
              name: companyId,
              timeZone: 'Asia/Shanghai',
              adminUsername: 'admin',
              adminPassword: 'initial',
            }),
            { adminId: decodeOrThrow(Id)(`${companyId}-admin`) },
          ),
        );
    });
    afterEach(() => fixture.dispose());
    const credentials = () => fixture.store.visitorCredentials;

    it('keeps only a 64-hex hash, never the token, and the first claim of an id wins', async () => {
      const first = newResumeToken();
      expect(first.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(await credentials().has('acme', 'v-1')).toBe(false);
      expect(await credentials().claim('acme', 'v-1', first.hash)).toBe(true);
      expect(await credentials().has('acme', 'v-1')).toBe(true);
      // A second claim (another client choosing the same id) changes nothing.
      expect(await credentials().claim('acme', 'v-1', newResumeToken().hash)).toBe(false);
      const { rows } = await fixture.knex.raw<{ rows: { token_hashes: unknown }[] }>(
        `select array_to_string(token_hashes, ',') as token_hashes from "${fixture.schema}".visitor_resume_tokens`,
      );
      expect(rows).toEqual([{ token_hashes: first.hash }]);
      expect(first.hash).toMatch(/^[0-9a-f]{64}$/);
      expect(JSON.stringify(rows)).not.toContain(first.token);
    });

    it('rotates only with a valid token, and keeps the newest five valid', async () => {
      const tokens = [newResumeToken()];
      await credentials().claim('acme', 'v-1', tokens[0]!.hash);
      expect(await credentials().rotate('acme', 'v-1', hashResumeToken('guess'), newResumeToken().hash)).toBe(false);
      expect(await credentials().rotate('acme', 'v-2', tokens[0]!.hash, newResumeToken().hash)).toBe(false);
      for (let i = 0; i < RESUME_TOKENS_KEPT; i++) {
        const next = newResumeToken();
        expect(await credentials().rotate('acme', 'v-1', tokens[tokens.length - 1]!.hash, next.hash)).toBe(true);
        tokens.push(next);
      }
      // Six issued: the first fell out, the five newest (a second tab's included) still continue the visitor.
      expect(await credentials().rotate('acme', 'v-1', tokens[0]!.hash, newResumeToken().hash)).toBe(false);
      expect(await credentials().rotate('acme', 'v-1', tokens[1]!.hash, newResumeToken().hash)).toBe(true);
    });

    it('lets two tabs rotate one token at once, both new tokens valid', async () => {
      const first = newResumeToken();
      await credentials().claim('acme', 'v-1', first.hash);
      const [a, b] = [newResumeToken(), newResumeToken()];
      expect(
        await Promise.all([
          credentials().rotate('acme', 'v-1', first.hash, a.hash),
          credentials().rotate('acme', 'v-1', first.hash, b.hash),
        ]),
      ).toEqual([true, true]);
      expect(await credentials().rotate('acme', 'v-1', a.hash, newResumeToken().hash)).toBe(true);
      expect(await credentials().rotate('acme', 'v-1', b.hash, newResumeToken().hash)).toBe(true);
    });

    it('keeps companies apart, and forgets a visitor', async () => {
      const token = newResumeToken();
      await credentials().claim('acme', 'v-1', token.hash);
      expect(await credentials().has('globex', 'v-1')).toBe(false);
      expect(await credentials().rotate('globex', 'v-1', token.hash, newResumeToken().hash)).toBe(false);
      // The same id in another company is another visitor, with a credential of its own.
      expect(await credentials().claim('globex', 'v-1', newResumeToken().hash)).toBe(true);
      expect(await credentials().forget('acme', 'v-1')).toBe(true);
      expect(await credentials().forget('acme', 'v-1')).toBe(false);
      expect(await credentials().rotate('acme', 'v-1', token.hash, newResumeToken().hash)).toBe(false);
      expect(await credentials().has('globex', 'v-1')).toBe(true);
    });
  });
};
