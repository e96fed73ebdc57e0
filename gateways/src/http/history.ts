// The agents' look back (PROTOCOL "Names and profiles", "History and search"): the caller's
// session list or past conversations (`GET /api/sessions`), a visitor's profile, and the message
// search. Agents see the sessions they held, at any time; admins every session of their company.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { isLeft } from 'fp-ts/Either';
import * as t from 'io-ts';
import type { Knex } from 'knex';
import {
  pageTimeOf,
  pastSessions,
  searchMessages,
  sessionListOf,
  visitorProfileOf,
  type PastSessionsQuery,
} from '@cschat/projections';
import type { TokenClaims } from '../auth';
import { isStorableText } from '../text';
import { badField, decodeBody, HttpError } from './errors';

export interface HistoryRoutesOptions {
  readonly readModels: Knex;
  readonly schema: string;
  /** The agent-or-admin token check. */
  readonly staff: (request: FastifyRequest) => Promise<void>;
  readonly claimsOf: (request: FastifyRequest) => TokenClaims;
}

const instant = t.refinement(t.string, (s) => !Number.isNaN(Date.parse(s)), 'must be an ISO-8601 time');
const wholeNumber = (min: number, max: number) =>
  t.refinement(
    t.string,
    (s) => /^\d+$/.test(s) && Number(s) >= min && Number(s) <= max,
    `must be a whole number from ${min} to ${max}`,
  );
const text = (max: number) =>
  t.refinement(
    t.string,
    (s) => s.trim().length >= 1 && [...s].length <= max && isStorableText(s),
    `must be 1 to ${max} characters`,
  );

const PastSessionsParameters = t.partial({
  state: t.keyof({ bot: null, queued: null, assigned: null, ended: null }, 'must be bot, queued, assigned or ended'),
  visitorId: text(100),
  agentId: text(100),
  tag: text(32),
  from: instant,
  to: instant,
  limit: wholeNumber(1, 100),
  cursor: t.string,
});
const SearchParameters = t.intersection([
  t.type({ q: text(200) }),
  t.partial({ from: instant, to: instant, limit: wholeNumber(1, 100) }),
]);

/** A page's end as an opaque string: the ordering time and the session id of its last row. */
export const encodeCursor = (at: string, sessionId: string): string =>
  Buffer.from(JSON.stringify([at, sessionId])).toString('base64url');

const Cursor = t.tuple([instant, t.string]);
const decodeCursor = (cursor: string): { at: string; sessionId: string } => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  const decoded = Cursor.decode(parsed);
  if (isLeft(decoded)) throw badField('cursor', 'must be a nextCursor this route returned');
  return { at: decoded.right[0], sessionId: decoded.right[1] };
};

const iso = (s: string | undefined) => (s === undefined ? {} : { value: new Date(s).toISOString() });

export const historyRoutes = async (app: FastifyInstance, options: HistoryRoutesOptions): Promise<void> => {
  const { readModels, schema, staff, claimsOf } = options;
  /** Whose sessions the caller sees: an agent's own (undefined for an admin or a supervisor: the whole company). */
  const viewerOf = (claims: TokenClaims): { viewerAgentId?: string } =>
    claims.role === 'admin' || claims.role === 'supervisor' ? {} : { viewerAgentId: claims.sub };

  app.get('/api/sessions', { preHandler: staff }, async (request) => {
    const claims = claimsOf(request);
    const raw = (request.query ?? {}) as Record<string, unknown>;
    // No `state`: the caller's current list, as `session.list` (what this route answered before history).
    if (raw['state'] === undefined)
      return { sessions: await sessionListOf(readModels, schema, claims.company, claims.sub) };
    const query = decodeBody(PastSessionsParameters, raw, 'query');
    const limit = query.limit === undefined ? 20 : Number(query.limit);
    const from = iso(query.from).value;
    const to = iso(query.to).value;
    const past: PastSessionsQuery = {
      companyId: claims.company,
      ...viewerOf(claims),
      ...(query.state === undefined ? {} : { state: query.state }),
      ...(query.visitorId === undefined ? {} : { visitorId: query.visitorId }),
      ...(query.agentId === undefined ? {} : { agentId: query.agentId }),
      ...(query.tag === undefined ? {} : { tag: query.tag }),
      ...(from === undefined ? {} : { from }),
      ...(to === undefined ? {} : { to }),
      ...(query.cursor === undefined ? {} : { after: decodeCursor(query.cursor) }),
      limit: limit + 1,
    };
    const rows = await pastSessions(readModels, schema, past);
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      sessions: page.map(({ agentIds: _held, ...row }) => row),
      ...(rows.length > limit && last !== undefined
        ? { nextCursor: encodeCursor(pageTimeOf(past, last), last.sessionId) }
        : {}),
    };
  });

  // `/api/visitors/:visitorId` in PROTOCOL: the item path's parameter is `id` like every other one.
  app.get<{ Params: { id: string } }>('/api/visitors/:id', { preHandler: staff }, async (request) => {
    const claims = claimsOf(request);
    const profile = await visitorProfileOf(readModels, schema, claims.company, request.params.id);
    if (profile === undefined) throw new HttpError(404, 'visitor_not_found', 'no such visitor');
    return profile;
  });

  app.get('/api/search/messages', { preHandler: staff }, async (request) => {
    const claims = claimsOf(request);
    const query = decodeBody(SearchParameters, request.query ?? {}, 'query');
    const from = iso(query.from).value;
    const to = iso(query.to).value;
    const hits = await searchMessages(readModels, schema, {
      companyId: claims.company,
      ...(viewerOf(claims).viewerAgentId === undefined ? {} : { agentId: claims.sub }),
      q: query.q.trim(),
      ...(from === undefined ? {} : { from }),
      ...(to === undefined ? {} : { to }),
      limit: query.limit === undefined ? 20 : Number(query.limit),
    });
    return { hits };
  });
};
