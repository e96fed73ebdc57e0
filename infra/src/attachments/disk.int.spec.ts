import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { Knex } from 'knex';
import { createPgliteKnex } from '../event-store';
import { attachmentStoreContract } from './contract';
import { diskContent } from './disk';
import { createAttachmentStore } from './store';

describe('attachment store: files on disk, metadata in PGlite (embedded)', () => {
  let knex: Knex;
  let schemas = 0;
  // Opening PGlite takes seconds (far more on a busy machine): once, here, not in the first test's setup.
  beforeAll(async () => {
    knex = createPgliteKnex();
    await knex.raw('select 1');
  }, 180_000);
  afterAll(() => knex.destroy());

  attachmentStoreContract(async () => {
    const schema = `att_contract_${++schemas}`;
    const folder = await mkdtemp(path.join(tmpdir(), 'attachments-'));
    const store = createAttachmentStore({ knex, schema, content: diskContent(folder) });
    await store.start();
    return {
      store,
      dispose: async () => {
        await store.stop();
        await knex.raw(`drop schema "${schema}" cascade`);
        await rm(folder, { recursive: true, force: true });
      },
    };
  });

  it('writes through a temporary file renamed into place, leaving none behind', async () => {
    const folder = await mkdtemp(path.join(tmpdir(), 'attachments-'));
    const content = diskContent(folder);
    await content.start();
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => content.put('acme', 'f-1', 'original', Buffer.alloc(64 * 1024, i))),
    );
    const files = await readdir(path.join(folder, 'acme'));
    expect(files).toEqual(['f-1']);
    const read = await content.get('acme', 'f-1', 'original');
    // Whichever write came last, the file is one whole write, never a mix.
    expect(read?.length).toBe(64 * 1024);
    expect(new Set(read).size).toBe(1);
    await rm(folder, { recursive: true, force: true });
  });

  it('keeps ids that are not file names safe inside its folder', async () => {
    const folder = await mkdtemp(path.join(tmpdir(), 'attachments-'));
    const content = diskContent(folder);
    await content.start();
    await content.put('..', '../../escape', 'original', Buffer.from('x'));
    expect(await readdir(folder)).toEqual(['%2E%2E']);
    expect((await content.get('..', '../../escape', 'original'))?.toString()).toBe('x');
    await rm(folder, { recursive: true, force: true });
  });
});
