// What the pages share of the client protocol (PROTOCOL.md): client ids, frames sent with an id
// and answered by an `ack` or `error` frame, the wait before a reconnect, and the staff's login
// with what its token says.

/** A fresh client id (a message's `clientMsgId`). */
export const newId = () =>
  typeof crypto !== 'undefined' && crypto.randomUUID
    ? crypto.randomUUID()
    : `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;

/** Before reconnect attempt `attempt` (0, 1, …): 0.5 s doubling up to 10 s, ±25% so clients spread out. */
export const reconnectDelay = (attempt) => Math.min(10_000, 500 * 2 ** attempt) * (0.75 + Math.random() * 0.5);

/**
 * Before sending again a frame refused `overloaded` for the `refusal`-th time (0, 1, …): 0.5 s
 * doubling up to 8 s, never less than the server's `retryAfterMs`, and up to half more so that the
 * clients refused together do not come back together.
 * @param {number} refusal
 * @param {unknown} retryAfterMs
 */
export const overloadDelay = (refusal, retryAfterMs) =>
  Math.max(Number(retryAfterMs) || 0, Math.min(8_000, 500 * 2 ** refusal)) * (1 + Math.random() * 0.5);

/**
 * Frames sent with an id, and what to do with the answer to each. A frame refused `overloaded` did
 * nothing: it is sent again as it was (same id, same `clientMsgId`, so never twice in effect) after
 * a growing wait, and its answer is the one it gets then.
 */
export class Requests {
  /** @param {() => WebSocket | undefined} socket the socket of the moment (it changes on reconnects) */
  constructor(socket) {
    this.socket = socket;
    this.seq = 0;
    /** @type {Map<string, { frame: Record<string, any>, onAnswer?: (answer: any) => void, refusals: number }>} */
    this.waiting = new Map();
  }

  /**
   * Sends `frame` if connected, with an id of its own unless it has one; `onAnswer` gets the
   * `ack` or `error` that answers it. Returns the frame as sent (to send again later).
   * @param {Record<string, any>} frame
   * @param {(answer: any) => void} [onAnswer]
   */
  send(frame, onAnswer) {
    const withId = { ...frame, id: frame.id ?? `f${++this.seq}` };
    this.waiting.set(withId.id, { frame: withId, onAnswer, refusals: 0 });
    this.transmit(withId);
    return withId;
  }

  /** @param {Record<string, any>} frame */
  transmit(frame) {
    const socket = this.socket();
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(frame));
  }

  /**
   * Hands an `ack` or `error` frame to whoever waits for it, or sends the frame again later when it
   * was refused `overloaded`; false when nobody waits for it.
   * @param {{ id?: string, type?: string, code?: string, details?: Record<string, string> }} frame
   */
  answer(frame) {
    const entry = frame.id !== undefined ? this.waiting.get(frame.id) : undefined;
    if (!entry) return false;
    if (frame.type === 'error' && frame.code === 'overloaded') {
      const delay = overloadDelay(entry.refusals, frame.details?.retryAfterMs);
      entry.refusals += 1;
      setTimeout(() => {
        if (this.waiting.get(frame.id) === entry) this.transmit(entry.frame);
      }, delay);
      return true;
    }
    this.waiting.delete(frame.id);
    if (!entry.onAnswer) return false;
    entry.onAnswer(frame);
    return true;
  }
}

/**
 * The claims of a JWT's payload (`sub`, `company`, `role`, `exp` in seconds), read without
 * checking the signature (the server does that), or undefined when `jwt` is not a JWT.
 * @param {unknown} jwt
 * @returns {{ sub?: string, company?: string, role?: string, exp?: number } | undefined}
 */
export const tokenClaims = (jwt) => {
  if (typeof jwt !== 'string') return undefined;
  try {
    const part = jwt.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const bytes = Uint8Array.from(atob(part), (c) => c.charCodeAt(0));
    const claims = JSON.parse(new TextDecoder().decode(bytes));
    return claims !== null && typeof claims === 'object' ? claims : undefined;
  } catch {
    return undefined;
  }
};

/**
 * `POST /api/agents/login` (agents and admins): the token and agent id, or what to tell the person
 * (`error` in English, `reason` for pages that say it in another language).
 * @returns {Promise<{ token: string, agentId: string } | { error: string, reason: 'network' | 'credentials' | 'throttled' | 'busy' | 'status', status?: number }>}
 */
export const staffLogin = async (companyId, username, password) => {
  let response;
  try {
    response = await fetch('/api/agents/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ companyId, username, password }),
    });
  } catch (error) {
    return { error: `Sign-in failed: ${error.message}`, reason: 'network' };
  }
  if (response.status === 401) return { error: 'Wrong company, username or password.', reason: 'credentials' };
  // 429: too many failed sign-ins for this username or from this address (retry-after in seconds).
  if (response.status === 429) {
    const minutes = Math.max(1, Math.ceil(Number(response.headers.get('retry-after') ?? '60') / 60));
    return {
      error: `Too many failed sign-ins; try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`,
      reason: 'throttled',
      status: 429,
    };
  }
  // 503 overloaded (with retry-after) or not ready: nothing is wrong with what the person typed.
  if (response.status === 503)
    return { error: 'The service is busy; please try again in a moment.', reason: 'busy', status: 503 };
  if (!response.ok) return { error: `Sign-in failed (${response.status}).`, reason: 'status', status: response.status };
  return response.json();
};
