// Who watches which session on this gateway (PROTOCOL "Supervisors", `session.watch`): an index
// in memory from a session to the sockets of supervisors and admins watching it. Every gateway
// consumes every event and every typing signal (delivery.ts), so each one serves the watchers it
// holds; nothing is shared between processes. A socket stops watching on `session.unwatch`, when
// it closes, and when the session ends (after the `session.state` `ended` frame).
import type { Connection } from './ws';
import type { ServerFrame } from './ws/frames';

const keyOf = (companyId: string, sessionId: string): string => JSON.stringify([companyId, sessionId]);

export class SessionWatchers {
  private readonly bySession = new Map<string, Set<Connection>>();
  private readonly byConnection = new Map<Connection, Set<string>>();

  watch(connection: Connection, sessionId: string): void {
    const key = keyOf(connection.principal.companyId, sessionId);
    let sockets = this.bySession.get(key);
    if (sockets === undefined) this.bySession.set(key, (sockets = new Set()));
    sockets.add(connection);
    let keys = this.byConnection.get(connection);
    if (keys === undefined) this.byConnection.set(connection, (keys = new Set()));
    keys.add(key);
  }

  unwatch(connection: Connection, sessionId: string): void {
    const key = keyOf(connection.principal.companyId, sessionId);
    this.drop(key, connection);
  }

  /** The socket closed: it watches nothing any more. */
  forget(connection: Connection): void {
    for (const key of [...(this.byConnection.get(connection) ?? [])]) this.drop(key, connection);
  }

  /** The session ended: nobody watches it any more. */
  end(companyId: string, sessionId: string): void {
    const key = keyOf(companyId, sessionId);
    for (const connection of [...(this.bySession.get(key) ?? [])]) this.drop(key, connection);
  }

  /**
   * Sends the frame to the session's watchers on this gateway, but not to the sockets of `except`
   * (agents who got it already as the session's holder or the frame's author).
   */
  send(companyId: string, sessionId: string, frame: ServerFrame, except: readonly string[] = []): void {
    for (const connection of this.bySession.get(keyOf(companyId, sessionId)) ?? []) {
      if (!except.includes(connection.principal.id)) connection.send(frame);
    }
  }

  watching(companyId: string, sessionId: string): number {
    return this.bySession.get(keyOf(companyId, sessionId))?.size ?? 0;
  }

  private drop(key: string, connection: Connection): void {
    const sockets = this.bySession.get(key);
    sockets?.delete(connection);
    if (sockets?.size === 0) this.bySession.delete(key);
    const keys = this.byConnection.get(connection);
    keys?.delete(key);
    if (keys?.size === 0) this.byConnection.delete(connection);
  }
}
