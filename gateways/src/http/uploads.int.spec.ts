// POST /api/uploads and GET /api/attachments/:id through the HTTP API (Fastify's inject), with the
// embedded store (PGlite metadata, files on disk) and a session's stream naming its participants.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { Knex } from 'knex';
import sharp from 'sharp';
import {
  Attachments,
  createAttachmentStore,
  createPgliteKnex,
  diskContent,
  silentLogger,
  type CompanyConfigStore,
  type EventStore,
  type Metrics,
  type RecordedEvent,
} from '@cschat/infra';
import { issueToken, type TokenRole } from '../auth';
import { buildHttpApi } from './server';

const SECRET = 'a-test-secret-that-is-long-enough-for-hs256';
const MAX_BYTES = 256 * 1024;

const png = (width: number, height: number): Promise<Buffer> =>
  sharp({ create: { width, height, channels: 3, background: '#3366cc' } })
    .png()
    .toBuffer();
const jpeg = (width: number, height: number): Promise<Buffer> =>
  sharp({ create: { width, height, channels: 3, background: '#cc6633' } })
    .jpeg()
    .toBuffer();
const PDF = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n');
const EXE = Buffer.concat([
  Buffer.from('MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff', 'latin1'),
  Buffer.alloc(200),
]);
const ELF = Buffer.concat([Buffer.from('\x7fELF\x02\x01\x01\x00', 'latin1'), Buffer.alloc(100)]);
const HTML = Buffer.from('<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>');
const SVG_SCRIPT = Buffer.from(
  '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>',
);
const SVG_HANDLER = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><rect onload="alert(1)"/></svg>');
const SVG_PLAIN = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="5"/></svg>');

/** A session's stream as the store keeps it: started by v-1, assigned to alice, transferred to bob. */
const sessionEvents = (companyId: string, sessionId: string): RecordedEvent[] => {
  const at = '2026-12-05T10:00:00.000Z';
  const base = { v: 1, companyId, sessionId, at };
  const data = [
    { type: 'SessionStarted', ...base, visitorId: 'v-1', channel: 'web', groupId: 'support' },
    { type: 'SessionAssigned', ...base, agentId: 'alice', groupId: 'support' },
    { type: 'SessionTransferred', ...base, fromAgentId: 'alice', to: { agentId: 'bob' } },
    { type: 'SessionAssigned', ...base, agentId: 'bob', groupId: 'support' },
  ];
  return data.map((event, i) => ({
    streamId: `session-${companyId}-${sessionId}`,
    revision: BigInt(i),
    position: { commit: BigInt(i), prepare: BigInt(i) },
    eventId: `e-${i}`,
    type: event.type,
    data: event,
    metadata: {},
    recordedAt: new Date(at),
  }));
};

describe('uploads and attachments over HTTP', () => {
  let knex: Knex;
  let folder: string;
  let app: FastifyInstance;
  let attachments: Attachments;

  const token = (role: TokenRole, sub: string, company = 'acme') =>
    issueToken({ company: company as never, role, sub: sub as never }, { secret: SECRET });

  let base: string;
  /** An upload's answer, or an error. */
  interface Answer {
    readonly attachmentId: string;
    readonly name: string;
    readonly size: number;
    readonly contentType: string;
    readonly url: string;
    readonly thumbnailUrl: string;
    readonly error: { readonly code: string };
  }
  /** A response as the tests read it (Fastify's inject needs an ES module jest cannot load here). */
  const answerOf = async (response: Response) => {
    const rawPayload = Buffer.from(await response.arrayBuffer());
    return {
      statusCode: response.status,
      headers: Object.fromEntries(response.headers.entries()),
      rawPayload,
      json: () => JSON.parse(rawPayload.toString()) as Answer,
    };
  };
  const upload = async (body: Buffer | Readable, options: { token?: string; type?: string; name?: string } = {}) =>
    answerOf(
      await fetch(`${base}/api/uploads`, {
        method: 'POST',
        headers: {
          'content-type': options.type ?? 'application/octet-stream',
          ...(options.name === undefined ? {} : { 'x-file-name': options.name }),
          ...(options.token === undefined ? {} : { authorization: `Bearer ${options.token}` }),
        },
        body: Buffer.isBuffer(body) ? body : (Readable.toWeb(body) as ReadableStream),
        ...(Buffer.isBuffer(body) ? {} : { duplex: 'half' }),
      }),
    );
  const fetchFile = async (url: string, tokenValue?: string, asQuery = false) =>
    answerOf(
      await fetch(
        `${base}${asQuery && tokenValue !== undefined ? `${url}${url.includes('?') ? '&' : '?'}token=${tokenValue}` : url}`,
        { headers: tokenValue === undefined || asQuery ? {} : { authorization: `Bearer ${tokenValue}` } },
      ),
    );

  beforeAll(async () => {
    knex = createPgliteKnex();
    folder = await mkdtemp(path.join(tmpdir(), 'uploads-'));
    const store = createAttachmentStore({ knex, content: diskContent(folder) });
    await store.start();
    const events = {
      readStream: async (streamId: string) =>
        streamId === 'session-acme-s-1' ? sessionEvents('acme', 's-1') : ([] as RecordedEvent[]),
    } as unknown as EventStore;
    attachments = new Attachments({ store, events, logger: silentLogger() });
    app = buildHttpApi({
      config: {} as CompanyConfigStore,
      readModels: knex,
      readModelSchema: 'read_models',
      tokenSecret: SECRET,
      metrics: {} as Metrics,
      logger: silentLogger(),
      ready: async () => true,
      attachments,
      uploadMaxBytes: MAX_BYTES,
    });
    base = await app.listen({ port: 0, host: '127.0.0.1' });
    // Opening PGlite takes seconds, many more on a busy machine.
  }, 180_000);
  afterAll(async () => {
    await app.close();
    await knex.destroy();
    await rm(folder, { recursive: true, force: true });
  });

  it('keeps an image with the type sniffed from its bytes, and serves it inline with a thumbnail of at most 320 px', async () => {
    const visitor = await token('visitor', 'v-1');
    const image = await png(1000, 500);
    const answer = await upload(image, { token: visitor, type: 'application/octet-stream', name: 'photo.png' });
    expect(answer.statusCode).toBe(201);
    const body = answer.json();
    expect(body.attachmentId).toMatch(/^f-/);
    expect(body).toEqual({
      attachmentId: body.attachmentId,
      name: 'photo.png',
      size: image.length,
      contentType: 'image/png',
      url: `/api/attachments/${body.attachmentId}`,
      thumbnailUrl: `/api/attachments/${body.attachmentId}?thumb=1`,
    });

    const file = await fetchFile(body.url, visitor);
    expect(file.statusCode).toBe(200);
    expect(file.headers['content-type']).toBe('image/png');
    expect(file.headers['content-disposition']).toMatch(/^inline; filename="photo.png"/);
    expect(file.headers['x-content-type-options']).toBe('nosniff');
    expect(file.headers['content-security-policy']).toMatch(/sandbox/);
    expect(Buffer.compare(file.rawPayload, image)).toBe(0);

    const thumb = await fetchFile(body.thumbnailUrl, visitor);
    expect(thumb.statusCode).toBe(200);
    const meta = await sharp(thumb.rawPayload).metadata();
    expect([meta.width, meta.height]).toEqual([320, 160]);
  });

  it('turns a jpeg upright and keeps a small image small in its thumbnail', async () => {
    const agent = await token('agent', 'alice');
    const small = await upload(await jpeg(100, 80), { token: agent, type: 'image/jpeg', name: 'small.jpg' });
    expect(small.json().contentType).toBe('image/jpeg');
    const thumb = await fetchFile(`${small.json().url}?thumb=1`, agent);
    const meta = await sharp(thumb.rawPayload).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['jpeg', 100, 80]);
  });

  it('serves a file that is not an image as an attachment, with its UTF-8 name', async () => {
    const visitor = await token('visitor', 'v-1');
    const name = '发票 2026 "final".pdf';
    const answer = await upload(PDF, { token: visitor, type: 'text/html', name: encodeURIComponent(name) });
    expect(answer.statusCode).toBe(201);
    expect(answer.json()).toEqual(expect.objectContaining({ name, contentType: 'application/pdf', size: PDF.length }));
    expect(answer.json().thumbnailUrl).toBeUndefined();
    const file = await fetchFile(answer.json().url, visitor, true);
    expect(file.statusCode).toBe(200);
    expect(file.headers['content-type']).toBe('application/pdf');
    expect(file.headers['content-disposition']).toBe(
      `attachment; filename="__ 2026 _final_.pdf"; filename*=UTF-8''${encodeURIComponent(name)}`,
    );
    expect(file.headers['x-content-type-options']).toBe('nosniff');
    expect((await fetchFile(`${answer.json().url}?thumb=1`, visitor)).statusCode).toBe(404);
  });

  it('keeps plain text as text/plain and a script-free SVG as a download', async () => {
    const visitor = await token('visitor', 'v-1');
    const text = await upload(Buffer.from('order 1234, 退款 please'), { token: visitor, type: 'image/png' });
    expect(text.json()).toEqual(expect.objectContaining({ contentType: 'text/plain', name: 'file' }));
    const svg = await upload(SVG_PLAIN, { token: visitor, type: 'image/svg+xml', name: 'logo.svg' });
    expect(svg.json().contentType).toBe('image/svg+xml');
    const file = await fetchFile(svg.json().url, visitor);
    expect(file.headers['content-disposition']).toMatch(/^attachment;/);
  });

  it.each([
    ['a Windows program', EXE],
    ['an ELF program', ELF],
    ['HTML', HTML],
    ['an SVG with a script element', SVG_SCRIPT],
    ['an SVG with an event handler', SVG_HANDLER],
    ['a shell script', Buffer.from('#!/bin/sh\nrm -rf ~\n')],
  ])('refuses %s with 415 even when the client calls it image/png', async (_what, bytes) => {
    const answer = await upload(bytes, { token: await token('visitor', 'v-1'), type: 'image/png', name: 'cat.png' });
    expect(answer.statusCode).toBe(415);
    expect(answer.json().error.code).toBe('unsupported_media_type');
  });

  it('refuses an image whose bytes do not decode', async () => {
    const broken = Buffer.concat([(await png(50, 50)).subarray(0, 60)]);
    const answer = await upload(broken, { token: await token('visitor', 'v-1'), type: 'image/png' });
    expect(answer.statusCode).toBe(415);
  });

  it('answers 413 for a file over the limit, declared or streamed without a length', async () => {
    const visitor = await token('visitor', 'v-1');
    const declared = await upload(Buffer.alloc(MAX_BYTES + 1, 1), { token: visitor });
    expect(declared.statusCode).toBe(413);
    expect(declared.json().error.code).toBe('payload_too_large');
    // Chunked: no content-length, the limit is found while reading.
    let sent = 0;
    const endless = new Readable({
      read() {
        sent += 16 * 1024;
        this.push(sent > MAX_BYTES * 4 ? null : Buffer.alloc(16 * 1024, 2));
      },
    });
    const streamed = await upload(endless, { token: visitor });
    expect(streamed.statusCode).toBe(413);
    expect((await upload(Buffer.alloc(MAX_BYTES, 1), { token: visitor })).statusCode).toBe(201);
  });

  it('needs a token to upload, and a body', async () => {
    expect((await upload(PDF)).statusCode).toBe(401);
    expect((await upload(PDF, { token: 'not-a-token' })).statusCode).toBe(401);
    const empty = await upload(Buffer.alloc(0), { token: await token('visitor', 'v-1') });
    expect(empty.statusCode).toBe(400);
  });

  it('serves a file to its uploader before it is sent, and to nobody else', async () => {
    const answer = await upload(PDF, { token: await token('visitor', 'v-1'), type: 'application/pdf' });
    const { url } = answer.json();
    expect((await fetchFile(url, await token('visitor', 'v-1'))).statusCode).toBe(200);
    for (const outsider of [
      await token('visitor', 'v-2'),
      await token('agent', 'alice'),
      await token('visitor', 'v-1', 'other'),
      await token('admin', 'root', 'other'),
      'not-a-token',
    ]) {
      const refused = await fetchFile(url, outsider);
      expect(refused.statusCode).toBe(404);
    }
    expect((await fetchFile(url)).statusCode).toBe(404);
    expect((await fetchFile('/api/attachments/nope', await token('visitor', 'v-1'))).statusCode).toBe(404);
  });

  it("once sent, serves it to the session's visitor, the agents who held it and the company's admins", async () => {
    const image = await upload(await png(40, 40), { token: await token('agent', 'bob'), type: 'image/png' });
    const { attachmentId, url } = image.json();
    await attachments.bind('acme', [attachmentId], 's-1');
    for (const reader of [
      await token('visitor', 'v-1'),
      await token('agent', 'alice'),
      await token('agent', 'bob'),
      await token('admin', 'root'),
    ])
      expect((await fetchFile(url, reader, true)).statusCode).toBe(200);
    for (const outsider of [
      await token('visitor', 'v-2'),
      await token('agent', 'carol'),
      await token('admin', 'root', 'other'),
    ])
      expect((await fetchFile(url, outsider, true)).statusCode).toBe(404);
  });
});
