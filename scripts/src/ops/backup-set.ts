// What a backup holds and how it is read back: the source-of-truth part of the PostgreSQL database
// (everything else is rebuilt from the events), the manifest written beside the dump, the erasure
// list, and the PostgreSQL client programs (pg_dump, pg_restore) run with the database's address
// in their environment rather than on their command line (a password would show in `ps`).
import { UsageError } from '../cli/options';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { isLeft } from 'fp-ts/Either';
import * as t from 'io-ts';
import type { Knex } from 'knex';
import {
  DEFAULT_ATTACHMENT_SCHEMA,
  DEFAULT_COMPANY_CONFIG_SCHEMA,
  DEFAULT_EVENT_STORE_SCHEMA,
  DEFAULT_PERSONAL_DATA_SCHEMA,
  DEFAULT_WEBHOOK_SCHEMA,
  type Config,
} from '@cschat/infra';
import { DEFAULT_READ_MODEL_SCHEMA } from '@cschat/projections';

export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** A failure to report in one line (no stack): the database, a program, a file said no. */
export class OpsError extends Error {
  override readonly name = 'OpsError';
}
export { UsageError };

/**
 * Schemas kept whole: the events and streams (with the append function and the migrations), the
 * visitors' data keys and their tombstones (without a key a sealed field is unreadable), the
 * company configuration (companies, agents and their password hashes, groups, working hours, FAQ,
 * intents, canned responses, settings, channel accounts, resume tokens, the configuration audit),
 * the webhook endpoints with their outbox (deliveries not made yet, attempts), and the attachments
 * (metadata, and in distributed mode the bytes).
 */
export const SOURCE_SCHEMAS = [
  DEFAULT_EVENT_STORE_SCHEMA,
  DEFAULT_PERSONAL_DATA_SCHEMA,
  DEFAULT_COMPANY_CONFIG_SCHEMA,
  DEFAULT_WEBHOOK_SCHEMA,
  DEFAULT_ATTACHMENT_SCHEMA,
] as const;

/**
 * The one table of the read models' schema that no rebuild makes: the erasure ledger (who was
 * erased, when, by whom). The rest of that schema (the read models, their generations, parked
 * events, the relay's checkpoint) is left out and rebuilt.
 */
export const LEDGER = { schema: DEFAULT_READ_MODEL_SCHEMA, table: 'visitor_erasures' } as const;

export const DUMP_FILE = 'cschat.dump';
export const MANIFEST_FILE = 'manifest.json';
export const ERASURES_FILE = 'erasures.jsonl';
export const MANIFEST_FORMAT = 'cschat-backup/1';

export const Manifest = t.type({
  format: t.literal(MANIFEST_FORMAT),
  createdAt: t.string,
  service: t.type({ version: t.string, commit: t.union([t.string, t.null]) }),
  database: t.type({ server: t.string, pgDump: t.string }),
  dump: t.type({ file: t.string, bytes: t.number, sha256: t.string }),
  schemas: t.array(t.string),
  tables: t.array(t.string),
  migrations: t.record(t.string, t.array(t.string)),
  /** The event store's newest global position when the snapshot was taken ("0": no events). */
  lastPosition: t.string,
  /** Rows of every table in the dump, as the snapshot saw them ("schema.table" -> rows). */
  counts: t.record(t.string, t.number),
  erasures: t.number,
});
export type Manifest = t.TypeOf<typeof Manifest>;

export const readManifest = (folder: string): Manifest => {
  const file = path.join(folder, MANIFEST_FILE);
  if (!existsSync(file))
    throw new OpsError(`${file} does not exist: not a backup folder, or the backup did not finish`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new OpsError(`${file} is not JSON: ${(error as Error).message}`);
  }
  const decoded = Manifest.decode(parsed);
  if (isLeft(decoded)) {
    const where = decoded.left.map((e) =>
      e.context
        .map((c) => c.key)
        .filter((k) => k !== '')
        .join('.'),
    );
    throw new OpsError(
      `${file} is not a ${MANIFEST_FORMAT} manifest (bad or missing: ${[...new Set(where)].join(', ')})`,
    );
  }
  return decoded.right;
};

// ---- erasures ----

/** One erased visitor, as a line of an erasure list (JSON Lines). Ids only: no personal data. */
export const ErasureEntry = t.intersection([
  t.type({ companyId: t.string, visitorId: t.string }),
  t.partial({ erasedAt: t.string }),
]);
export type ErasureEntry = t.TypeOf<typeof ErasureEntry>;

/** Every erased visitor the database knows: its key's tombstone or its ledger row (either may be alone after a crash). */
export const erasuresIn = async (db: Knex): Promise<ErasureEntry[]> => {
  const { rows } = await db.raw<{ rows: { company_id: string; visitor_id: string; erased_at: Date | null }[] }>(
    `select company_id, visitor_id, min(erased_at) as erased_at from (
       select company_id, visitor_id, erased_at from "${DEFAULT_PERSONAL_DATA_SCHEMA}".data_keys where key is null
       union all
       select company_id, visitor_id, erased_at from "${LEDGER.schema}"."${LEDGER.table}"
     ) e group by company_id, visitor_id order by 3, 1, 2`,
  );
  return rows.map((r) => ({
    companyId: r.company_id,
    visitorId: r.visitor_id,
    ...(r.erased_at === null ? {} : { erasedAt: new Date(r.erased_at).toISOString() }),
  }));
};

export const erasureLines = (entries: readonly ErasureEntry[]): string =>
  entries.map((e) => `${JSON.stringify(e)}\n`).join('');

/** Reads an erasure list; a bad line fails the whole file with its number. */
export const readErasureList = (file: string): ErasureEntry[] => {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new OpsError(`cannot read the erasure list ${file}: ${(error as Error).message}`);
  }
  return text.split('\n').flatMap((line, index) => {
    if (line.trim() === '') return [];
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      throw new OpsError(`${file}:${index + 1}: not JSON`);
    }
    const decoded = ErasureEntry.decode(parsed);
    if (isLeft(decoded) || decoded.right.companyId === '' || decoded.right.visitorId === '') {
      throw new OpsError(`${file}:${index + 1}: expected {"companyId": "...", "visitorId": "...", "erasedAt"?: "..."}`);
    }
    if (decoded.right.erasedAt !== undefined && Number.isNaN(Date.parse(decoded.right.erasedAt))) {
      throw new OpsError(`${file}:${index + 1}: erasedAt "${decoded.right.erasedAt}" is not an ISO-8601 time`);
    }
    return [decoded.right];
  });
};

// ---- the database ----

/** Base tables of the dump's part of the database, as "schema.table" (partitioned parents hold no rows). */
export const tablesOf = async (db: Knex): Promise<string[]> => {
  const { rows } = await db.raw<{ rows: { name: string }[] }>(
    `select n.nspname || '.' || c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where c.relkind = 'r' and (n.nspname = any(?::text[]) or (n.nspname = ? and c.relname = ?)) order by 1`,
    [[...SOURCE_SCHEMAS], LEDGER.schema, LEDGER.table],
  );
  return rows.map((r) => r.name);
};

export const quoted = (qualified: string): string =>
  qualified
    .split('.')
    .map((part) => `"${part.replace(/"/g, '""')}"`)
    .join('.');

export const countRows = async (db: Knex, tables: readonly string[]): Promise<Record<string, number>> => {
  const counts: Record<string, number> = {};
  for (const table of tables) {
    const { rows } = await db.raw<{ rows: { n: string }[] }>(`select count(*)::text as n from ${quoted(table)}`);
    counts[table] = Number(rows[0]?.n ?? 0);
  }
  return counts;
};

/** Names of the applied migrations of the schemas that keep them (knex's `migrations` tables). */
export const migrationsOf = async (db: Knex): Promise<Record<string, string[]>> => {
  const out: Record<string, string[]> = {};
  for (const schema of [DEFAULT_EVENT_STORE_SCHEMA, DEFAULT_COMPANY_CONFIG_SCHEMA]) {
    const { rows: exists } = await db.raw<{ rows: unknown[] }>(
      `select 1 from information_schema.tables where table_schema = ? and table_name = 'migrations'`,
      [schema],
    );
    if (exists.length === 0) continue;
    const { rows } = await db.raw<{ rows: { name: string }[] }>(`select name from "${schema}".migrations order by id`);
    out[schema] = rows.map((r) => r.name);
  }
  return out;
};

/** User relations of the database (tables, views, sequences), extensions' own objects aside. */
export const userRelations = async (db: Knex): Promise<string[]> => {
  const { rows } = await db.raw<{ rows: { name: string }[] }>(
    `select n.nspname || '.' || c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where c.relkind in ('r', 'p', 'v', 'm', 'S', 'f')
       and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg\\_toast%'
       and n.nspname not like 'pg\\_temp%'
       and not exists (select 1 from pg_depend d where d.classid = 'pg_class'::regclass and d.objid = c.oid
                       and d.deptype = 'e')
     order by 1`,
  );
  return rows.map((r) => r.name);
};

export const serverVersion = async (db: Knex): Promise<string> => {
  const { rows } = await db.raw<{ rows: { v: string }[] }>(`select current_setting('server_version') as v`);
  return (rows[0]?.v ?? '').split(' ')[0] ?? '';
};

export const majorOf = (version: string): number => Number(version.split('.')[0]);

// ---- the client programs ----

/** libpq's environment for a postgres:// URL, so that no password is on a command line. */
export const libpqEnv = (url: string): Record<string, string> => {
  const u = new URL(url);
  const env: Record<string, string> = {};
  if (u.hostname !== '') env['PGHOST'] = decodeURIComponent(u.hostname).replace(/^\[(.*)\]$/, '$1');
  if (u.port !== '') env['PGPORT'] = u.port;
  if (u.username !== '') env['PGUSER'] = decodeURIComponent(u.username);
  if (u.password !== '') env['PGPASSWORD'] = decodeURIComponent(u.password);
  const database = decodeURIComponent(u.pathname.replace(/^\//, ''));
  if (database !== '') env['PGDATABASE'] = database;
  const sslmode = u.searchParams.get('sslmode');
  if (sslmode !== null) env['PGSSLMODE'] = sslmode;
  return env;
};

/** The program in `binDir` when given, else on PATH. */
export const program = (name: 'pg_dump' | 'pg_restore', binDir: string | undefined): string =>
  binDir === undefined ? name : path.join(binDir, name);

export interface Ran {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a program to its end; `onStderr` sees its verbose lines as they come. */
export const run = (
  command: string,
  args: readonly string[],
  env: Record<string, string>,
  onStderr?: (line: string) => void,
): Promise<Ran> =>
  new Promise((resolve, reject) => {
    const child = spawn(command, [...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let partial = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) onStderr?.(line);
    });
    child.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new OpsError(
          error.code === 'ENOENT'
            ? `${command} not found: install PostgreSQL's client programs or give their folder with --pg-bin`
            : `${command}: ${error.message}`,
        ),
      ),
    );
    child.once('close', (code) => {
      if (partial !== '') onStderr?.(partial);
      resolve({ code: code ?? 1, stdout, stderr });
    });
  });

/** "15.20" of `pg_dump (PostgreSQL) 15.20 (Debian ...)`. */
export const programVersion = async (command: string): Promise<string> => {
  const { code, stdout, stderr } = await run(command, ['--version'], {});
  const found = /\)\s+(\d+(?:\.\d+)*)/.exec(stdout);
  if (code !== 0 || found === null)
    throw new OpsError(`${command} --version failed: ${stderr.trim() || stdout.trim()}`);
  return found[1]!;
};

export const sha256Of = (file: string): Promise<string> =>
  new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(file)
      .on('data', (chunk) => hash.update(chunk))
      .once('error', reject)
      .once('end', () => resolve(hash.digest('hex')));
  });

export const megabytes = (bytes: number): string => `${(bytes / 1_048_576).toFixed(1)} MiB`;

/** The PostgreSQL database of a configuration; the other configurations are refused with what to do instead. */
export const postgresUrlOf = (config: Config): string => {
  const store = config.eventStore;
  if (store.kind === 'pglite') {
    throw new UsageError(
      `embedded mode (no DATABASE_URL): stop the service and copy DATA_DIR (${config.dataDir}) instead; it holds the database and the files`,
    );
  }
  if (store.kind === 'eventstoredb') {
    throw new UsageError(
      'EVENTSTORE_URL is set: the events are in EventStoreDB, which its own backup tools cover; this command backs up a PostgreSQL event store',
    );
  }
  return store.url;
};

/** knex's own logger silenced: a connection failure is reported once, by failureLine. */
export const QUIET_KNEX_LOG = {
  warn: () => undefined,
  error: () => undefined,
  deprecate: () => undefined,
  debug: () => undefined,
};

/** One line for what went wrong: ours as said, the database's (an error with a code) with where, anything else with its stack. */
export const failureLine = (error: unknown, url: string): string => {
  if (error instanceof OpsError) return error.message;
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string') {
    const where = new URL(url);
    return `the database ${decodeURIComponent(where.pathname.slice(1))} at ${where.host}: ${(error as Error).message} (${code})`;
  }
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
};
