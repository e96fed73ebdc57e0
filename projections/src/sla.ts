// What the SLA monitor reads, and what shows a session's breaches: the open sessions of the groups
// that have service-level targets, past one they have not been flagged for yet. Read from the read
// models (session_list for the state, the group and the targets already flagged; session_facts for
// when the visitor asked for a human and whether an agent answered) joined with the groups of the
// company configuration, which lives in the same database.
import type { Knex } from 'knex';

export type SlaTargetName = 'firstResponse' | 'wait';

/** A session that seems past a target of its group (the session decides: the read models lag). */
export interface SlaCandidate {
  readonly companyId: string;
  readonly sessionId: string;
  readonly target: SlaTargetName;
  readonly targetSeconds: number;
}

export interface SlaCandidatesQuery {
  /** The read models' schema. */
  readonly schema: string;
  /** The company configuration's schema (its `groups` table). */
  readonly configSchema: string;
  readonly now: Date;
  /** At most this many, those waiting longest first (the next pass takes the rest). */
  readonly limit: number;
}

/**
 * Every company's candidates in one query. The open sessions come from session_list's index of
 * queued and assigned sessions by group, the groups with a target from a partial index, and each
 * open session's facts by key (a lateral subquery with a limit, which the planner never turns into
 * a scan of all the facts): the work grows with the open sessions, not with all sessions ever held.
 * `scripts/src/bench/sla-query.ts` measures it.
 */
export const slaCandidatesSql = (query: SlaCandidatesQuery): { sql: string; bindings: Knex.RawBinding[] } => ({
  sql: `select l.company_id, l.session_id, t.target, t.seconds as target_seconds
     from "${query.configSchema}".groups g
     cross join lateral (
       select session_id, company_id, state, sla_breached from "${query.schema}".session_list o
       where o.group_id = g.id and o.company_id = g.company_id and o.state in ('queued', 'assigned')
       limit 1000000) l
     cross join lateral (
       select human_requested_at, first_agent_reply_at, ended_at from "${query.schema}".session_facts x
       where x.company_id = l.company_id and x.session_id = l.session_id limit 1) f
     cross join lateral (values ('wait', g.wait_target_seconds), ('firstResponse', g.first_response_target_seconds))
       as t(target, seconds)
     where (g.first_response_target_seconds is not null or g.wait_target_seconds is not null)
       and t.seconds is not null
       and f.human_requested_at is not null
       and f.ended_at is null
       and f.human_requested_at <= ?::timestamptz - make_interval(secs => t.seconds)
       and case t.target when 'wait' then l.state = 'queued' else f.first_agent_reply_at is null end
       and not l.sla_breached @> jsonb_build_array(t.target)
     order by f.human_requested_at, l.session_id, t.target
     limit ?`,
  bindings: [query.now.toISOString(), query.limit],
});

export const slaCandidates = async (db: Knex, query: SlaCandidatesQuery): Promise<SlaCandidate[]> => {
  const { sql, bindings } = slaCandidatesSql(query);
  const { rows } = await db.raw<{
    rows: { company_id: string; session_id: string; target: SlaTargetName; target_seconds: number }[];
  }>(sql, bindings);
  return rows.map((r) => ({
    companyId: r.company_id,
    sessionId: r.session_id,
    target: r.target,
    targetSeconds: Number(r.target_seconds),
  }));
};

/**
 * The targets each open session (queued or assigned) of a company has passed, by session id, for
 * the sessions that passed one: what a live board shows beside its sessions.
 */
export const slaBreachesOf = async (
  db: Knex,
  schema: string,
  companyId: string,
): Promise<Map<string, readonly SlaTargetName[]>> => {
  const { rows } = await db.raw<{ rows: { session_id: string; sla_breached: SlaTargetName[] }[] }>(
    `select session_id, sla_breached from "${schema}".session_list
     where company_id = ? and state in ('queued', 'assigned') and sla_breached <> '[]'::jsonb`,
    [companyId],
  );
  return new Map(rows.map((r) => [r.session_id, r.sla_breached]));
};
