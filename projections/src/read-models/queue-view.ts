// Who waits in each group's queue, in order (those put at the front first), since when.
import type { DomainEvent } from '../events';
import type { Projection } from '../projection';
import { eventTypes, nothingChanged } from '../projection';
import { touchRows, type Rows, type TableShape } from '../rows';

export const QUEUE_VIEW: TableShape = {
  columns: [
    ['company_id', 'text'],
    ['group_id', 'text'],
    ['session_id', 'text'],
    ['since', 'timestamptz'],
    ['front', 'boolean'],
  ],
  key: ['company_id', 'group_id', 'session_id'],
};

const keyOf = (event: DomainEvent) => ({
  company_id: event.companyId,
  group_id: 'groupId' in event ? event.groupId : '',
  session_id: 'sessionId' in event ? event.sessionId : '',
});

/** Applies the events in order: a session joins once (a second join keeps the first), leaves once. */
export const foldQueueView = (rows: Rows, events: readonly DomainEvent[]): void => {
  for (const event of events) {
    const key = keyOf(event);
    if (event.type === 'SessionQueued') {
      if (rows.get(key) === undefined) rows.set({ ...key, since: event.at, front: event.front === true });
    } else if (event.type === 'SessionLeftQueue') {
      rows.delete(key);
    }
  }
};

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
  async applyBatch({ db, table, events }) {
    const rows = await touchRows(
      db,
      table('queue_view'),
      QUEUE_VIEW,
      events.map(({ event }) => keyOf(event)),
    );
    foldQueueView(
      rows,
      events.map(({ event }) => event),
    );
    await rows.write(db);
    return nothingChanged;
  },
};
