// The attachment store: the files visitors and agents upload (and those platforms send), with
// their metadata. Metadata always sits in a SQL table (PGlite embedded, PostgreSQL distributed);
// the bytes sit behind the smaller `ContentStore` port: files on disk under DATA_DIR (embedded)
// or a PostgreSQL `bytea` table (distributed, where every process must read what any one wrote).
import * as t from 'io-ts';

/** Who uploaded a file: a visitor, or a member of staff (agent, supervisor, admin) as `agent`. */
export const AttachmentOwner = t.type({ role: t.keyof({ visitor: null, agent: null }), id: t.string });
export type AttachmentOwner = t.TypeOf<typeof AttachmentOwner>;

/** The small picture kept beside an image (at most THUMBNAIL_MAX_PX on each side). */
export const Thumbnail = t.type({ contentType: t.string, size: t.number, width: t.number, height: t.number });
export type Thumbnail = t.TypeOf<typeof Thumbnail>;

export const AttachmentRecord = t.intersection([
  t.type({
    attachmentId: t.string,
    companyId: t.string,
    owner: AttachmentOwner,
    name: t.string,
    size: t.number,
    /** Sniffed from the content, never the client's word. */
    contentType: t.string,
    sha256: t.string,
    createdAt: t.string,
  }),
  /** `sessionId`: the session whose message carried it (bound once, on the first send). */
  t.partial({ sessionId: t.string, thumbnail: Thumbnail }),
]);
export type AttachmentRecord = t.TypeOf<typeof AttachmentRecord>;

/** The bytes of a file or its thumbnail. */
export type Variant = 'original' | 'thumbnail';

/** Where the bytes live. Keys are `(companyId, attachmentId, variant)`; a put of an existing key replaces it. */
export interface ContentStore {
  readonly description: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  put(companyId: string, attachmentId: string, variant: Variant, bytes: Uint8Array): Promise<void>;
  get(companyId: string, attachmentId: string, variant: Variant): Promise<Buffer | undefined>;
  /** Removes both variants; nothing there is not an error. */
  remove(companyId: string, attachmentId: string): Promise<void>;
}

export interface AttachmentStore {
  readonly description: string;
  /** Creates the tables (and folders); safe to call twice. */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Keeps a new file: the bytes first, then its metadata, so metadata never names missing bytes. */
  save(record: AttachmentRecord, content: Uint8Array, thumbnail?: Uint8Array): Promise<void>;
  find(companyId: string, attachmentId: string): Promise<AttachmentRecord | undefined>;
  findMany(companyId: string, attachmentIds: readonly string[]): Promise<AttachmentRecord[]>;
  read(companyId: string, attachmentId: string, variant: Variant): Promise<Buffer | undefined>;
  /**
   * Binds files to a session: each one that is unbound or already bound to this session ends up
   * bound to it. Returns the ids that could not be (missing, or bound to another session).
   */
  bind(companyId: string, attachmentIds: readonly string[], sessionId: string): Promise<string[]>;
  /** Removes the file, its thumbnail and its metadata (a visitor's erasure). */
  erase(companyId: string, attachmentId: string): Promise<void>;
  /**
   * A visitor's erasure: removes every file it uploaded and every file of its sessions (what
   * agents sent it too), bytes, thumbnails and metadata. Returns how many; idempotent (0 again).
   */
  eraseVisitorFiles(companyId: string, visitorId: string, sessionIds: readonly string[]): Promise<number>;
}
