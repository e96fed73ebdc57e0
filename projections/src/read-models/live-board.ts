// The floor as supervisors watch it (PROTOCOL "Supervisors", `GET /api/admin/live` and the
// `live.update` frame): the agents with status and load, each group's queue with its longest
// wait, and the open sessions with humans, waiting for an answer longest first. A query over the
// read models the projectors keep (agent board, queue view, session list, session facts and the
// messages), not a read model of its own; more fields (SLA flags) may be added to its rows.
import * as t from 'io-ts';
import type { Knex } from 'knex';

export const LiveAgent = t.type({
  agentId: t.string,
  name: t.string,
  status: t.string,
  load: t.number,
  capacity: t.number,
});
export const LiveQueue = t.intersection([
  t.type({ groupId: t.string, waiting: t.number, longestWaitSeconds: t.number }),
  t.partial({ name: t.string }),
]);
/**
 * `waitingSeconds`: for a queued session, since it was queued (or asked for a human); for an
 * assigned one whose visitor's last message has no agent answer after it, since that message.
 * `unanswered`: the visitor's last message has no agent message after it (notes do not answer).
 */
export const LiveSession = t.intersection([
  t.type({ sessionId: t.string, state: t.string, unanswered: t.boolean }),
  t.partial({
    agentId: t.string,
    waitingSeconds: t.number,
    groupId: t.string,
    visitorId: t.string,
    visitorName: t.string,
    channel: t.string,
    /** The service-level targets of its group the session has passed (`SlaBreached`), e.g. `["wait"]`. */
    slaBreached: t.readonlyArray(t.string),
  }),
]);
/** `at`: when the board was read (the server's clock), from which a page may count waits on. */
export const LiveBoard = t.intersection([
  t.type({
    agents: t.readonlyArray(LiveAgent),
    queues: t.readonlyArray(LiveQueue),
    sessions: t.readonlyArray(LiveSession),
  }),
  t.partial({ at: t.string }),
]);
export type LiveBoard = t.TypeOf<typeof LiveBoard>;
export type LiveSession = t.TypeOf<typeof LiveSession>;

/** Who works for the company, from its configuration (the read models know no names or capacities). */
export interface LiveRosterEntry {
  readonly agentId: string;
  readonly name: string;
  readonly capacity: number;
}

const seconds = (from: Date | string | null, now: Date): number | undefined =>
  from === null ? undefined : Math.max(0, Math.floor((now.getTime() - new Date(from).getTime()) / 1000));

/**
 * The company's live board at `now`: the roster's agents (in its order) with their status and load,
 * a queue per group of `groups` (and any other with sessions waiting), and the open sessions with
 * humans.
 */
export const liveBoardOf = async (
  db: Knex,
  schema: string,
  companyId: string,
  options: {
    readonly roster: readonly LiveRosterEntry[];
    readonly groups: readonly { readonly groupId: string; readonly name?: string }[];
    readonly now: Date;
  },
): Promise<LiveBoard> => {
  const s = `"${schema}"`;
  const { now } = options;
  const [board, queues, sessions] = await Promise.all([
    db.raw<{ rows: { agent_id: string; status: string; load: number }[] }>(
      `select agent_id, status, load from ${s}.agent_board where company_id = ?`,
      [companyId],
    ),
    db.raw<{ rows: { group_id: string; waiting: string; since: Date | string }[] }>(
      `select group_id, count(*)::text as waiting, min(since) as since
       from ${s}.queue_view where company_id = ? group by group_id`,
      [companyId],
    ),
    db.raw<{
      rows: {
        session_id: string;
        agent_id: string | null;
        state: string;
        group_id: string;
        visitor_name: string | null;
        visitor_id: string;
        channel: string;
        queued_since: Date | string | null;
        human_requested_at: Date | string | null;
        last_visitor_at: Date | string | null;
        last_agent_at: Date | string | null;
        sla_breached: readonly string[] | null;
      }[];
    }>(
      `select l.session_id, l.agent_id, l.state, l.group_id, l.visitor_name, l.visitor_id, l.channel, l.sla_breached,
              q.since as queued_since, f.human_requested_at,
              (select max(m.at) from ${s}.messages m
                where m.company_id = l.company_id and m.session_id = l.session_id
                  and m.from_role = 'visitor' and not m.private) as last_visitor_at,
              (select max(m.at) from ${s}.messages m
                where m.company_id = l.company_id and m.session_id = l.session_id
                  and m.from_role = 'agent' and not m.private) as last_agent_at
       from ${s}.session_list l
       left join ${s}.queue_view q
         on q.company_id = l.company_id and q.group_id = l.group_id and q.session_id = l.session_id
       left join ${s}.session_facts f on f.company_id = l.company_id and f.session_id = l.session_id
       where l.company_id = ? and l.state in ('queued', 'assigned')`,
      [companyId],
    ),
  ]);
  const byAgent = new Map(board.rows.map((row) => [row.agent_id, row]));
  const agents = options.roster.map((entry) => {
    const row = byAgent.get(entry.agentId);
    return {
      agentId: entry.agentId,
      name: entry.name,
      status: row?.status ?? 'offline',
      load: row?.load ?? 0,
      capacity: entry.capacity,
    };
  });
  const waiting = new Map(queues.rows.map((row) => [row.group_id, row]));
  const groupIds = [...new Set([...options.groups.map((g) => g.groupId), ...waiting.keys()])];
  const names = new Map(options.groups.map((g) => [g.groupId, g.name]));
  const liveQueues = groupIds.map((groupId) => {
    const row = waiting.get(groupId);
    const name = names.get(groupId);
    return {
      groupId,
      ...(name === undefined ? {} : { name }),
      waiting: row === undefined ? 0 : Number(row.waiting),
      longestWaitSeconds: row === undefined ? 0 : (seconds(row.since, now) ?? 0),
    };
  });
  const liveSessions = sessions.rows
    .map((row): LiveSession => {
      const lastVisitor = row.last_visitor_at === null ? undefined : new Date(row.last_visitor_at).getTime();
      const lastAgent = row.last_agent_at === null ? undefined : new Date(row.last_agent_at).getTime();
      const unanswered = lastVisitor !== undefined && (lastAgent === undefined || lastAgent < lastVisitor);
      const waitingSeconds =
        row.state === 'queued'
          ? seconds(row.queued_since ?? row.human_requested_at, now)
          : unanswered
            ? seconds(row.last_visitor_at, now)
            : undefined;
      return {
        sessionId: row.session_id,
        ...(row.agent_id === null || row.state !== 'assigned' ? {} : { agentId: row.agent_id }),
        state: row.state,
        ...(waitingSeconds === undefined ? {} : { waitingSeconds }),
        unanswered,
        groupId: row.group_id,
        visitorId: row.visitor_id,
        ...(row.visitor_name === null ? {} : { visitorName: row.visitor_name }),
        channel: row.channel,
        slaBreached: row.sla_breached ?? [],
      };
    })
    // Waiting longest first; those not waiting after, in a stable order.
    .sort(
      (a, b) =>
        (b.waitingSeconds ?? -1) - (a.waitingSeconds ?? -1) ||
        (a.sessionId < b.sessionId ? -1 : a.sessionId > b.sessionId ? 1 : 0),
    );
  return { agents, queues: liveQueues, sessions: liveSessions, at: now.toISOString() };
};
