// Every row of every table of some schemas as text (one JSON line per row), to grep a marker out
// of a database in erasure tests: whatever the table, column or type, a plaintext copy shows.
import type { Knex } from 'knex';

export const dumpSchemas = async (db: Knex, schemas: readonly string[]): Promise<string> => {
  const { rows: tables } = await db.raw<{ rows: { schema: string; name: string }[] }>(
    `select table_schema as schema, table_name as name from information_schema.tables
     where table_schema = any(?::text[]) and table_type = 'BASE TABLE' order by 1, 2`,
    [[...schemas]],
  );
  const lines: string[] = [];
  for (const { schema, name } of tables) {
    // Bytes as text too (a file's body kept in a bytea column).
    const { rows } = await db.raw<{ rows: { line: string }[] }>(
      `select row_to_json(t)::text as line from "${schema}"."${name}" t`,
    );
    for (const { line } of rows) lines.push(`${schema}.${name} ${line}`);
    const { rows: byteaColumns } = await db.raw<{ rows: { column: string }[] }>(
      `select column_name as column from information_schema.columns
       where table_schema = ? and table_name = ? and data_type = 'bytea'`,
      [schema, name],
    );
    for (const { column } of byteaColumns) {
      // `escape`: printable ASCII as itself, every other byte as \ooo. A conversion to text would
      // fail on a zero byte, which a random data key holds one time in eight.
      const { rows: bodies } = await db.raw<{ rows: { body: string }[] }>(
        `select encode("${column}", 'escape') as body from "${schema}"."${name}"`,
      );
      for (const { body } of bodies) lines.push(`${schema}.${name}.${column} ${body}`);
    }
  }
  return lines.join('\n');
};
