// What the widget and the console share of the socket protocol (PROTOCOL.md): client ids,
// frames sent with an id and answered by an `ack` or `error` frame, and the wait before a
// reconnect.

/** A fresh client id (a message's `clientMsgId`). */
export const newId = () =>
  typeof crypto !== 'undefined' && crypto.randomUUID
    ? crypto.randomUUID()
    : `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;

/** Before reconnect attempt `attempt` (0, 1, …): 0.5 s doubling up to 10 s, ±25% so clients spread out. */
export const reconnectDelay = (attempt) => Math.min(10_000, 500 * 2 ** attempt) * (0.75 + Math.random() * 0.5);

/** Frames sent with an id, and what to do with the answer to each. */
export class Requests {
  /** @param {() => WebSocket | undefined} socket the socket of the moment (it changes on reconnects) */
  constructor(socket) {
    this.socket = socket;
    this.seq = 0;
    /** @type {Map<string, (answer: any) => void>} */
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
    if (onAnswer) this.waiting.set(withId.id, onAnswer);
    const socket = this.socket();
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(withId));
    return withId;
  }

  /**
   * Hands an `ack` or `error` frame to whoever waits for it; false when nobody does.
   * @param {{ id?: string }} frame
   */
  answer(frame) {
    const handler = frame.id !== undefined ? this.waiting.get(frame.id) : undefined;
    if (!handler) return false;
    this.waiting.delete(frame.id);
    handler(frame);
    return true;
  }
}
