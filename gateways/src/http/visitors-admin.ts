// `DELETE /api/admin/visitors/:visitorId` (PROTOCOL "Security"): an admin erases a visitor of its
// company (its key, then every copy; infra personal-data/erasure.ts). 204 also when it was erased
// before (the copies are wiped again, nothing is left to change); 404 `visitor_not_found` for an
// id its company never saw, the same answer as another company's visitor gets, which is untouched.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Id } from '@cschat/domain';
import type { VisitorErasure } from '@cschat/infra';
import type { TokenClaims } from '../auth';
import { HttpError } from './errors';

export interface VisitorAdminRoutesOptions {
  readonly erasure: VisitorErasure;
  /** The admin token check. */
  readonly admin: (request: FastifyRequest) => Promise<void>;
  readonly claimsOf: (request: FastifyRequest) => TokenClaims;
  readonly now?: () => Date;
}

const notFound = (): HttpError => new HttpError(404, 'visitor_not_found', 'no such visitor');

export const visitorAdminRoutes =
  (options: VisitorAdminRoutesOptions) =>
  async (app: FastifyInstance): Promise<void> => {
    const { erasure, admin, claimsOf } = options;
    const now = options.now ?? (() => new Date());
    // `:id` like every item path (PROTOCOL writes `:visitorId`).
    app.delete<{ Params: { id: string } }>(
      '/api/admin/visitors/:id',
      { preHandler: admin },
      async (request, reply: FastifyReply) => {
        const claims = claimsOf(request);
        // Not a visitor id at all: no visitor has it.
        if (!Id.is(request.params.id)) throw notFound();
        const subject = { companyId: claims.company, visitorId: request.params.id };
        if (!(await erasure.known(subject))) throw notFound();
        await erasure.eraseVisitor(subject, now(), { actor: claims.sub });
        return reply.status(204).send();
      },
    );
  };
