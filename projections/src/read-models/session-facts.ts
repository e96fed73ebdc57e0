// One row per session for reports: when it started, asked for a human, was first answered by an
// agent and ended, and why; first response and handling times are differences of these.
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
          } satisfies SessionFactsRecord);
        }
        break;
      case 'HumanRequested':
        if (row !== undefined)
          update(rows, row, { human_requested_at: row.human_requested_at ?? event.at, group_id: event.groupId });
        break;
      case 'SessionAssigned':
        if (row !== undefined)
          update(rows, row, {
            assigned_at: row.assigned_at ?? event.at,
            first_agent_id: row.first_agent_id ?? event.agentId,
          });
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
          });
        break;
      case 'SessionTransferred':
        if (row !== undefined) update(rows, row, { transfers: row.transfers + 1 });
        break;
      case 'SessionEnded':
        update(rows, row, { ended_at: event.at, end_reason: event.reason });
        break;
      default:
        break;
    }
  }
};

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
      primary key (company_id, session_id)
    )`);
  },

  handles: eventTypes(
    'SessionStarted',
    'HumanRequested',
    'SessionAssigned',
    'MessagePosted',
    'SessionTransferred',
    'SessionEnded',
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
