// Clients of the chat protocol for measurements: a socket that waits for frames by events (no
// polling, which would add its period to every figure), and the steps that make a visitor and
// an agent talk (agent idle, visitor asks for a human, assignment). Used by `npm run latency`
// and `npm run bench -- e2e`.
import WebSocket from 'ws';
import { http } from '../../../test-support/clients';

export type Frame = Record<string, unknown> & { type?: string };

/** How often `request` sends a frame refused `overloaded` again. */
const OVERLOAD_RETRIES = 10;

interface Waiter {
  readonly match: (frame: Frame) => boolean;
  readonly resolve: (frame: Frame) => void;
}

export class ChatSocket {
  /** Frames kept for `next` (setup); off under load, where only `onRaw` listens. */
  keepFrames = true;
  private readonly frames: Frame[] = [];
  private readonly waiters = new Set<Waiter>();
  private rawListener: ((raw: string) => void) | undefined;
  private requests = 0;

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      const raw = data.toString();
      this.rawListener?.(raw);
      if (!this.keepFrames && this.waiters.size === 0) return;
      const frame = JSON.parse(raw) as Frame;
      for (const waiter of this.waiters) {
        if (waiter.match(frame)) {
          this.waiters.delete(waiter);
          waiter.resolve(frame);
          return;
        }
      }
      if (this.keepFrames) this.frames.push(frame);
    });
  }

  static open(url: string, options: WebSocket.ClientOptions = {}): Promise<ChatSocket> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { perMessageDeflate: false, ...options });
      const socket = new ChatSocket(ws);
      ws.once('open', () => {
        ws.off('error', reject);
        ws.on('error', () => undefined);
        resolve(socket);
      });
      const where = url.replace(/token=[^&]+/, 'token=…');
      ws.once('error', (error) => reject(new Error(`socket ${where}: ${describeFailure(error)}`)));
      ws.once('unexpected-response', (_request, response) =>
        reject(new Error(`socket ${where}: HTTP ${response.statusCode}`)),
      );
    });
  }

  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** Every frame as it arrives, before it is parsed (the hot path of a load). */
  onRaw(listener: ((raw: string) => void) | undefined): void {
    this.rawListener = listener;
  }

  /** A frame matching `match`: one already received (and kept), or the next one that arrives. */
  next(match: (frame: Frame) => boolean, what = 'a frame', timeoutMs = 30_000): Promise<Frame> {
    const index = this.frames.findIndex(match);
    if (index >= 0) return Promise.resolve(this.frames.splice(index, 1)[0]!);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`no ${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter: Waiter = {
        match,
        resolve: (frame) => {
          clearTimeout(timer);
          resolve(frame);
        },
      };
      this.waiters.add(waiter);
    });
  }

  /**
   * Sends a frame with an id and waits for its answer (ack or error). Refused `overloaded` (it did
   * nothing), the frame is sent again after the service's `retryAfterMs`, as its clients do, a few times.
   */
  async request(frame: Record<string, unknown>, timeoutMs = 30_000): Promise<Frame> {
    const id = `r${(this.requests += 1)}`;
    for (let refusals = 0; ; refusals += 1) {
      const answer = this.next(
        (f) => f['id'] === id && (f.type === 'ack' || f.type === 'error'),
        `answer to ${String(frame['type'])}`,
        timeoutMs,
      );
      this.send({ ...frame, id });
      const answered = await answer;
      if (answered['code'] !== 'overloaded' || refusals >= OVERLOAD_RETRIES) return answered;
      const wait = Number((answered['details'] as Record<string, unknown> | undefined)?.['retryAfterMs']) || 1000;
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }

  /** Forgets the frames kept so far. */
  clear(): void {
    this.frames.length = 0;
  }

  close(): void {
    this.ws.close();
  }

  /** Drops the connection without the closing handshake (many sockets at once). */
  terminate(): void {
    this.ws.terminate();
  }
}

const wsBase = (base: string): string => base.replace(/^http/, 'ws');

/**
 * What went wrong, in words: fetch says only "fetch failed" (the reason is its cause), and a
 * refused connection to localhost is an AggregateError with an empty message (one per address).
 */
export const describeFailure = (error: unknown): string => {
  if (error instanceof AggregateError && error.errors.length > 0) {
    return [...new Set(error.errors.map(describeFailure))].join('; ');
  }
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: unknown }).cause;
  if (error.message === 'fetch failed' && cause !== undefined) return describeFailure(cause);
  const code = (error as NodeJS.ErrnoException).code;
  return error.message === '' ? (code ?? error.name) : error.message;
};

/** POST to the service; a network failure names the step and the address. */
const post = async (base: string, step: string, path: string, body: unknown) => {
  try {
    return await http(base).post(path, body);
  } catch (error) {
    throw new Error(`${step} at ${base}${path}: ${describeFailure(error)}`);
  }
};

export interface AgentCredentials {
  readonly companyId: string;
  readonly username: string;
  readonly password: string;
}

/** Logs an agent in, connects its socket and makes it idle (ready to be assigned). */
export const connectIdleAgent = async (base: string, credentials: AgentCredentials): Promise<ChatSocket> => {
  const login = await post(base, `agent ${credentials.username} login`, '/api/agents/login', credentials);
  if (login.status !== 200) {
    throw new Error(
      `agent ${credentials.username} login at ${base}: HTTP ${login.status}${login.status === 401 ? ' (wrong company, user or password?)' : ''}`,
    );
  }
  const agent = await ChatSocket.open(`${wsBase(base)}/ws/agent?token=${String(login.body['token'])}`);
  const idle = await agent.request({ type: 'agent.status', status: 'idle' }).catch((error: unknown) => {
    agent.close();
    throw error;
  });
  if (idle.type !== 'ack') {
    agent.close();
    throw new Error(`agent ${credentials.username} idle: ${JSON.stringify(idle)}`);
  }
  return agent;
};

export interface AssignedSession {
  readonly visitor: ChatSocket;
  readonly sessionId: string;
  readonly agentId: string;
}

/** A new visitor of the company asks for a human and waits until an agent has the session. */
export const startAssignedSession = async (base: string, companyId: string): Promise<AssignedSession> => {
  const login = await post(base, 'visitor login', '/api/visitors/login', { companyId });
  if (login.status !== 200) throw new Error(`visitor login at ${base}: HTTP ${login.status}`);
  const visitor = await ChatSocket.open(`${wsBase(base)}/ws/visitor?token=${String(login.body['token'])}`);
  try {
    const human = await visitor.request({ type: 'human.request' });
    const sessionId = String(human['sessionId']);
    let agentId = human['agentId'];
    // A gateway without the worker role answers queued; the worker assigns it a moment later.
    if (human['state'] === 'queued' || (human['state'] === 'assigned' && typeof agentId !== 'string')) {
      const assigned = await visitor
        .next(
          (f) => f.type === 'session.state' && f['state'] === 'assigned' && f['sessionId'] === sessionId,
          'assignment to an agent',
        )
        .catch((error: unknown) => {
          throw new Error(`${(error as Error).message}: the session waits in the queue (are the agents busy or full?)`);
        });
      agentId = assigned['agentId'];
    } else if (human['state'] !== 'assigned') {
      throw new Error(`the visitor was not assigned: ${JSON.stringify(human)}`);
    }
    visitor.clear();
    return { visitor, sessionId, agentId: String(agentId) };
  } catch (error) {
    // An open socket would keep the process alive after the failure.
    visitor.close();
    throw error;
  }
};

/**
 * Probe messages: a number in the text, found again in the raw `message` frame at the agent
 * without parsing it (a `session.list` frame quotes the text too, but is not a `message`).
 */
export const probeText = (seq: number): string => `probe #${seq}#`;

const PROBE = /probe #(\d+)#/;

/** The probe number of a raw frame that delivers a message (ours: `message`; the bare relay: the visitor's frame). */
export const probeOf = (raw: string): number | undefined => {
  if (!raw.includes('"type":"message"') && !raw.includes('"type":"message.send"')) return undefined;
  const found = PROBE.exec(raw);
  return found === null ? undefined : Number(found[1]);
};

/** A probe's message.send; with `answered`, its `id` is the probe number, so that its ack or error names it. */
export const probeFrame = (seq: number, answered = false): string =>
  JSON.stringify({
    type: 'message.send',
    ...(answered ? { id: seq } : {}),
    text: probeText(seq),
    clientMsgId: `p${seq}`,
  });
