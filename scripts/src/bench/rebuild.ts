// `npm run bench -- rebuild`: every read model rebuilt from a history of realistic sessions (the
// scenario of `npm run seed`, deterministic), on PostgreSQL, with `npm run rebuild`'s own code;
// the baseline is the time to just read those events from the store, in the same batches.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { loadConfig, silentLogger, SqlEventStore, type Position } from '@cschat/infra';
import { DEFAULT_REBUILD_BATCH, PROJECTIONS } from '@cschat/projections';
import { runRebuild as rebuildReadModels } from '../rebuild/cli';
import { openStorage } from '../storage';
import { scratchDatabase } from './deployments';
import { seedHistory } from './history';
import { wholeNumber } from './options';
import { fmt, ratio, type BenchResult, type Row } from './results';

export const REBUILD_HELP = `Usage: npm run bench -- rebuild [--events 50000] [--batch-size 5000]

On a scratch database of DATABASE_URL's server (dropped afterwards): writes --events events of
realistic sessions (about 17 each: messages, bot, queue, assignment, reads, transfers, ends; the
scenario of npm run seed, through the real command handler), then reads them all from the store in
batches of --batch-size (the baseline), then rebuilds every read model as \`npm run rebuild\` does
(all in one pass), then each read model alone.
The issue's full size: --events 1000000 (the writing alone takes some minutes).
`;

export interface RebuildBenchOptions {
  readonly events: number;
  readonly batchSize: number;
}

export const parseRebuild = (argv: readonly string[]): RebuildBenchOptions | 'help' => {
  const { values } = parseArgs({
    args: [...argv],
    options: { events: { type: 'string' }, 'batch-size': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
  });
  if (values.help === true) return 'help';
  const events = wholeNumber('events', values.events, 50_000, 100);
  const batchSize = wholeNumber('batch-size', values['batch-size'], DEFAULT_REBUILD_BATCH);
  if (batchSize > 100_000) throw new Error('--batch-size must be at most 100000');
  return { events, batchSize };
};

/** Lines written to a stream, to the log. */
const lines = (log: (line: string) => void): Writable =>
  new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line.trim() !== '') log(`  ${line}`);
      done();
    },
  });

export const runRebuild = async (options: RebuildBenchOptions, log: (line: string) => void): Promise<BenchResult> => {
  const url = process.env['DATABASE_URL'];
  if (url === undefined || url === '') throw new Error('needs DATABASE_URL (eval "$(scripts/infra/up.sh)")');
  const database = await scratchDatabase(url, 'rebuild');
  const dataDir = mkdtempSync(path.join(tmpdir(), 'cschat-bench-'));
  const storage = openStorage(loadConfig({ DATABASE_URL: database.url, DATA_DIR: dataDir }), silentLogger());
  try {
    await storage.start();
    const store = storage.eventStore;
    if (!(store instanceof SqlEventStore)) throw new Error('expected the PostgreSQL event store');
    const seeding = performance.now();
    let reported = 0;
    const events = await seedHistory(store, storage.readModels, {
      events: options.events,
      onProgress: (n) => {
        if (n - reported >= 50_000) log(`  seeded ${(reported = n)} events`);
      },
    });
    const seedSeconds = (performance.now() - seeding) / 1000;
    log(`rebuild: ${events} events written in ${fmt(seedSeconds)} s`);

    // Baseline: the same reads the rebuild makes, nothing done with them. Read before and after
    // the rebuilds, the faster counting: one read of a few seconds on a shared machine is noisy,
    // and the faster baseline is the harder one to come near.
    const readLog = async (): Promise<{ read: number; seconds: number }> => {
      const reading = performance.now();
      let read = 0;
      let after: Position | undefined;
      for (;;) {
        const batch = await storage.readLog(
          after === undefined ? { maxCount: options.batchSize } : { after, maxCount: options.batchSize },
        );
        if (batch.length === 0) break;
        read += batch.length;
        after = batch[batch.length - 1]!.position;
      }
      const seconds = (performance.now() - reading) / 1000;
      log(`rebuild: baseline: read ${read} events in ${fmt(seconds)} s`);
      return { read, seconds };
    };
    const firstRead = await readLog();
    const { read } = firstRead;

    // All of them in one pass, as `npm run rebuild` does by default: the figure of the issue.
    const rebuilding = performance.now();
    const results = await rebuildReadModels(
      storage,
      { projections: PROJECTIONS, dryRun: false, batchSize: options.batchSize },
      { stdout: lines(log), stderr: lines(log) },
    );
    const rebuildSeconds = (performance.now() - rebuilding) / 1000;
    const rebuilt = results[0]?.events ?? 0;

    // Then each on its own (a pass each): where the time goes.
    const perProjection: { name: string; seconds: number; events: number }[] = [];
    for (const projection of PROJECTIONS) {
      const started = performance.now();
      const [result] = await rebuildReadModels(
        storage,
        { projections: [projection], dryRun: false, batchSize: options.batchSize },
        { stdout: lines(log), stderr: lines(log) },
      );
      perProjection.push({
        name: projection.name,
        seconds: (performance.now() - started) / 1000,
        events: result!.events,
      });
    }

    const secondRead = await readLog();
    const readSeconds = Math.min(firstRead.seconds, secondRead.seconds);
    const readRate = read / readSeconds;
    const rows: Row[] = [
      {
        work: `rebuild all ${PROJECTIONS.length} read models, one pass`,
        seconds: fmt(rebuildSeconds),
        rate: fmt(rebuilt / rebuildSeconds, 0),
        baseline: fmt(readRate, 0),
        ratio: ratio(rebuilt / rebuildSeconds, readRate),
      },
      ...perProjection.map((p) => ({
        work: `rebuild ${p.name} alone`,
        seconds: fmt(p.seconds),
        rate: fmt(p.events / p.seconds, 0),
        baseline: fmt(readRate, 0),
        ratio: ratio(p.events / p.seconds, readRate),
      })),
      {
        work: 'baseline: read all events',
        seconds: fmt(readSeconds),
        rate: fmt(readRate, 0),
        baseline: fmt(readRate, 0),
        ratio: '1.00×',
      },
    ];
    return {
      name: 'rebuild',
      title: `Rebuild: ${events.toLocaleString('en-US')} events of realistic sessions into every read model`,
      params: { ...options },
      columns: [
        { key: 'work', title: 'work' },
        { key: 'seconds', title: 's' },
        { key: 'rate', title: 'events/s' },
        { key: 'baseline', title: 'read-only events/s' },
        { key: 'ratio', title: 'ours/read-only' },
      ],
      rows,
      notes: [
        `${events} events (${fmt(events / 17, 0)} sessions or so, 20 agents), event store and read models in one PostgreSQL database; batches of ${options.batchSize} events, a transaction each. Written in ${fmt(seedSeconds)} s (context).`,
        `Baseline: the faster of two reads of the whole log, one before the rebuilds (${fmt(firstRead.seconds)} s) and one after (${fmt(secondRead.seconds)} s).`,
        `"one pass": all ${PROJECTIONS.length} read models rebuilt together, the log read once (the next batch read while the current one is written), each batch folded per row and written with one statement per table; "alone": one read model per pass.`,
      ],
      series: { events, readSeconds, seedSeconds, rebuildSeconds, perProjection },
    };
  } finally {
    await storage.stop();
    await database.drop();
    rmSync(dataDir, { recursive: true, force: true });
  }
};
