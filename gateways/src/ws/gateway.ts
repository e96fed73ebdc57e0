// The websocket transport: upgrades on /ws/visitor and /ws/agent, authentication, frames checked
// against the codecs, one frame at a time per socket, limits and heartbeats. What a frame means
// is the handlers' business (ports.ts).
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { isLeft, isRight } from 'fp-ts/Either';
import type { Registry } from 'prom-client';
import { WebSocket, WebSocketServer, type RawData, type Server as WsServer } from 'ws';
import { violationOf } from '@cschat/domain';
import type { Logger } from '@cschat/infra';
import { LoadShedder, RETRY_AFTER_MS } from '../load-shedding';
import { CLIENT_FRAMES, FrameId, type ClientFrame, type ErrorFrame, type ServerFrame } from './frames';
import { CloseCode, DEFAULT_LIMITS, GatewayErrorCode, RefusalWindow, TokenBucket, type GatewayLimits } from './limits';
import { prometheusGatewayMetrics } from './metrics';
import {
  FrameError,
  Principal,
  type AckResult,
  type Authenticate,
  type Connection,
  type FrameHandlers,
  type GatewayMetrics,
  type PrincipalKind,
} from './ports';
import { ConnectionRegistry, principalKey, type PrincipalKey } from './registry';
import { TaskQueue } from './task-queue';
import { frameReceived, frameSent } from './tracing';

export interface SocketGatewayOptions {
  /** The HTTP server whose `upgrade` requests the gateway takes (all of them, while started). */
  readonly server: Server;
  readonly authenticate: Authenticate;
  readonly handlers: FrameHandlers;
  readonly logger: Logger;
  /** A prom-client registry (infra's `createMetrics().registry`) or plain callbacks. */
  readonly metrics?: Registry | GatewayMetrics;
  /** Each one left out is its DEFAULT_LIMITS value. */
  readonly limits?: Partial<GatewayLimits>;
  /**
   * The process's work in hand, shared with the HTTP API; absent: one of the gateway's own, by
   * `maxInFlight` and `maxEventLoopLagMs`. The gateway samples its event loop lag while started.
   */
  readonly load?: LoadShedder;
  /**
   * Asked at every upgrade: a code and reason to close the new socket with at once, after the handshake and before
   * its token is checked (the front door's while its event feed is lost: 1013); undefined admits it as usual.
   */
  readonly refusal?: () => { readonly code: number; readonly reason: string } | undefined;
}

const PATHS: ReadonlyMap<string, PrincipalKind> = new Map([
  ['/ws/visitor', 'visitor'],
  ['/ws/agent', 'agent'],
]);

type Admission = { readonly principal: Principal } | { readonly code: number; readonly reason: string };
const UNAUTHORIZED: Admission = { code: CloseCode.unauthorized, reason: 'unauthorized' };
const AUTHENTICATION_FAILED: Admission = { code: CloseCode.internalError, reason: 'authentication failed' };

interface Refusal {
  readonly code: string;
  readonly message: string;
  /** The frame's `id`, when one could be read. */
  readonly id: FrameId | undefined;
  readonly details?: Readonly<Record<string, string>>;
  /** The frame's field whose rule `message` states, for a frame that fails its codec. */
  readonly field?: string;
}
/** A frame admitted holds a slot of the process's work in hand until it is answered. */
type Checked = { readonly frame: ClientFrame; readonly release: () => void } | { readonly refusal: Refusal };

/** What every socket of a gateway refers to, instead of closures of its own. */
interface Shared {
  readonly limits: GatewayLimits;
  readonly metrics: GatewayMetrics | undefined;
  readonly log: Logger;
}

/**
 * ws's socket with what the gateway keeps of it in fields of its own (ws's `WebSocket` option):
 * the listeners are then the same functions for every socket (ws calls them with the socket as
 * `this`), where closures per socket cost a few hundred bytes each.
 */
class GatewaySocket extends WebSocket {
  /** The remote address it counts against (`maxConnectionsPerIp`). */
  address = '';
  /** Once authenticated. */
  connection: ClientConnection | undefined;
}

/**
 * One authenticated socket. It holds only what an idle socket needs: its rate counters come into
 * being with its first frame, its queue while it has tasks, its logger when it logs.
 */
class ClientConnection implements Connection {
  readonly id = randomUUID();
  /** Answered the last ping (or none was sent yet). */
  alive = true;
  /** The gateway is closing this socket: frames that still come in are ignored. */
  closing = false;
  private rate: TokenBucket | undefined;
  private refused: RefusalWindow | undefined;
  private queue: TaskQueue | undefined;

  constructor(
    readonly ws: GatewaySocket,
    readonly principal: Principal,
    private readonly shared: Shared,
  ) {}

  /**
   * Made when first taken: a bucket made at the first frame is full, as one made at the
   * connection would be by then (it refills up to `burstFrames`).
   */
  get bucket(): TokenBucket {
    return (this.rate ??= new TokenBucket(this.shared.limits.framesPerSecond, this.shared.limits.burstFrames));
  }

  /** Made at the first refusal: an empty window until then. */
  get refusals(): RefusalWindow {
    return (this.refused ??= new RefusalWindow(this.shared.limits.abuseRefusals, this.shared.limits.abuseWindowMs));
  }

  /**
   * A logger with the socket's fields, made for each use: a pino child kept per socket held
   * ~900 bytes of its bindings, and a socket logs a few lines in its life.
   */
  get log(): Logger {
    return this.shared.log.child({
      connectionId: this.id,
      kind: this.principal.kind,
      companyId: this.principal.companyId,
      principalId: this.principal.id,
    });
  }

  send(frame: ServerFrame): boolean {
    if (this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(frame), (error) => {
      if (error !== undefined && error !== null)
        this.log.debug({ err: error, frameType: frame.type }, 'frame not sent');
    });
    this.shared.metrics?.frameOut(this.principal.kind, frame.type);
    frameSent(this.principal, frame);
    return true;
  }

  close(code?: number, reason?: string): void {
    this.closing = true;
    this.ws.close(code, reason);
  }

  /** Frames waiting for their turn, and the one being handled. */
  get waiting(): number {
    return this.queue?.length ?? 0;
  }

  /** Runs `task` after every task queued before it finished. `task` must not reject. */
  enqueue(task: () => Promise<void>): void {
    this.queue ??= new TaskQueue(
      // A failure here is a bug in the gateway; the socket's later frames must still be handled.
      (error) => this.log.error({ err: error }, 'socket task failed'),
      () => (this.queue = undefined),
    );
    this.queue.push(task);
  }
}

/** A listener that ws calls with the socket as `this`, as a function of the socket. */
const ofSocket = <A extends unknown[]>(listener: (ws: GatewaySocket, ...args: A) => void) =>
  function (this: WebSocket, ...args: A): void {
    // The gateway's server makes only GatewaySockets.
    listener(this as GatewaySocket, ...args);
  };

const onPong = ofSocket((ws: GatewaySocket) => {
  if (ws.connection !== undefined) ws.connection.alive = true;
});

export class SocketGateway {
  private readonly limits: GatewayLimits;
  private readonly metrics: GatewayMetrics | undefined;
  private readonly log: Logger;
  private readonly load: LoadShedder;
  private readonly shared: Shared;
  private readonly wss: WsServer<typeof GatewaySocket>;
  private readonly registry = new ConnectionRegistry<ClientConnection>();
  /** Every upgraded socket, authenticated or not, until it closed and its frames were handled. */
  private readonly sockets = new Set<GatewaySocket>();
  /** Resolves `stop()` once `sockets` is empty. */
  private drained: (() => void) | undefined;
  /** Sockets open or being opened, per remote address. */
  private readonly perIp = new Map<string, number>();
  private state: 'stopped' | 'started' | 'stopping' = 'stopped';
  private stopping: Promise<void> | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  // The same listeners for every socket.
  private readonly onMessage = ofSocket((ws: GatewaySocket, data: RawData, isBinary: boolean) => {
    if (ws.connection !== undefined) this.receive(ws.connection, data, isBinary);
  });
  private readonly onClose = ofSocket((ws: GatewaySocket, code: number) => this.closed(ws, code));
  /** ws reports a protocol violation or an oversize message here, then closes the socket itself. */
  private readonly onError: Readonly<Record<PrincipalKind, (error: Error & { code?: string }) => void>> = {
    visitor: (error) => this.log.info({ kind: 'visitor', code: error.code, reason: error.message }, 'socket error'),
    agent: (error) => this.log.info({ kind: 'agent', code: error.code, reason: error.message }, 'socket error'),
  };

  constructor(private readonly options: SocketGatewayOptions) {
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.metrics = isRegistry(options.metrics) ? prometheusGatewayMetrics(options.metrics) : options.metrics;
    this.log = options.logger.child({ component: 'ws-gateway' });
    this.load = options.load ?? new LoadShedder(this.limits);
    this.shared = { limits: this.limits, metrics: this.metrics, log: this.log };
    this.wss = new WebSocketServer({
      WebSocket: GatewaySocket,
      noServer: true,
      clientTracking: false,
      maxPayload: this.limits.maxPayloadBytes,
      // Compression would let a small frame inflate into a large one; chat frames are small anyway.
      perMessageDeflate: false,
    });
  }

  /** Takes the server's upgrade requests and starts the heartbeats. Idempotent. */
  start(): void {
    if (this.state !== 'stopped') return;
    this.state = 'started';
    this.options.server.on('upgrade', this.onUpgrade);
    this.heartbeat = setInterval(() => this.beat(), this.limits.heartbeatIntervalMs);
    this.heartbeat.unref();
    this.load.start();
  }

  /**
   * Stops taking upgrades, closes every socket with 1001 and resolves when all are closed and
   * their handlers (frames queued before the close, then `onDisconnected`) finished. Clients
   * that do not complete the close handshake within `closeTimeoutMs` are cut off. Idempotent.
   */
  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    this.stopping ??= this.shutDown();
    await this.stopping;
  }

  /** Sends the frame to every socket of the principal; returns how many it went to. */
  sendTo(key: PrincipalKey, frame: ServerFrame): number {
    return this.registry.of(key).filter((connection) => connection.send(frame)).length;
  }

  sendToAgent(companyId: string, agentId: string, frame: ServerFrame): number {
    return this.sendTo(principalKey(companyId, 'agent', agentId), frame);
  }

  sendToVisitor(companyId: string, visitorId: string, frame: ServerFrame): number {
    return this.sendTo(principalKey(companyId, 'visitor', visitorId), frame);
  }

  connectionsOf(key: PrincipalKey): readonly Connection[] {
    return this.registry.of(key);
  }

  /** Closes every authenticated socket with the code and reason; returns how many. */
  closeAll(code: number, reason: string): number {
    let closed = 0;
    this.registry.forEach((connection) => {
      if (connection.closing) return;
      connection.close(code, reason);
      closed += 1;
    });
    return closed;
  }

  /** Authenticated sockets now open. */
  get connectionCount(): number {
    return this.registry.size;
  }

  private async shutDown(): Promise<void> {
    this.state = 'stopping';
    this.options.server.off('upgrade', this.onUpgrade);
    clearInterval(this.heartbeat);
    this.load.stop();
    this.log.info({ sockets: this.sockets.size }, 'closing sockets: server shutting down');
    for (const ws of this.sockets) ws.close(CloseCode.goingAway, 'server shutting down');
    const cutOff = setTimeout(() => {
      for (const ws of this.sockets) ws.terminate();
    }, this.limits.closeTimeoutMs);
    if (this.sockets.size > 0) await new Promise<void>((resolve) => (this.drained = resolve));
    this.drained = undefined;
    clearTimeout(cutOff);
    this.state = 'stopped';
    this.stopping = undefined;
  }

  private readonly onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
    void this.upgrade(request, socket, head);
  };

  private async upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    // Until ws takes the socket over, nothing else listens for its errors: one must not crash the process.
    const onError = (error: Error): void => this.log.debug({ err: error }, 'socket failed before the upgrade');
    socket.on('error', onError);
    const url = parseUrl(request.url);
    const kind = url === undefined ? undefined : PATHS.get(url.pathname);
    if (url === undefined || kind === undefined) return refuseUpgrade(socket, '404 Not Found');
    const ip = request.socket.remoteAddress ?? 'unknown';
    const fromIp = this.perIp.get(ip) ?? 0;
    if (fromIp >= this.limits.maxConnectionsPerIp) {
      this.log.warn({ ip, limit: this.limits.maxConnectionsPerIp }, 'too many sockets from one address');
      return refuseUpgrade(socket, '429 Too Many Requests');
    }
    this.perIp.set(ip, fromIp + 1);
    // Until the upgrade; then the socket's own close listener counts it out (closed()).
    const uncount = (): void => this.uncount(ip);
    socket.once('close', uncount);
    // The token is in the URL: neither is ever logged.
    const admission = this.options.refusal?.() ?? (await this.admit(url.searchParams.get('token'), kind));
    if (this.state !== 'started') return refuseUpgrade(socket, '503 Service Unavailable');
    socket.off('error', onError);
    // ws calls back only with a socket still open (else it destroys it): `uncount` has not run.
    this.wss.handleUpgrade(request, socket, head, (ws) => {
      socket.off('close', uncount);
      ws.address = ip;
      this.accept(ws, kind, admission);
    });
  }

  private uncount(ip: string): void {
    const left = (this.perIp.get(ip) ?? 1) - 1;
    if (left <= 0) this.perIp.delete(ip);
    else this.perIp.set(ip, left);
  }

  private async admit(token: string | null, kind: PrincipalKind): Promise<Admission> {
    if (token === null || token === '') return UNAUTHORIZED;
    try {
      const principal = await this.options.authenticate(token, kind);
      if (principal === undefined || principal.kind !== kind) return UNAUTHORIZED;
      // Decoded, not trusted: the socket keeps what a Principal names (a staff token's version included) and nothing
      // else the authenticator returned.
      const decoded = Principal.decode(principal);
      if (isLeft(decoded)) {
        this.log.error({ kind }, 'authenticate returned an invalid principal');
        return AUTHENTICATION_FAILED;
      }
      return { principal: Object.freeze(decoded.right) };
    } catch (error) {
      this.log.error({ err: error, kind }, 'authentication failed');
      return AUTHENTICATION_FAILED;
    }
  }

  private accept(ws: GatewaySocket, kind: PrincipalKind, admission: Admission): void {
    ws.on('error', this.onError[kind]);
    ws.on('close', this.onClose);
    this.sockets.add(ws);
    if (
      'principal' in admission &&
      this.registry.of(principalKey(admission.principal.companyId, kind, admission.principal.id)).length >=
        this.limits.maxConnectionsPerPrincipal
    ) {
      admission = { code: CloseCode.tooManyConnections, reason: 'too many connections' };
    }
    if (!('principal' in admission)) {
      ws.close(admission.code, admission.reason);
      return;
    }
    const connection = new ClientConnection(ws, admission.principal, this.shared);
    ws.connection = connection;
    this.registry.add(connection);
    this.metrics?.connectionOpened(kind);
    connection.log.info('socket opened');
    ws.on('message', this.onMessage);
    ws.on('pong', onPong);
    connection.enqueue(() => this.connected(connection));
  }

  private closed(ws: GatewaySocket, code: number): void {
    this.uncount(ws.address);
    const connection = ws.connection;
    if (connection === undefined) {
      this.finished(ws);
      return;
    }
    this.registry.remove(connection);
    this.metrics?.connectionClosed(connection.principal.kind);
    connection.log.info({ code }, 'socket closed');
    connection.enqueue(() => this.disconnected(connection));
  }

  /** The socket closed and its handlers finished. */
  private finished(ws: GatewaySocket): void {
    this.sockets.delete(ws);
    if (this.sockets.size === 0) this.drained?.();
  }

  private async connected(connection: ClientConnection): Promise<void> {
    try {
      await this.options.handlers.onConnected?.(connection);
    } catch (error) {
      connection.log.error({ err: error }, 'onConnected failed: closing the socket');
      connection.close(CloseCode.internalError, 'internal error');
    }
  }

  private async disconnected(connection: ClientConnection): Promise<void> {
    try {
      await this.options.handlers.onDisconnected?.(connection);
    } catch (error) {
      connection.log.error({ err: error }, 'onDisconnected failed');
    }
    this.finished(connection.ws);
  }

  private receive(connection: ClientConnection, data: RawData, isBinary: boolean): void {
    if (connection.closing) return;
    const kind = connection.principal.kind;
    const checked = this.check(connection, toBuffer(data), isBinary);
    this.metrics?.frameIn(kind, 'frame' in checked ? checked.frame.type : 'invalid');
    if ('frame' in checked) {
      connection.enqueue(async () => {
        try {
          await frameReceived(connection.principal, checked.frame, () => this.handle(connection, checked.frame));
        } finally {
          checked.release();
        }
      });
      return;
    }
    const { refusal } = checked;
    this.metrics?.frameRefused(kind, refusal.code);
    connection.log.debug({ code: refusal.code, message: refusal.message }, 'frame refused');
    connection.send(errorFrame(refusal.id, refusal.code, refusal.message, refusal.details, refusal.field));
    // A client refused for the service's load, or for a frame it could not read, is not abusing it.
    if (refusal.code === GatewayErrorCode.badRequest || refusal.code === GatewayErrorCode.overloaded) return;
    if (!connection.refusals.record()) return;
    connection.log.warn(
      { refusals: this.limits.abuseRefusals, windowMs: this.limits.abuseWindowMs },
      'too many refused frames: closing the socket',
    );
    connection.close(CloseCode.rateLimited, 'rate limit exceeded');
  }

  /** Decides whether a frame is handled; nothing of a refused frame but its `id` is kept. */
  private check(connection: ClientConnection, data: Buffer, isBinary: boolean): Checked {
    const refuse = (code: string, message: string, id?: FrameId, details?: Record<string, string>): Checked => ({
      refusal: { code, message, id, ...(details === undefined ? {} : { details }) },
    });
    const { maxFrameBytes, maxQueuedFrames } = this.limits;
    if (!connection.bucket.take()) return refuse(GatewayErrorCode.rateLimited, 'too many frames', idOf(data));
    if (data.length > maxFrameBytes) {
      return refuse(GatewayErrorCode.frameTooLarge, `frames are at most ${maxFrameBytes} bytes`, idOf(data));
    }
    if (isBinary) return refuse(GatewayErrorCode.badRequest, 'frames are JSON text, not binary');
    const json = parseJson(data);
    if (json === NOT_JSON) return refuse(GatewayErrorCode.badRequest, 'frame is not JSON');
    const id = readFrameId(json);
    const type = isObject(json) && typeof json['type'] === 'string' ? json['type'] : undefined;
    if (type === undefined) return refuse(GatewayErrorCode.badRequest, 'a frame is an object with a string `type`', id);
    const codec = CLIENT_FRAMES[connection.principal.kind].get(type);
    // The unknown type itself is not echoed: nothing of a bad frame goes back out.
    if (codec === undefined) return refuse(GatewayErrorCode.badRequest, 'unknown frame type', id);
    const decoded = codec.decode(json);
    if (isLeft(decoded)) {
      // The first broken rule, named as over HTTP: `rating: must be an integer from 1 to 5`, with `field`.
      const { field, message } = violationOf(decoded.left, 'frame');
      return { refusal: { code: GatewayErrorCode.badRequest, message, id, ...(field === undefined ? {} : { field }) } };
    }
    if (connection.waiting >= maxQueuedFrames) {
      return refuse(GatewayErrorCode.rateLimited, 'too many frames waiting for an answer', id);
    }
    // Last: only a frame that would be handled takes a slot.
    const release = this.load.admit();
    if (release === undefined) {
      return refuse(GatewayErrorCode.overloaded, 'the service is overloaded: send the frame again later', id, {
        retryAfterMs: String(RETRY_AFTER_MS),
      });
    }
    return { frame: decoded.right, release };
  }

  private async handle(connection: ClientConnection, frame: ClientFrame): Promise<void> {
    let outcome: AckResult | FrameError;
    const started = performance.now();
    try {
      outcome = await this.options.handlers.onFrame(connection, frame);
    } catch (error) {
      if (error instanceof FrameError) {
        outcome = error;
      } else {
        connection.log.error({ err: error, frameType: frame.type }, 'frame handler failed');
        outcome = new FrameError(GatewayErrorCode.internal, 'internal error');
      }
    }
    this.metrics?.frameHandled(
      connection.principal.kind,
      frame.type,
      outcome instanceof FrameError ? outcome.code : 'ack',
      (performance.now() - started) / 1000,
    );
    if (outcome instanceof FrameError) {
      connection.send(errorFrame(frame.id, outcome.code, outcome.message, outcome.details));
    } else if (frame.id !== undefined) {
      const { type: _type, id: _id, ...fields } = outcome;
      try {
        connection.send({ type: 'ack', id: frame.id, ...fields });
      } catch (error) {
        connection.log.error({ err: error, frameType: frame.type }, 'ack not sendable (not JSON)');
        connection.send(errorFrame(frame.id, GatewayErrorCode.internal, 'internal error'));
      }
    }
  }

  /** A ping to every authenticated socket; those that did not answer the last one are cut off. */
  private beat(): void {
    this.registry.forEach((connection) => {
      if (!connection.alive) {
        connection.log.info('no pong since the last ping: terminating the socket');
        connection.ws.terminate();
        return;
      }
      connection.alive = false;
      connection.ws.ping();
    });
  }
}

const isRegistry = (metrics: Registry | GatewayMetrics | undefined): metrics is Registry =>
  metrics !== undefined && 'registerMetric' in metrics;

const parseUrl = (url: string | undefined): URL | undefined => {
  try {
    return new URL(url ?? '/', 'http://localhost');
  } catch {
    return undefined;
  }
};

const refuseUpgrade = (socket: Duplex, status: string): void => {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  socket.once('finish', () => socket.destroy());
  socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
};

const errorFrame = (
  id: FrameId | undefined,
  code: string,
  message: string,
  details?: Readonly<Record<string, string>>,
  field?: string,
): ErrorFrame => ({
  type: 'error',
  ...(id === undefined ? {} : { id }),
  code,
  message,
  ...(details === undefined ? {} : { details: { ...details } }),
  ...(field === undefined ? {} : { field }),
});

const toBuffer = (data: RawData): Buffer =>
  Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);

const NOT_JSON = Symbol('not JSON');
const parseJson = (data: Buffer): unknown => {
  try {
    return JSON.parse(data.toString('utf8')) as unknown;
  } catch {
    return NOT_JSON;
  }
};

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const readFrameId = (json: unknown): FrameId | undefined => {
  if (!isObject(json)) return undefined;
  const id = FrameId.decode(json['id']);
  return isRight(id) ? id.right : undefined;
};

/** The `id` of a frame that is refused before it is decoded, so that its answer names it. */
const idOf = (data: Buffer): FrameId | undefined => readFrameId(parseJson(data));
