// Read models live in generations: tables `<name>__g<N>` behind a view `<name>` over the active
// one. A rebuild fills generation N+1 while N keeps serving, then switches the views in one
// transaction. Live projectors write to the active generation, under a share lock on its row
// (taken once per batch) that a switch takes exclusively, so no event slips between the two.
import type { Knex } from 'knex';
import type { Projection } from './projection';

export const DEFAULT_READ_MODEL_SCHEMA = 'read_models';

export const tableName =
  (schema: string, generation: number) =>
  (base: string): string =>
    `"${schema}"."${base}__g${generation}"`;

/** A deadlock: PostgreSQL rolled the transaction back; running it again is what it asks for. */
const DEADLOCK = '40P01';
const PREPARE_ATTEMPTS = 5;

/**
 * The control tables, and each projection's first generation; safe to run from several processes,
 * also while others serve. Its upgrade of an existing generation (idempotent DDL, the views made
 * again) takes its tables and views exclusively, in projection order, while a running projector's
 * batch or an API read may hold one of them and want another: a deadlock, in which PostgreSQL may
 * abort this transaction. It then runs again (nothing of it was kept), rather than failing the
 * start of a process that joins a running deployment (found by the distributed fault suite, where
 * a gateway and two workers start at once).
 */
export const prepareReadModels = async (
  db: Knex,
  schema: string,
  projections: readonly Projection[],
): Promise<void> => {
  for (let attempt = 1; ; attempt++) {
    try {
      await prepareOnce(db, schema, projections);
      return;
    } catch (error) {
      if ((error as { code?: string }).code !== DEADLOCK || attempt >= PREPARE_ATTEMPTS) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50 * attempt + Math.random() * 100));
    }
  }
};

const prepareOnce = async (db: Knex, schema: string, projections: readonly Projection[]): Promise<void> => {
  await db.transaction(async (trx) => {
    await trx.raw(`select pg_advisory_xact_lock(hashtext(?))`, [`read-models:${schema}`]);
    await trx.raw(`create schema if not exists "${schema}"`);
    await trx.raw(`create table if not exists "${schema}".projection_generations (
      projection text primary key,
      active integer not null,
      building integer
    )`);
    // What each generation of each projection has applied: the last revision of every stream.
    await trx.raw(`create table if not exists "${schema}".projection_streams (
      projection text not null,
      generation integer not null,
      stream_id text not null,
      revision bigint not null,
      primary key (projection, generation, stream_id)
    )`);
    // Events a projection could not read: kept with the reason, skipped, counted.
    await trx.raw(`create table if not exists "${schema}".projection_parked (
      projection text not null,
      stream_id text,
      revision bigint,
      event_type text,
      payload text not null,
      reason text not null,
      parked_at timestamptz not null default now()
    )`);
    for (const projection of projections) {
      const { rows } = await trx.raw<{ rows: unknown[] }>(
        `select 1 from "${schema}".projection_generations where projection = ?`,
        [projection.name],
      );
      if (rows.length > 0) {
        if (projection.upgradeTables === undefined) continue;
        const active = await activeGeneration(trx, schema, projection.name);
        await projection.upgradeTables(trx, tableName(schema, active));
        // Views list their columns when created: made again, they show the added ones.
        await switchViews(trx, schema, projection, active);
        continue;
      }
      await projection.createTables(trx, tableName(schema, 1));
      await switchViews(trx, schema, projection, 1);
      await trx.raw(`insert into "${schema}".projection_generations (projection, active) values (?, 1)`, [
        projection.name,
      ]);
    }
  });
};

export const switchViews = async (
  db: Knex.Transaction,
  schema: string,
  projection: Projection,
  generation: number,
): Promise<void> => {
  for (const base of projection.tables) {
    // Dropped and created rather than replaced: a new generation may have other columns.
    await db.raw(`drop view if exists "${schema}"."${base}"`);
    await db.raw(`create view "${schema}"."${base}" as select * from ${tableName(schema, generation)(base)}`);
  }
};

/** The active generation, locked against a switch until the transaction ends. */
export const activeGeneration = async (db: Knex.Transaction, schema: string, projection: string): Promise<number> => {
  const { rows } = await db.raw<{ rows: { active: number }[] }>(
    `select active from "${schema}".projection_generations where projection = ? for share`,
    [projection],
  );
  const row = rows[0];
  if (row === undefined) throw new Error(`read model ${projection} is not prepared in schema ${schema}`);
  return row.active;
};

/**
 * The active generations of several read models, locked against a switch until the transaction
 * ends; in name order, as a rebuild's switch locks them, so that neither waits for the other in turn.
 */
export const activeGenerations = async (
  db: Knex.Transaction,
  schema: string,
  projections: readonly string[],
): Promise<Map<string, number>> => {
  const { rows } = await db.raw<{ rows: { projection: string; active: number }[] }>(
    `select projection, active from "${schema}".projection_generations where projection = any(?::text[])
     order by projection for share`,
    [[...projections]],
  );
  const active = new Map(rows.map((row) => [row.projection, row.active]));
  const missing = projections.find((name) => !active.has(name));
  if (missing !== undefined) throw new Error(`read model ${missing} is not prepared in schema ${schema}`);
  return active;
};

export const park = async (
  db: Knex | Knex.Transaction,
  schema: string,
  projection: string,
  what: { streamId?: string; revision?: bigint; type?: string; payload: string; reason: string },
): Promise<void> => {
  await db.raw(
    `insert into "${schema}".projection_parked (projection, stream_id, revision, event_type, payload, reason)
     values (?, ?, ?, ?, ?, ?)`,
    [
      projection,
      what.streamId ?? null,
      what.revision?.toString() ?? null,
      what.type ?? null,
      what.payload,
      what.reason,
    ],
  );
};
