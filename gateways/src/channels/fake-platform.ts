// TEST DOUBLE, not production code: a stand-in for a messaging platform's HTTP API (Telegram Bot
// API, Graph API...) for unit and integration tests. A node:http server on 127.0.0.1 and a free
// port that records every request (JSON bodies parsed) and answers with whatever the test's
// handler says. It knows nothing of any platform: point a SendContext's baseUrl at it.
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  readonly method: string;
  /** The path without the query string, e.g. `/v21.0/123/messages`. */
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  /** Lower-case names; repeated headers joined with ', '. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  /** The body parsed as JSON; the raw text when it is not JSON; undefined when empty. */
  readonly body: unknown;
  /** The body's bytes as they came. */
  readonly rawBody: Buffer;
  /** A `multipart/form-data` body's fields: text, or a file with its name, type and bytes. */
  readonly form?: Readonly<Record<string, string | FakeFile>>;
}

/** A file field of a multipart upload (media sends). */
export interface FakeFile {
  readonly name: string;
  readonly type: string;
  readonly bytes: Buffer;
}

export interface FakeAnswer {
  readonly status: number;
  /** Sent as JSON (unless `raw` is given). */
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  /** Sent as they are, with `headers` (a media download): instead of `body`. */
  readonly raw?: Buffer;
}

/** Decides the answer to a request; undefined means the default answer. */
export type FakeHandler = (request: RecordedRequest) => FakeAnswer | undefined;

export interface FakePlatform {
  /** `http://127.0.0.1:<port>` */
  readonly baseUrl: string;
  /** Every request so far, oldest first. */
  readonly requests: RecordedRequest[];
  /** Replaces the handler. */
  respond(handler: FakeHandler): void;
  close(): Promise<void>;
}

/** Unless a handler says otherwise: 200 with a Telegram-like success (any 2xx passes for Meta). */
export const DEFAULT_FAKE_ANSWER: FakeAnswer = { status: 200, body: { ok: true, result: { message_id: 1 } } };

const readAll = (request: IncomingMessage): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });

const parsed = (raw: Buffer): unknown => {
  if (raw.length === 0) return undefined;
  const text = raw.toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
};

const formOf = async (raw: Buffer, contentType: string | undefined): Promise<RecordedRequest['form']> => {
  if (contentType === undefined || !contentType.startsWith('multipart/form-data')) return undefined;
  const form = await new Response(raw, { headers: { 'content-type': contentType } }).formData();
  const fields: Record<string, string | FakeFile> = {};
  for (const [name, value] of form.entries()) {
    fields[name] =
      typeof value === 'string'
        ? value
        : { name: value.name, type: value.type, bytes: Buffer.from(await value.arrayBuffer()) };
  }
  return fields;
};

export const startFakePlatform = async (): Promise<FakePlatform> => {
  const requests: RecordedRequest[] = [];
  let handler: FakeHandler = () => undefined;

  const server = createServer((req, res) => {
    void (async () => {
      let answer: FakeAnswer;
      try {
        const raw = await readAll(req);
        const url = new URL(req.url ?? '/', 'http://127.0.0.1');
        const headers: Record<string, string | undefined> = {};
        for (const [name, value] of Object.entries(req.headers)) {
          headers[name] = Array.isArray(value) ? value.join(', ') : value;
        }
        const form = await formOf(raw, headers['content-type']);
        const recorded: RecordedRequest = {
          method: req.method ?? 'GET',
          path: url.pathname,
          query: Object.fromEntries(url.searchParams),
          headers,
          body: form === undefined ? parsed(raw) : undefined,
          rawBody: raw,
          ...(form === undefined ? {} : { form }),
        };
        requests.push(recorded);
        answer = handler(recorded) ?? DEFAULT_FAKE_ANSWER;
      } catch (error) {
        answer = { status: 500, body: { fake: 'handler failed', message: String(error) } };
      }
      if (answer.raw !== undefined) {
        res.writeHead(answer.status, { 'content-type': 'application/octet-stream', ...answer.headers });
        res.end(answer.raw);
        return;
      }
      res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
      res.end(answer.body === undefined ? '' : JSON.stringify(answer.body));
    })();
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    respond: (next) => {
      handler = next;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        // fetch keeps connections alive: close them, or close() waits for their timeout.
        server.closeAllConnections();
        server.close((error) => (error === undefined ? resolve() : reject(error)));
      }),
  };
};
