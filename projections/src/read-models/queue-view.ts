// Who waits in each group's queue, in order (those put at the front first), since when.
import type { Projection } from '../projection';
import { eventTypes, nothingChanged } from '../projection';

export const queueView: Projection = {
  name: 'queue_view',
  tables: ['queue_view'],

  async createTables(db, table) {
    await db.raw(`create table ${table('queue_view')} (
      company_id text not null,
      group_id text not null,
      session_id text not null,
      since timestamptz not null,
      front boolean not null default false,
      primary key (company_id, group_id, session_id)
    )`);
  },

  async upgradeTables(db, table) {
    await db.raw(`alter table ${table('queue_view')} add column if not exists front boolean not null default false`);
  },

  handles: eventTypes('SessionQueued', 'SessionLeftQueue'),
  async apply({ db, table, event }) {
    const t = table('queue_view');
    if (event.type === 'SessionQueued') {
      await db.raw(
        `insert into ${t} (company_id, group_id, session_id, since, front) values (?, ?, ?, ?, ?) on conflict do nothing`,
        [event.companyId, event.groupId, event.sessionId, event.at, event.front === true],
      );
    } else if (event.type === 'SessionLeftQueue') {
      await db.raw(`delete from ${t} where company_id = ? and group_id = ? and session_id = ?`, [
        event.companyId,
        event.groupId,
        event.sessionId,
      ]);
    }
    return nothingChanged;
  },
};
