// Rebuilds a read model from the event store into a new generation while the active one keeps
// serving, then switches over and drops the old one. The switch takes the generation row's lock
// (live projectors wait), catches up on what was appended meanwhile, and moves the views.
import { isLeft } from 'fp-ts/Either';
import type { Knex } from 'knex';
import type { Position, ReadAllOptions, RecordedEvent } from '@cschat/infra';
import { decodeDomainEvent } from './events';
import { park, switchViews, tableName } from './generations';
import type { Projection } from './projection';
import { memo } from './projector';

/** Reads the global log; `within` is the rebuild's transaction, for stores in the same database. */
export type LogReader = (options: ReadAllOptions, within?: Knex.Transaction) => Promise<RecordedEvent[]>;

export interface RebuildProgress {
  readonly projection: string;
  readonly events: number;
  readonly position: Position;
}

export interface RebuildOptions {
  readonly db: Knex;
  readonly schema: string;
  readonly projection: Projection;
  readonly readLog: LogReader;
  readonly batchSize?: number;
  readonly onProgress?: (progress: RebuildProgress) => void;
}

export interface RebuildResult {
  readonly projection: string;
  readonly events: number;
  readonly parked: number;
  readonly previousGeneration: number;
  readonly generation: number;
}

const generationRow = async (trx: Knex.Transaction, schema: string, projection: string) => {
  const { rows } = await trx.raw<{ rows: { active: number; building: number | null }[] }>(
    `select active, building from "${schema}".projection_generations where projection = ? for update`,
    [projection],
  );
  if (rows[0] === undefined) throw new Error(`read model ${projection} is not prepared in schema ${schema}`);
  return rows[0];
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

export const rebuild = async (options: RebuildOptions): Promise<RebuildResult> => {
  const { db, schema, projection, readLog } = options;
  const batchSize = options.batchSize ?? 1000;
  const once = memo();

  // 1. A new generation, next to the active one (a crashed rebuild's leftovers are dropped).
  const { active, generation } = await db.transaction(async (trx) => {
    const row = await generationRow(trx, schema, projection.name);
    if (row.building !== null) await dropGeneration(trx, schema, projection, row.building);
    const next = Math.max(row.active, row.building ?? 0) + 1;
    await projection.createTables(trx, tableName(schema, next));
    await trx.raw(`update "${schema}".projection_generations set building = ? where projection = ?`, [
      next,
      projection.name,
    ]);
    return { active: row.active, generation: next };
  });

  let after: Position | undefined;
  let events = 0;
  let parked = 0;

  /** Applies one batch in `trx`; the streams' last revisions are written once per batch. */
  const applyBatch = async (trx: Knex.Transaction, batch: readonly RecordedEvent[]): Promise<void> => {
    const revisions = new Map<string, bigint>();
    for (const recorded of batch) {
      const decoded = decodeDomainEvent(recorded);
      if (decoded !== undefined && isLeft(decoded)) {
        parked += 1;
        await park(trx, schema, projection.name, {
          streamId: recorded.streamId,
          revision: recorded.revision,
          type: recorded.type,
          payload: JSON.stringify(recorded.data),
          reason: decoded.left,
        });
      } else if (decoded !== undefined && projection.handles(decoded.right)) {
        await projection.apply({ db: trx, table: tableName(schema, generation), event: decoded.right, recorded, once });
        revisions.set(recorded.streamId, recorded.revision);
      }
    }
    for (const [streamId, revision] of revisions) {
      await trx.raw(
        `insert into "${schema}".projection_streams (projection, generation, stream_id, revision) values (?, ?, ?, ?)
         on conflict (projection, generation, stream_id) do update set revision = excluded.revision`,
        [projection.name, generation, streamId, revision.toString()],
      );
    }
    events += batch.length;
    after = batch[batch.length - 1]!.position;
    options.onProgress?.({ projection: projection.name, events, position: after });
  };

  const readFrom = (within?: Knex.Transaction) =>
    readLog(after === undefined ? { maxCount: batchSize } : { after, maxCount: batchSize }, within);

  // A failure leaves the active generation as it was; the next rebuild drops the half-built one.
  // 2. The history, batch by batch, while the active generation serves and live projectors write it.
  for (;;) {
    const batch = await readFrom();
    if (batch.length === 0) break;
    await db.transaction((trx) => applyBatch(trx, batch));
    if (batch.length < batchSize) break;
  }

  // 3. The switch: live projectors wait on the lock while the last events are applied.
  await db.transaction(async (trx) => {
    await generationRow(trx, schema, projection.name);
    for (;;) {
      const batch = await readFrom(trx);
      if (batch.length === 0) break;
      await applyBatch(trx, batch);
    }
    await switchViews(trx, schema, projection, generation);
    await trx.raw(`update "${schema}".projection_generations set active = ?, building = null where projection = ?`, [
      generation,
      projection.name,
    ]);
  });

  // 4. The old generation goes.
  await db.transaction((trx) => dropGeneration(trx, schema, projection, active));
  return { projection: projection.name, events, parked, previousGeneration: active, generation };
};
