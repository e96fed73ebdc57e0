// Every session of a company, ended ones included, for past conversations (PROTOCOL "History and
// search") and visitor profiles: the session.list row of each, plus every agent that ever held it
// (an agent sees a session it held even after it was transferred away), its tags and its end.
import type { Knex } from 'knex';
import type { DomainEvent } from '../events';
import type { Projection } from '../projection';
import { nothingChanged } from '../projection';
import { sessionListRowOf, type SessionListRow, type SessionListTableRow } from '../queries';
import { touchRows, update, type Rows, type TableShape } from '../rows';
import { foldSessionList, handled, SESSION_LIST, SESSION_LIST_COLUMNS_DDL } from './session-list';

export const SESSION_HISTORY: TableShape = {
  columns: [
    // The list's columns (its visitor_name and tags included), then what only history keeps.
    ...SESSION_LIST.columns,
    ['agent_ids', 'jsonb'],
    ['ended_at', 'timestamptz'],
  ],
  key: SESSION_LIST.key,
};

interface HistoryExtras {
  readonly agent_ids: string[];
  readonly ended_at: string | null;
}

const keyOf = (event: DomainEvent) => ({
  company_id: event.companyId,
  session_id: 'sessionId' in event ? event.sessionId : '',
});

const held = (rows: Rows, row: HistoryExtras | undefined, agentId: string): void => {
  if (row !== undefined && !row.agent_ids.includes(agentId))
    update(rows, row, { agent_ids: [...row.agent_ids, agentId] });
};

/** The session list's fold, then what history adds to each row. */
export const foldSessionHistory = (rows: Rows, events: readonly DomainEvent[]): void => {
  foldSessionList(rows, events);
  for (const event of events) {
    const row = rows.get(keyOf(event)) as (HistoryExtras & { state: string }) | undefined;
    if (row === undefined) continue;
    switch (event.type) {
      case 'SessionStarted':
        // The list's fold made the row; a redelivered start finds the extras there already.
        if (row.agent_ids === undefined) update(rows, row, { agent_ids: [], ended_at: null });
        break;
      case 'SessionAssigned':
        held(rows, row, event.agentId);
        break;
      case 'SessionTransferred':
        if ('agentId' in event.to) held(rows, row, event.to.agentId);
        break;
      case 'SessionEnded':
        update(rows, row, { ended_at: event.at });
        break;
      default:
        break;
    }
  }
};

export const sessionHistory: Projection = {
  name: 'session_history',
  tables: ['session_history'],

  async createTables(db, table) {
    const t = table('session_history');
    await db.raw(`create table ${t} (
      ${SESSION_LIST_COLUMNS_DDL},
      agent_ids jsonb not null default '[]',
      ended_at timestamptz,
      primary key (company_id, session_id)
    )`);
    // Past conversations page by (ended_at, session_id) or (updated_at, session_id), newest first.
    await db.raw(`create index on ${t} (company_id, ended_at desc, session_id desc) where ended_at is not null`);
    await db.raw(`create index on ${t} (company_id, updated_at desc, session_id desc)`);
    await db.raw(`create index on ${t} (company_id, visitor_id, started_at desc)`);
    // Which sessions an agent held, and which carry a tag: `agent_ids @> '["alice"]'`.
    await db.raw(`create index on ${t} using gin (agent_ids jsonb_path_ops)`);
    await db.raw(`create index on ${t} using gin (tags jsonb_path_ops)`);
  },

  async upgradeTables(db, table) {
    // The list's columns added after this table was first made.
    await db.raw(
      `alter table ${table('session_history')} add column if not exists sla_breached jsonb not null default '[]'`,
    );
  },

  handles: handled,
  async applyBatch({ db, table, events }) {
    const rows = await touchRows(
      db,
      table('session_history'),
      SESSION_HISTORY,
      events.map(({ event }) => keyOf(event)),
    );
    foldSessionHistory(
      rows,
      events.map(({ event }) => event),
    );
    await rows.write(db);
    return nothingChanged;
  },
};

// ---- the read side ----

export interface PastSessionsQuery {
  readonly companyId: string;
  /** Absent: every session of the company (an admin); present: only those this agent held. */
  readonly viewerAgentId?: string;
  /** Absent: every state, newest change first; `ended`: by the time they ended. */
  readonly state?: 'bot' | 'queued' | 'assigned' | 'ended';
  readonly visitorId?: string;
  readonly agentId?: string;
  readonly tag?: string;
  /** Bounds of the ordering time (ended_at for `ended`, updated_at otherwise): from inclusive, to exclusive. */
  readonly from?: string;
  readonly to?: string;
  /** The last row of the page before: the page goes on after it. */
  readonly after?: { readonly at: string; readonly sessionId: string };
  readonly limit: number;
}

export interface PastSessionRow extends SessionListRow {
  readonly startedAt: string;
  readonly endedAt?: string;
  readonly agentId?: string;
  readonly agentIds: readonly string[];
  readonly visitorName?: string;
  readonly tags: readonly string[];
}

interface HistoryTableRow extends SessionListTableRow {
  readonly agent_id: string | null;
  readonly agent_ids: string[];
  readonly tags: string[];
  readonly visitor_name: string | null;
  readonly profile_name: string | null;
  readonly started_at: Date | string;
  readonly ended_at: Date | string | null;
}

const isoOf = (value: Date | string): string => new Date(value).toISOString();

const pastRowOf = (r: HistoryTableRow): PastSessionRow => {
  const visitorName = r.profile_name ?? r.visitor_name;
  return {
    ...sessionListRowOf(r),
    ...(visitorName === null ? {} : { visitorName }),
    tags: r.tags,
    startedAt: isoOf(r.started_at),
    ...(r.ended_at === null ? {} : { endedAt: isoOf(r.ended_at) }),
    ...(r.agent_id === null ? {} : { agentId: r.agent_id }),
    agentIds: r.agent_ids,
  };
};

/** The ordering time of a row of this query: what a cursor holds. */
export const pageTimeOf = (query: Pick<PastSessionsQuery, 'state'>, row: PastSessionRow): string =>
  query.state === 'ended' ? row.endedAt! : row.updatedAt;

/**
 * Past conversations, newest first, keyed by (time, session id) so that a page after a cursor
 * neither repeats nor skips a row when sessions are added meanwhile.
 */
export const pastSessions = async (db: Knex, schema: string, query: PastSessionsQuery): Promise<PastSessionRow[]> => {
  const time = query.state === 'ended' ? 'h.ended_at' : 'h.updated_at';
  const where = ['h.company_id = ?'];
  const bindings: unknown[] = [query.companyId];
  const add = (condition: string, ...values: unknown[]) => {
    where.push(condition);
    bindings.push(...values);
  };
  if (query.viewerAgentId !== undefined) add('h.agent_ids @> ?::jsonb', JSON.stringify([query.viewerAgentId]));
  if (query.state !== undefined) add('h.state = ?', query.state);
  if (query.state === 'ended') where.push('h.ended_at is not null');
  if (query.visitorId !== undefined) add('h.visitor_id = ?', query.visitorId);
  if (query.agentId !== undefined) add('h.agent_ids @> ?::jsonb', JSON.stringify([query.agentId]));
  if (query.tag !== undefined) add('h.tags @> ?::jsonb', JSON.stringify([query.tag]));
  if (query.from !== undefined) add(`${time} >= ?`, query.from);
  if (query.to !== undefined) add(`${time} < ?`, query.to);
  if (query.after !== undefined) add(`(${time}, h.session_id) < (?, ?)`, query.after.at, query.after.sessionId);
  bindings.push(query.limit);
  const { rows } = await db.raw<{ rows: HistoryTableRow[] }>(
    `select h.*, v.name as profile_name from "${schema}".session_history h
     left join "${schema}".visitors v on v.company_id = h.company_id and v.visitor_id = h.visitor_id
     where ${where.join(' and ')}
     order by ${time} desc, h.session_id desc limit ?`,
    bindings as Knex.RawBinding[],
  );
  return rows.map(pastRowOf);
};

export interface VisitorProfileView {
  readonly visitorId: string;
  readonly name?: string;
  readonly email?: string;
  readonly phone?: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly channel: string;
  /** The page the visitor was last seen on, when its login said. */
  readonly pageUrl?: string;
  readonly firstSeenAt: string;
  readonly lastSeenAt: string;
  readonly sessions: readonly {
    readonly sessionId: string;
    readonly state: string;
    readonly startedAt: string;
    readonly endedAt?: string;
    readonly agentId?: string;
    readonly tags: readonly string[];
  }[];
}

/** How many of a visitor's sessions its profile lists, the newest. */
export const PROFILE_SESSIONS = 100;

/** A visitor's profile with its sessions, newest first; undefined when the company has no such visitor. */
export const visitorProfileOf = async (
  db: Knex,
  schema: string,
  companyId: string,
  visitorId: string,
): Promise<VisitorProfileView | undefined> => {
  const { rows } = await db.raw<{
    rows: {
      name: string | null;
      email: string | null;
      phone: string | null;
      attributes: Record<string, string>;
      channel: string;
      page_url: string | null;
      first_seen_at: Date | string;
      last_seen_at: Date | string;
    }[];
  }>(`select * from "${schema}".visitors where company_id = ? and visitor_id = ?`, [companyId, visitorId]);
  const visitor = rows[0];
  if (visitor === undefined) return undefined;
  const { rows: sessions } = await db.raw<{ rows: HistoryTableRow[] }>(
    `select * from "${schema}".session_history where company_id = ? and visitor_id = ?
     order by started_at desc, session_id desc limit ?`,
    [companyId, visitorId, PROFILE_SESSIONS],
  );
  return {
    visitorId,
    ...(visitor.name === null ? {} : { name: visitor.name }),
    ...(visitor.email === null ? {} : { email: visitor.email }),
    ...(visitor.phone === null ? {} : { phone: visitor.phone }),
    attributes: visitor.attributes,
    channel: visitor.channel,
    ...(visitor.page_url === null ? {} : { pageUrl: visitor.page_url }),
    firstSeenAt: isoOf(visitor.first_seen_at),
    lastSeenAt: isoOf(visitor.last_seen_at),
    sessions: sessions.map((s) => ({
      sessionId: s.session_id,
      state: s.state,
      startedAt: isoOf(s.started_at),
      ...(s.ended_at === null ? {} : { endedAt: isoOf(s.ended_at) }),
      ...(s.agent_id === null ? {} : { agentId: s.agent_id }),
      tags: s.tags,
    })),
  };
};
