// What the bot answered to which question (R3): one row per bot reply, with the visitor's
// question, the outcome (answered, not understood, transfer, end), the matched entry and its
// score. The unanswered-questions report and the ordering of suggested questions read it.
import type { Projection } from '../projection';
import { nothingChanged } from '../projection';
import { insertNewRows, type Row, type TableShape } from '../rows';

export const BOT_ANSWERS: TableShape = {
  columns: [
    ['company_id', 'text'],
    ['message_id', 'text'],
    ['session_id', 'text'],
    ['question', 'text'],
    ['outcome', 'text'],
    ['entry_kind', 'text'],
    ['entry_id', 'text'],
    ['title', 'text'],
    ['confidence', 'double precision'],
    ['at', 'timestamptz'],
  ],
  key: ['company_id', 'message_id'],
};

export const botAnswers: Projection = {
  name: 'bot_answers',
  tables: ['bot_answers'],

  async createTables(db, table) {
    await db.raw(`create table ${table('bot_answers')} (
      company_id text not null,
      message_id text not null,
      session_id text not null,
      question text not null,
      outcome text not null,
      entry_kind text,
      entry_id text,
      title text,
      confidence double precision not null,
      at timestamptz not null,
      primary key (company_id, message_id)
    )`);
    await db.raw(`create index on ${table('bot_answers')} (company_id, outcome, at)`);
  },

  handles: (event) => event.type === 'MessagePosted' && event.bot !== undefined,
  async applyBatch({ db, table, events }) {
    const rows: Row[] = [];
    for (const { event } of events) {
      if (event.type !== 'MessagePosted' || event.bot === undefined) continue;
      const { bot } = event;
      rows.push({
        company_id: event.companyId,
        message_id: event.messageId,
        session_id: event.sessionId,
        question: bot.question,
        outcome: bot.outcome,
        entry_kind: bot.entryKind ?? null,
        entry_id: bot.entryId ?? null,
        title: bot.title ?? null,
        confidence: bot.confidence,
        at: event.at,
      });
    }
    await insertNewRows(db, table('bot_answers'), BOT_ANSWERS, rows);
    return nothingChanged;
  },
};
