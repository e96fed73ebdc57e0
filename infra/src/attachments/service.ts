// The attachments' use cases: keeping an upload, checking the files a message names, binding them
// to its session, and deciding who may read a file.
import { createHash, randomUUID } from 'node:crypto';
import { left, right, type Either } from 'fp-ts/Either';
import { domainError, session, type DomainError } from '@cschat/domain';
import type { EventStore } from '../event-store/port';
import { decodeDomainEvent } from '../events';
import type { Logger } from '../logging';
import { INLINE_IMAGE_TYPES, sniff, thumbnailOf } from './intake';
import type { AttachmentOwner, AttachmentRecord, AttachmentStore, Variant } from './port';

/** At most this many files on one message. */
export const MAX_ATTACHMENTS_PER_MESSAGE = 10;
/** The longest file name kept (longer ones are cut, keeping the extension). */
export const MAX_NAME_LENGTH = 255;

/** Who asks: a token's company, role and subject. */
export interface AttachmentPrincipal {
  readonly companyId: string;
  readonly role: string;
  readonly id: string;
}

export const ownerOf = (principal: AttachmentPrincipal): AttachmentOwner => ({
  role: principal.role === 'visitor' ? 'visitor' : 'agent',
  id: principal.id,
});

/** Roles that read every file of their company (they watch and review any session). */
const READS_ALL: ReadonlySet<string> = new Set(['admin', 'supervisor']);

export interface AttachmentsOptions {
  readonly store: AttachmentStore;
  /** The sessions' streams, to know who took part in the session a file was sent in. */
  readonly events: EventStore;
  readonly logger: Logger;
  readonly newId?: () => string;
  readonly now?: () => Date;
}

export interface Upload {
  readonly bytes: Buffer;
  readonly name: string;
  /** The client's content-type: only a hint among the types the content allows. */
  readonly claimedType?: string;
  /** A fixed id (a platform's file, fetched again when its webhook is redelivered, is kept once); default a new one. */
  readonly attachmentId?: string;
}

/** A file name as kept: no path, no control characters, not empty, at most MAX_NAME_LENGTH. */
export const cleanName = (raw: string, contentType: string): string => {
  const base = raw.split(/[\\/]/).pop() ?? '';
  const cleaned = base
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f\u007f]/g, '')
    .replace(/[\uD800-\uDFFF]/g, '')
    .trim();
  if (cleaned === '' || cleaned === '.' || cleaned === '..') return contentType.startsWith('image/') ? 'image' : 'file';
  if (cleaned.length <= MAX_NAME_LENGTH) return cleaned;
  const dot = cleaned.lastIndexOf('.');
  const extension = dot > 0 && cleaned.length - dot <= 16 ? cleaned.slice(dot) : '';
  return cleaned.slice(0, MAX_NAME_LENGTH - extension.length) + extension;
};

/** What a message event keeps of a file. */
export const messageAttachmentOf = (record: AttachmentRecord): session.Attachment => ({
  kind: INLINE_IMAGE_TYPES.has(record.contentType) ? 'image' : 'file',
  mediaId: record.attachmentId,
  attachmentId: record.attachmentId,
  name: record.name,
  size: record.size,
  contentType: record.contentType,
});

export class Attachments {
  private readonly newId: () => string;
  private readonly now: () => Date;

  constructor(private readonly options: AttachmentsOptions) {
    this.newId = options.newId ?? (() => `f-${randomUUID()}`);
    this.now = options.now ?? (() => new Date());
  }

  get store(): AttachmentStore {
    return this.options.store;
  }

  /** Keeps an upload of the principal's: its type sniffed, refused when not allowed, an image with its thumbnail. */
  async upload(principal: AttachmentPrincipal, upload: Upload): Promise<Either<DomainError, AttachmentRecord>> {
    const sniffed = sniff(upload.bytes, upload.claimedType);
    if (!sniffed.ok) return left(domainError('unsupported_media_type', sniffed.reason));
    const { contentType } = sniffed;
    const thumbnail = await thumbnailOf(upload.bytes, contentType);
    // An image that cannot be read would be shown inline as it is: refused rather than kept.
    if (INLINE_IMAGE_TYPES.has(contentType) && thumbnail === undefined)
      return left(domainError('unsupported_media_type', `the ${contentType} image cannot be read`));
    const record: AttachmentRecord = {
      attachmentId: upload.attachmentId ?? this.newId(),
      companyId: principal.companyId,
      owner: ownerOf(principal),
      name: cleanName(upload.name, contentType),
      size: upload.bytes.length,
      contentType,
      sha256: createHash('sha256').update(upload.bytes).digest('hex'),
      createdAt: this.now().toISOString(),
      ...(thumbnail === undefined
        ? {}
        : {
            thumbnail: {
              contentType: thumbnail.contentType,
              size: thumbnail.bytes.length,
              width: thumbnail.width,
              height: thumbnail.height,
            },
          }),
    };
    await this.options.store.save(record, upload.bytes, thumbnail?.bytes);
    return right(record);
  }

  /**
   * The files a message names, as the message event keeps them: each one the sender's own (same
   * company, same uploader) and not carried by another session than `sessionId` (the session the
   * message goes to, when known before it is posted).
   */
  async forMessage(
    principal: AttachmentPrincipal,
    attachmentIds: readonly string[],
    sessionId: string | undefined,
  ): Promise<Either<DomainError, session.Attachment[]>> {
    const ids = [...new Set(attachmentIds)];
    const found = new Map(
      (await this.options.store.findMany(principal.companyId, ids)).map((r) => [r.attachmentId, r]),
    );
    const owner = ownerOf(principal);
    const attachments: session.Attachment[] = [];
    for (const id of ids) {
      const record = found.get(id);
      if (record === undefined || record.owner.role !== owner.role || record.owner.id !== owner.id)
        return left(domainError('attachment_not_found', `attachments: no file ${id} of yours`, { attachmentId: id }));
      if (record.sessionId !== undefined && record.sessionId !== sessionId)
        return left(
          domainError('attachment_in_use', `attachments: file ${id} was sent in another session`, {
            attachmentId: id,
          }),
        );
      attachments.push(messageAttachmentOf(record));
    }
    return right(attachments);
  }

  /** Binds the files of a posted message to its session; one another session took meanwhile is logged. */
  async bind(companyId: string, attachmentIds: readonly string[], sessionId: string): Promise<void> {
    const unbound = await this.options.store.bind(companyId, attachmentIds, sessionId);
    if (unbound.length > 0)
      this.options.logger.warn(
        { companyId, sessionId, attachmentIds: unbound },
        'attachments not bound to the session',
      );
  }

  /**
   * A file and its bytes for a reader allowed to see it: its uploader; once sent, the session's
   * visitor and the agents who held the session; admins and supervisors of the company. Anybody
   * else gets undefined, as for a file that does not exist.
   */
  async readable(
    principal: AttachmentPrincipal,
    attachmentId: string,
    variant: Variant,
  ): Promise<{ record: AttachmentRecord; bytes: Buffer } | undefined> {
    const { store } = this.options;
    const record = await store.find(principal.companyId, attachmentId);
    if (record === undefined || !(await this.mayRead(principal, record))) return undefined;
    const bytes = await store.read(record.companyId, record.attachmentId, variant);
    return bytes === undefined ? undefined : { record, bytes };
  }

  private async mayRead(principal: AttachmentPrincipal, record: AttachmentRecord): Promise<boolean> {
    const owner = ownerOf(principal);
    if (record.owner.role === owner.role && record.owner.id === owner.id) return true;
    if (READS_ALL.has(principal.role)) return true;
    if (record.sessionId === undefined) return false;
    const people = await this.participants(record.companyId, record.sessionId);
    return principal.role === 'visitor' ? people.visitorId === principal.id : people.agentIds.has(principal.id);
  }

  /** The session's visitor and every agent that held it, from its stream. */
  private async participants(
    companyId: string,
    sessionId: string,
  ): Promise<{ visitorId: string | undefined; agentIds: Set<string> }> {
    const recorded = await this.options.events.readStream(session.sessionStream(companyId, sessionId));
    let visitorId: string | undefined;
    const agentIds = new Set<string>();
    for (const one of recorded) {
      const decoded = decodeDomainEvent(one);
      if (decoded === undefined || decoded._tag === 'Left') continue;
      const event = decoded.right;
      if (event.type === 'SessionStarted') visitorId = event.visitorId;
      else if (event.type === 'SessionAssigned') agentIds.add(event.agentId);
      else if (event.type === 'SessionTransferred') agentIds.add(event.fromAgentId);
      else if (event.type === 'SessionRequeued') agentIds.add(event.fromAgentId);
    }
    return { visitorId, agentIds };
  }
}
