// What the websocket gateway needs from the rest of the service (authentication, the frame
// handlers, metrics) and what it hands to them (connections).
import * as t from 'io-ts';
import { CompanyId, Id } from '@cschat/domain';
import type { AgentFrame, ClientFrame, ServerFrame, VisitorFrame } from './frames';

/** Which socket path a client came in by: `/ws/visitor` or `/ws/agent`. */
export const PrincipalKind = t.keyof({ visitor: null, agent: null });
export type PrincipalKind = t.TypeOf<typeof PrincipalKind>;

export const PrincipalRole = t.keyof({ visitor: null, agent: null, supervisor: null, admin: null });
export type PrincipalRole = t.TypeOf<typeof PrincipalRole>;

/**
 * Who is on a socket. An admin connects as an agent (`kind: 'agent'`, `role: 'admin'`). A staff socket's
 * `tokenVersion` is its token's: the socket is closed with 4401 once its agent's version moved (revoked).
 * Exact: decoding keeps what it names and drops anything else an authenticator returned.
 */
export const Principal = t.intersection([
  t.exact(t.type({ kind: PrincipalKind, companyId: CompanyId, id: Id, role: PrincipalRole })),
  t.exact(t.partial({ tokenVersion: t.number })),
]);
export type Principal = t.TypeOf<typeof Principal>;

/**
 * Checks the `?token=` of a connection to the socket of `kind`. `undefined` means the token is
 * missing, bad, expired or of another kind: the socket is closed with 4401. A rejected promise
 * means authentication could not be done (the socket is closed with 1011 and the client retries).
 */
export type Authenticate = (token: string, kind: PrincipalKind) => Promise<Principal | undefined>;

/** One open socket of a principal; a principal may have several (browser tabs). */
export interface Connection {
  /** Random, for logs and for telling a principal's sockets apart. */
  readonly id: string;
  readonly principal: Principal;
  /** Sends the frame if the socket is open; false (and nothing sent) when it is not. */
  send(frame: ServerFrame): boolean;
  close(code?: number, reason?: string): void;
}

/** The fields an `ack` carries beside `type` and `id` (which a result cannot override). */
export type AckResult = Readonly<Record<string, unknown>>;

/**
 * A failure the client is told about as `{type: 'error', id?, code, message, details?}`. Thrown
 * or returned by `onFrame`; domain errors become one with `FrameError.from(error)`.
 */
export class FrameError extends Error {
  override readonly name = 'FrameError';
  readonly details: Readonly<Record<string, string>> | undefined;

  constructor(
    readonly code: string,
    message: string,
    details?: Readonly<Record<string, string>>,
  ) {
    super(message);
    this.details = details;
  }

  static from(error: {
    readonly code: string;
    readonly message: string;
    readonly details?: Readonly<Record<string, string>>;
  }): FrameError {
    return new FrameError(error.code, error.message, error.details);
  }
}

/**
 * What the service does with sockets. The gateway calls these one at a time per socket, in
 * order: `onConnected`, then `onFrame` for each valid frame (the next starts when the previous
 * one finished), then `onDisconnected` once the socket closed and its frames were handled.
 */
export interface FrameHandlers {
  /** E.g. send `suggestions` or `session.list`. If it fails the socket is closed with 1011. */
  onConnected?(connection: Connection): Promise<void> | void;
  /**
   * A decoded, valid frame of the connection's kind (a `VisitorFrame` on a visitor socket, an
   * `AgentFrame` on an agent socket; `onFrameByKind` narrows it). Resolves to the ack's fields,
   * or to (or rejects with) a FrameError. Any other rejection is logged and answered with code
   * `internal`, without its message.
   */
  onFrame(connection: Connection, frame: ClientFrame): Promise<AckResult | FrameError>;
  onDisconnected?(connection: Connection): Promise<void> | void;
}

/** Builds `onFrame` from one handler per socket kind, each with its kind's frames. */
export const onFrameByKind =
  (handlers: {
    readonly visitor: (connection: Connection, frame: VisitorFrame) => Promise<AckResult | FrameError>;
    readonly agent: (connection: Connection, frame: AgentFrame) => Promise<AckResult | FrameError>;
  }): FrameHandlers['onFrame'] =>
  (connection, frame) =>
    // The gateway decodes a frame with the codecs of the socket's kind, so the casts hold.
    connection.principal.kind === 'visitor'
      ? handlers.visitor(connection, frame as VisitorFrame)
      : handlers.agent(connection, frame as AgentFrame);

/**
 * What operators watch, as plain callbacks (`prometheusGatewayMetrics` makes them from a
 * prom-client registry). `type` is a frame type of the protocol, or `invalid` for a frame
 * that did not decode; `code` is the error code of a refused frame.
 */
export interface GatewayMetrics {
  connectionOpened(kind: PrincipalKind): void;
  connectionClosed(kind: PrincipalKind): void;
  frameIn(kind: PrincipalKind, type: string): void;
  frameRefused(kind: PrincipalKind, code: string): void;
  frameOut(kind: PrincipalKind, type: string): void;
  /** A frame's command ran: how long from its arrival to its answer, and the answer (`ack` or the error code). */
  frameHandled(kind: PrincipalKind, type: string, outcome: string, seconds: number): void;
}
