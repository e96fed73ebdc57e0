// The read side: what the query API and the gateway read from the read models' views.
import type { Knex } from 'knex';
import type { session } from '@cschat/domain';
import { attachmentsView, type AttachmentView } from '@cschat/infra';

export interface SessionListRow {
  readonly sessionId: string;
  readonly visitorId: string;
  readonly channel: string;
  readonly state: string;
  readonly unread: boolean;
  readonly firstUnreadAt?: string;
  readonly lastMessage?: {
    readonly text: string;
    readonly at: string;
    readonly from: { readonly role: string; readonly id?: string };
  };
  readonly updatedAt: string;
  readonly visitorName?: string;
  readonly tags: readonly string[];
  /** The service-level targets the session passed (`firstResponse`, `wait`), in that order. */
  readonly slaBreached: readonly string[];
}

const iso = (value: Date | string | null): string | undefined =>
  value === null ? undefined : (value instanceof Date ? value : new Date(value)).toISOString();

/** A row of the session_list table, as the database or a batch's fold has it. */
export interface SessionListTableRow {
  readonly session_id: string;
  readonly visitor_id: string;
  readonly channel: string;
  readonly state: string;
  readonly unread: boolean;
  readonly first_unread_at: Date | string | null;
  readonly last_message_text: string | null;
  readonly last_message_at: Date | string | null;
  readonly last_message_role: string | null;
  readonly last_message_from_id: string | null;
  readonly updated_at: Date | string;
  readonly visitor_name?: string | null;
  /** jsonb: an array of strings (null in a row written before tags). */
  readonly tags?: readonly string[] | null;
  /** jsonb: the targets passed (absent from a row of a query that does not select it). */
  readonly sla_breached?: readonly string[] | null;
}

/** One row of `session.list` (and of `session.update`). */
export const sessionListRowOf = (r: SessionListTableRow): SessionListRow => {
  const firstUnreadAt = iso(r.first_unread_at);
  const lastAt = iso(r.last_message_at);
  return {
    sessionId: r.session_id,
    visitorId: r.visitor_id,
    channel: r.channel,
    state: r.state,
    unread: r.unread,
    ...(firstUnreadAt === undefined ? {} : { firstUnreadAt }),
    ...(lastAt === undefined || r.last_message_text === null
      ? {}
      : {
          lastMessage: {
            text: r.last_message_text,
            at: lastAt,
            from: {
              role: r.last_message_role ?? 'visitor',
              ...(r.last_message_from_id === null ? {} : { id: r.last_message_from_id }),
            },
          },
        }),
    updatedAt: iso(r.updated_at)!,
    ...(r.visitor_name == null ? {} : { visitorName: r.visitor_name }),
    tags: r.tags ?? [],
    slaBreached: r.sla_breached ?? [],
  };
};

const SESSION_LIST_COLUMNS = `session_id, visitor_id, channel, state, unread, first_unread_at, last_message_text,
  last_message_at, last_message_role, last_message_from_id, updated_at, visitor_name, tags, sla_breached`;

/** The sessions an agent holds now (PROTOCOL `session.list`), the longest waiting unread first. */
export const sessionListOf = async (
  db: Knex,
  schema: string,
  companyId: string,
  agentId: string,
): Promise<SessionListRow[]> => {
  const { rows } = await db.raw<{ rows: SessionListTableRow[] }>(
    `select ${SESSION_LIST_COLUMNS}
     from "${schema}".session_list
     where company_id = ? and agent_id = ? and state = 'assigned'
     order by unread desc, first_unread_at asc nulls last, updated_at desc`,
    [companyId, agentId],
  );
  return rows.map(sessionListRowOf);
};

/** One row of the agent's list (`session.update`): the session if the agent holds it now. */
export const sessionRowOf = async (
  db: Knex,
  schema: string,
  companyId: string,
  agentId: string,
  sessionId: string,
): Promise<SessionListRow | undefined> => {
  const { rows } = await db.raw<{ rows: SessionListTableRow[] }>(
    `select ${SESSION_LIST_COLUMNS}
     from "${schema}".session_list
     where company_id = ? and session_id = ? and agent_id = ? and state = 'assigned'`,
    [companyId, sessionId, agentId],
  );
  return rows[0] === undefined ? undefined : sessionListRowOf(rows[0]);
};

export interface HistoryMessage {
  readonly sessionId: string;
  readonly messageId: string;
  readonly clientMsgId?: string;
  readonly from: { readonly role: string; readonly id?: string };
  readonly text: string;
  readonly at: string;
  /** A private note of an agent (never shown to the visitor). */
  readonly private?: true;
  /** The message's files, as `message` frames carry them; absent when it has none. */
  readonly attachments?: readonly AttachmentView[];
}

export interface HistoryQuery {
  readonly companyId: string;
  readonly sessionId: string;
  /** Exclusive upper bound; absent: now. */
  readonly before?: string;
  /** Inclusive lower bound, e.g. the session's start: limits the partitions read. */
  readonly since?: string;
  readonly limit: number;
  /** Private notes too (agents and admins); a visitor's history leaves them out. */
  readonly notes?: boolean;
}

export const historySql = (schema: string, query: HistoryQuery): { sql: string; bindings: (string | number)[] } => {
  const bounds: string[] = [];
  const bindings: (string | number)[] = [query.companyId, query.sessionId];
  if (query.since !== undefined) {
    bounds.push('and at >= ?');
    bindings.push(query.since);
  }
  if (query.before !== undefined) {
    bounds.push('and at < ?');
    bindings.push(query.before);
  }
  if (query.notes !== true) bounds.push('and not private');
  bindings.push(query.limit);
  return {
    sql: `select session_id, message_id, client_msg_id, from_role, from_id, text, at, private, attachments
          from "${schema}".messages
          where company_id = ? and session_id = ? ${bounds.join(' ')}
          order by at desc, message_id desc
          limit ?`,
    bindings,
  };
};

/** One page of a session's history, newest first (PROTOCOL `GET /api/sessions/:id/messages`). */
export const historyPage = async (db: Knex, schema: string, query: HistoryQuery): Promise<HistoryMessage[]> => {
  const { sql, bindings } = historySql(schema, query);
  const { rows } = await db.raw<{
    rows: {
      session_id: string;
      message_id: string;
      client_msg_id: string | null;
      from_role: string;
      from_id: string | null;
      text: string;
      at: Date;
      private: boolean;
      attachments: session.Attachment[] | null;
    }[];
  }>(sql, bindings);
  return rows.map((r) => ({
    sessionId: r.session_id,
    messageId: r.message_id,
    ...(r.client_msg_id === null ? {} : { clientMsgId: r.client_msg_id }),
    from: r.from_id === null ? { role: r.from_role } : { role: r.from_role, id: r.from_id },
    text: r.text,
    at: iso(r.at)!,
    ...(r.private ? { private: true as const } : {}),
    ...(attachmentsView(r.attachments).length === 0 ? {} : { attachments: attachmentsView(r.attachments) }),
  }));
};

export interface QueueEntry {
  readonly groupId: string;
  readonly sessionId: string;
  readonly since: string;
  readonly position: number;
}

export const queuesOf = async (db: Knex, schema: string, companyId: string): Promise<QueueEntry[]> => {
  const { rows } = await db.raw<{ rows: { group_id: string; session_id: string; since: Date; position: string }[] }>(
    `select group_id, session_id, since,
            row_number() over (partition by group_id order by front desc, since, session_id)::text as position
     from "${schema}".queue_view where company_id = ? order by group_id, front desc, since, session_id`,
    [companyId],
  );
  return rows.map((r) => ({
    groupId: r.group_id,
    sessionId: r.session_id,
    since: iso(r.since)!,
    position: Number(r.position),
  }));
};

export interface AgentBoardRow {
  readonly agentId: string;
  readonly status: string;
  readonly load: number;
  readonly idleSince?: string;
}

export const agentBoardOf = async (db: Knex, schema: string, companyId: string): Promise<AgentBoardRow[]> => {
  const { rows } = await db.raw<{
    rows: { agent_id: string; status: string; load: number; idle_since: Date | null }[];
  }>(`select agent_id, status, load, idle_since from "${schema}".agent_board where company_id = ? order by agent_id`, [
    companyId,
  ]);
  return rows.map((r) => {
    const idleSince = iso(r.idle_since);
    return { agentId: r.agent_id, status: r.status, load: r.load, ...(idleSince === undefined ? {} : { idleSince }) };
  });
};

/** The agents presence must watch, of all companies: not offline, or still holding sessions. */
export const agentsToWatch = async (
  db: Knex,
  schema: string,
): Promise<{ readonly companyId: string; readonly agentId: string; readonly status: string }[]> => {
  const { rows } = await db.raw<{ rows: { company_id: string; agent_id: string; status: string }[] }>(
    `select company_id, agent_id, status from "${schema}".agent_board where status <> 'offline' or load > 0`,
  );
  return rows.map((r) => ({ companyId: r.company_id, agentId: r.agent_id, status: r.status }));
};

/** Every session with humans now (queued or assigned), of all companies: what the timeout schedule is rebuilt from. */
export const openSessionsWithHumans = async (
  db: Knex,
  schema: string,
): Promise<{ readonly companyId: string; readonly sessionId: string }[]> => {
  const { rows } = await db.raw<{ rows: { company_id: string; session_id: string }[] }>(
    `select company_id, session_id from "${schema}".session_list where state in ('queued', 'assigned')`,
  );
  return rows.map((r) => ({ companyId: r.company_id, sessionId: r.session_id }));
};

export interface UnansweredQuestion {
  readonly question: string;
  readonly count: number;
  readonly lastAskedAt: string;
}

/** A question dealt with at `at`: a phrasing the bot now knows (since its entry's last change), or a dismissal. */
export interface HandledQuestion {
  readonly text: string;
  readonly at: Date | string;
}

/**
 * The questions the bot did not understand most often since `since`, case and spaces folded. A miss at or before the
 * time its question was handled (`handled`, folded the same way; the latest time of a question counts) is left out:
 * a question an admin added to an entry or dismissed leaves the report, and comes back only if visitors ask it and
 * the bot still does not understand it afterwards.
 */
export const unansweredQuestions = async (
  db: Knex,
  schema: string,
  companyId: string,
  since: Date,
  limit: number,
  handled: readonly HandledQuestion[] = [],
): Promise<UnansweredQuestion[]> => {
  const fold = (column: string): string => `lower(regexp_replace(btrim(${column}), '\\s+', ' ', 'g'))`;
  const { rows } = await db.raw<{ rows: { question: string; count: string; last: Date }[] }>(
    `with handled as (
       select ${fold('h.text')} as question, max(h.at) as at
       from jsonb_to_recordset(?::jsonb) as h(text text, at timestamptz) group by 1
     ), missed as (
       select ${fold('question')} as question, at from "${schema}".bot_answers
       where company_id = ? and outcome = 'not_understood' and at >= ?
     )
     select m.question, count(*) as count, max(m.at) as last
     from missed m left join handled h on h.question = m.question
     where h.at is null or m.at > h.at
     group by m.question order by count(*) desc, max(m.at) desc, m.question limit ?`,
    [
      JSON.stringify(handled.map((h) => ({ text: h.text, at: h.at instanceof Date ? h.at.toISOString() : h.at }))),
      companyId,
      since,
      limit,
    ],
  );
  return rows.map((r) => ({ question: r.question, count: Number(r.count), lastAskedAt: iso(r.last)! }));
};

/** How often the bot answered each FAQ entry (by its question) since `since`. */
export const answeredCounts = async (
  db: Knex,
  schema: string,
  companyId: string,
  since: Date,
): Promise<ReadonlyMap<string, number>> => {
  const { rows } = await db.raw<{ rows: { title: string; count: string }[] }>(
    `select title, count(*) as count from "${schema}".bot_answers
     where company_id = ? and outcome = 'answered' and entry_kind = 'faq' and at >= ? and title is not null
     group by title`,
    [companyId, since],
  );
  return new Map(rows.map((r) => [r.title, Number(r.count)]));
};
