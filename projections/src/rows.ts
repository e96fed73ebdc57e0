// The rows a batch of events touches: read in one statement, changed in memory in event order,
// written back in one statement per table. A read model folds a whole batch this way and ends
// with the rows that its events applied one at a time would have left.
import type { Knex } from 'knex';

/** A row as JSON: text, numbers and booleans as such, timestamps as ISO text, jsonb as JSON. */
export type Row = Record<string, unknown>;

export interface TableShape {
  /** Every column with its SQL type, as `jsonb_to_recordset` reads them. */
  readonly columns: readonly (readonly [name: string, type: string])[];
  /** The primary key's columns. */
  readonly key: readonly string[];
}

// Keys are ids (text): joined with a character no id holds.
const keyString = (shape: TableShape, row: Row): string => {
  let key = '';
  for (const column of shape.key) key += `${String(row[column])}\u0000`;
  return key;
};

const recordset = (columns: readonly (readonly [string, string])[]): string =>
  `jsonb_to_recordset(?::jsonb) as x(${columns.map(([name, type]) => `"${name}" ${type}`).join(', ')})`;

const keyColumns = (shape: TableShape) => shape.columns.filter(([name]) => shape.key.includes(name));

/**
 * Rows by key, as a read model's fold sees them. A fold may change the row `get` returns in place
 * (rows are many and batches large: copies would cost more than the rest of the fold); `set` then
 * says that it changed (or adds a new one), and only rows set or deleted are written back.
 */
export interface Rows {
  get(key: Row): Row | undefined;
  set(row: Row): void;
  delete(key: Row): void;
}

/** Changes the row in place and marks it changed; a missing row stays missing, as with SQL `update`. */
export const update = <R extends object>(rows: Rows, row: R | undefined, patch: Partial<R>): void => {
  if (row !== undefined) rows.set(Object.assign(row, patch));
};

/** The rows of one table that a batch touches, with what they were when loaded. */
export interface TouchedRows extends Rows {
  /** Writes back what changed: one upsert for the rows present, one delete for those gone. */
  write(db: Knex.Transaction): Promise<void>;
}

/** Rows held in memory only: the fold of a batch in a unit test. */
export const rowsInMemory = (shape: TableShape, initial: readonly Row[] = []): Rows & { all(): Row[] } => {
  const rows = new Map(initial.map((row) => [keyString(shape, row), row]));
  return {
    get: (key) => rows.get(keyString(shape, key)),
    set: (row) => void rows.set(keyString(shape, row), row),
    delete: (key) => void rows.delete(keyString(shape, key)),
    all: () => [...rows.values()],
  };
};

/** Loads the rows of `keys` (duplicates allowed) from `table` in one statement. */
export const touchRows = async (
  db: Knex.Transaction,
  table: string,
  shape: TableShape,
  keys: readonly Row[],
): Promise<TouchedRows> => {
  const wanted = new Map(keys.map((key) => [keyString(shape, key), key]));
  const loaded = new Map<string, Row>();
  if (wanted.size > 0) {
    const { rows } = await db.raw<{ rows: { row: Row }[] }>(
      // A lookup by primary key per row (a lateral subquery with a limit is never made a join):
      // a join would scan the whole table whenever the planner misjudges the number of keys.
      `select row_to_json(t) as row from ${recordset(keyColumns(shape))}
       cross join lateral (select * from ${table} t where ${shape.key
         .map((c) => `t."${c}" = x."${c}"`)
         .join(' and ')} limit 1) t`,
      [JSON.stringify([...wanted.values()].map((key) => Object.fromEntries(shape.key.map((c) => [c, key[c]]))))],
    );
    for (const { row } of rows) loaded.set(keyString(shape, row), row);
  }
  // What the fold set or deleted; only those rows are written back.
  const changed = new Map<string, Row | undefined>();
  const get = (key: string): Row | undefined => (changed.has(key) ? changed.get(key) : loaded.get(key));
  return {
    get: (key) => get(keyString(shape, key)),
    set: (row) => void changed.set(keyString(shape, row), row),
    delete: (key) => void changed.set(keyString(shape, key), undefined),
    write: async (trx) => {
      const upserts: Row[] = [];
      const deletes: Row[] = [];
      // In key order: two projectors writing the same rows (a rebalance) then wait, not deadlock.
      for (const [key, row] of [...changed].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
        if (row !== undefined) upserts.push(row);
        else if (loaded.has(key)) deletes.push(loaded.get(key)!);
      }
      await upsertRows(trx, table, shape, upserts);
      await deleteRows(trx, table, shape, deletes);
    },
  };
};

/** Inserts rows, replacing those of the same keys (each key at most once). */
export const upsertRows = async (
  db: Knex.Transaction,
  table: string,
  shape: TableShape,
  rows: readonly Row[],
): Promise<void> => {
  if (rows.length === 0) return;
  const names = shape.columns.map(([name]) => `"${name}"`).join(', ');
  const updates = shape.columns
    .filter(([name]) => !shape.key.includes(name))
    .map(([name]) => `"${name}" = excluded."${name}"`)
    .join(', ');
  await db.raw(
    `insert into ${table} (${names}) select ${names} from ${recordset(shape.columns)}
     on conflict (${shape.key.map((c) => `"${c}"`).join(', ')}) do update set ${updates}`,
    [JSON.stringify(rows)],
  );
};

/** Inserts the rows whose keys are not there yet; the others stay as they are. */
export const insertNewRows = async (
  db: Knex.Transaction,
  table: string,
  shape: TableShape,
  rows: readonly Row[],
): Promise<void> => {
  if (rows.length === 0) return;
  const names = shape.columns.map(([name]) => `"${name}"`).join(', ');
  await db.raw(
    `insert into ${table} (${names}) select ${names} from ${recordset(shape.columns)} on conflict do nothing`,
    [JSON.stringify(rows)],
  );
};

export const deleteRows = async (
  db: Knex.Transaction,
  table: string,
  shape: TableShape,
  keys: readonly Row[],
): Promise<void> => {
  if (keys.length === 0) return;
  await db.raw(
    `delete from ${table} t using ${recordset(keyColumns(shape))}
     where ${shape.key.map((c) => `t."${c}" = x."${c}"`).join(' and ')}`,
    [JSON.stringify(keys.map((key) => Object.fromEntries(shape.key.map((c) => [c, key[c]]))))],
  );
};
