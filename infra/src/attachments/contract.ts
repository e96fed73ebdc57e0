// The one contract every attachment store passes: metadata and bytes kept together, companies
// apart, binding to one session only, erasure.
import { createHash, randomBytes } from 'node:crypto';
import type { AttachmentRecord, AttachmentStore } from './port';

export interface AttachmentStoreFixture {
  readonly store: AttachmentStore;
  dispose(): Promise<void>;
}

let counter = 0;
const recordOf = (bytes: Buffer, overrides: Partial<AttachmentRecord> = {}): AttachmentRecord => ({
  attachmentId: `f-${++counter}-${randomBytes(4).toString('hex')}`,
  companyId: 'acme',
  owner: { role: 'visitor', id: 'v-1' },
  name: 'invoice 2026.pdf',
  size: bytes.length,
  contentType: 'application/pdf',
  sha256: createHash('sha256').update(bytes).digest('hex'),
  createdAt: '2026-12-05T10:00:00.000Z',
  ...overrides,
});

export const attachmentStoreContract = (setup: () => Promise<AttachmentStoreFixture>): void => {
  let f: AttachmentStoreFixture;
  beforeEach(async () => {
    f = await setup();
  });
  afterEach(() => f.dispose());

  it('keeps a file and its metadata, and gives both back', async () => {
    const bytes = randomBytes(1024 * 1024 + 7);
    const record = recordOf(bytes);
    await f.store.save(record, bytes);
    expect(await f.store.find('acme', record.attachmentId)).toEqual(record);
    const read = await f.store.read('acme', record.attachmentId, 'original');
    expect(read !== undefined && Buffer.compare(read, bytes)).toBe(0);
    expect(await f.store.read('acme', record.attachmentId, 'thumbnail')).toBeUndefined();
  });

  it('keeps an image thumbnail beside the file', async () => {
    const bytes = randomBytes(500);
    const thumb = randomBytes(40);
    const record = recordOf(bytes, {
      contentType: 'image/png',
      name: '照片.png',
      owner: { role: 'agent', id: 'alice' },
      thumbnail: { contentType: 'image/png', size: 40, width: 320, height: 200 },
    });
    await f.store.save(record, bytes, thumb);
    expect(await f.store.find('acme', record.attachmentId)).toEqual(record);
    const read = await f.store.read('acme', record.attachmentId, 'thumbnail');
    expect(read !== undefined && Buffer.compare(read, thumb)).toBe(0);
  });

  it('keeps companies apart: another company reads nothing under the same id', async () => {
    const bytes = randomBytes(10);
    const record = recordOf(bytes);
    await f.store.save(record, bytes);
    expect(await f.store.find('other', record.attachmentId)).toBeUndefined();
    expect(await f.store.read('other', record.attachmentId, 'original')).toBeUndefined();
    expect(await f.store.findMany('other', [record.attachmentId])).toEqual([]);
    expect(await f.store.bind('other', [record.attachmentId], 's-1')).toEqual([record.attachmentId]);
  });

  it('finds many in the order asked, leaving out the unknown', async () => {
    const a = recordOf(Buffer.from('a'));
    const b = recordOf(Buffer.from('b'));
    await f.store.save(a, Buffer.from('a'));
    await f.store.save(b, Buffer.from('b'));
    const found = await f.store.findMany('acme', [b.attachmentId, 'nope', a.attachmentId]);
    expect(found.map((r) => r.attachmentId)).toEqual([b.attachmentId, a.attachmentId]);
  });

  it('binds a file to one session: again to the same one is fine, to another is refused', async () => {
    const bytes = Buffer.from('x');
    const record = recordOf(bytes);
    await f.store.save(record, bytes);
    expect(await f.store.bind('acme', [record.attachmentId], 's-1')).toEqual([]);
    expect(await f.store.bind('acme', [record.attachmentId], 's-1')).toEqual([]);
    expect(await f.store.bind('acme', [record.attachmentId, 'missing'], 's-2')).toEqual([
      record.attachmentId,
      'missing',
    ]);
    expect((await f.store.find('acme', record.attachmentId))?.sessionId).toBe('s-1');
  });

  it('binds to one of two sessions racing for the same file', async () => {
    const bytes = Buffer.from('y');
    const record = recordOf(bytes);
    await f.store.save(record, bytes);
    const outcomes = await Promise.all([
      f.store.bind('acme', [record.attachmentId], 's-a'),
      f.store.bind('acme', [record.attachmentId], 's-b'),
    ]);
    expect(outcomes.filter((unbound) => unbound.length === 0)).toHaveLength(1);
  });

  it('erases a file, its thumbnail and its metadata', async () => {
    const bytes = Buffer.from('secret');
    const record = recordOf(bytes, { thumbnail: { contentType: 'image/png', size: 1, width: 1, height: 1 } });
    await f.store.save(record, bytes, Buffer.from('t'));
    await f.store.erase('acme', record.attachmentId);
    expect(await f.store.find('acme', record.attachmentId)).toBeUndefined();
    expect(await f.store.read('acme', record.attachmentId, 'original')).toBeUndefined();
    expect(await f.store.read('acme', record.attachmentId, 'thumbnail')).toBeUndefined();
    await f.store.erase('acme', record.attachmentId);
  });

  it("erases a visitor's files: those it uploaded and those of its sessions, of its company only, once", async () => {
    const save = async (overrides: Partial<AttachmentRecord>, thumbnail?: Buffer): Promise<AttachmentRecord> => {
      const bytes = randomBytes(64);
      const record = recordOf(bytes, overrides);
      await f.store.save(record, bytes, thumbnail);
      return record;
    };
    const unbound = await save({ owner: { role: 'visitor', id: 'v-erased' } });
    const sent = await save(
      {
        owner: { role: 'visitor', id: 'v-erased' },
        sessionId: 's-erased',
        thumbnail: { contentType: 'image/png', size: 1, width: 1, height: 1 },
      },
      Buffer.from('t'),
    );
    const received = await save({ owner: { role: 'agent', id: 'alice' }, sessionId: 's-erased-2' });
    const otherVisitor = await save({ owner: { role: 'visitor', id: 'v-kept' }, sessionId: 's-kept' });
    const otherCompany = await save({ companyId: 'other', owner: { role: 'visitor', id: 'v-erased' } });

    expect(await f.store.eraseVisitorFiles('acme', 'v-erased', ['s-erased', 's-erased-2'])).toBe(3);
    for (const gone of [unbound, sent, received]) {
      expect(await f.store.find('acme', gone.attachmentId)).toBeUndefined();
      expect(await f.store.read('acme', gone.attachmentId, 'original')).toBeUndefined();
      expect(await f.store.read('acme', gone.attachmentId, 'thumbnail')).toBeUndefined();
    }
    expect(await f.store.find('acme', otherVisitor.attachmentId)).toBeDefined();
    expect(await f.store.read('acme', otherVisitor.attachmentId, 'original')).toBeDefined();
    expect(await f.store.find('other', otherCompany.attachmentId)).toBeDefined();
    expect(await f.store.eraseVisitorFiles('acme', 'v-erased', ['s-erased', 's-erased-2'])).toBe(0);
    expect(await f.store.eraseVisitorFiles('acme', 'v-nobody', [])).toBe(0);
  });

  it('starts twice without harm and keeps what was saved', async () => {
    const bytes = Buffer.from('kept');
    const record = recordOf(bytes);
    await f.store.save(record, bytes);
    await f.store.start();
    expect((await f.store.find('acme', record.attachmentId))?.sha256).toBe(record.sha256);
  });
};
