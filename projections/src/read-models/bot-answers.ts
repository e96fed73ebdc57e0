// What the bot answered to which question (R3): one row per bot reply, with the visitor's
// question, the outcome (answered, not understood, transfer, end), the matched entry and its
// score. The unanswered-questions report and the ordering of suggested questions read it.
import type { Projection } from '../projection';
import { nothingChanged } from '../projection';

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
  async apply({ db, table, event }) {
    if (event.type !== 'MessagePosted' || event.bot === undefined) return nothingChanged;
    const { bot } = event;
    await db.raw(
      `insert into ${table('bot_answers')}
         (company_id, message_id, session_id, question, outcome, entry_kind, entry_id, title, confidence, at)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) on conflict do nothing`,
      [
        event.companyId,
        event.messageId,
        event.sessionId,
        bot.question,
        bot.outcome,
        bot.entryKind ?? null,
        bot.entryId ?? null,
        bot.title ?? null,
        bot.confidence,
        event.at,
      ],
    );
    return nothingChanged;
  },
};
