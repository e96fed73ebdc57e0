// Chat history (R12), partitioned by month of the message time so that a history page reads only
// the partitions of its time bounds. Partitions are created when the first message of a month
// arrives (and ahead, for the current and next month, with the tables).
import type { Knex } from 'knex';
import type { Projection } from '../projection';
import { eventTypes, nothingChanged } from '../projection';
import { insertNewRows, type Row, type TableShape } from '../rows';
import { createSearchIndexes } from './message-search';

const monthStart = (year: number, month: number): string => new Date(Date.UTC(year, month, 1)).toISOString();

/** Creates the month partition holding `at` if it does not exist yet. */
export const ensureMonthPartition = async (db: Knex | Knex.Transaction, table: string, at: Date): Promise<void> => {
  const year = at.getUTCFullYear();
  const month = at.getUTCMonth();
  // table is `"schema"."messages__gN"`; the partition is `"schema"."messages__gN_p202611"`.
  const partition = `${table.slice(0, -1)}_p${year}${String(month + 1).padStart(2, '0')}"`;
  await db.raw(
    `create table if not exists ${partition} partition of ${table} for values from ('${monthStart(year, month)}') to ('${monthStart(year, month + 1)}')`,
  );
};

export const MESSAGES: TableShape = {
  columns: [
    ['company_id', 'text'],
    ['session_id', 'text'],
    ['message_id', 'text'],
    ['client_msg_id', 'text'],
    ['from_role', 'text'],
    ['from_id', 'text'],
    ['text', 'text'],
    ['attachments', 'jsonb'],
    ['at', 'timestamptz'],
    ['private', 'boolean'],
  ],
  key: ['company_id', 'session_id', 'at', 'message_id'],
};

export const messages: Projection = {
  name: 'messages',
  tables: ['messages'],

  async createTables(db, table) {
    await db.raw(`create table ${table('messages')} (
      company_id text not null,
      session_id text not null,
      message_id text not null,
      client_msg_id text,
      from_role text not null,
      from_id text,
      text text not null,
      attachments jsonb,
      at timestamptz not null,
      private boolean not null default false,
      primary key (company_id, session_id, at, message_id)
    ) partition by range (at)`);
    await createSearchIndexes(db, table('messages'));
  },

  async upgradeTables(db, table) {
    await db.raw(`alter table ${table('messages')} add column if not exists private boolean not null default false`);
    await createSearchIndexes(db, table('messages'));
  },

  // A note (NotePosted) is a row like a message, with private = true: only agents read it.
  handles: eventTypes('MessagePosted', 'NotePosted'),
  async applyBatch({ db, table, events, once }) {
    const t = table('messages');
    const rows: Row[] = [];
    for (const { event } of events) {
      if (event.type !== 'MessagePosted' && event.type !== 'NotePosted') continue;
      const at = new Date(event.at);
      await once(`${t}:${at.getUTCFullYear()}-${at.getUTCMonth()}`, () => ensureMonthPartition(db, t, at));
      rows.push({
        company_id: event.companyId,
        session_id: event.sessionId,
        message_id: event.messageId,
        client_msg_id: event.clientMsgId ?? null,
        from_role: event.from.role,
        from_id: event.from.id ?? null,
        text: event.text,
        attachments: event.attachments ?? null,
        at: event.at,
        private: event.type === 'NotePosted',
      });
    }
    await insertNewRows(db, t, MESSAGES, rows);
    return nothingChanged;
  },
};
