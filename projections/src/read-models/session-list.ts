// The agents' session lists (R6, R11): one row per session with the agent holding it, its state,
// the unread flag with the time of the first unread visitor message, and the last message.
import type { DomainEvent } from '../events';
import type { ListChanged, Projection } from '../projection';
import { eventTypes, pushesOneRow } from '../projection';
import { sessionListRowOf, type SessionListRow, type SessionListTableRow } from '../queries';
import { touchRows, update, type Rows, type TableShape } from '../rows';

export const SESSION_LIST: TableShape = {
  columns: [
    ['company_id', 'text'],
    ['session_id', 'text'],
    ['visitor_id', 'text'],
    ['channel', 'text'],
    ['group_id', 'text'],
    ['agent_id', 'text'],
    ['state', 'text'],
    ['unread', 'boolean'],
    ['first_unread_at', 'timestamptz'],
    ['last_message_text', 'text'],
    ['last_message_at', 'timestamptz'],
    ['last_message_role', 'text'],
    ['last_message_from_id', 'text'],
    ['started_at', 'timestamptz'],
    ['updated_at', 'timestamptz'],
    ['visitor_name', 'text'],
    ['tags', 'jsonb'],
    ['sla_breached', 'jsonb'],
  ],
  key: ['company_id', 'session_id'],
};

type SessionListRecord = SessionListTableRow & {
  readonly company_id: string;
  readonly group_id: string;
  readonly agent_id: string | null;
  readonly started_at: string;
  readonly sla_breached: string[];
};

/** The events that change a list row; session history folds the same ones (its fold starts with the list's). */
export const handled = eventTypes(
  'SessionStarted',
  'MessagePosted',
  'HumanRequested',
  'SessionAssigned',
  'SessionTransferred',
  'SessionRequeued',
  'SessionRead',
  'SessionTagsChanged',
  'SessionEnded',
  'SlaBreached',
);

const keyOf = (event: DomainEvent) => ({
  company_id: event.companyId,
  session_id: 'sessionId' in event ? event.sessionId : '',
});

const changed = (
  changes: ListChanged[],
  companyId: string,
  sessionId: string,
  agentId: string | null | undefined,
  reason: ListChanged['reason'],
): void => {
  if (agentId) changes.push({ companyId, agentId, sessionId, reason });
};

/**
 * Applies the events in order to the rows (those of their sessions) and says whose lists changed;
 * `message` and `read` changes carry the session's row as it is after all of them.
 */
export const foldSessionList = (rows: Rows, events: readonly DomainEvent[]): ListChanged[] => {
  const changes: ListChanged[] = [];
  for (const event of events) {
    const key = keyOf(event);
    const row = rows.get(key) as SessionListRecord | undefined;
    const { companyId } = event;
    const sessionId = key.session_id;
    switch (event.type) {
      case 'SessionStarted':
        if (row === undefined) {
          rows.set({
            ...key,
            visitor_id: event.visitorId,
            channel: event.channel,
            group_id: event.groupId,
            agent_id: null,
            state: 'bot',
            unread: false,
            first_unread_at: null,
            last_message_text: null,
            last_message_at: null,
            last_message_role: null,
            last_message_from_id: null,
            started_at: event.at,
            updated_at: event.at,
            visitor_name: event.visitorName ?? null,
            tags: [],
            sla_breached: [],
          });
        }
        break;
      case 'MessagePosted': {
        const visitor = event.from.role === 'visitor';
        if (row !== undefined) {
          update(rows, row, {
            last_message_text: event.text,
            last_message_at: event.at,
            last_message_role: event.from.role,
            last_message_from_id: event.from.id ?? null,
            first_unread_at: visitor && !row.unread ? event.at : row.first_unread_at,
            unread: row.unread || visitor,
            updated_at: event.at,
          });
        }
        changed(changes, companyId, sessionId, row?.agent_id, 'message');
        break;
      }
      case 'HumanRequested':
        update(rows, row, { state: 'queued', group_id: event.groupId, updated_at: event.at });
        break;
      case 'SessionAssigned':
        update(rows, row, {
          state: 'assigned',
          agent_id: event.agentId,
          group_id: event.groupId,
          updated_at: event.at,
        });
        changed(changes, companyId, sessionId, event.agentId, 'assigned');
        break;
      case 'SessionTransferred': {
        const to = event.to;
        if ('agentId' in to) {
          update(rows, row, { agent_id: to.agentId, updated_at: event.at });
          changed(changes, companyId, sessionId, event.fromAgentId, 'transferred');
          changed(changes, companyId, sessionId, to.agentId, 'transferred');
        } else {
          update(rows, row, { agent_id: null, state: 'queued', group_id: to.groupId, updated_at: event.at });
          changed(changes, companyId, sessionId, event.fromAgentId, 'transferred');
        }
        break;
      }
      case 'SessionRequeued':
        update(rows, row, { agent_id: null, state: 'queued', group_id: event.groupId, updated_at: event.at });
        changed(changes, companyId, sessionId, event.fromAgentId, 'requeued');
        break;
      case 'SessionRead':
        update(rows, row, { unread: false, first_unread_at: null, updated_at: event.at });
        changed(changes, companyId, sessionId, event.agentId, 'read');
        break;
      case 'SessionTagsChanged':
        update(rows, row, { tags: event.tags, updated_at: event.at });
        changed(changes, companyId, sessionId, row?.agent_id, 'tags');
        break;
      case 'SessionEnded': {
        const holder = row?.agent_id;
        update(rows, row, { state: 'ended', updated_at: event.at });
        changed(changes, companyId, sessionId, holder, 'ended');
        break;
      }
      case 'SlaBreached':
        // Each target once, in the order they were passed (a redelivered event adds nothing).
        if (row !== undefined && !row.sla_breached.includes(event.target)) {
          update(rows, row, { sla_breached: [...row.sla_breached, event.target], updated_at: event.at });
          changed(changes, companyId, sessionId, row.agent_id, 'sla');
        }
        break;
      default:
        break;
    }
  }
  // The gateway pushes the row of a message or a read as it is after the batch, without a query.
  const after = new Map<string, SessionListRow | undefined>();
  const rowAfter = (change: ListChanged): SessionListRow | undefined => {
    const id = `${change.companyId}\u0000${change.sessionId}`;
    if (!after.has(id)) {
      const row = rows.get({ company_id: change.companyId, session_id: change.sessionId });
      after.set(id, row === undefined ? undefined : sessionListRowOf(row as unknown as SessionListRecord));
    }
    return after.get(id);
  };
  return changes.map((change) => {
    if (!pushesOneRow(change.reason)) return change;
    const row = rowAfter(change);
    return row === undefined ? change : { ...change, row };
  });
};

/**
 * The SLA monitor's way in: the sessions with humans of a group (queued or assigned), of every company in one
 * query. Named after its table (`"schema"."session_list__g2"` -> `session_list__g2_open_by_group`), so that an
 * upgrade can create it once.
 */
const openByGroupIndex = (table: string): string => {
  const name = `${/"([^"]+)"$/.exec(table)?.[1] ?? 'session_list'}_open_by_group`;
  return `create index if not exists "${name}" on ${table} (group_id, company_id) where state in ('queued', 'assigned')`;
};

/** The columns of a list row as DDL; session history's table starts with the same ones. */
export const SESSION_LIST_COLUMNS_DDL = `company_id text not null,
      session_id text not null,
      visitor_id text not null,
      channel text not null,
      group_id text not null,
      agent_id text,
      state text not null,
      unread boolean not null default false,
      first_unread_at timestamptz,
      last_message_text text,
      last_message_at timestamptz,
      last_message_role text,
      last_message_from_id text,
      started_at timestamptz not null,
      updated_at timestamptz not null,
      visitor_name text,
      tags jsonb not null default '[]',
      sla_breached jsonb not null default '[]'`;

export const sessionList: Projection = {
  name: 'session_list',
  tables: ['session_list'],

  async createTables(db, table) {
    await db.raw(`create table ${table('session_list')} (
      ${SESSION_LIST_COLUMNS_DDL},
      primary key (company_id, session_id)
    )`);
    await db.raw(`create index on ${table('session_list')} (company_id, agent_id) where state <> 'ended'`);
    await db.raw(openByGroupIndex(table('session_list')));
  },

  async upgradeTables(db, table) {
    await db.raw(`alter table ${table('session_list')} add column if not exists visitor_name text`);
    await db.raw(`alter table ${table('session_list')} add column if not exists tags jsonb not null default '[]'`);
    await db.raw(
      `alter table ${table('session_list')} add column if not exists sla_breached jsonb not null default '[]'`,
    );
    await db.raw(openByGroupIndex(table('session_list')));
  },

  handles: handled,
  async applyBatch({ db, table, events }) {
    const rows = await touchRows(
      db,
      table('session_list'),
      SESSION_LIST,
      events.map(({ event }) => keyOf(event)),
    );
    const changes = foldSessionList(
      rows,
      events.map(({ event }) => event),
    );
    await rows.write(db);
    return changes;
  },
};
