// One row per session for reports (reports.ts): when it started, asked for a human, was first
// taken and first answered by an agent and ended, and why; whether it ended waiting in the queue;
// its rating and the service-level targets it missed. First response, wait and handling times are
// differences of these instants, so that medians and percentiles are taken over sessions.
import type { DomainEvent } from '../events';
import type { Projection } from '../projection';
import { eventTypes, nothingChanged } from '../projection';
import { touchRows, update, type Rows, type TableShape } from '../rows';

export const SESSION_FACTS: TableShape = {
  columns: [
    ['company_id', 'text'],
    ['session_id', 'text'],
    ['visitor_id', 'text'],
    ['channel', 'text'],
    ['group_id', 'text'],
    ['started_at', 'timestamptz'],
    ['human_requested_at', 'timestamptz'],
    ['assigned_at', 'timestamptz'],
    ['first_agent_id', 'text'],
    ['first_agent_reply_at', 'timestamptz'],
    ['visitor_messages', 'integer'],
    ['agent_messages', 'integer'],
    ['bot_messages', 'integer'],
    ['transfers', 'integer'],
    ['ended_at', 'timestamptz'],
    ['end_reason', 'text'],
    ['requested_group_id', 'text'],
    ['first_agent_reply_by', 'text'],
    ['queued', 'boolean'],
    ['ended_queued', 'boolean'],
    ['csat_rating', 'integer'],
    ['csat_comment', 'text'],
    ['csat_agent_id', 'text'],
    ['sla_first_response_breaches', 'integer'],
    ['sla_wait_breaches', 'integer'],
  ],
  key: ['company_id', 'session_id'],
};

interface SessionFactsRecord {
  readonly company_id: string;
  readonly session_id: string;
  readonly visitor_id: string;
  readonly channel: string;
  readonly group_id: string;
  readonly started_at: string;
  readonly human_requested_at: string | null;
  readonly assigned_at: string | null;
  readonly first_agent_id: string | null;
  readonly first_agent_reply_at: string | null;
  readonly visitor_messages: number;
  readonly agent_messages: number;
  readonly bot_messages: number;
  readonly transfers: number;
  readonly ended_at: string | null;
  readonly end_reason: string | null;
  /** The group of the first request for a human (the one `human_requested_at` is). */
  readonly requested_group_id: string | null;
  /** The agent whose message was the first agent message. */
  readonly first_agent_reply_by: string | null;
  /** Waiting in a queue for an agent now (asked, requeued or transferred to a group, and not taken yet). */
  readonly queued: boolean;
  /** Ended while waiting in a queue: abandoned. */
  readonly ended_queued: boolean;
  readonly csat_rating: number | null;
  readonly csat_comment: string | null;
  /** The agent the rating names (`CsatSubmitted.agentId`). */
  readonly csat_agent_id: string | null;
  readonly sla_first_response_breaches: number;
  readonly sla_wait_breaches: number;
}

const keyOf = (event: DomainEvent) => ({
  company_id: event.companyId,
  session_id: 'sessionId' in event ? event.sessionId : '',
});

/** Applies the events in order to the rows of their sessions. */
export const foldSessionFacts = (rows: Rows, events: readonly DomainEvent[]): void => {
  for (const event of events) {
    const key = keyOf(event);
    const row = rows.get(key) as SessionFactsRecord | undefined;
    switch (event.type) {
      case 'SessionStarted':
        if (row === undefined) {
          rows.set({
            ...key,
            visitor_id: event.visitorId,
            channel: event.channel,
            group_id: event.groupId,
            started_at: event.at,
            human_requested_at: null,
            assigned_at: null,
            first_agent_id: null,
            first_agent_reply_at: null,
            visitor_messages: 0,
            agent_messages: 0,
            bot_messages: 0,
            transfers: 0,
            ended_at: null,
            end_reason: null,
            requested_group_id: null,
            first_agent_reply_by: null,
            queued: false,
            ended_queued: false,
            csat_rating: null,
            csat_comment: null,
            csat_agent_id: null,
            sla_first_response_breaches: 0,
            sla_wait_breaches: 0,
          } satisfies SessionFactsRecord);
        }
        break;
      case 'HumanRequested':
        if (row !== undefined)
          update(rows, row, {
            human_requested_at: row.human_requested_at ?? event.at,
            requested_group_id: row.requested_group_id ?? event.groupId,
            group_id: event.groupId,
            queued: true,
          });
        break;
      case 'SessionAssigned':
        if (row !== undefined)
          update(rows, row, {
            assigned_at: row.assigned_at ?? event.at,
            first_agent_id: row.first_agent_id ?? event.agentId,
            queued: false,
          });
        break;
      case 'SessionRequeued':
        update(rows, row, { queued: true });
        break;
      case 'MessagePosted':
        // The counter of the sender's role; system messages are not counted.
        if (row === undefined) break;
        if (event.from.role === 'visitor') update(rows, row, { visitor_messages: row.visitor_messages + 1 });
        else if (event.from.role === 'bot') update(rows, row, { bot_messages: row.bot_messages + 1 });
        else if (event.from.role === 'agent')
          update(rows, row, {
            agent_messages: row.agent_messages + 1,
            first_agent_reply_at: row.first_agent_reply_at ?? event.at,
            first_agent_reply_by:
              row.first_agent_reply_at === null ? (event.from.id ?? null) : row.first_agent_reply_by,
          });
        break;
      case 'SessionTransferred':
        // To a group: it waits in that group's queue; to an agent: it is that agent's at once.
        if (row !== undefined) update(rows, row, { transfers: row.transfers + 1, queued: 'groupId' in event.to });
        break;
      case 'SessionEnded':
        if (row !== undefined)
          update(rows, row, { ended_at: event.at, end_reason: event.reason, ended_queued: row.queued, queued: false });
        break;
      case 'CsatSubmitted':
        // At most one per session (the decider refuses a second); the first one stays regardless.
        if (row !== undefined && row.csat_rating === null)
          update(rows, row, {
            csat_rating: event.rating,
            csat_comment: event.comment ?? null,
            csat_agent_id: event.agentId ?? null,
          });
        break;
      case 'SlaBreached':
        if (row === undefined) break;
        if (event.target === 'firstResponse')
          update(rows, row, { sla_first_response_breaches: row.sla_first_response_breaches + 1 });
        else update(rows, row, { sla_wait_breaches: row.sla_wait_breaches + 1 });
        break;
      default:
        break;
    }
  }
};

/**
 * The columns added for reports, as DDL: in a new generation's table, and added with their defaults
 * to a generation made before them (whose older sessions then read as never rated nor abandoned
 * until a rebuild: `npm run rebuild -- session_facts`).
 */
const ADDED_COLUMNS_DDL = [
  'requested_group_id text',
  'first_agent_reply_by text',
  'queued boolean not null default false',
  'ended_queued boolean not null default false',
  'csat_rating integer',
  'csat_comment text',
  'csat_agent_id text',
  'sla_first_response_breaches integer not null default 0',
  'sla_wait_breaches integer not null default 0',
];

export const sessionFacts: Projection = {
  name: 'session_facts',
  tables: ['session_facts'],

  async createTables(db, table) {
    await db.raw(`create table ${table('session_facts')} (
      company_id text not null,
      session_id text not null,
      visitor_id text not null,
      channel text not null,
      group_id text not null,
      started_at timestamptz not null,
      human_requested_at timestamptz,
      assigned_at timestamptz,
      first_agent_id text,
      first_agent_reply_at timestamptz,
      visitor_messages integer not null default 0,
      agent_messages integer not null default 0,
      bot_messages integer not null default 0,
      transfers integer not null default 0,
      ended_at timestamptz,
      end_reason text,
      ${ADDED_COLUMNS_DDL.join(',\n      ')},
      primary key (company_id, session_id)
    )`);
    // Reports read a company's sessions by when they started (a generation made before it gets it by a rebuild).
    await db.raw(`create index on ${table('session_facts')} (company_id, started_at)`);
  },

  async upgradeTables(db, table) {
    for (const column of ADDED_COLUMNS_DDL)
      await db.raw(`alter table ${table('session_facts')} add column if not exists ${column}`);
  },

  handles: eventTypes(
    'SessionStarted',
    'HumanRequested',
    'SessionAssigned',
    'MessagePosted',
    'SessionTransferred',
    'SessionRequeued',
    'SessionEnded',
    'CsatSubmitted',
    'SlaBreached',
  ),
  async applyBatch({ db, table, events }) {
    const rows = await touchRows(
      db,
      table('session_facts'),
      SESSION_FACTS,
      events.map(({ event }) => keyOf(event)),
    );
    foldSessionFacts(
      rows,
      events.map(({ event }) => event),
    );
    await rows.write(db);
    return nothingChanged;
  },
};
