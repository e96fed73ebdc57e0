// The bytes of attachments as files under a folder (embedded mode: DATA_DIR/attachments), one
// folder per company. A write goes to a temporary file that is renamed into place, so a reader
// (or a crash) never sees half a file.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import type { ContentStore, Variant } from './port';

/** Ids are the domain's (letters, digits, `_ . : @ -`); anything else in a file name is encoded. */
const safe = (part: string): string => encodeURIComponent(part).replace(/\./g, '%2E');

export const diskContent = (folder: string): ContentStore => {
  const root = path.resolve(folder);
  const fileOf = (companyId: string, attachmentId: string, variant: Variant): string =>
    path.join(root, safe(companyId), `${safe(attachmentId)}${variant === 'thumbnail' ? '.thumb' : ''}`);
  return {
    description: `files in ${root}`,
    start: async () => {
      await mkdir(root, { recursive: true });
    },
    stop: async () => undefined,
    put: async (companyId, attachmentId, variant, bytes) => {
      const file = fileOf(companyId, attachmentId, variant);
      await mkdir(path.dirname(file), { recursive: true });
      const temporary = `${file}.${randomBytes(6).toString('hex')}.tmp`;
      try {
        await writeFile(temporary, bytes, { mode: 0o600 });
        await rename(temporary, file);
      } catch (error) {
        await rm(temporary, { force: true });
        throw error;
      }
    },
    get: async (companyId, attachmentId, variant) => {
      try {
        return await readFile(fileOf(companyId, attachmentId, variant));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
      }
    },
    remove: async (companyId, attachmentId) => {
      await rm(fileOf(companyId, attachmentId, 'original'), { force: true });
      await rm(fileOf(companyId, attachmentId, 'thumbnail'), { force: true });
    },
  };
};
