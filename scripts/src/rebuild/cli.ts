// The rebuild command: arguments, the plan (--dry-run), progress, exit codes. The work itself is
// `rebuild` of the projections workspace.
import { parseArgs } from 'node:util';
import type { Writable } from 'node:stream';
import { SingleBar } from 'cli-progress';
import type { Position } from '@cschat/infra';
import {
  DEFAULT_REBUILD_BATCH,
  PROJECTIONS,
  prepareReadModels,
  rebuild,
  type Projection,
  type RebuildResult,
} from '@cschat/projections';
import type { Storage } from '../storage';

export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

export const HELP = `Usage: npm run rebuild -- [--all | --projection <name> ...] [--dry-run] [--batch-size <n>]

Rebuilds read models from the event store into new tables while the current ones keep
serving, reading the log once for all of them, then switches the views of all of them over to
the new tables in one transaction (live projectors wait for it) and drops the old tables.

Options:
  --all                 rebuild every read model (the default when no --projection is given)
  --projection <name>   rebuild this read model; repeat for several. Names:
                        ${PROJECTIONS.map((p) => p.name).join(', ')}
  --dry-run             say what would be rebuilt and how many events there are; change nothing
  --batch-size <n>      events per transaction (default ${DEFAULT_REBUILD_BATCH})
  -h, --help            this text

The storage comes from the same environment as \`npm start\` (DATABASE_URL, EVENTSTORE_URL,
DATA_DIR). In embedded mode stop the service first: PGlite is single-process, and while the
service holds DATA_DIR/pglite.lock the rebuild exits with 1 before opening anything.

Progress: a bar with events/s and ETA on a terminal, a line every few seconds otherwise.

Exit codes: 0 rebuilt (or planned, with --dry-run); 1 failed (the active tables are untouched);
2 wrong arguments.

Example:
  $ npm run rebuild
  6 read models  [========================] 100% | 50940 events | 6760 events/s | ETA 0s
  session_list: 50940 events into generation 42 (was 41), 0 parked, 7.5 s (6760 events/s)
  messages: 50940 events into generation 42 (was 41), 0 parked, 7.5 s (6760 events/s)
  ...
`;

export interface RebuildRequest {
  readonly projections: readonly Projection[];
  readonly dryRun: boolean;
  readonly batchSize: number;
}

export class UsageError extends Error {}

export const parseRequest = (argv: readonly string[]): RebuildRequest | 'help' => {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      all: { type: 'boolean' },
      projection: { type: 'string', multiple: true },
      'dry-run': { type: 'boolean' },
      'batch-size': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help === true) return 'help';
  const names = values.projection ?? [];
  if (values.all === true && names.length > 0) throw new UsageError('--all and --projection exclude each other');
  const projections = names.map((name) => {
    const projection = PROJECTIONS.find((p) => p.name === name);
    if (projection === undefined) {
      throw new UsageError(`unknown read model "${name}"; known: ${PROJECTIONS.map((p) => p.name).join(', ')}`);
    }
    return projection;
  });
  const batchSize = values['batch-size'] === undefined ? DEFAULT_REBUILD_BATCH : Number(values['batch-size']);
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 100_000) {
    throw new UsageError(`--batch-size must be a whole number from 1 to 100000, got "${values['batch-size']}"`);
  }
  return {
    projections: projections.length > 0 ? projections : PROJECTIONS,
    dryRun: values['dry-run'] === true,
    batchSize,
  };
};

/** Events done / events expected, from positions: the log's sequence numbers grow with it. */
const fractionOf = (position: Position, head: Position | undefined): number =>
  head === undefined || head.prepare === 0n ? 1 : Math.min(1, Number(position.prepare) / Number(head.prepare));

export interface RebuildIo {
  readonly stdout: Writable & { isTTY?: boolean };
  readonly stderr: Writable;
  readonly now?: () => number;
}

export const runRebuild = async (
  storage: Storage,
  request: RebuildRequest,
  io: RebuildIo,
): Promise<RebuildResult[]> => {
  const now = io.now ?? Date.now;
  const head = await storage.eventStore.lastPosition();
  await prepareReadModels(storage.readModels, storage.readModelSchema, PROJECTIONS);
  if (request.dryRun) {
    for (const projection of request.projections) {
      const { rows } = await storage.readModels.raw<{ rows: { active: number }[] }>(
        `select active from "${storage.readModelSchema}".projection_generations where projection = ?`,
        [projection.name],
      );
      io.stdout.write(
        `would rebuild ${projection.name}: generation ${rows[0]?.active ?? 1} -> ${(rows[0]?.active ?? 1) + 1}, ` +
          `log up to position ${head === undefined ? 'empty' : `${head.commit}/${head.prepare}`}\n`,
      );
    }
    return [];
  }
  // One pass over the log for all the read models asked for.
  const started = now();
  const total = head === undefined ? 0 : Number(head.prepare);
  const label =
    request.projections.length === 1 ? request.projections[0]!.name : `${request.projections.length} read models`;
  const bar =
    io.stdout.isTTY === true
      ? new SingleBar({
          format: `${label.padEnd(14)} [{bar}] {percentage}% | {events} events | {rate} events/s | ETA {eta}s`,
          stream: io.stdout,
        })
      : undefined;
  bar?.start(Math.max(total, 1), 0, { events: 0, rate: 0 });
  let lastLine = started;
  const results = await rebuild({
    db: storage.readModels,
    schema: storage.readModelSchema,
    projections: request.projections,
    readLog: storage.readLog,
    batchSize: request.batchSize,
    onProgress: ({ events, position }) => {
      const elapsed = (now() - started) / 1000;
      const rate = Math.round(events / Math.max(elapsed, 0.001));
      const fraction = fractionOf(position, head);
      if (bar !== undefined) {
        bar.update(Math.round(fraction * Math.max(total, 1)), { events, rate });
      } else if (now() - lastLine >= 2000) {
        lastLine = now();
        const eta = fraction > 0 ? Math.round((elapsed / fraction) * (1 - fraction)) : '?';
        io.stdout.write(`${label}: ${events} events, ${rate} events/s, ${Math.round(fraction * 100)}%, ETA ${eta}s\n`);
      }
    },
  });
  bar?.update(Math.max(total, 1));
  bar?.stop();
  const seconds = (now() - started) / 1000;
  for (const result of results) {
    io.stdout.write(
      `${result.projection}: ${result.events} events into generation ${result.generation} (was ${result.previousGeneration}), ` +
        `${result.parked} parked, ${seconds.toFixed(1)} s (${Math.round(result.events / Math.max(seconds, 0.001))} events/s)\n`,
    );
  }
  return results;
};
