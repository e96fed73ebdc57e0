// The bytes of attachments in a PostgreSQL table (distributed mode: every gateway reads what any
// one stored). `bytea` rather than large objects: with uploads capped at UPLOAD_MAX_BYTES (10 MiB
// by default) a value fits in one row and one round trip, knex/pg read and write it as a Buffer,
// and rows go with `delete` and backups like any other; large objects need their own API, a
// transaction per read and `lo_unlink` on delete, which pays off only for files far larger.
import type { Knex } from 'knex';
import type { ContentStore } from './port';

export const byteaContent = (knex: Knex, schema: string): ContentStore => {
  const table = `"${schema}".attachment_content`;
  return {
    description: `bytes in PostgreSQL table ${schema}.attachment_content (bytea)`,
    start: async () => {
      await knex.transaction(async (trx) => {
        await trx.raw(`select pg_advisory_xact_lock(hashtext(?))`, [`attachment-content:${schema}`]);
        await trx.raw(`create schema if not exists "${schema}"`);
        await trx.raw(`create table if not exists ${table} (
        company_id text not null,
        attachment_id text not null,
        variant text not null,
        bytes bytea not null,
        primary key (company_id, attachment_id, variant)
      )`);
      });
    },
    stop: async () => undefined,
    put: async (companyId, attachmentId, variant, bytes) => {
      await knex.raw(
        `insert into ${table} (company_id, attachment_id, variant, bytes) values (?, ?, ?, ?)
         on conflict (company_id, attachment_id, variant) do update set bytes = excluded.bytes`,
        [companyId, attachmentId, variant, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)],
      );
    },
    get: async (companyId, attachmentId, variant) => {
      const { rows } = await knex.raw<{ rows: { bytes: Buffer | Uint8Array }[] }>(
        `select bytes from ${table} where company_id = ? and attachment_id = ? and variant = ?`,
        [companyId, attachmentId, variant],
      );
      const found = rows[0]?.bytes;
      return found === undefined ? undefined : Buffer.isBuffer(found) ? found : Buffer.from(found);
    },
    remove: async (companyId, attachmentId) => {
      await knex.raw(`delete from ${table} where company_id = ? and attachment_id = ?`, [companyId, attachmentId]);
    },
  };
};
