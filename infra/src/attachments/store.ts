// The attachment store over knex: metadata in `<schema>.attachments` (PGlite or PostgreSQL), the
// bytes in the ContentStore given (disk.ts or bytea.ts).
import type { Knex } from 'knex';
import type { AttachmentRecord, AttachmentStore, ContentStore, Variant } from './port';

export const DEFAULT_ATTACHMENT_SCHEMA = 'attachments';

export interface SqlAttachmentStoreOptions {
  readonly knex: Knex;
  readonly schema?: string;
  readonly content: ContentStore;
}

interface Row {
  attachment_id: string;
  company_id: string;
  owner_role: 'visitor' | 'agent';
  owner_id: string;
  session_id: string | null;
  name: string;
  size: string | number;
  content_type: string;
  sha256: string;
  created_at: Date | string;
  thumbnail: AttachmentRecord['thumbnail'] | string | null;
}

const recordOf = (row: Row): AttachmentRecord => {
  const thumbnail =
    typeof row.thumbnail === 'string' ? (JSON.parse(row.thumbnail) as AttachmentRecord['thumbnail']) : row.thumbnail;
  return {
    attachmentId: row.attachment_id,
    companyId: row.company_id,
    owner: { role: row.owner_role, id: row.owner_id },
    name: row.name,
    size: Number(row.size),
    contentType: row.content_type,
    sha256: row.sha256,
    createdAt: new Date(row.created_at).toISOString(),
    ...(row.session_id === null ? {} : { sessionId: row.session_id }),
    ...(thumbnail == null ? {} : { thumbnail }),
  };
};

export const createAttachmentStore = (options: SqlAttachmentStoreOptions): AttachmentStore => {
  const { knex, content } = options;
  const schema = options.schema ?? DEFAULT_ATTACHMENT_SCHEMA;
  const table = `"${schema}".attachments`;
  let started: Promise<void> | undefined;
  return {
    description: `attachments: metadata in schema ${schema}, ${content.description}`,
    start: () => {
      started ??= (async () => {
        // Processes starting together against one database create the tables one at a time.
        await knex.transaction(async (trx) => {
          await trx.raw(`select pg_advisory_xact_lock(hashtext(?))`, [`attachments:${schema}`]);
          await trx.raw(`create schema if not exists "${schema}"`);
          await trx.raw(`create table if not exists ${table} (
          company_id text not null,
          attachment_id text not null,
          owner_role text not null,
          owner_id text not null,
          session_id text,
          name text not null,
          size bigint not null,
          content_type text not null,
          sha256 text not null,
          created_at timestamptz not null,
          thumbnail jsonb,
          primary key (company_id, attachment_id)
        )`);
          await trx.raw(`create index if not exists attachments_by_session on ${table} (company_id, session_id)`);
        });
        await content.start();
      })();
      return started;
    },
    stop: async () => {
      await content.stop();
    },
    save: async (record, bytes, thumbnail) => {
      await content.put(record.companyId, record.attachmentId, 'original', bytes);
      if (thumbnail !== undefined) await content.put(record.companyId, record.attachmentId, 'thumbnail', thumbnail);
      await knex.raw(
        `insert into ${table} (company_id, attachment_id, owner_role, owner_id, session_id, name, size, content_type, sha256, created_at, thumbnail)
         values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb)
         on conflict (company_id, attachment_id) do nothing`,
        [
          record.companyId,
          record.attachmentId,
          record.owner.role,
          record.owner.id,
          record.sessionId ?? null,
          record.name,
          record.size,
          record.contentType,
          record.sha256,
          record.createdAt,
          record.thumbnail === undefined ? null : JSON.stringify(record.thumbnail),
        ],
      );
    },
    find: async (companyId, attachmentId) => {
      const { rows } = await knex.raw<{ rows: Row[] }>(
        `select * from ${table} where company_id = ? and attachment_id = ?`,
        [companyId, attachmentId],
      );
      return rows[0] === undefined ? undefined : recordOf(rows[0]);
    },
    findMany: async (companyId, attachmentIds) => {
      if (attachmentIds.length === 0) return [];
      const { rows } = await knex.raw<{ rows: Row[] }>(
        `select * from ${table} where company_id = ? and attachment_id = any(?::text[])`,
        [companyId, [...attachmentIds]],
      );
      const byId = new Map(rows.map((row) => [row.attachment_id, recordOf(row)]));
      return attachmentIds.flatMap((id) => {
        const found = byId.get(id);
        return found === undefined ? [] : [found];
      });
    },
    read: async (companyId, attachmentId, variant: Variant) => content.get(companyId, attachmentId, variant),
    bind: async (companyId, attachmentIds, sessionId) => {
      if (attachmentIds.length === 0) return [];
      // One statement: a file another session took a moment ago is not taken again.
      const { rows } = await knex.raw<{ rows: { attachment_id: string }[] }>(
        `update ${table} set session_id = ?
         where company_id = ? and attachment_id = any(?::text[]) and (session_id is null or session_id = ?)
         returning attachment_id`,
        [sessionId, companyId, [...attachmentIds], sessionId],
      );
      const bound = new Set(rows.map((row) => row.attachment_id));
      return attachmentIds.filter((id) => !bound.has(id));
    },
    erase: async (companyId, attachmentId) => {
      await knex.raw(`delete from ${table} where company_id = ? and attachment_id = ?`, [companyId, attachmentId]);
      await content.remove(companyId, attachmentId);
    },
    eraseVisitorFiles: async (companyId, visitorId, sessionIds) => {
      const { rows } = await knex.raw<{ rows: { attachment_id: string }[] }>(
        `select attachment_id from ${table}
         where company_id = ? and ((owner_role = 'visitor' and owner_id = ?) or session_id = any(?::text[]))`,
        [companyId, visitorId, [...sessionIds]],
      );
      if (rows.length === 0) return 0;
      const ids = rows.map((row) => row.attachment_id);
      // The bytes first: a stop halfway leaves metadata naming missing bytes, found and finished by the next run.
      for (const id of ids) await content.remove(companyId, id);
      await knex.raw(`delete from ${table} where company_id = ? and attachment_id = any(?::text[])`, [companyId, ids]);
      return ids.length;
    },
  };
};
