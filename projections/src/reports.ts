// The reports' summary (PROTOCOL "Reports") from session_facts: sessions counted by when they
// started, in [from, to); medians and 90th percentiles taken by PostgreSQL over the sessions
// themselves (`percentile_cont`: linear interpolation between the closest ranks), never averages
// of averages; days in the company's time zone (`at time zone`).
import type { Knex } from 'knex';

export interface ReportQuery {
  readonly companyId: string;
  /** Instants (ISO-8601): sessions that started in [from, to). */
  readonly from: string;
  readonly to: string;
  /** An IANA zone: where the days of `byDay` begin and end. */
  readonly timeZone: string;
  /** Sessions whose (first) request for a human went to this group. */
  readonly groupId?: string;
  /** Sessions this agent took first. */
  readonly agentId?: string;
}

export interface Percentiles {
  readonly median: number | null;
  readonly p90: number | null;
}

export interface Csat {
  readonly count: number;
  readonly average: number | null;
}

export interface AgentReport {
  readonly agentId: string;
  /** Sessions the agent took first. */
  readonly sessions: number;
  readonly firstResponseSeconds: { readonly median: number | null };
  /** The ratings that name the agent (`CsatSubmitted.agentId`). */
  readonly csat: Csat;
}

export interface DayReport {
  readonly date: string;
  readonly sessions: number;
  readonly handled: number;
}

export interface ReportSummary {
  readonly sessions: number;
  readonly handled: number;
  readonly abandoned: number;
  readonly firstResponseSeconds: Percentiles;
  readonly waitSeconds: Percentiles;
  readonly handlingSeconds: Percentiles;
  readonly csat: Csat;
  /** Sessions that missed each service-level target at least once (an addition to PROTOCOL's shape). */
  readonly slaBreached: { readonly firstResponse: number; readonly wait: number };
  readonly byAgent: readonly AgentReport[];
  readonly byDay: readonly DayReport[];
}

/** Seconds as the database computed them, to the millisecond the events carry (no float noise). */
const seconds = (value: number | string | null | undefined): number | null =>
  value === null || value === undefined ? null : Math.round(Number(value) * 1000) / 1000;

const count = (value: number | string | null | undefined): number => Number(value ?? 0);

/** The filtered sessions with their durations in seconds, as a CTE named `f`. */
const facts = (schema: string, query: ReportQuery): { sql: string; bindings: string[] } => {
  const bindings = [query.companyId, query.from, query.to];
  let where = `company_id = ? and started_at >= ?::timestamptz and started_at < ?::timestamptz`;
  if (query.groupId !== undefined) {
    where += ` and coalesce(requested_group_id, group_id) = ?`;
    bindings.push(query.groupId);
  }
  if (query.agentId !== undefined) {
    where += ` and first_agent_id = ?`;
    bindings.push(query.agentId);
  }
  return {
    sql: `with f as (
      select *,
        extract(epoch from first_agent_reply_at - human_requested_at)::float8 as first_response,
        extract(epoch from assigned_at - human_requested_at)::float8 as wait,
        extract(epoch from ended_at - assigned_at)::float8 as handling
      from "${schema}".session_facts where ${where}
    )`,
    bindings,
  };
};

export const reportSummary = async (db: Knex, schema: string, query: ReportQuery): Promise<ReportSummary> => {
  const { sql, bindings } = facts(schema, query);
  const totals = await db.raw<{ rows: Record<string, number | string | null>[] }>(
    `${sql} select
      count(*) as sessions,
      count(assigned_at) as handled,
      count(*) filter (where ended_queued) as abandoned,
      percentile_cont(0.5) within group (order by first_response) as first_response_median,
      percentile_cont(0.9) within group (order by first_response) as first_response_p90,
      percentile_cont(0.5) within group (order by wait) as wait_median,
      percentile_cont(0.9) within group (order by wait) as wait_p90,
      percentile_cont(0.5) within group (order by handling) as handling_median,
      percentile_cont(0.9) within group (order by handling) as handling_p90,
      count(csat_rating) as csat_count,
      avg(csat_rating)::float8 as csat_average,
      count(*) filter (where sla_first_response_breaches > 0) as sla_first_response,
      count(*) filter (where sla_wait_breaches > 0) as sla_wait
    from f`,
    bindings,
  );
  const agents = await db.raw<{ rows: Record<string, number | string | null>[] }>(
    `${sql}, taken as (
      select first_agent_id as agent_id, count(*) as sessions,
        percentile_cont(0.5) within group (order by first_response) as first_response_median
      from f where first_agent_id is not null group by first_agent_id
    ), rated as (
      select csat_agent_id as agent_id, count(*) as csat_count, avg(csat_rating)::float8 as csat_average
      from f where csat_rating is not null and csat_agent_id is not null group by csat_agent_id
    )
    select coalesce(taken.agent_id, rated.agent_id) as agent_id, taken.sessions, taken.first_response_median,
      rated.csat_count, rated.csat_average
    from taken full join rated on taken.agent_id = rated.agent_id
    order by 1`,
    bindings,
  );
  // Every day of the range in the company's zone, those without sessions too.
  const days = await db.raw<{ rows: { date: string; sessions: number | string; handled: number | string }[] }>(
    `${sql}, days as (
      select generate_series(
        (?::timestamptz at time zone ?)::date,
        ((?::timestamptz - interval '1 millisecond') at time zone ?)::date,
        interval '1 day'
      )::date as day
    ), counted as (
      select (started_at at time zone ?)::date as day, count(*) as sessions, count(assigned_at) as handled
      from f group by 1
    )
    select to_char(days.day, 'YYYY-MM-DD') as date, coalesce(counted.sessions, 0) as sessions,
      coalesce(counted.handled, 0) as handled
    from days left join counted on counted.day = days.day
    order by days.day`,
    [...bindings, query.from, query.timeZone, query.to, query.timeZone, query.timeZone],
  );
  const row = totals.rows[0]!;
  return {
    sessions: count(row.sessions),
    handled: count(row.handled),
    abandoned: count(row.abandoned),
    firstResponseSeconds: {
      median: seconds(row.first_response_median),
      p90: seconds(row.first_response_p90),
    },
    waitSeconds: { median: seconds(row.wait_median), p90: seconds(row.wait_p90) },
    handlingSeconds: { median: seconds(row.handling_median), p90: seconds(row.handling_p90) },
    csat: { count: count(row.csat_count), average: seconds(row.csat_average) },
    slaBreached: { firstResponse: count(row.sla_first_response), wait: count(row.sla_wait) },
    byAgent: agents.rows.map((a) => ({
      agentId: String(a.agent_id),
      sessions: count(a.sessions),
      firstResponseSeconds: { median: seconds(a.first_response_median) },
      csat: { count: count(a.csat_count), average: seconds(a.csat_average) },
    })),
    byDay: days.rows.map((d) => ({ date: d.date, sessions: count(d.sessions), handled: count(d.handled) })),
  };
};
