// What the gateway allows one socket, the codes it answers and closes with, and the counters
// that enforce the rate limits.

export interface GatewayLimits {
  /** A ping every this often; a socket that did not answer the previous ping is terminated. */
  readonly heartbeatIntervalMs: number;
  /**
   * Frames larger than this (bytes of the websocket message) are answered `frame_too_large`
   * and not handled. A 4000-character text fits even when a client escapes every character
   * as `\uXXXX` (6 bytes each, 24 000 bytes), as Python's `json.dumps` does by default.
   */
  readonly maxFrameBytes: number;
  /** Larger messages are not even read: ws closes the socket with 1009 (message too big). */
  readonly maxPayloadBytes: number;
  /** Token bucket per socket: refilled at this rate, holding at most `burstFrames`. */
  readonly framesPerSecond: number;
  readonly burstFrames: number;
  /** Valid frames waiting for the handler of the previous one; more are refused `rate_limited`. */
  readonly maxQueuedFrames: number;
  /** This many refused frames (rate limit, size) within `abuseWindowMs` close the socket with 4408. */
  readonly abuseRefusals: number;
  readonly abuseWindowMs: number;
  /**
   * Sockets one principal (a visitor, an agent) may hold at once (tabs, devices); one more is
   * closed with 4429 right after the handshake.
   */
  readonly maxConnectionsPerPrincipal: number;
  /**
   * Sockets (open or being opened) from one remote address; more are refused with HTTP 429
   * before the handshake. Behind a proxy every client has the proxy's address: raise it there.
   */
  readonly maxConnectionsPerIp: number;
  /** `stop()` terminates sockets whose clients have not completed the close handshake by then. */
  readonly closeTimeoutMs: number;
  /**
   * Work admitted and not yet answered in the whole process: frames of every socket (waiting for
   * their turn or being handled) and API requests. More is refused `overloaded` (HTTP 503) at once,
   * so that what was admitted is answered in time instead of everything queueing without end.
   */
  readonly maxInFlight: number;
  /**
   * New work is refused `overloaded` too while the event loop runs this much later than it should
   * (a timer's lateness sampled every 50 ms, averaged over the last few samples: a single stall
   * refuses nothing, a loop kept busy does).
   */
  readonly maxEventLoopLagMs: number;
}

export const DEFAULT_LIMITS: GatewayLimits = {
  heartbeatIntervalMs: 30_000,
  maxFrameBytes: 32 * 1024,
  maxPayloadBytes: 64 * 1024,
  framesPerSecond: 20,
  burstFrames: 40,
  maxQueuedFrames: 100,
  abuseRefusals: 50,
  abuseWindowMs: 60_000,
  maxConnectionsPerPrincipal: 20,
  maxConnectionsPerIp: 1_000,
  closeTimeoutMs: 5_000,
  // What is admitted waits for what was admitted before it: 256 at the embedded mode's 150 msg/s
  // on a busy 2-core machine was 2.4 s before delivery (e2e overload step); 64 is under half a
  // second there, and still far above what a sustained rate keeps in hand (rate x answer time).
  maxInFlight: 64,
  // With PGlite handing out turns (infra event-store/turns.ts) an overloaded process lags tens of
  // ms; 200 refused the e2e benchmark's setup (four logins at a time) on a busy shared machine.
  maxEventLoopLagMs: 500,
};

/** The codes of the `error` frames the gateway itself sends. */
export const GatewayErrorCode = {
  /** Not JSON, not text, unknown `type`, or fields that fail the codecs. */
  badRequest: 'bad_request',
  /** Over the frame rate, or too many frames waiting; the frame was not handled. */
  rateLimited: 'rate_limited',
  /**
   * The process has `maxInFlight` frames and requests in hand, or its event loop lags: the frame
   * was not handled; send it again later (`details.retryAfterMs`, at least).
   */
  overloaded: 'overloaded',
  /** Over `maxFrameBytes`; the frame was not handled. */
  frameTooLarge: 'frame_too_large',
  /** A handler failed in a way it did not describe; the details are in the log. */
  internal: 'internal',
} as const;

/** The close codes the gateway uses. */
export const CloseCode = {
  /** `stop()`: 'server shutting down'. */
  goingAway: 1001,
  /** Sent by ws itself for a frame that breaks the websocket protocol (not masked, reserved bits, unknown opcode). */
  protocolError: 1002,
  /** Sent by ws itself for a text frame that is not UTF-8. */
  invalidPayload: 1007,
  /** Sent by ws itself for a message over `maxPayloadBytes`. */
  messageTooBig: 1009,
  /** Authentication could not be done, or `onConnected` failed: the client may retry. */
  internalError: 1011,
  /**
   * The gateway lost its event feed (Kafka) and gets no pushes for its sockets: 'event feed lost; reconnect'. Open
   * sockets are closed with it, new ones at once after the handshake; the client reconnects (through the load
   * balancer, to a gateway that is ready) with a backoff.
   */
  tryAgainLater: 1013,
  /** Missing or bad token, before anything else is sent (PROTOCOL.md): 'unauthorized'. */
  unauthorized: 4401,
  /** `abuseRefusals` refused frames within `abuseWindowMs`: 'rate limit exceeded'. */
  rateLimited: 4408,
  /** The principal already holds `maxConnectionsPerPrincipal` sockets: 'too many connections'. */
  tooManyConnections: 4429,
} as const;

/** Frames a socket may send now: `burst` at once, refilled at `perSecond`. */
export class TokenBucket {
  private tokens: number;
  private refilledAt: number;

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = burst;
    this.refilledAt = now();
  }

  /** Takes a token if there is one. */
  take(): boolean {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.refilledAt) / 1000) * this.perSecond);
    this.refilledAt = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/** Counts refusals within a sliding window; says when there were too many. */
export class RefusalWindow {
  private readonly times: number[] = [];

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records a refusal; true when `limit` refusals fell within the window. */
  record(): boolean {
    const now = this.now();
    this.times.push(now);
    while (this.times.length > this.limit || (this.times[0] ?? now) <= now - this.windowMs) this.times.shift();
    return this.times.length >= this.limit;
  }
}
