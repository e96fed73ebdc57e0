// One batch of events into several read models, in the caller's transaction: each read model gets
// the events it handles and has not applied yet, folds them per row and writes each table once;
// the streams' last revisions are read in one statement and written in one. The live projector
// and the rebuild both apply batches this way.
import { isLeft } from 'fp-ts/Either';
import type { Knex } from 'knex';
import type { RecordedEvent } from '@cschat/infra';
import { decodeDomainEvent } from './events';
import { park, tableName } from './generations';
import type { ListChanged, ProjectedEvent, Projection } from './projection';

/** A read model and the generation of it being written. */
export interface Target {
  readonly projection: Projection;
  readonly generation: number;
}

/** An event that does not decode: parked for every read model, with why. */
export interface Poison {
  readonly payload: string;
  readonly reason: string;
  readonly streamId?: string;
  readonly revision?: bigint;
  readonly type?: string;
}

export interface DecodedBatch {
  readonly events: readonly ProjectedEvent[];
  readonly poison: readonly Poison[];
}

/** Decodes each event once for all read models; events of no aggregate of ours are left out. */
export const decodeBatch = (recorded: readonly RecordedEvent[], poison: readonly Poison[] = []): DecodedBatch => {
  const events: ProjectedEvent[] = [];
  const bad = [...poison];
  for (const e of recorded) {
    const decoded = decodeDomainEvent(e);
    if (decoded === undefined) continue;
    if (isLeft(decoded)) {
      bad.push({
        streamId: e.streamId,
        revision: e.revision,
        type: e.type,
        payload: JSON.stringify(e.data),
        reason: decoded.left,
      });
    } else {
      events.push({ event: decoded.right, recorded: e });
    }
  }
  return { events, poison: bad };
};

/** Whether any of the read models has something to do with the batch (else: no transaction). */
export const concerns = (targets: readonly Projection[], batch: DecodedBatch): boolean =>
  batch.poison.length > 0 || batch.events.some(({ event }) => targets.some((p) => p.handles(event)));

export interface ApplyOptions {
  readonly schema: string;
  readonly once: (key: string, work: () => Promise<void>) => Promise<void>;
  /**
   * Whether some events may have been applied already (a live projector: redeliveries), so that
   * the streams' revisions are read (and locked) first; a rebuild reads each event once.
   */
  readonly redelivered: boolean;
}

export interface Applied {
  readonly changes: readonly ListChanged[];
}

/** What the batch's events of one stream did to one read model's record of it. */
interface StreamRevision {
  readonly projection: string;
  readonly generation: number;
  readonly streamId: string;
  /** The last revision applied before the batch (-1: none), then the batch's last one. */
  before: bigint;
  last: bigint;
}

export const applyBatch = async (
  trx: Knex.Transaction,
  targets: readonly Target[],
  batch: DecodedBatch,
  options: ApplyOptions,
): Promise<Applied> => {
  const { schema } = options;
  for (const poison of batch.poison)
    for (const { projection } of targets) await park(trx, schema, projection.name, poison);

  // Per read model, each stream's record: read once (when events may have been applied already).
  const streams = targets.map(() => new Map<string, StreamRevision>());
  const handled = targets.map((target, i) => {
    const events = batch.events.filter(({ event }) => target.projection.handles(event));
    for (const { recorded } of events) {
      if (!streams[i]!.has(recorded.streamId))
        streams[i]!.set(recorded.streamId, {
          projection: target.projection.name,
          generation: target.generation,
          streamId: recorded.streamId,
          before: -1n,
          last: -1n,
        });
    }
    return { target, events };
  });
  // In key order: two projectors locking the same streams (a rebalance) wait, not deadlock.
  const all = streams
    .flatMap((byStream) => [...byStream.values()])
    .sort((a, b) =>
      a.projection < b.projection ? -1 : a.projection > b.projection ? 1 : a.streamId < b.streamId ? -1 : 1,
    );
  if (options.redelivered && all.length > 0) {
    // A lookup by key per stream (a lateral subquery with a limit is never made a join).
    const { rows } = await trx.raw<{ rows: { i: number; revision: string }[] }>(
      `select k.i, s.revision::text as revision
       from jsonb_to_recordset(?::jsonb) as k(i integer, projection text, generation integer, stream_id text)
       cross join lateral (
         select revision from "${schema}".projection_streams s
         where s.projection = k.projection and s.generation = k.generation and s.stream_id = k.stream_id
         limit 1 for update
       ) s`,
      [
        JSON.stringify(
          all.map((r, i) => ({ i, projection: r.projection, generation: r.generation, stream_id: r.streamId })),
        ),
      ],
    );
    for (const row of rows) all[row.i]!.before = BigInt(row.revision);
  }
  for (const record of all) record.last = record.before;

  const changes: ListChanged[] = [];
  for (const [i, { target, events }] of handled.entries()) {
    const byStream = streams[i]!;
    // An event at or below its stream's last applied revision was applied already (a redelivery).
    const fresh = events.filter(({ recorded }) => {
      const record = byStream.get(recorded.streamId)!;
      if (recorded.revision <= record.last) return false;
      record.last = recorded.revision;
      return true;
    });
    if (fresh.length === 0) continue;
    changes.push(
      ...(await target.projection.applyBatch({
        db: trx,
        table: tableName(schema, target.generation),
        events: fresh,
        once: options.once,
      })),
    );
  }
  const moved = all.filter((r) => r.last > r.before);
  if (moved.length > 0) {
    await trx.raw(
      `insert into "${schema}".projection_streams (projection, generation, stream_id, revision)
       select projection, generation, stream_id, revision
       from jsonb_to_recordset(?::jsonb) as x(projection text, generation integer, stream_id text, revision bigint)
       on conflict (projection, generation, stream_id) do update set revision = excluded.revision`,
      [
        JSON.stringify(
          moved.map((r) => ({
            projection: r.projection,
            generation: r.generation,
            stream_id: r.streamId,
            revision: r.last.toString(),
          })),
        ),
      ],
    );
  }
  return { changes };
};
