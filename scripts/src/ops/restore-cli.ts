// `npm run restore`: arguments, the checks (manifest, checksum, an empty database, versions),
// pg_restore, the migrations, the erasures re-applied, every read model rebuilt from the events.
import { parseOptions } from '../cli/options';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import type { Writable } from 'node:stream';
import knexFactory, { type Knex } from 'knex';
import { DEFAULT_EVENT_STORE_SCHEMA, silentLogger, type Config, type DataSubject } from '@cschat/infra';
import { DEFAULT_REBUILD_BATCH, PROJECTIONS, type RebuildResult } from '@cschat/projections';
import { runRebuild } from '../rebuild/cli';
import { openStorage } from '../storage';
import { erasureToolsOf } from '../visitor-erasure';
import {
  countRows,
  erasuresIn,
  failureLine,
  LEDGER,
  libpqEnv,
  majorOf,
  OpsError,
  postgresUrlOf,
  program,
  programVersion,
  QUIET_KNEX_LOG,
  readErasureList,
  readManifest,
  run,
  serverVersion,
  sha256Of,
  SOURCE_SCHEMAS,
  UsageError,
  userRelations,
  type ErasureEntry,
  type Manifest,
} from './backup-set';

/** Who re-applies an erasure a restore found only in an erasure list (the audit line's actor). */
export const RESTORE_ACTOR = 'restore';

export const HELP = `Usage: npm run restore -- --from <backup folder> [--erasures <file.jsonl> ...] [--force]
                          [--pg-bin <dir>] [--batch-size <n>]

Restores a backup made by \`npm run backup\` into the EMPTY PostgreSQL database of DATABASE_URL,
then makes it ready for the service:

  1. checks the manifest and the dump's sha256, and that pg_restore can read the dump
  2. refuses a database that holds any table, view or sequence (unless --force)
  3. pg_restore in one transaction, then checks every table's rows against the manifest
  4. runs the migrations of this version (a backup of an older version is brought up to date;
     one made by a newer version is refused by them)
  5. erases again every visitor erased in the backup (its key's tombstone or its ledger row)
     and every visitor of the --erasures lists, deleting their keys BEFORE anything reads the
     events, so that nothing rebuilt holds their personal data
  6. rebuilds every read model from the events (the rebuild of \`npm run rebuild\`)
  7. wipes the erased visitors' copies (files, webhook bodies, resume tokens, read models)

An old backup holds the keys of visitors erased after it was made: restoring it brings their
personal data back unless those erasures are given again. Give the erasure lists written since
the backup (\`npm run backup -- --erasures-only\`, taken often); an erasure found only in a list
gets an audit line by "${RESTORE_ACTOR}". Erasures that no list kept must be made again (the
configuration audit's "visitor" lines of the lost database, \`npm run erase\`).

Then start the service on the restored database with a NEW KAFKA_NAMESPACE and an empty Redis
prefix (a new REDIS_PREFIX): the relay publishes the whole log into the new topics (every
consumer skips what it applied already), the timeout schedule is rebuilt from the open sessions,
and nothing of the lost deployment's topics or keys is read.

Options:
  --from <folder>       the backup folder (manifest.json, cschat.dump)
  --erasures <file>     an erasure list (JSON Lines: {"companyId","visitorId","erasedAt"?});
                        repeat for several
  --force               restore into a database that is not empty: DROPS this deployment's
                        schemas (${[...SOURCE_SCHEMAS, LEDGER.schema].join(', ')}) first
  --pg-bin <dir>        where pg_restore is (default: on PATH)
  --batch-size <n>      events per transaction of the rebuild (default ${DEFAULT_REBUILD_BATCH})
  -h, --help            this text

Exit codes: 0 restored; 1 failed (bad or altered backup, database not empty, unreachable,
pg_restore or the rebuild failed: see the message); 2 wrong arguments or not a PostgreSQL
configuration.

Example:
  $ DATABASE_URL=postgres://postgres@db2:5432/cschat npm run restore -- \\
      --from /backups/cschat-2026-12-06 --erasures /backups/erasures-latest.jsonl
  restore: backup of 2026-12-06T01:00:00.000Z (cschat 0.1.0), 50940 events, 12.4 MiB
  restore: pg_restore 15.20 into cschat at db2:5432
  ...
  restore: done in 14.2 s: 50940 events, 8 read models rebuilt, 3 erasures re-applied (1 from lists)
`;

export interface RestoreRequest {
  readonly from: string;
  readonly erasureLists: readonly string[];
  readonly force: boolean;
  readonly pgBin: string | undefined;
  readonly batchSize: number;
}

export const parseRequest = (argv: readonly string[]): RestoreRequest | 'help' => {
  const values = parseOptions(argv, {
    from: { type: 'string' },
    erasures: { type: 'string', multiple: true },
    force: { type: 'boolean' },
    'pg-bin': { type: 'string' },
    'batch-size': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help === true) return 'help';
  if (values.from === undefined || values.from === '') throw new UsageError('--from is required');
  const batchSize = values['batch-size'] === undefined ? DEFAULT_REBUILD_BATCH : Number(values['batch-size']);
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 100_000) {
    throw new UsageError(`--batch-size must be a whole number from 1 to 100000, got "${values['batch-size']}"`);
  }
  return {
    from: path.resolve(values.from),
    erasureLists: (values.erasures ?? []).map((f) => path.resolve(f)),
    force: values.force === true,
    pgBin: values['pg-bin'],
    batchSize,
  };
};

export interface RestoreIo {
  readonly stdout: Writable & { isTTY?: boolean };
  readonly stderr: Writable;
  readonly now?: () => number;
}

export interface RestoreResult {
  readonly manifest: Manifest;
  readonly rebuilt: readonly RebuildResult[];
  /** Erased visitors the backup knew, and those only the lists named. */
  readonly erasures: { readonly fromBackup: number; readonly fromLists: number };
  readonly seconds: number;
}

const subjectKey = (s: DataSubject): string => JSON.stringify([s.companyId, s.visitorId]);

/** The database must hold nothing (or, with --force, this deployment's schemas are dropped). */
const checkEmpty = async (db: Knex, force: boolean, where: string, io: RestoreIo): Promise<void> => {
  const relations = await userRelations(db);
  if (relations.length === 0) return;
  if (!force) {
    throw new OpsError(
      `the database ${where} is not empty (${relations.length} tables, views or sequences, e.g. ${relations.slice(0, 3).join(', ')}): ` +
        'restore into an empty database (createdb), or give --force to replace this deployment there',
    );
  }
  io.stdout.write(
    `restore: --force: dropping the schemas ${[...SOURCE_SCHEMAS, LEDGER.schema].join(', ')} of ${where}\n`,
  );
  for (const schema of [...SOURCE_SCHEMAS, LEDGER.schema]) await db.raw(`drop schema if exists "${schema}" cascade`);
};

export const runRestore = async (config: Config, request: RestoreRequest, io: RestoreIo): Promise<RestoreResult> => {
  const now = io.now ?? Date.now;
  const started = now();
  const say = (line: string) => io.stdout.write(`restore: ${line}\n`);
  const url = postgresUrlOf(config);

  // 1. The backup: whole, unaltered, readable by this pg_restore; the lists readable.
  const manifest = readManifest(request.from);
  const dumpFile = path.join(request.from, manifest.dump.file);
  if (!existsSync(dumpFile)) throw new OpsError(`${dumpFile} does not exist (named by the manifest)`);
  const events = manifest.counts[`${DEFAULT_EVENT_STORE_SCHEMA}.events`] ?? 0;
  say(
    `backup of ${manifest.createdAt} (cschat ${manifest.service.version}${manifest.service.commit === null ? '' : ` ${manifest.service.commit.slice(0, 10)}`}), ` +
      `${events} events, ${(manifest.dump.bytes / 1_048_576).toFixed(1)} MiB`,
  );
  if ((await sha256Of(dumpFile)) !== manifest.dump.sha256) {
    throw new OpsError(`${dumpFile} does not match the manifest's sha256: the file was altered or cut short`);
  }
  const listed = request.erasureLists.flatMap((file) => readErasureList(file));
  const pgRestore = program('pg_restore', request.pgBin);
  const restoreVersion = await programVersion(pgRestore);
  if (majorOf(restoreVersion) < majorOf(manifest.database.pgDump)) {
    throw new OpsError(
      `pg_restore ${restoreVersion} cannot read a dump of pg_dump ${manifest.database.pgDump}: install pg_restore ${majorOf(manifest.database.pgDump)} or newer (--pg-bin)`,
    );
  }

  // 2. The target: empty, a server no older than the backup's.
  const env = libpqEnv(url);
  const where = `${env['PGDATABASE'] ?? '(default)'} at ${new URL(url).host}`;
  const admin = knexFactory({ client: 'pg', connection: url, pool: { min: 0, max: 1 }, log: QUIET_KNEX_LOG });
  try {
    const server = await serverVersion(admin);
    if (majorOf(server) < majorOf(manifest.database.server)) {
      throw new OpsError(
        `the backup comes from PostgreSQL ${manifest.database.server}; this server is ${server}: restore into ${majorOf(manifest.database.server)} or newer`,
      );
    }
    await checkEmpty(admin, request.force, where, io);

    // 3. pg_restore, all or nothing, then the rows against the manifest.
    say(`pg_restore ${restoreVersion} into ${where}`);
    let restored = 0;
    const result = await run(
      pgRestore,
      [
        '--no-owner',
        '--no-privileges',
        '--exit-on-error',
        '--single-transaction',
        '--verbose',
        `--dbname=${env['PGDATABASE'] ?? 'postgres'}`,
        dumpFile,
      ],
      env,
      (line) => {
        const table = /processing data for table "([^"]+)"/.exec(line);
        if (table !== null) {
          restored += 1;
          say(`[${restored}/${manifest.tables.length}] ${table[1]}`);
        }
      },
    );
    if (result.code !== 0) {
      throw new OpsError(
        `pg_restore exited with ${result.code} (nothing was restored: one transaction):\n${result.stderr
          .split('\n')
          .filter((l) => /error|fatal/i.test(l))
          .join('\n')}`,
      );
    }
    const counts = await countRows(admin, manifest.tables);
    const differing = manifest.tables.filter((table) => counts[table] !== manifest.counts[table]);
    if (differing.length > 0) {
      throw new OpsError(
        `restored rows differ from the manifest: ${differing.map((t) => `${t} ${counts[t]} (manifest ${manifest.counts[t]})`).join(', ')}`,
      );
    }
    say(`${manifest.tables.length} tables restored, their rows as in the manifest`);
  } finally {
    await admin.destroy();
  }

  // 4. The migrations: what the service runs at its start.
  const logger = silentLogger();
  const storage = openStorage(config, logger, { holder: 'npm run restore' });
  const tools = erasureToolsOf(config, storage, logger);
  const { companies, erasure } = tools;
  try {
    try {
      await storage.start();
      await companies.start();
    } catch (error) {
      throw new OpsError(
        `the migrations failed (a backup made by a newer version of the service cannot be restored by this one): ${(error as Error).message}`,
      );
    }
    await tools.startRest();
    say('migrations applied');

    // 5. Keys of erased visitors deleted before the rebuild reads a single event.
    const inBackup = await erasuresIn(storage.readModels);
    const known = new Set(inBackup.map(subjectKey));
    const fromLists = new Map<string, ErasureEntry>();
    for (const entry of listed) {
      const key = subjectKey(entry);
      const seen = fromLists.get(key);
      if (known.has(key)) continue;
      if (seen === undefined || (entry.erasedAt ?? '') < (seen.erasedAt ?? '')) fromLists.set(key, entry);
    }
    const at = (entry: ErasureEntry) => (entry.erasedAt === undefined ? new Date(now()) : new Date(entry.erasedAt));
    for (const entry of [...inBackup, ...fromLists.values()]) await storage.keys.erase(entry, at(entry));
    say(
      `${inBackup.length} erased visitor(s) in the backup, ${fromLists.size} more from the erasure lists: keys deleted`,
    );

    // 6. Every read model from the events.
    const rebuilt = await runRebuild(
      storage,
      { projections: PROJECTIONS, dryRun: false, batchSize: request.batchSize },
      { stdout: io.stdout, stderr: io.stderr, now },
    );

    // 7. The erased visitors' copies: those of the backup wiped again, those of the lists erased anew.
    let rows = 0;
    let files = 0;
    for (const entry of inBackup) {
      const wiped = await erasure.wipe(entry);
      rows += wiped.rowsErased;
      files += wiped.filesDeleted;
    }
    for (const entry of fromLists.values()) {
      const report = await erasure.eraseVisitor(entry, at(entry), { actor: RESTORE_ACTOR });
      rows += report.rowsErased;
      files += report.filesDeleted;
    }
    await erasure.settle();
    say(
      `erasures re-applied: ${inBackup.length + fromLists.size} visitor(s), ${rows} row(s) and ${files} file(s) wiped`,
    );
    const seconds = (now() - started) / 1000;
    say(
      `done in ${seconds.toFixed(1)} s: ${events} events, ${rebuilt.length} read models rebuilt, ` +
        `${inBackup.length + fromLists.size} erasures re-applied (${fromLists.size} from lists). ` +
        'Start the service with a new KAFKA_NAMESPACE and REDIS_PREFIX.',
    );
    return { manifest, rebuilt, erasures: { fromBackup: inBackup.length, fromLists: fromLists.size }, seconds };
  } catch (error) {
    // The tables are in: a second run would find the database not empty.
    const cause = failureLine(error, url);
    throw new OpsError(
      `${cause}\nThe database holds a partial restore (the backup's tables, not ready to serve): fix the cause and run the restore again with --force.`,
    );
  } finally {
    await tools.stop();
  }
};
