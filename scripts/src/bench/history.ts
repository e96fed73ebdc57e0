// A realistic history, fast: the sessions of `runScenario` (deterministic: the same options give
// the same commands, events and order) decided through the real command handler against a store
// in memory, then written to the real event store append by append, in the same order and
// grouping, a transaction per chunk (so not one disk flush per event).
import type { Knex } from 'knex';
import {
  type AppendResult,
  type EventStore,
  type ExpectedRevision,
  type NewEvent,
  type RecordedEvent,
  SqlEventStore,
  VersionConflictError,
} from '@cschat/infra';
import { runScenario } from '@cschat/projections';

interface Append {
  readonly streamId: string;
  readonly events: readonly NewEvent[];
}

/**
 * Just enough of an event store for the command handler: appends with their expected revision,
 * and stream reads. Forgets the events of a chunk once they are taken (the handler keeps the
 * folded states of the streams it uses, so it only asks for events it has not seen: none).
 */
class ScratchStore implements EventStore {
  private readonly streams = new Map<string, { revision: bigint; events: RecordedEvent[]; dropped: bigint }>();
  private appends: Append[] = [];
  private position = 0n;

  async start(): Promise<void> {}
  async stop(): Promise<void> {}

  async append(streamId: string, events: readonly NewEvent[], expected: ExpectedRevision): Promise<AppendResult> {
    const stream = this.streams.get(streamId);
    const current = stream?.revision;
    const ok =
      expected === 'any' ||
      (expected === 'no_stream' && current === undefined) ||
      (expected === 'stream_exists' && current !== undefined) ||
      (typeof expected === 'bigint' && expected === current);
    if (!ok) throw new VersionConflictError(streamId, expected, current);
    const entry = stream ?? { revision: -1n, events: [], dropped: 0n };
    for (const event of events) {
      entry.revision += 1n;
      this.position += 1n;
      entry.events.push({
        streamId,
        revision: entry.revision,
        position: { commit: this.position, prepare: this.position },
        eventId: event.eventId ?? `e${this.position}`,
        type: event.type,
        data: event.data,
        metadata: event.metadata ?? {},
        recordedAt: new Date(0),
      });
    }
    this.streams.set(streamId, entry);
    this.appends.push({ streamId, events });
    return { revision: entry.revision, position: { commit: this.position, prepare: this.position } };
  }

  async readStream(streamId: string, options: { fromRevision?: bigint } = {}): Promise<RecordedEvent[]> {
    const stream = this.streams.get(streamId);
    if (stream === undefined) return [];
    const from = options.fromRevision ?? 0n;
    if (from < stream.dropped)
      throw new Error(`the scratch store forgot ${streamId} before revision ${stream.dropped}`);
    return stream.events.filter((e) => e.revision >= from);
  }

  readAll(): Promise<RecordedEvent[]> {
    throw new Error('not kept');
  }
  async lastPosition() {
    return undefined;
  }
  subscribe(): never {
    throw new Error('not kept');
  }

  /** The appends since the last take, in order; their events are forgotten. */
  take(): Append[] {
    const taken = this.appends;
    this.appends = [];
    for (const stream of this.streams.values()) {
      stream.dropped = stream.revision + 1n;
      stream.events = [];
    }
    return taken;
  }
}

export interface SeedOptions {
  /** Stop after at least this many events. */
  readonly events: number;
  readonly companyId?: string;
  /** Sessions decided per chunk (and written per transaction). */
  readonly chunk?: number;
  readonly onProgress?: (events: number) => void;
}

/** Writes about `events` events of realistic sessions into `store`; returns how many exactly. */
export const seedHistory = async (store: SqlEventStore, db: Knex, options: SeedOptions): Promise<number> => {
  const scratch = new ScratchStore();
  const chunk = options.chunk ?? 100;
  let written = 0;
  for (let first = 0; written < options.events; first += chunk) {
    await runScenario(scratch, {
      companyId: options.companyId ?? 'seeded',
      sessions: chunk,
      firstSession: first,
      // Twenty agents, as a mid-sized team (as `npm run seed`).
      agents: Array.from({ length: 20 }, (_, i) => `agent${i + 1}`),
      // A long history: sessions end, as real ones do, so agents stay within capacity.
      allEnd: true,
    });
    const appends = scratch.take();
    await db.transaction(async (trx) => {
      for (const { streamId, events } of appends) await store.appendWithin(trx, streamId, events, 'any');
    });
    store.appended();
    written += appends.reduce((n, a) => n + a.events.length, 0);
    options.onProgress?.(written);
  }
  return written;
};
