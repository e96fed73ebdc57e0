// The admin API of outbound webhooks (README "Outbound webhooks"): endpoints an admin registers for
// event kinds, their secret shown once (on creation and on rotation), and each endpoint's delivery log.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import * as t from 'io-ts';
import { isPrivateUrl, NewWebhook, newWebhookSecret, WebhookPatch, type WebhookStore } from '@cschat/infra';
import type { TokenClaims } from '../auth';
import { badField, decodeBody, HttpError } from './errors';

export interface WebhookRoutesOptions {
  readonly store: WebhookStore;
  /** WEBHOOKS_ALLOW_PRIVATE: URLs of private and loopback addresses are taken too. */
  readonly allowPrivate: boolean;
  /** The admin token check. */
  readonly admin: (request: FastifyRequest) => Promise<void>;
  readonly claimsOf: (request: FastifyRequest) => TokenClaims;
}

const DeliveriesQuery = t.exact(
  t.partial({
    limit: t.refinement(
      t.string,
      (s) => /^\d+$/.test(s) && Number(s) >= 1 && Number(s) <= 100,
      'must be a whole number from 1 to 100',
    ),
    cursor: t.refinement(t.string, (s) => /^\d{1,18}$/.test(s), 'must be a cursor of a previous page'),
  }),
);

const notFound = (): HttpError => new HttpError(404, 'not_found', 'no such webhook');

export const webhookRoutes =
  (options: WebhookRoutesOptions) =>
  async (app: FastifyInstance): Promise<void> => {
    const { store, admin, claimsOf } = options;
    const publicUrl = <T extends { url?: string }>(body: T): T => {
      if (body.url !== undefined && !options.allowPrivate && isPrivateUrl(body.url))
        throw badField('url', 'must not be a private, loopback or local address');
      return body;
    };

    app.get('/api/admin/webhooks', { preHandler: admin }, async (request) => ({
      webhooks: await store.list(claimsOf(request).company),
    }));
    app.post('/api/admin/webhooks', { preHandler: admin }, async (request, reply: FastifyReply) => {
      const body = publicUrl(decodeBody(NewWebhook, request.body));
      const secret = newWebhookSecret();
      const created = await store.create(claimsOf(request).company, body, secret);
      return reply.status(201).send({ ...created, secret });
    });
    app.put<{ Params: { id: string } }>('/api/admin/webhooks/:id', { preHandler: admin }, async (request) => {
      const patch = publicUrl(decodeBody(WebhookPatch, request.body));
      return (await store.update(claimsOf(request).company, request.params.id, patch)) ?? Promise.reject(notFound());
    });
    app.delete<{ Params: { id: string } }>(
      '/api/admin/webhooks/:id',
      { preHandler: admin },
      async (request, reply: FastifyReply) => {
        if (!(await store.remove(claimsOf(request).company, request.params.id))) throw notFound();
        return reply.status(204).send();
      },
    );
    app.post<{ Params: { id: string } }>(
      '/api/admin/webhooks/:id/rotate-secret',
      { preHandler: admin },
      async (request) => {
        const secret = newWebhookSecret();
        if (!(await store.rotateSecret(claimsOf(request).company, request.params.id, secret))) throw notFound();
        return { id: request.params.id, secret };
      },
    );
    app.get<{ Params: { id: string } }>(
      '/api/admin/webhooks/:id/deliveries',
      { preHandler: admin },
      async (request) => {
        const query = decodeBody(DeliveriesQuery, request.query ?? {}, 'query');
        const page = await store.deliveries(claimsOf(request).company, request.params.id, {
          limit: query.limit === undefined ? 50 : Number(query.limit),
          ...(query.cursor === undefined ? {} : { cursor: query.cursor }),
        });
        if (page === undefined) throw notFound();
        return page;
      },
    );
  };
