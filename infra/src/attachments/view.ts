// How a message's files appear to clients (`message` frames, history rows): PROTOCOL's
// {attachmentId, name, size, contentType, url}, plus `thumbnailUrl` for images.
import * as t from 'io-ts';
import type { session } from '@cschat/domain';

export const AttachmentView = t.intersection([
  t.type({ attachmentId: t.string, name: t.string, size: t.number, contentType: t.string, url: t.string }),
  t.partial({ thumbnailUrl: t.string }),
]);
export type AttachmentView = t.TypeOf<typeof AttachmentView>;

/** Where a file is served (GET, token as bearer or `?token=`); `?thumb=1` gives an image's thumbnail. */
export const attachmentUrl = (attachmentId: string): string => `/api/attachments/${encodeURIComponent(attachmentId)}`;

/**
 * The files of a message event as clients see them. Files of events written before uploads
 * existed (a platform's media id, never fetched) are not in the store and are left out.
 */
export const attachmentsView = (attachments: readonly session.Attachment[] | null | undefined): AttachmentView[] =>
  (attachments ?? []).flatMap((a) => {
    if (a.attachmentId === undefined) return [];
    const url = attachmentUrl(a.attachmentId);
    return [
      {
        attachmentId: a.attachmentId,
        name: a.name ?? 'file',
        size: a.size ?? 0,
        contentType: a.contentType ?? a.mimeType ?? 'application/octet-stream',
        url,
        ...(a.kind === 'image' ? { thumbnailUrl: `${url}?thumb=1` } : {}),
      },
    ];
  });
