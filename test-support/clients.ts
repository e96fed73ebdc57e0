// Test clients of the protocol: HTTP calls and websocket clients that record every frame.
import WebSocket from 'ws';

export type Frame = Record<string, unknown> & { type?: string };

/** How often a request refused `503 overloaded` is sent again, after the `retry-after` the service asks for. */
const OVERLOAD_RETRIES = 10;

/** A request, sent again while the service refuses it overloaded (it did nothing), as its clients do. */
const request = async (base: string, path: string, init: RequestInit) => {
  for (let refusals = 0; ; refusals += 1) {
    const response = await fetch(`${base}${path}`, init);
    const body = (await response.json().catch(() => undefined)) as Record<string, unknown>;
    const overloaded = response.status === 503 && (body?.['error'] as { code?: unknown })?.code === 'overloaded';
    if (!overloaded || refusals >= OVERLOAD_RETRIES) return { status: response.status, body };
    const seconds = Number(response.headers.get('retry-after')) || 1;
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  }
};

const send = (base: string, method: string, path: string, body: unknown, token?: string) =>
  request(base, path, {
    method,
    headers: {
      'content-type': 'application/json',
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
    },
    body: JSON.stringify(body),
  });

export const http = (base: string) => ({
  post: (path: string, body: unknown, token?: string) => send(base, 'POST', path, body, token),
  put: (path: string, body: unknown, token?: string) => send(base, 'PUT', path, body, token),
  get: (path: string, token?: string) =>
    request(base, path, { headers: token === undefined ? {} : { authorization: `Bearer ${token}` } }),
});

export class Client {
  readonly frames: Frame[] = [];
  closed: number | undefined;
  closedReason: string | undefined;
  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => this.frames.push(JSON.parse(data.toString()) as Frame));
    ws.on('close', (code: number, reason: Buffer) => {
      this.closedReason = reason.toString();
      this.closed = code;
    });
  }

  static open(url: string): Promise<Client> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      const client = new Client(ws);
      ws.once('open', () => resolve(client));
      ws.once('error', reject);
    });
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** Waits for a frame matching `match` (already received or still to come). */
  async next(match: (frame: Frame) => boolean, what = 'a frame', timeoutMs = 10_000): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.frames.find(match);
      if (found !== undefined) return found;
      if (Date.now() > deadline)
        throw new Error(`no ${what} within ${timeoutMs} ms; got ${JSON.stringify(this.frames).slice(0, 2000)}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** Sends a frame with an id and waits for its answer. */
  async request(frame: Record<string, unknown>): Promise<Frame> {
    const id = `r${Math.random().toString(36).slice(2)}`;
    this.send({ ...frame, id });
    return this.next(
      (f) => f['id'] === id && (f.type === 'ack' || f.type === 'error'),
      `answer to ${String(frame['type'])}`,
    );
  }

  async waitClosed(timeoutMs = 5000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (this.closed === undefined) {
      if (Date.now() > deadline) throw new Error('socket not closed');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return this.closed;
  }

  close(): void {
    this.ws.close();
  }
}
