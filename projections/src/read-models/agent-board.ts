// Every agent's status, load and since when it is idle (capacity is configuration, joined in by
// the query API).
import type { DomainEvent } from '../events';
import type { Projection } from '../projection';
import { eventTypes, nothingChanged } from '../projection';
import { touchRows, update, type Rows, type TableShape } from '../rows';

export const AGENT_BOARD: TableShape = {
  columns: [
    ['company_id', 'text'],
    ['agent_id', 'text'],
    ['status', 'text'],
    ['load', 'integer'],
    ['idle_since', 'timestamptz'],
    ['updated_at', 'timestamptz'],
  ],
  key: ['company_id', 'agent_id'],
};

const keyOf = (event: DomainEvent) => ({
  company_id: event.companyId,
  agent_id: 'agentId' in event ? event.agentId : '',
});

/** Applies the events in order to the rows of their agents (a row appears with an agent's first event). */
export const foldAgentBoard = (rows: Rows, events: readonly DomainEvent[]): void => {
  for (const event of events) {
    const key = keyOf(event);
    // The table's defaults for an agent seen for the first time.
    const row = rows.get(key) ?? { ...key, status: 'offline', load: 0, idle_since: null, updated_at: event.at };
    switch (event.type) {
      case 'AgentStatusChanged':
        update(rows, row, {
          status: event.status,
          idle_since: event.status === 'idle' ? event.at : null,
          updated_at: event.at,
        });
        break;
      case 'SessionAttached':
      case 'SessionDetached':
        update(rows, row, { load: event.load, updated_at: event.at });
        break;
      default:
        break;
    }
  }
};

export const agentBoard: Projection = {
  name: 'agent_board',
  tables: ['agent_board'],

  async createTables(db, table) {
    await db.raw(`create table ${table('agent_board')} (
      company_id text not null,
      agent_id text not null,
      status text not null default 'offline',
      load integer not null default 0,
      idle_since timestamptz,
      updated_at timestamptz not null,
      primary key (company_id, agent_id)
    )`);
  },

  handles: eventTypes('AgentStatusChanged', 'SessionAttached', 'SessionDetached'),
  async applyBatch({ db, table, events }) {
    const rows = await touchRows(
      db,
      table('agent_board'),
      AGENT_BOARD,
      events.map(({ event }) => keyOf(event)),
    );
    foldAgentBoard(
      rows,
      events.map(({ event }) => event),
    );
    await rows.write(db);
    return nothingChanged;
  },
};
