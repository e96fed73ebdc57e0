// Every agent's status, load and since when it is idle (capacity is configuration, joined in by
// the query API).
import type { Projection } from '../projection';
import { eventTypes, nothingChanged } from '../projection';

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
  async apply({ db, table, event }) {
    const t = table('agent_board');
    switch (event.type) {
      case 'AgentStatusChanged':
        await db.raw(
          `insert into ${t} as b (company_id, agent_id, status, idle_since, updated_at) values (?, ?, ?, ?, ?)
           on conflict (company_id, agent_id) do update
             set status = excluded.status, idle_since = excluded.idle_since, updated_at = excluded.updated_at`,
          [event.companyId, event.agentId, event.status, event.status === 'idle' ? event.at : null, event.at],
        );
        break;
      case 'SessionAttached':
      case 'SessionDetached':
        await db.raw(
          `insert into ${t} as b (company_id, agent_id, load, updated_at) values (?, ?, ?, ?)
           on conflict (company_id, agent_id) do update set load = excluded.load, updated_at = excluded.updated_at`,
          [event.companyId, event.agentId, event.load, event.at],
        );
        break;
      default:
        break;
    }
    return nothingChanged;
  },
};
