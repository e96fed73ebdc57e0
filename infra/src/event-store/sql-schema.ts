// Tables of the PostgreSQL / PGlite event store, as knex migrations in code (no files to ship).
import type { Knex } from 'knex';

interface Migration {
  readonly name: string;
  up(knex: Knex, schema: string): Promise<void>;
}

const migrations: readonly Migration[] = [
  {
    name: '001_events',
    up: async (knex, schema) => {
      const s = `"${schema}"`;
      // One statement at a time: PGlite's extended-protocol queries take a single statement.
      const statements = [
        `create table ${s}.streams (
          stream_id text primary key,
          revision bigint not null
        )`,
        `create table ${s}.events (
          global_position bigserial primary key,
          transaction_id xid8 not null default pg_current_xact_id(),
          stream_id text not null,
          revision bigint not null,
          event_id uuid not null,
          type text not null,
          data jsonb not null,
          metadata jsonb not null,
          recorded_at timestamptz not null default now(),
          unique (stream_id, revision)
        )`,
        `create index events_log on ${s}.events (transaction_id, global_position)`,
        `create function ${s}.notify_events() returns trigger language plpgsql as $$
          begin
            perform pg_notify('${schema}_events', '');
            return null;
          end $$`,
        `create trigger events_appended after insert on ${s}.events
          for each statement execute function ${s}.notify_events()`,
      ];
      for (const statement of statements) await knex.raw(statement);
    },
  },
  {
    // The store itself NOTIFYs after the commit, at most one at a time per process (see
    // SqlEventStore.appended). A NOTIFY inside the appending transaction makes PostgreSQL take a
    // database-wide lock through that transaction's commit, so concurrent appends committed one
    // by one: 32 writers made 409 appends/s with the trigger and 1,424 without (bench eventstore).
    name: '002_notify_after_commit',
    up: async (knex, schema) => {
      const s = `"${schema}"`;
      await knex.raw(`drop trigger if exists events_appended on ${s}.events`);
      await knex.raw(`drop function if exists ${s}.notify_events()`);
    },
  },
  {
    // Group commit (SqlEventStore.append): the appends of one batch in one statement, each with
    // its own expected revision and outcome. The stream rows are claimed in stream id order, so
    // that batches of several processes over the same streams wait for each other instead of
    // deadlocking. A claim that fails writes nothing and reports the stream's revision. (One
    // insert per append costs about what one insert for the whole batch does, measured on 1 and
    // 32 appends, and needs no second pass to find each append's position.)
    name: '003_append_batch',
    up: async (knex, schema) => {
      const s = `"${schema}"`;
      await knex.raw(`create function ${s}.append_batch(batch jsonb)
        returns table (append_index int, last_revision bigint, actual_revision bigint,
                       transaction_id xid8, global_position bigint)
        language plpgsql as $$
        #variable_conflict use_column
        declare
          a record;
        begin
          for a in
            select x.ord::int as ord, x.item->>'stream' as stream, x.item->>'expected' as expected,
                   x.item->'events' as events, jsonb_array_length(x.item->'events') as count
            from jsonb_array_elements(batch) with ordinality as x(item, ord)
            order by x.item->>'stream' collate "C", x.ord
          loop
            append_index := a.ord;
            if a.expected = 'any' then
              insert into ${s}.streams as st (stream_id, revision) values (a.stream, a.count - 1)
              on conflict (stream_id) do update set revision = st.revision + excluded.revision + 1
              returning st.revision into last_revision;
            elsif a.expected = 'no_stream' then
              insert into ${s}.streams (stream_id, revision) values (a.stream, a.count - 1)
              on conflict do nothing
              returning revision into last_revision;
            elsif a.expected = 'stream_exists' then
              update ${s}.streams st set revision = st.revision + a.count where st.stream_id = a.stream
              returning st.revision into last_revision;
            else
              update ${s}.streams st set revision = st.revision + a.count
              where st.stream_id = a.stream and st.revision = a.expected::bigint
              returning st.revision into last_revision;
            end if;
            if found then
              insert into ${s}.events (stream_id, revision, event_id, type, data, metadata)
              select a.stream, last_revision - a.count + e.ord, (e.event->>'id')::uuid, e.event->>'type',
                     e.event->'data', e.event->'metadata'
              from jsonb_array_elements(a.events) with ordinality as e(event, ord)
              order by e.ord;
              actual_revision := null;
              transaction_id := pg_current_xact_id();
              -- This session's last sequence number: that of the append's last event.
              global_position := currval('${s}.events_global_position_seq');
            else
              actual_revision := (select st.revision from ${s}.streams st where st.stream_id = a.stream);
              transaction_id := null;
              global_position := null;
            end if;
            return next;
          end loop;
        end $$`);
    },
  },
];

export const eventStoreMigrations = (schema: string): Knex.MigrationSource<Migration> => ({
  getMigrations: async () => [...migrations],
  getMigrationName: (migration) => migration.name,
  getMigration: async (migration) => ({
    up: (knex: Knex) => migration.up(knex, schema),
    down: async () => {
      throw new Error('event store migrations are forward-only');
    },
  }),
});

/** Creates the schema itself; tolerates another process creating it at the same moment. */
export const ensureSchema = async (knex: Knex, schema: string): Promise<void> => {
  try {
    await knex.raw(`create schema if not exists "${schema}"`);
  } catch (error) {
    if ((error as { code?: string }).code !== '23505') throw error;
  }
};
