// `npm run backup`: arguments, the consistent snapshot, pg_dump of the source of truth, the
// manifest; and `--erasures-only`, the erasure list alone (small, to be taken often).
import { parseOptions } from '../cli/options';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Writable } from 'node:stream';
import type { Knex } from 'knex';
import { DEFAULT_EVENT_STORE_SCHEMA } from '@cschat/infra';
import {
  countRows,
  DUMP_FILE,
  ERASURES_FILE,
  erasureLines,
  erasuresIn,
  LEDGER,
  libpqEnv,
  majorOf,
  MANIFEST_FILE,
  MANIFEST_FORMAT,
  megabytes,
  migrationsOf,
  OpsError,
  program,
  programVersion,
  run,
  serverVersion,
  sha256Of,
  SOURCE_SCHEMAS,
  tablesOf,
  UsageError,
  type Manifest,
} from './backup-set';

export const HELP = `Usage: npm run backup -- --out <folder> [--pg-bin <dir>]
       npm run backup -- --erasures-only --out <file.jsonl>

Backs up what the PostgreSQL database holds that nothing else can make again, from one
consistent snapshot (the service may keep running):

  event_store     the events and streams (the source of truth of every read model)
  personal_data   the visitors' data keys and the tombstones of erased ones
  config          companies, agents, groups, working hours, FAQ, intents, canned responses,
                  settings, channel accounts, resume tokens, the configuration audit
  webhooks        endpoints, the outbox (deliveries and their attempts)
  attachments     file metadata and, in distributed mode, the files' bytes
  read_models.visitor_erasures   the erasure ledger

Left out, because \`npm run restore\` rebuilds them from the events: the read models with their
generations, parked events and the relay's checkpoint. Redis and Kafka hold nothing to back up.

The folder gets ${DUMP_FILE} (pg_dump's custom format), ${ERASURES_FILE} (the erased visitors:
ids and times, no personal data) and, last, ${MANIFEST_FILE} (service version, applied
migrations, time, the dump's size and sha256, the rows of every table): a folder without a
manifest is an unfinished backup. The folder must be new or empty.

--erasures-only writes only the erasure list of the live database to <file.jsonl>. It is small:
take it often (every few minutes) and keep it off this machine; \`npm run restore -- --erasures\`
re-applies the erasures made after the backup it restores.

Options:
  --out <path>        the backup folder (or, with --erasures-only, the list's file)
  --erasures-only     write the erasure list only
  --pg-bin <dir>      where pg_dump is (default: on PATH); its major version must be at least
                      the server's
  -h, --help          this text

The database is DATABASE_URL's, as for \`npm start\`. Embedded mode (PGlite): stop the service
and copy DATA_DIR (it holds the database and the attachments' files). EventStoreDB's events are
backed up with EventStoreDB's own tools; this command refuses that configuration.

Exit codes: 0 written; 1 failed (database unreachable, pg_dump failed, folder not empty);
2 wrong arguments or not a PostgreSQL configuration.

Example:
  $ npm run backup -- --out /backups/cschat-2026-12-06
  backup: snapshot of PostgreSQL 15.20 at 127.0.0.1:5432: 50940 events, 24 tables
  backup: pg_dump 15.20 -> /backups/cschat-2026-12-06/${DUMP_FILE}
  backup: done in 3.1 s: 12.4 MiB, 50940 events up to position 50940, 3 erased visitors
`;

export type BackupRequest =
  | { readonly kind: 'full'; readonly out: string; readonly pgBin: string | undefined }
  | { readonly kind: 'erasures'; readonly out: string };

export const parseRequest = (argv: readonly string[]): BackupRequest | 'help' => {
  const values = parseOptions(argv, {
    out: { type: 'string' },
    'erasures-only': { type: 'boolean' },
    'pg-bin': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help === true) return 'help';
  if (values.out === undefined || values.out === '') throw new UsageError('--out is required');
  const out = path.resolve(values.out);
  if (values['erasures-only'] === true) {
    if (values['pg-bin'] !== undefined) throw new UsageError('--pg-bin has no use with --erasures-only');
    return { kind: 'erasures', out };
  }
  return { kind: 'full', out, pgBin: values['pg-bin'] };
};

export interface BackupIo {
  readonly stdout: Writable;
  readonly now?: () => number;
}

/** The service's version and, in a git checkout, its commit. */
const serviceVersion = (): { version: string; commit: string | null } => {
  const root = path.resolve(__dirname, '../../..');
  const version = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version;
  let commit: string | null = null;
  try {
    commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root, stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
  } catch {
    // not a checkout (an installed copy): the version alone
  }
  return { version, commit };
};

export const runErasureExport = async (db: Knex, out: string, io: BackupIo): Promise<number> => {
  const entries = await erasuresIn(db);
  mkdirSync(path.dirname(out), { recursive: true });
  const partial = `${out}.partial`;
  writeFileSync(partial, erasureLines(entries));
  renameSync(partial, out);
  io.stdout.write(`backup: ${entries.length} erased visitor(s) -> ${out}\n`);
  return entries.length;
};

/**
 * The backup: a repeatable-read transaction exports its snapshot, the manifest's counts are read
 * in it, and pg_dump dumps that same snapshot, so the counts are exactly the dump's rows.
 */
export const runBackup = async (
  db: Knex,
  databaseUrl: string,
  request: Extract<BackupRequest, { kind: 'full' }>,
  io: BackupIo,
): Promise<Manifest> => {
  const now = io.now ?? Date.now;
  const started = now();
  if (existsSync(request.out) && (!statSync(request.out).isDirectory() || readdirSync(request.out).length > 0)) {
    throw new OpsError(`${request.out} exists and is not an empty folder: give a new one`);
  }
  const pgDump = program('pg_dump', request.pgBin);
  const dumpVersion = await programVersion(pgDump);
  const server = await serverVersion(db);
  if (majorOf(dumpVersion) < majorOf(server)) {
    throw new OpsError(
      `pg_dump ${dumpVersion} is older than the server (PostgreSQL ${server}): it cannot dump it; install pg_dump ${majorOf(server)} or newer (--pg-bin)`,
    );
  }
  mkdirSync(request.out, { recursive: true });
  const dumpFile = path.join(request.out, DUMP_FILE);
  const host = new URL(databaseUrl).host;

  const manifest = await db.transaction(
    async (trx) => {
      const { rows } = await trx.raw<{ rows: { id: string }[] }>(`select pg_export_snapshot() as id`);
      const snapshot = rows[0]!.id;
      const tables = await tablesOf(trx);
      if (!tables.includes(`${DEFAULT_EVENT_STORE_SCHEMA}.events`)) {
        throw new OpsError(
          `the database at ${host} has no event store (${DEFAULT_EVENT_STORE_SCHEMA}.events): wrong DATABASE_URL?`,
        );
      }
      const counts = await countRows(trx, tables);
      const migrations = await migrationsOf(trx);
      const { rows: last } = await trx.raw<{ rows: { p: string | null }[] }>(
        `select max(global_position)::text as p from "${DEFAULT_EVENT_STORE_SCHEMA}".events`,
      );
      const erasures = await erasuresIn(trx);
      // The read models' schema minus the ledger: every other relation in it is excluded by name.
      const { rows: derived } = await trx.raw<{ rows: { name: string }[] }>(
        `select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
         where n.nspname = ? and c.relkind in ('r', 'p', 'v', 'm', 'S', 'f') and c.relname <> ? order by 1`,
        [LEDGER.schema, LEDGER.table],
      );
      io.stdout.write(
        `backup: snapshot of PostgreSQL ${server} at ${host}: ${counts[`${DEFAULT_EVENT_STORE_SCHEMA}.events`]} events, ${tables.length} tables\n`,
      );
      io.stdout.write(`backup: pg_dump ${dumpVersion} -> ${dumpFile}\n`);
      const partial = `${dumpFile}.partial`;
      let dumped = 0;
      const result = await run(
        pgDump,
        [
          '--format=custom',
          `--snapshot=${snapshot}`,
          '--no-owner',
          '--no-privileges',
          '--verbose',
          `--file=${partial}`,
          ...[...SOURCE_SCHEMAS, LEDGER.schema].map((s) => `--schema=${s}`),
          ...derived.map((r) => `--exclude-table=${LEDGER.schema}.${r.name}`),
        ],
        libpqEnv(databaseUrl),
        (line) => {
          // One line per table's data: the progress (the verbose rest is pg_dump's own detail).
          const table = /dumping contents of table "([^"]+)"/.exec(line);
          if (table !== null) {
            dumped += 1;
            io.stdout.write(`backup: [${dumped}/${tables.length}] ${table[1]}\n`);
          }
        },
      );
      if (result.code !== 0) {
        const errors = result.stderr
          .split('\n')
          .filter((l) => /error|fatal/i.test(l))
          .join('\n');
        throw new OpsError(`pg_dump exited with ${result.code}:\n${errors || result.stderr.trim()}`);
      }
      renameSync(partial, dumpFile);
      writeFileSync(path.join(request.out, ERASURES_FILE), erasureLines(erasures));
      const bytes = statSync(dumpFile).size;
      return {
        format: MANIFEST_FORMAT,
        createdAt: new Date(now()).toISOString(),
        service: serviceVersion(),
        database: { server, pgDump: dumpVersion },
        dump: { file: DUMP_FILE, bytes, sha256: await sha256Of(dumpFile) },
        schemas: [...SOURCE_SCHEMAS],
        tables,
        migrations,
        lastPosition: last[0]?.p ?? '0',
        counts,
        erasures: erasures.length,
      } satisfies Manifest;
    },
    { isolationLevel: 'repeatable read', readOnly: true },
  );
  // Last: a folder with a manifest is a whole backup.
  writeFileSync(path.join(request.out, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  io.stdout.write(
    `backup: done in ${((now() - started) / 1000).toFixed(1)} s: ${megabytes(manifest.dump.bytes)}, ` +
      `${manifest.counts[`${DEFAULT_EVENT_STORE_SCHEMA}.events`]} events up to position ${manifest.lastPosition}, ` +
      `${manifest.erasures} erased visitor(s)\n`,
  );
  return manifest;
};
