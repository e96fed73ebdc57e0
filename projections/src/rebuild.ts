// Rebuilds read models from the event store into new generations while the active ones keep
// serving, reading the log once for all of them, then switches over and drops the old ones. The
// switch takes their generation rows' locks (live projectors wait), catches up on what was
// appended meanwhile, and moves the views of all of them in one transaction.
import type { Knex } from 'knex';
import type { Position, ReadAllOptions, RecordedEvent } from '@cschat/infra';
import { applyBatch, decodeBatch, type DecodedBatch, type Target } from './batch';
import { switchViews, tableName } from './generations';
import type { Projection } from './projection';
import { memo } from './projector';

/** Reads the global log; `within` is the rebuild's transaction, for stores in the same database. */
export type LogReader = (options: ReadAllOptions, within?: Knex.Transaction) => Promise<RecordedEvent[]>;

export interface RebuildProgress {
  /** Events read from the log so far. */
  readonly events: number;
  readonly position: Position;
}

export interface RebuildOptions {
  readonly db: Knex;
  readonly schema: string;
  readonly projections: readonly Projection[];
  readonly readLog: LogReader;
  /** Events read and written per transaction (default 5000). */
  readonly batchSize?: number;
  readonly onProgress?: (progress: RebuildProgress) => void;
}

export interface RebuildResult {
  readonly projection: string;
  /** Events read from the log (each read model saw all of them, and applied those it handles). */
  readonly events: number;
  readonly parked: number;
  readonly previousGeneration: number;
  readonly generation: number;
}

export const DEFAULT_REBUILD_BATCH = 5000;

/** The generation rows, locked for update in name order (as live projectors share-lock them). */
const generationRows = async (trx: Knex.Transaction, schema: string, projections: readonly Projection[]) => {
  const { rows } = await trx.raw<{ rows: { projection: string; active: number; building: number | null }[] }>(
    `select projection, active, building from "${schema}".projection_generations where projection = any(?::text[])
     order by projection for update`,
    [projections.map((p) => p.name)],
  );
  const byName = new Map(rows.map((row) => [row.projection, row]));
  return projections.map((projection) => {
    const row = byName.get(projection.name);
    if (row === undefined) throw new Error(`read model ${projection.name} is not prepared in schema ${schema}`);
    return row;
  });
};

const dropGeneration = async (
  db: Knex | Knex.Transaction,
  schema: string,
  projection: Projection,
  generation: number,
) => {
  for (const base of projection.tables)
    await db.raw(`drop table if exists ${tableName(schema, generation)(base)} cascade`);
  await db.raw(`delete from "${schema}".projection_streams where projection = ? and generation = ?`, [
    projection.name,
    generation,
  ]);
};

export const rebuild = async (options: RebuildOptions): Promise<RebuildResult[]> => {
  const { db, schema, readLog } = options;
  const projections = [...new Map(options.projections.map((p) => [p.name, p])).values()];
  const batchSize = options.batchSize ?? DEFAULT_REBUILD_BATCH;
  const once = memo();

  // 1. New generations, next to the active ones (a crashed rebuild's leftovers are dropped).
  const generations = await db.transaction(async (trx) => {
    const rows = await generationRows(trx, schema, projections);
    const made: { projection: Projection; active: number; generation: number }[] = [];
    for (const [i, projection] of projections.entries()) {
      const row = rows[i]!;
      if (row.building !== null) await dropGeneration(trx, schema, projection, row.building);
      const next = Math.max(row.active, row.building ?? 0) + 1;
      await projection.createTables(trx, tableName(schema, next));
      await trx.raw(`update "${schema}".projection_generations set building = ? where projection = ?`, [
        next,
        projection.name,
      ]);
      made.push({ projection, active: row.active, generation: next });
    }
    return made;
  });
  const targets: Target[] = generations.map(({ projection, generation }) => ({ projection, generation }));

  let after: Position | undefined;
  let events = 0;
  let parked = 0;

  const readAfter = (from: Position | undefined, within?: Knex.Transaction) =>
    readLog(from === undefined ? { maxCount: batchSize } : { after: from, maxCount: batchSize }, within);
  /** A batch read and decoded (once for all the read models). */
  interface Read {
    readonly recorded: RecordedEvent[];
    readonly decoded: DecodedBatch;
  }
  const readBatch = async (from: Position | undefined, within?: Knex.Transaction): Promise<Read> => {
    const recorded = await readAfter(from, within);
    return { recorded, decoded: decodeBatch(recorded) };
  };
  const done = (recorded: readonly RecordedEvent[], poison: number): void => {
    parked += poison;
    events += recorded.length;
    after = recorded[recorded.length - 1]!.position;
    options.onProgress?.({ events, position: after });
  };

  // A failure leaves the active generations as they were; the next rebuild drops the half-built ones.
  // 2. The history, batch by batch, while the active generations serve and live projectors write
  // them, a transaction per batch. The next batch is read and decoded while this one is written.
  let next: Promise<Read> | undefined = readBatch(undefined);
  while (next !== undefined) {
    const { recorded, decoded }: Read = await next;
    if (recorded.length === 0) break;
    next = recorded.length < batchSize ? undefined : readBatch(recorded[recorded.length - 1]!.position);
    // Its failure surfaces when awaited; meanwhile it must not count as unhandled.
    next?.catch(() => undefined);
    await db.transaction((trx) => applyBatch(trx, targets, decoded, { schema, once, redelivered: false }));
    done(recorded, decoded.poison.length);
  }
  await next?.catch(() => undefined);

  // 3. The switch: live projectors wait on the locks while the last events are applied.
  await db.transaction(async (trx) => {
    await generationRows(trx, schema, projections);
    for (;;) {
      const { recorded, decoded } = await readBatch(after, trx);
      if (recorded.length === 0) break;
      await applyBatch(trx, targets, decoded, { schema, once, redelivered: false });
      done(recorded, decoded.poison.length);
    }
    for (const { projection, generation } of targets) {
      await switchViews(trx, schema, projection, generation);
      await trx.raw(`update "${schema}".projection_generations set active = ?, building = null where projection = ?`, [
        generation,
        projection.name,
      ]);
    }
  });

  // 4. The old generations go.
  await db.transaction(async (trx) => {
    for (const { projection, active } of generations) await dropGeneration(trx, schema, projection, active);
  });
  return generations.map(({ projection, active, generation }) => ({
    projection: projection.name,
    events,
    parked,
    previousGeneration: active,
    generation,
  }));
};
