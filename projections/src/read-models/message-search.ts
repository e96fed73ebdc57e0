// Searching the message history (PROTOCOL "History and search") in English and Chinese. Chinese
// has no spaces to split words on, so full-text search (which segments by spaces) does not fit:
// a pg_trgm GIN index on the text serves every query of 3 characters or more (`ILIKE '%...%'`,
// CJK characters included). A trigram cannot come from a 2-character query, and 2 characters
// are a whole Chinese word (`退款`): a second GIN index over the text's 2-character sequences
// that hold a non-ASCII character serves those. Shorter or 2-letter Latin queries match by a
// scan, newest first, stopped at the limit. Every candidate is checked with ILIKE either way.
import type { Knex } from 'knex';

/** `"schema"."messages__g1"` -> its schema and base names, unquoted. */
const partsOf = (table: string): { schema: string; base: string } => {
  const match = /^"([^"]+)"\."([^"]+)"$/.exec(table);
  if (match === null) throw new Error(`not a qualified table name: ${table}`);
  return { schema: match[1]!, base: match[2]! };
};

/** The schema pg_trgm is installed in (installed there if absent: the read-model schema's database). */
const trigramSchema = async (db: Knex | Knex.Transaction): Promise<string> => {
  const find = async () =>
    (
      await db.raw<{ rows: { schema: string }[] }>(
        `select n.nspname as schema from pg_extension e join pg_namespace n on n.oid = e.extnamespace
         where e.extname = 'pg_trgm'`,
      )
    ).rows[0]?.schema;
  const found = await find();
  if (found !== undefined) return found;
  await db.raw(`create extension if not exists pg_trgm`);
  const installed = await find();
  if (installed === undefined) throw new Error('the pg_trgm extension could not be installed');
  return installed;
};

/**
 * The distinct 2-character sequences of a text, lower-cased, that hold a non-ASCII character and
 * no space: Chinese words of two characters; Latin pairs are left to the trigram index.
 */
const bigramFunction = (schema: string): string => `create or replace function "${schema}".message_bigrams(t text)
  returns text[] language sql immutable strict parallel safe as $$
    select coalesce(array_agg(distinct g), '{}') from (
      select substr(lower(t), i, 2) as g from generate_series(1, char_length(t) - 1) as i
    ) pairs where octet_length(g) > 2 and g !~ '\\s'
  $$`;

/** The search indexes of a messages table (idempotent); on a partitioned table they cover every partition. */
export const createSearchIndexes = async (db: Knex | Knex.Transaction, table: string): Promise<void> => {
  const { schema, base } = partsOf(table);
  const trgm = await trigramSchema(db);
  await db.raw(bigramFunction(schema));
  await db.raw(`create index if not exists "${base}_text_trgm" on ${table} using gin (text "${trgm}".gin_trgm_ops)`);
  await db.raw(
    `create index if not exists "${base}_text_bigrams" on ${table} using gin ("${schema}".message_bigrams(text))`,
  );
  // Newest first within a company: what a common word's search walks until it has its hits.
  await db.raw(`create index if not exists "${base}_company_at" on ${table} (company_id, at desc)`);
};

export interface MessageSearch {
  readonly companyId: string;
  /** Absent: the whole company (an admin); present: only the sessions this agent held. */
  readonly agentId?: string;
  readonly q: string;
  readonly from?: string;
  readonly to?: string;
  readonly limit: number;
  /** The plan to use; `scan` (no search index) is the benchmark's baseline. */
  readonly plan?: 'indexed' | 'scan';
}

export interface MessageHit {
  readonly sessionId: string;
  readonly messageId: string;
  readonly text: string;
  readonly at: string;
  readonly from: { readonly role: string; readonly id?: string };
  readonly private?: true;
}

/** The query as a LIKE pattern that matches it anywhere, its wildcards and escape character taken literally. */
export const containsPattern = (q: string): string => `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** Which index a query can use: trigrams from 3 characters, CJK bigrams at 2, none below. */
export const searchIndexOf = (q: string): 'trigram' | 'bigram' | 'none' => {
  const length = [...q].length;
  if (length >= 3) return 'trigram';
  if (length === 2 && [...q].some((c) => c.charCodeAt(0) > 0x7f) && !/\s/.test(q)) return 'bigram';
  return 'none';
};

export const searchSql = (schema: string, search: MessageSearch): { sql: string; bindings: unknown[] } => {
  const pattern = containsPattern(search.q);
  const where = [`m.company_id = ?`, `m.text ilike ? escape '\\'`];
  const bindings: unknown[] = [search.companyId, pattern];
  if (search.plan !== 'scan' && searchIndexOf(search.q) === 'bigram') {
    where.push(`"${schema}".message_bigrams(m.text) @> "${schema}".message_bigrams(?)`);
    bindings.push(search.q);
  }
  if (search.from !== undefined) {
    where.push('m.at >= ?');
    bindings.push(search.from);
  }
  if (search.to !== undefined) {
    where.push('m.at < ?');
    bindings.push(search.to);
  }
  if (search.agentId !== undefined) {
    where.push(`exists (select 1 from "${schema}".session_history h
      where h.company_id = m.company_id and h.session_id = m.session_id and h.agent_ids @> ?::jsonb)`);
    bindings.push(JSON.stringify([search.agentId]));
  }
  bindings.push(search.limit);
  return {
    sql: `select m.session_id, m.message_id, m.text, m.at, m.from_role, m.from_id, m.private
      from "${schema}".messages m where ${where.join(' and ')}
      order by m.at desc, m.message_id desc limit ?`,
    bindings,
  };
};

/**
 * An agent who held at most this many sessions is searched session by session (the newest matches of
 * each by the primary key's (company, session) prefix, then the newest of those): a common word's
 * index entries would be the company's thousands of messages, of which the agent may read a few.
 */
export const HELD_SESSIONS_SEARCHED_ONE_BY_ONE = 2000;

/** A session an agent held, with the span of its messages. */
export interface HeldSession {
  readonly session_id: string;
  readonly started_at: Date | string;
  readonly updated_at: Date | string;
}

/** The search within the given sessions: per session its newest matches, then the newest of all. */
export const heldSessionsSearchSql = (
  schema: string,
  search: MessageSearch,
  sessions: readonly HeldSession[],
): { sql: string; bindings: unknown[] } => {
  // Within the session's own time span: each session's search reads only its months' partitions.
  const where = [
    `m.company_id = ?`,
    `m.session_id = h.session_id`,
    `m.at >= h.started_at`,
    `m.at <= h.updated_at`,
    `m.text ilike ? escape '\\'`,
  ];
  const bindings: unknown[] = [JSON.stringify(sessions), search.companyId, containsPattern(search.q)];
  if (search.from !== undefined) {
    where.push('m.at >= ?');
    bindings.push(search.from);
  }
  if (search.to !== undefined) {
    where.push('m.at < ?');
    bindings.push(search.to);
  }
  bindings.push(search.limit, search.limit);
  return {
    sql: `select x.* from jsonb_to_recordset(?::jsonb) as h(session_id text, started_at timestamptz, updated_at timestamptz)
      cross join lateral (
        select m.session_id, m.message_id, m.text, m.at, m.from_role, m.from_id, m.private
        from "${schema}".messages m where ${where.join(' and ')}
        order by m.at desc, m.message_id desc limit ?
      ) x order by x.at desc, x.message_id desc limit ?`,
    bindings,
  };
};

interface HitRow {
  readonly session_id: string;
  readonly message_id: string;
  readonly text: string;
  readonly at: Date | string;
  readonly from_role: string;
  readonly from_id: string | null;
  readonly private: boolean;
}

/** The messages holding the query's text, newest first. */
export const searchMessages = async (db: Knex, schema: string, search: MessageSearch): Promise<MessageHit[]> => {
  let { sql, bindings } = searchSql(schema, search);
  if (search.agentId !== undefined && search.plan !== 'scan') {
    const { rows: held } = await db.raw<{ rows: HeldSession[] }>(
      `select session_id, started_at, updated_at from "${schema}".session_history
       where company_id = ? and agent_ids @> ?::jsonb limit ?`,
      [search.companyId, JSON.stringify([search.agentId]), HELD_SESSIONS_SEARCHED_ONE_BY_ONE + 1],
    );
    if (held.length <= HELD_SESSIONS_SEARCHED_ONE_BY_ONE)
      ({ sql, bindings } = heldSessionsSearchSql(schema, search, held));
  }
  const run = async (trx: Knex | Knex.Transaction) =>
    (await trx.raw<{ rows: HitRow[] }>(sql, bindings as Knex.RawBinding[])).rows;
  const rows =
    search.plan === 'scan'
      ? await db.transaction(async (trx) => {
          // GIN indexes are read by bitmap scans only: without them, the text is matched row by row.
          await trx.raw('set local enable_bitmapscan = off');
          return run(trx);
        })
      : await run(db);
  return rows.map((row) => ({
    sessionId: row.session_id,
    messageId: row.message_id,
    text: row.text,
    at: new Date(row.at).toISOString(),
    from: { role: row.from_role, ...(row.from_id === null ? {} : { id: row.from_id }) },
    ...(row.private ? { private: true as const } : {}),
  }));
};
