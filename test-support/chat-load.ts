// A load of visitors and agents chatting through the gateways the way real clients do: a socket
// that closes is opened again on a gateway that is up; a frame left unanswered is sent again with
// the same clientMsgId (the server answers a resent message with the first one's id); after a
// reconnect a client reads its sessions' history, since what was pushed meanwhile went nowhere.
// Clients de-duplicate by message id. The ledger writes down, with times, every acknowledged
// message, every message received and how, and every human request with its assignment.
import WebSocket from 'ws';
import { http } from './clients';

export type Frame = Record<string, unknown> & { type?: string };

/** The close code of a gateway that lost its event feed (gateways/src/ws/limits.ts, CloseCode.tryAgainLater). */
export const TRY_AGAIN_LATER = 1013;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
/** Spreads the clients' timers: ±25 %. */
const jitter = (ms: number): number => ms * (0.75 + Math.random() * 0.5);

/** The gateways a client may connect to now (base URLs, http://host:port). */
export interface Gateways {
  up(): readonly string[];
}

export interface Acked {
  readonly messageId: string;
  readonly sessionId: string;
  readonly from: 'visitor' | 'agent';
  readonly senderId: string;
  readonly ackedAt: number;
}

export interface Receipt {
  /** When the recipient first had it. */
  readonly at: number;
  readonly via: 'push' | 'history';
  /** How many times it was pushed (more than once: a redelivery the client de-duplicated). */
  pushes: number;
}

export interface HumanRequest {
  readonly sessionId: string;
  readonly visitorId: string;
  /** When the request was acknowledged. */
  readonly at: number;
}

export interface Assignment {
  readonly agentId: string;
  /** When the visitor learned it. */
  readonly at: number;
}

/** A socket the server (or the network) closed: on which gateway, with which code, when. */
export interface Closed {
  readonly base: string;
  readonly code: number;
  readonly reason: string;
  readonly at: number;
}

export class Ledger {
  readonly acked = new Map<string, Acked>();
  /** Every socket that closed while the load ran (not the load's own closing). */
  readonly closes: Closed[] = [];
  /** Per participant (visitor or agent id): the messages it received. */
  private readonly receipts = new Map<string, Map<string, Receipt>>();
  readonly humanRequests: HumanRequest[] = [];
  /** By session: the assignment its visitor learned of first. */
  readonly assignments = new Map<string, Assignment>();
  /** Answers other than acks and the expected refusals, for the report. */
  readonly surprises: string[] = [];

  ack(acked: Acked): void {
    // A resent message is acknowledged again with the same id: the first ack counts.
    if (!this.acked.has(acked.messageId)) this.acked.set(acked.messageId, acked);
  }

  receive(participant: string, messageId: string, via: Receipt['via'], at = Date.now()): void {
    let mine = this.receipts.get(participant);
    if (mine === undefined) this.receipts.set(participant, (mine = new Map<string, Receipt>()));
    const known = mine.get(messageId);
    if (known === undefined) mine.set(messageId, { at, via, pushes: via === 'push' ? 1 : 0 });
    else if (via === 'push') known.pushes += 1;
  }

  receipt(participant: string, messageId: string): Receipt | undefined {
    return this.receipts.get(participant)?.get(messageId);
  }

  assigned(sessionId: string, agentId: string, at = Date.now()): void {
    if (!this.assignments.has(sessionId)) this.assignments.set(sessionId, { agentId, at });
  }

  /**
   * Messages acknowledged before `before` that their recipient, as far as the clients know it,
   * has not received: the visitor of an agent's message; the agent of a visitor's message sent
   * after the visitor learned of the assignment.
   */
  undelivered(before: number): Acked[] {
    const visitorOf = new Map(this.humanRequests.map((r) => [r.sessionId, r.visitorId]));
    return [...this.acked.values()].filter((m) => {
      if (m.ackedAt >= before) return false;
      const assignment = this.assignments.get(m.sessionId);
      const recipient =
        m.from === 'agent'
          ? visitorOf.get(m.sessionId)
          : assignment !== undefined && assignment.at <= m.ackedAt
            ? assignment.agentId
            : undefined;
      return recipient !== undefined && this.receipt(recipient, m.messageId) === undefined;
    });
  }
}

const openSocket = (url: string, timeoutMs = 3000): Promise<WebSocket> =>
  new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error('connect timed out'));
    }, timeoutMs);
    ws.once('open', () => {
      clearTimeout(timer);
      resolve(ws);
    });
    ws.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });

/** One visitor's or agent's socket, opened again on a gateway that is up whenever it closes. */
class Socket {
  private ws: WebSocket | undefined;
  private opening: Promise<void> | undefined;
  private readonly waiting = new Map<string, { resolve(frame: Frame): void; reject(error: Error): void }>();
  private counter = 0;
  private closed = false;
  /** Sockets opened after the first. */
  reconnects = 0;
  /** How often the server closed it, by close code. */
  readonly closes = new Map<number, number>();
  /**
   * Closes with 1013 (a gateway without its event feed) since the last socket that was served: the next
   * opening goes to the next gateway, after a wait that grows with them, as the web clients back off.
   */
  private refusals = 0;
  /** Added to the preferred gateway's index: moved on by every 1013. */
  private shift = 0;

  constructor(
    private readonly kind: 'visitor' | 'agent',
    private readonly token: string,
    private readonly gateways: Gateways,
    /** Which gateway it tries first: spreads the clients over the gateways. */
    private readonly preference: number,
    private readonly onFrame: (frame: Frame) => void,
    private readonly onReconnected: () => void,
    private readonly onClosed: (closed: Closed) => void = () => undefined,
  ) {}

  connected(): Promise<void> {
    if (this.ws !== undefined) return Promise.resolve();
    this.opening ??= this.open().finally(() => (this.opening = undefined));
    return this.opening;
  }

  private async open(): Promise<void> {
    if (this.refusals > 0) await sleep(jitter(Math.min(5_000, 250 * 2 ** (this.refusals - 1))));
    for (let attempt = this.shift; !this.closed; attempt++) {
      const bases = this.gateways.up();
      const base = bases[(this.preference + attempt) % Math.max(1, bases.length)];
      if (base !== undefined) {
        const url = `${base.replace(/^http/, 'ws')}/ws/${this.kind}?token=${this.token}`;
        const ws = await openSocket(url).catch(() => undefined);
        if (ws !== undefined) {
          this.attach(ws, base);
          return;
        }
      }
      await sleep(200);
    }
    throw new Error('socket closed by the load');
  }

  private attach(ws: WebSocket, base: string): void {
    this.ws = ws;
    ws.on('message', (data: Buffer) => {
      // Served: the backoff starts over.
      this.refusals = 0;
      const frame = JSON.parse(data.toString()) as Frame;
      const id = frame['id'];
      if (typeof id === 'string' && (frame.type === 'ack' || frame.type === 'error')) {
        this.waiting.get(id)?.resolve(frame);
        this.waiting.delete(id);
      }
      this.onFrame(frame);
    });
    ws.on('error', () => undefined);
    ws.on('close', (code: number, reason: Buffer) => {
      if (this.ws === ws) this.ws = undefined;
      this.closes.set(code, (this.closes.get(code) ?? 0) + 1);
      if (code === TRY_AGAIN_LATER) {
        this.refusals += 1;
        this.shift += 1;
      }
      for (const waiter of this.waiting.values()) waiter.reject(new Error('socket closed'));
      this.waiting.clear();
      if (this.closed) return;
      this.onClosed({ base, code, reason: reason.toString(), at: Date.now() });
      this.reconnects += 1;
      this.connected().then(
        () => this.onReconnected(),
        () => undefined,
      );
    });
  }

  /** Sends a frame with an id; resolves with its answer, rejects when the socket closes or no answer comes. */
  async request(frame: Frame, timeoutMs = 5000): Promise<Frame> {
    await this.connected();
    const ws = this.ws;
    if (ws === undefined) throw new Error('socket closed');
    const id = `r${++this.counter}`;
    return new Promise<Frame>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error(`no answer to ${String(frame.type)} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(id, {
        resolve: (answer) => {
          clearTimeout(timer);
          resolve(answer);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      ws.send(JSON.stringify({ ...frame, id }));
    });
  }

  close(): void {
    this.closed = true;
    this.ws?.close();
  }
}

export interface LoadOptions {
  readonly gateways: Gateways;
  readonly companyId: string;
  /** Agents to log in (they go idle and reply in every session they hold). */
  readonly agents: readonly { readonly username: string; readonly password: string }[];
  readonly visitors: number;
  /** A visitor writes, and an agent answers in each of its sessions, about this often. */
  readonly messageIntervalMs: number;
  /** A visitor leaves after this many messages (from, to), then asks for a human again. */
  readonly messagesPerSession: readonly [number, number];
}

/** Error codes that end a send for good: the session is over, or not the agent's any more. */
const FINAL = new Set(['session_ended', 'session_not_found', 'not_assigned_to_you']);

export class ChatLoad {
  readonly ledger = new Ledger();
  private stopping = false;
  private closed = false;
  private readonly sockets: Socket[] = [];
  private readonly runs: Promise<void>[] = [];

  constructor(private readonly options: LoadOptions) {}

  /** Logs everyone in, connects them, and starts the chatting; resolves once all are connected. */
  async start(): Promise<void> {
    const { agents, visitors } = this.options;
    await Promise.all([
      ...agents.map((credentials, index) => this.startAgent(credentials, index)),
      ...Array.from({ length: visitors }, (_, index) => this.startVisitor(index)),
    ]);
  }

  /** Stops sending; resolves when every send in progress has its answer (or gave up). */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.runs);
  }

  /** Closes every socket; sends in progress give up (a failed test leaves nothing running). */
  close(): void {
    this.stopping = true;
    this.closed = true;
    for (const socket of this.sockets) socket.close();
  }

  get reconnects(): number {
    return this.sockets.reduce((sum, socket) => sum + socket.reconnects, 0);
  }

  /** How often the gateways closed the clients' sockets, by close code (1013: a gateway lost its event feed). */
  closeCodes(): Map<number, number> {
    const all = new Map<number, number>();
    for (const socket of this.sockets)
      for (const [code, count] of socket.closes) all.set(code, (all.get(code) ?? 0) + count);
    return all;
  }

  private base(): string {
    const base = this.options.gateways.up()[0];
    if (base === undefined) throw new Error('no gateway is up');
    return base;
  }

  private async login(kind: 'visitor' | 'agent', body: Record<string, string>): Promise<Record<string, unknown>> {
    for (let attempt = 0; ; attempt++) {
      const answer = await http(this.base())
        .post(`/api/${kind}s/login`, body)
        .catch(() => undefined);
      if (answer?.status === 200) return answer.body;
      if (attempt >= 20) throw new Error(`${kind} login failed: ${JSON.stringify(answer?.body)}`);
      await sleep(250);
    }
  }

  /**
   * Sends until answered: a lost socket or a missing answer sends the same frame again (the same
   * clientMsgId), a refusal in FINAL ends it (undefined). Gives up after a minute.
   */
  private async send(socket: Socket, frame: Frame): Promise<Frame | undefined> {
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && !this.closed) {
      const answer = await socket.request(frame).catch(() => undefined);
      if (answer?.type === 'ack') return answer;
      if (answer !== undefined) {
        const code = String(answer['code']);
        if (FINAL.has(code)) return undefined;
        this.ledger.surprises.push(`${String(frame.type)}: ${code} ${String(answer['message'])}`);
      }
      await sleep(200);
    }
    this.ledger.surprises.push(`${String(frame.type)}: no answer within a minute`);
    return undefined;
  }

  /** A `message` frame: the participant received it, if it came from the other side (`from`). */
  private pushed(frame: Frame, participant: string, from: 'visitor' | 'agent'): void {
    if ((frame['from'] as { role: string }).role === from)
      this.ledger.receive(participant, String(frame['messageId']), 'push');
  }

  /**
   * After a reconnect: the sessions' history, now and again 3, 10, 30, 60 and 120 s later, as a
   * console reloading its history would see it: the read model may lag, by seconds on a busy machine,
   * and by up to a minute when its projectors come back after a two-broker outage (a quick run
   * counted 28 agent messages, stored and in the history at the end, as never reaching visitors
   * whose last read was 30 s after their reconnect). Every
   * read takes the sessions the client had when it came back as well as those it has now: one that
   * ended meanwhile (while the client was away, or just after) still shows in its history, and its
   * last messages may reach the read model only after the first read.
   */
  private catchUp(participant: string, token: string, sessions: () => string[], from: 'visitor' | 'agent'): void {
    const hadOnReturn = sessions();
    const since = new Date(Date.now() - 120_000).toISOString();
    const read = async (): Promise<void> => {
      // An agent's console also shows its current list and its recent history: a session assigned
      // while its socket was on a gateway without its feed (no push came) shows there, even when it
      // ended before this client learned of it.
      const listed = from === 'visitor' ? await this.consoleSessions(token, since) : [];
      for (const sessionId of new Set([...hadOnReturn, ...sessions(), ...listed])) {
        const page = await http(this.base())
          .get(`/api/sessions/${sessionId}/messages?limit=200`, token)
          .catch(() => undefined);
        const messages = (page?.body?.['messages'] ?? []) as { messageId: string; from: { role: string } }[];
        for (const m of messages) if (m.from.role === from) this.ledger.receive(participant, m.messageId, 'history');
      }
    };
    void (async () => {
      await read();
      for (const pause of [3_000, 7_000, 20_000, 30_000, 60_000]) {
        await sleep(pause);
        await read();
      }
    })().catch(() => undefined);
  }

  /** The sessions an agent's console lists: its current ones and those that ended since `since`. */
  private async consoleSessions(token: string, since: string): Promise<string[]> {
    const api = http(this.base());
    const [current, ended] = await Promise.all([
      api.get('/api/sessions', token).catch(() => undefined),
      api.get(`/api/sessions?state=ended&from=${encodeURIComponent(since)}&limit=100`, token).catch(() => undefined),
    ]);
    return [current, ended].flatMap((page) =>
      ((page?.body?.['sessions'] ?? []) as { sessionId: string }[]).map((row) => row.sessionId),
    );
  }

  private async startAgent(credentials: { username: string; password: string }, index: number): Promise<void> {
    const { ledger } = this;
    const login = await this.login('agent', { companyId: this.options.companyId, ...credentials });
    const agentId = String(login['agentId']);
    const token = String(login['token']);
    const held = new Set<string>();
    const ended = new Set<string>();
    /**
     * When each session it held stopped being its own (ended, pushed or learned from a refused reply):
     * the console still shows it in the agent's history for a while, so a catch-up reads it too.
     */
    const dropped = new Map<string, number>();
    const drop = (sessionId: string): void => {
      if (held.delete(sessionId)) dropped.set(sessionId, Date.now());
    };
    const recent = (): string[] => {
      const since = Date.now() - 60_000;
      for (const [sessionId, at] of dropped) if (at < since) dropped.delete(sessionId);
      return [...held, ...dropped.keys()];
    };
    const socket: Socket = new Socket(
      'agent',
      token,
      this.options.gateways,
      index,
      (frame) => {
        if (frame.type === 'message') this.pushed(frame, agentId, 'visitor');
        else if (frame.type === 'session.state') {
          const sessionId = String(frame['sessionId']);
          if (frame['state'] === 'ended') {
            ended.add(sessionId);
            drop(sessionId);
          } else if (frame['state'] === 'assigned' && frame['agentId'] === agentId) {
            if (!ended.has(sessionId)) held.add(sessionId);
          } else drop(sessionId);
        } else if (frame.type === 'session.list') {
          // The list may lag behind the pushes: it adds sessions, the pushes and refusals remove them.
          for (const row of frame['sessions'] as { sessionId: string; state: string }[])
            if (row.state === 'assigned' && !ended.has(row.sessionId)) held.add(row.sessionId);
        }
      },
      () => this.catchUp(agentId, token, recent, 'visitor'),
      (closed) => ledger.closes.push(closed),
    );
    this.sockets.push(socket);
    await socket.connected();
    if ((await this.send(socket, { type: 'agent.status', status: 'idle' })) === undefined)
      throw new Error(`agent ${agentId} could not go idle`);
    let sent = 0;
    const reply = async (sessionId: string): Promise<void> => {
      const clientMsgId = `${agentId}-${++sent}`;
      const answer = await this.send(socket, { type: 'message.send', sessionId, text: `reply ${sent}`, clientMsgId });
      if (answer === undefined) {
        drop(sessionId);
        return;
      }
      ledger.ack({
        messageId: String(answer['messageId']),
        sessionId,
        from: 'agent',
        senderId: agentId,
        ackedAt: Date.now(),
      });
    };
    this.runs.push(
      (async () => {
        while (!this.stopping) {
          await sleep(jitter(this.options.messageIntervalMs));
          if (this.stopping) break;
          await Promise.all([...held].map(reply));
        }
      })(),
    );
  }

  private async startVisitor(index: number): Promise<void> {
    const { ledger, options } = this;
    const login = await this.login('visitor', { companyId: options.companyId });
    const visitorId = String(login['visitorId']);
    const token = String(login['token']);
    let current: string | undefined;
    let previous: string | undefined;
    const socket: Socket = new Socket(
      'visitor',
      token,
      options.gateways,
      index,
      (frame) => {
        if (frame.type === 'message') this.pushed(frame, visitorId, 'agent');
        else if (frame.type === 'session.state') {
          const sessionId = String(frame['sessionId']);
          if (frame['state'] === 'assigned') ledger.assigned(sessionId, String(frame['agentId']));
          if (frame['state'] === 'ended' && sessionId === current) current = undefined;
        }
      },
      () => this.catchUp(visitorId, token, () => [current, previous].filter((s) => s !== undefined), 'agent'),
      (closed) => ledger.closes.push(closed),
    );
    this.sockets.push(socket);
    await socket.connected();
    let sent = 0;
    const [fewest, most] = options.messagesPerSession;
    this.runs.push(
      (async () => {
        while (!this.stopping) {
          const asked = await this.send(socket, { type: 'human.request' });
          if (asked === undefined) {
            await sleep(500);
            continue;
          }
          const sessionId = String(asked['sessionId']);
          [previous, current] = [current ?? previous, sessionId];
          ledger.humanRequests.push({ sessionId, visitorId, at: Date.now() });
          if (asked['state'] === 'assigned') ledger.assigned(sessionId, String(asked['agentId']));
          const count = fewest + Math.floor(Math.random() * (most - fewest + 1));
          for (let i = 0; i < count && !this.stopping && current === sessionId; i++) {
            await sleep(jitter(options.messageIntervalMs));
            const clientMsgId = `${visitorId}-${++sent}`;
            const answer = await this.send(socket, { type: 'message.send', text: `message ${sent}`, clientMsgId });
            if (answer === undefined) continue;
            ledger.ack({
              messageId: String(answer['messageId']),
              sessionId: String(answer['sessionId']),
              from: 'visitor',
              senderId: visitorId,
              ackedAt: Date.now(),
            });
            // Another session than asked for: the one asked for ended meanwhile (a new one was opened).
            if (answer['sessionId'] !== sessionId) break;
          }
          if (this.stopping) break;
          if (current === sessionId) await this.send(socket, { type: 'session.end' });
          current = undefined;
          previous = sessionId;
        }
      })(),
    );
  }
}
