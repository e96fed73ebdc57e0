// A visitor's erasure in the read models (issue 22): the personal texts of its copies read
// `[erased]`, the numbers stay (ratings, times, counts, states), so reports keep their figures.
// One statement per table, over every generation a table has now (the active one, and the one a
// rebuild is filling), each touching only rows that still hold something: a second run changes
// nothing and says so (0 rows). Also the erasure ledger: who was erased, and when its wipe is done
// again once no process can still hold the visitor's key in a cache (see infra personal-data).
import type { Knex } from 'knex';
import { session, visitor } from '@cschat/domain';
import { ERASED, type VisitorReadModels } from '@cschat/infra';
import { tableName } from './generations';

/** What an erased personal text reads as; a SQL literal too (it holds no quote). */
const ERASED_TEXT = ERASED;

type Db = Knex | Knex.Transaction;

/** `x` unless null, else null: a missing value stays missing, a present one reads `[erased]`. */
const erasedIfSet = (column: string): string => `case when ${column} is null then null else '${ERASED_TEXT}' end`;
/** Whether `column` holds something not erased yet. */
const stillSet = (column: string): string => `(${column} is not null and ${column} <> '${ERASED_TEXT}')`;

/** A message's files with their names and platform URLs erased (ids, kinds, sizes kept). */
const erasedFiles = (column: string): string => `case when jsonb_typeof(${column}) = 'array' then (
    select coalesce(jsonb_agg(
      case when jsonb_typeof(a) = 'object' then a
        || case when a->'name' is not null then jsonb_build_object('name', '${ERASED_TEXT}') else '{}'::jsonb end
        || case when a->'url' is not null then jsonb_build_object('url', '${ERASED_TEXT}') else '{}'::jsonb end
      else a end), '[]'::jsonb)
    from jsonb_array_elements(${column}) a) else ${column} end`;
const filesStillSet = (column: string): string => `(jsonb_typeof(${column}) = 'array' and exists (
    select 1 from jsonb_array_elements(${column}) a where jsonb_typeof(a) = 'object'
      and ((a->'name' is not null and a->>'name' <> '${ERASED_TEXT}') or (a->'url' is not null and a->>'url' <> '${ERASED_TEXT}'))))`;

/** The generations a projection's tables have now: the active one, and the one a rebuild is filling. */
const generationsOf = async (db: Db, schema: string, projection: string): Promise<number[]> => {
  const { rows } = await db.raw<{ rows: { active: number; building: number | null }[] }>(
    `select active, building from "${schema}".projection_generations where projection = ?`,
    [projection],
  );
  const row = rows[0];
  if (row === undefined) return [];
  return row.building === null || row.building === row.active ? [row.active] : [row.active, row.building];
};

/** Whether a generation's table exists (a rebuild may have dropped or not yet made it). */
const exists = async (db: Db, table: string): Promise<boolean> => {
  const { rows } = await db.raw<{ rows: { found: string | null }[] }>(`select to_regclass(?) as found`, [table]);
  return rows[0]?.found != null;
};

/** Runs `statement` (its table as `$t`) on each generation's table of `base`; the rows it changed. */
const onEveryGeneration = async (
  db: Db,
  schema: string,
  projection: string,
  base: string,
  statement: string,
  bindings: readonly unknown[],
): Promise<number> => {
  let changed = 0;
  for (const generation of await generationsOf(db, schema, projection)) {
    const table = tableName(schema, generation)(base);
    if (!(await exists(db, table))) continue;
    const result = await db.raw<{ rowCount: number | null }>(
      statement.replaceAll('$t', table),
      bindings as Knex.RawBinding[],
    );
    changed += result.rowCount ?? 0;
  }
  return changed;
};

export interface ErasedVisitor {
  readonly companyId: string;
  readonly visitorId: string;
}

/** The sessions a visitor had, by the session history (the profile's own list). */
export const sessionsOfVisitor = async (db: Db, schema: string, subject: ErasedVisitor): Promise<string[]> => {
  const { rows } = await db.raw<{ rows: { session_id: string }[] }>(
    `select session_id from "${schema}".session_history where company_id = ? and visitor_id = ?
     union select session_id from "${schema}".session_facts where company_id = ? and visitor_id = ?`,
    [subject.companyId, subject.visitorId, subject.companyId, subject.visitorId],
  );
  return rows.map((row) => row.session_id);
};

/** Whether the read models know the visitor (its profile or a session of it). */
export const visitorKnown = async (db: Db, schema: string, subject: ErasedVisitor): Promise<boolean> => {
  const { rows } = await db.raw<{ rows: unknown[] }>(
    `select 1 from "${schema}".visitors where company_id = ? and visitor_id = ?
     union all select 1 from "${schema}".session_history where company_id = ? and visitor_id = ? limit 1`,
    [subject.companyId, subject.visitorId, subject.companyId, subject.visitorId],
  );
  return rows.length > 0;
};

/**
 * The profile: name, email, phone, attributes and the page it was seen on. The row is left as a
 * rebuild from the erased events makes it (so that read models still equal a rebuild): texts read
 * `[erased]`, while email and phone are gone (their codecs refuse the marker, so erased events omit
 * them) and the attributes are `{}`.
 */
export const eraseVisitorProfile = (db: Db, schema: string, subject: ErasedVisitor): Promise<number> =>
  onEveryGeneration(
    db,
    schema,
    'visitors',
    'visitors',
    `update $t set name = ${erasedIfSet('name')}, email = null, phone = null,
       page_url = ${erasedIfSet('page_url')}, attributes = '{}'::jsonb
     where company_id = ? and visitor_id = ?
       and (${stillSet('name')} or email is not null or phone is not null or ${stillSet('page_url')}
         or attributes <> '{}'::jsonb)`,
    [subject.companyId, subject.visitorId],
  );

/**
 * Every message and note of the visitor's sessions (the agents' answers too: they speak of the
 * visitor), and their files' names: the history and the search index, which is over this text.
 */
export const eraseVisitorMessages = (
  db: Db,
  schema: string,
  subject: ErasedVisitor,
  sessionIds: readonly string[],
): Promise<number> =>
  sessionIds.length === 0
    ? Promise.resolve(0)
    : onEveryGeneration(
        db,
        schema,
        'messages',
        'messages',
        `update $t set text = '${ERASED_TEXT}', attachments = ${erasedFiles('attachments')}
         where company_id = ? and session_id = any(?::text[])
           and (text <> '${ERASED_TEXT}' or ${filesStillSet('attachments')})`,
        [subject.companyId, [...sessionIds]],
      );

/** The session list and history rows (the live board reads the list): the visitor's name and last message. */
const eraseSessionRows = (db: Db, schema: string, projection: string, subject: ErasedVisitor): Promise<number> =>
  onEveryGeneration(
    db,
    schema,
    projection,
    projection,
    `update $t set visitor_name = ${erasedIfSet('visitor_name')}, last_message_text = ${erasedIfSet('last_message_text')}
     where company_id = ? and visitor_id = ? and (${stillSet('visitor_name')} or ${stillSet('last_message_text')})`,
    [subject.companyId, subject.visitorId],
  );

export const eraseVisitorSessionList = (db: Db, schema: string, subject: ErasedVisitor): Promise<number> =>
  eraseSessionRows(db, schema, 'session_list', subject);
export const eraseVisitorSessionHistory = (db: Db, schema: string, subject: ErasedVisitor): Promise<number> =>
  eraseSessionRows(db, schema, 'session_history', subject);

/** The satisfaction comments; the ratings, times and counts of the reports stay. */
export const eraseVisitorSessionFacts = (db: Db, schema: string, subject: ErasedVisitor): Promise<number> =>
  onEveryGeneration(
    db,
    schema,
    'session_facts',
    'session_facts',
    `update $t set csat_comment = ${erasedIfSet('csat_comment')}
     where company_id = ? and visitor_id = ? and ${stillSet('csat_comment')}`,
    [subject.companyId, subject.visitorId],
  );

/** The questions the visitor asked the bot (the unanswered-questions report); outcomes stay. */
export const eraseVisitorBotQuestions = (
  db: Db,
  schema: string,
  subject: ErasedVisitor,
  sessionIds: readonly string[],
): Promise<number> =>
  sessionIds.length === 0
    ? Promise.resolve(0)
    : onEveryGeneration(
        db,
        schema,
        'bot_answers',
        'bot_answers',
        `update $t set question = '${ERASED_TEXT}'
         where company_id = ? and session_id = any(?::text[]) and question <> '${ERASED_TEXT}'`,
        [subject.companyId, [...sessionIds]],
      );

/** Events the read models could not read, kept with their payload: those of the visitor's streams. */
export const eraseVisitorParkedEvents = async (
  db: Db,
  schema: string,
  subject: ErasedVisitor,
  sessionIds: readonly string[],
): Promise<number> => {
  const streams = [
    visitor.visitorStream(subject.companyId, subject.visitorId),
    ...sessionIds.map((id) => session.sessionStream(subject.companyId, id)),
  ];
  const result = await db.raw<{ rowCount: number | null }>(
    `update "${schema}".projection_parked set payload = '${ERASED_TEXT}'
     where stream_id = any(?::text[]) and payload <> '${ERASED_TEXT}'`,
    [streams],
  );
  return result.rowCount ?? 0;
};

/**
 * Every read-model copy of the visitor's personal data, erased in one transaction: the rows changed.
 * `sessionIds` are the visitor's sessions (sessionsOfVisitor), looked up once by the caller.
 */
export const eraseVisitorReadModels = (
  db: Knex,
  schema: string,
  subject: ErasedVisitor,
  sessionIds: readonly string[],
): Promise<number> =>
  db.transaction(async (trx) => {
    const counts = [
      await eraseVisitorProfile(trx, schema, subject),
      await eraseVisitorMessages(trx, schema, subject, sessionIds),
      await eraseVisitorSessionList(trx, schema, subject),
      await eraseVisitorSessionHistory(trx, schema, subject),
      await eraseVisitorSessionFacts(trx, schema, subject),
      await eraseVisitorBotQuestions(trx, schema, subject, sessionIds),
      await eraseVisitorParkedEvents(trx, schema, subject, sessionIds),
    ];
    return counts.reduce((a, b) => a + b, 0);
  });

// ---- the erasure ledger ----

/**
 * One row per erased visitor: when, by whom, and when its wipe is to be done again (`redo_at`,
 * past the key cache's bound; `redone_at` once done). The retention job and `--before` skip the
 * visitors found here, and claim a visitor by inserting its row (two workers: one erases).
 */
export const prepareErasureLedger = async (db: Knex, schema: string): Promise<void> => {
  await db.transaction(async (trx) => {
    await trx.raw(`select pg_advisory_xact_lock(hashtext(?))`, [`visitor-erasures:${schema}`]);
    await trx.raw(`create schema if not exists "${schema}"`);
    await trx.raw(`create table if not exists "${schema}".visitor_erasures (
      company_id text not null,
      visitor_id text not null,
      erased_at timestamptz not null,
      actor text not null,
      redo_at timestamptz not null,
      redone_at timestamptz,
      primary key (company_id, visitor_id)
    )`);
    await trx.raw(
      `create index if not exists visitor_erasures_redo on "${schema}".visitor_erasures (redo_at) where redone_at is null`,
    );
  });
};

/**
 * Records an erasure (again: its redo is due anew). With `claim`, only a visitor not in the ledger
 * yet is recorded, and the answer says whether this caller recorded it (the one to erase it).
 */
export const recordErasure = async (
  db: Db,
  schema: string,
  subject: ErasedVisitor,
  entry: { readonly at: Date; readonly actor: string; readonly redoAt: Date; readonly claim?: boolean },
): Promise<boolean> => {
  const { rows } = await db.raw<{ rows: unknown[] }>(
    `insert into "${schema}".visitor_erasures (company_id, visitor_id, erased_at, actor, redo_at)
     values (?, ?, ?, ?, ?)
     on conflict (company_id, visitor_id) do ${
       entry.claim === true
         ? 'nothing'
         : 'update set erased_at = excluded.erased_at, actor = excluded.actor, redo_at = excluded.redo_at, redone_at = null'
     }
     returning 1`,
    [subject.companyId, subject.visitorId, entry.at, entry.actor, entry.redoAt],
  );
  return rows.length > 0;
};

/** The erasures whose wipe is due again at `now` (oldest first). */
export const erasuresToRedo = async (db: Db, schema: string, now: Date, limit: number): Promise<ErasedVisitor[]> => {
  const { rows } = await db.raw<{ rows: { company_id: string; visitor_id: string }[] }>(
    `select company_id, visitor_id from "${schema}".visitor_erasures
     where redone_at is null and redo_at <= ? order by redo_at limit ?`,
    [now, limit],
  );
  return rows.map((row) => ({ companyId: row.company_id, visitorId: row.visitor_id }));
};

/** Marks the redo done, unless a newer erasure of the visitor asked for another one meanwhile. */
export const redoneErasure = async (db: Db, schema: string, subject: ErasedVisitor, now: Date): Promise<void> => {
  await db.raw(
    `update "${schema}".visitor_erasures set redone_at = ?
     where company_id = ? and visitor_id = ? and redone_at is null and redo_at <= ?`,
    [now, subject.companyId, subject.visitorId, now],
  );
};

// ---- who is past its retention ----

export interface InactiveVisitor extends ErasedVisitor {
  /** Its last activity: the later of when it was last seen and when its last session ended. */
  readonly lastActiveAt: string;
}

interface InactiveRow {
  company_id: string;
  visitor_id: string;
  last_seen_at: Date | string;
  last_end: Date | string | null;
}

const inactiveOf = (row: InactiveRow): InactiveVisitor => {
  const seen = new Date(row.last_seen_at).getTime();
  const ended = row.last_end === null ? 0 : new Date(row.last_end).getTime();
  return {
    companyId: row.company_id,
    visitorId: row.visitor_id,
    lastActiveAt: new Date(Math.max(seen, ended)).toISOString(),
  };
};

/**
 * The visitors of a company last active before `before`: last seen before it, every session of
 * theirs ended before it (none open), and not erased yet. Oldest first, at most `limit`.
 */
export const visitorsInactiveSince = async (
  db: Db,
  schema: string,
  query: { readonly companyId: string; readonly before: Date; readonly limit: number },
): Promise<InactiveVisitor[]> => {
  const { rows } = await db.raw<{ rows: InactiveRow[] }>(
    `select v.company_id, v.visitor_id, v.last_seen_at,
       (select max(h.ended_at) from "${schema}".session_history h
        where h.company_id = v.company_id and h.visitor_id = v.visitor_id) as last_end
     from "${schema}".visitors v
     where v.company_id = ? and v.last_seen_at < ?
       and not exists (select 1 from "${schema}".session_history h
         where h.company_id = v.company_id and h.visitor_id = v.visitor_id and (h.ended_at is null or h.ended_at >= ?))
       and not exists (select 1 from "${schema}".visitor_erasures e
         where e.company_id = v.company_id and e.visitor_id = v.visitor_id)
     order by v.last_seen_at, v.visitor_id limit ?`,
    [query.companyId, query.before, query.before, query.limit],
  );
  return rows.map(inactiveOf);
};

/**
 * Across companies, the visitors past their company's retention period at `now` (the setting
 * `retentionDays` in the configuration's `settings`, beside the read models): as visitorsInactiveSince
 * with `before` = now - retentionDays. Oldest first, at most `limit`.
 */
export const visitorsPastRetention = async (
  db: Db,
  query: { readonly schema: string; readonly configSchema: string; readonly now: Date; readonly limit: number },
): Promise<InactiveVisitor[]> => {
  const { schema, configSchema } = query;
  const { rows } = await db.raw<{ rows: InactiveRow[] }>(
    `with policies as (
       select company_id, ?::timestamptz - retention_days * interval '1 day' as before
       from "${configSchema}".settings where retention_days is not null
     )
     select v.company_id, v.visitor_id, v.last_seen_at,
       (select max(h.ended_at) from "${schema}".session_history h
        where h.company_id = v.company_id and h.visitor_id = v.visitor_id) as last_end
     from policies p join "${schema}".visitors v on v.company_id = p.company_id and v.last_seen_at < p.before
     where not exists (select 1 from "${schema}".session_history h
         where h.company_id = v.company_id and h.visitor_id = v.visitor_id and (h.ended_at is null or h.ended_at >= p.before))
       and not exists (select 1 from "${schema}".visitor_erasures e
         where e.company_id = v.company_id and e.visitor_id = v.visitor_id)
     order by v.last_seen_at, v.company_id, v.visitor_id limit ?`,
    [query.now, query.limit],
  );
  return rows.map(inactiveOf);
};

/** The read models' side of infra's VisitorErasure, over this database and schema. */
export const readModelErasure = (db: Knex, schema: string): VisitorReadModels => ({
  known: (subject) => visitorKnown(db, schema, subject),
  sessionsOf: (subject) => sessionsOfVisitor(db, schema, subject),
  erase: (subject, sessionIds) => eraseVisitorReadModels(db, schema, subject, sessionIds),
  record: (subject, entry) => recordErasure(db, schema, subject, entry),
  toRedo: (now, limit) => erasuresToRedo(db, schema, now, limit),
  redone: (subject, now) => redoneErasure(db, schema, subject, now),
});
