// Personal data and its erasure (crypto-shredding). Personal fields of events (message texts, names,
// emails, phones, attributes, comments, file names) are kept encrypted under a data key of the visitor
// they are about; erasing the visitor deletes the key, so the events stay and read `ERASED`.

/** What an erased personal text reads as, everywhere: live reads, history, audit, rebuilds. */
export const ERASED = '[erased]';

/** Whose data a key protects: one visitor of one company. */
export interface DataSubject {
  readonly companyId: string;
  readonly visitorId: string;
}

/** A subject's key: 32 random bytes for AES-256-GCM, with the id written next to each ciphertext. */
export interface DataKey {
  readonly keyId: string;
  readonly key: Buffer;
}

/**
 * The data keys (PostgreSQL / PGlite table behind this port, one contract suite for every
 * implementation). A key once erased never comes back: `keyFor` of an erased subject answers
 * `'erased'` (a tombstone is kept), so nothing new is written readable for it either.
 */
export interface KeyStore {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** The subject's key, created on first use (concurrent callers get the same key); `'erased'` after an erasure. */
  keyFor(subject: DataSubject): Promise<DataKey | 'erased'>;
  /** The key of a ciphertext, by the id written with it; `undefined` when it was erased (or never existed). */
  keyById(keyId: string): Promise<DataKey | undefined>;
  /** Deletes the subject's key and leaves a tombstone; true when there was a key or none yet, idempotent. */
  erase(subject: DataSubject, at: Date): Promise<void>;
  /** Whether the subject was erased (the tombstone). */
  isErased(subject: DataSubject): Promise<boolean>;
}

/** What one erasure did, for the operator's tool, the audit line and the HTTP answer. */
export interface ErasureReport {
  readonly subject: DataSubject;
  /** Whether the subject was already erased before (nothing left to do but the derived copies, again). */
  readonly alreadyErased: boolean;
  /** Rows of derived copies (read models, search index, outbox) rewritten or deleted. */
  readonly rowsErased: number;
  /** Attachment bodies deleted. */
  readonly filesDeleted: number;
}
