// Files over HTTP (PROTOCOL "Attachments"): `POST /api/uploads` keeps one (the body is the file),
// `GET /api/attachments/:id` serves it to those who may see it. The upload is read as a stream and
// refused with 413 as soon as it passes the limit, never buffered beyond it.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isLeft } from 'fp-ts/Either';
import type { IncomingMessage } from 'node:http';
import {
  attachmentUrl,
  DEFAULT_UPLOAD_MAX_BYTES,
  INLINE_IMAGE_TYPES,
  type AttachmentRecord,
  type Attachments,
  type TokenVersions,
} from '@cschat/infra';
import { bearerToken, checkToken, type TokenClaims } from '../auth';
import { sendError, statusOf } from './errors';

export interface UploadRoutesOptions {
  readonly attachments: Attachments;
  readonly tokenSecret: string;
  /** The agents' token versions: a revoked staff token is refused as a bad one (server.ts). */
  readonly tokenVersions?: TokenVersions;
  /** The largest upload in bytes (UPLOAD_MAX_BYTES); default 10 MiB. */
  readonly uploadMaxBytes?: number;
}

/** What reaches a browser from a file: never run, never sniffed into something else. */
const SAFE_HEADERS = {
  'x-content-type-options': 'nosniff',
  'content-security-policy': "sandbox; default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'",
  'cache-control': 'private, max-age=300',
} as const;

/** How much of a refused upload is read and thrown away (so the client sees the 413) before the connection is cut. */
const DISCARD_LIMIT_BYTES = 16 * 1024 * 1024;

/** `x-file-name`: percent-encoded UTF-8 or plain; absent: empty (the store names it). */
const fileNameOf = (header: string | string[] | undefined): string => {
  const raw = Array.isArray(header) ? (header[0] ?? '') : (header ?? '');
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
};

/** `content-disposition` with an ASCII fallback and the UTF-8 name (RFC 6266 / 5987). */
export const dispositionOf = (kind: 'inline' | 'attachment', name: string): string => {
  const ascii = name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encoded}`;
};

type BodyRead = { readonly kind: 'ok'; readonly bytes: Buffer } | { readonly kind: 'too_large' };

/** Reads the body up to `maxBytes`; past it, stops keeping what comes (the rest is thrown away, then cut). */
const readBody = (raw: IncomingMessage, maxBytes: number): Promise<BodyRead> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let discarded = 0;
    let over = false;
    const onData = (chunk: Buffer): void => {
      if (over) {
        discarded += chunk.length;
        if (discarded > DISCARD_LIMIT_BYTES) raw.destroy();
        return;
      }
      size += chunk.length;
      if (size > maxBytes) {
        over = true;
        chunks.length = 0;
        resolve({ kind: 'too_large' });
        return;
      }
      chunks.push(chunk);
    };
    raw.on('data', onData);
    raw.once('end', () => {
      if (!over) resolve({ kind: 'ok', bytes: Buffer.concat(chunks, size) });
    });
    raw.once('error', (error) => {
      if (!over) reject(error);
    });
  });

export const uploadResult = (record: AttachmentRecord) => ({
  attachmentId: record.attachmentId,
  name: record.name,
  size: record.size,
  contentType: record.contentType,
  url: attachmentUrl(record.attachmentId),
  ...(record.thumbnail === undefined ? {} : { thumbnailUrl: `${attachmentUrl(record.attachmentId)}?thumb=1` }),
});

export const uploadRoutes =
  (options: UploadRoutesOptions) =>
  async (scope: FastifyInstance): Promise<void> => {
    const { attachments } = options;
    const maxBytes = options.uploadMaxBytes ?? DEFAULT_UPLOAD_MAX_BYTES;
    /** The claims of a valid token; undefined for a missing, bad, expired or revoked one. */
    const authenticate = async (token: string): Promise<TokenClaims | undefined> => {
      const verified = await checkToken(token, { secret: options.tokenSecret, versions: options.tokenVersions });
      return verified.ok ? verified.claims : undefined;
    };
    // The body is the file, of any type: left unread here, streamed by the route.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, _payload, done) => done(null));

    const claimsOf = async (request: FastifyRequest, allowQuery: boolean): Promise<TokenClaims | undefined> => {
      const query = request.query as Record<string, unknown> | undefined;
      const token =
        bearerToken(request.headers.authorization) ??
        (allowQuery && typeof query?.['token'] === 'string' ? query['token'] : undefined);
      return token === undefined ? undefined : authenticate(token);
    };

    scope.post('/api/uploads', async (request, reply) => {
      const claims = await claimsOf(request, true);
      if (claims === undefined) return sendError(reply, 401, 'unauthorized', 'a valid token is required');
      const tooLarge = (): FastifyReply => {
        void reply.header('connection', 'close');
        return sendError(reply, 413, 'payload_too_large', `the file is larger than ${maxBytes} bytes`);
      };
      const declared = Number(request.headers['content-length']);
      if (Number.isFinite(declared) && declared > maxBytes) {
        request.raw.resume();
        return tooLarge();
      }
      const body = await readBody(request.raw, maxBytes);
      if (body.kind === 'too_large') return tooLarge();
      if (body.bytes.length === 0) return sendError(reply, 400, 'bad_request', 'body: the file is empty');
      const contentType = request.headers['content-type'];
      const kept = await attachments.upload(
        { companyId: claims.company, role: claims.role, id: claims.sub },
        {
          bytes: body.bytes,
          name: fileNameOf(request.headers['x-file-name']),
          ...(contentType === undefined ? {} : { claimedType: contentType }),
        },
      );
      if (isLeft(kept)) return sendError(reply, statusOf(kept.left.code), kept.left.code, kept.left.message);
      return reply.status(201).send(uploadResult(kept.right));
    });

    scope.get<{ Params: { id: string }; Querystring: { thumb?: string } }>(
      '/api/attachments/:id',
      async (request, reply) => {
        // No token, a bad one, another company's or an outsider's: the file does not exist for them.
        const notFound = () => sendError(reply, 404, 'not_found', 'no such attachment');
        const claims = await claimsOf(request, true);
        if (claims === undefined) return notFound();
        const thumb = request.query.thumb === '1' || request.query.thumb === 'true';
        const found = await attachments.readable(
          { companyId: claims.company, role: claims.role, id: claims.sub },
          request.params.id,
          thumb ? 'thumbnail' : 'original',
        );
        if (found === undefined) return notFound();
        const { record, bytes } = found;
        const contentType = thumb ? (record.thumbnail?.contentType ?? record.contentType) : record.contentType;
        const inline = thumb || INLINE_IMAGE_TYPES.has(record.contentType);
        return reply
          .headers({
            ...SAFE_HEADERS,
            'content-type': contentType,
            'content-length': String(bytes.length),
            'content-disposition': dispositionOf(inline ? 'inline' : 'attachment', record.name),
            etag: `"${record.sha256.slice(0, 32)}${thumb ? '-t' : ''}"`,
          })
          .send(bytes);
      },
    );
  };
