// The open sockets of each principal (a principal may have several: browser tabs, devices).
import type { Connection, PrincipalKind } from './ports';

declare const principalKeyBrand: unique symbol;
/** Names one principal of one company: the same agent id in two companies are two keys. */
export type PrincipalKey = string & { readonly [principalKeyBrand]: true };

export const principalKey = (companyId: string, kind: PrincipalKind, id: string): PrincipalKey =>
  JSON.stringify([companyId, kind, id]) as PrincipalKey;

export const principalKeyOf = (connection: Connection): PrincipalKey =>
  principalKey(connection.principal.companyId, connection.principal.kind, connection.principal.id);

export class ConnectionRegistry<C extends Connection> {
  /**
   * A principal's socket as it is, in a Set only while the principal holds several: most hold
   * one, and a Set of one cost ~150 bytes per socket.
   */
  private readonly byPrincipal = new Map<PrincipalKey, C | Set<C>>();
  private count = 0;

  add(connection: C): void {
    const key = principalKeyOf(connection);
    const held = this.byPrincipal.get(key);
    if (held === connection || (held instanceof Set && held.has(connection))) return;
    if (held === undefined) this.byPrincipal.set(key, connection);
    else if (held instanceof Set) held.add(connection);
    else this.byPrincipal.set(key, new Set([held, connection]));
    this.count += 1;
  }

  remove(connection: C): void {
    const key = principalKeyOf(connection);
    const held = this.byPrincipal.get(key);
    if (held === connection) {
      this.byPrincipal.delete(key);
    } else if (held instanceof Set && held.delete(connection)) {
      const [left] = held;
      if (held.size === 1 && left !== undefined) this.byPrincipal.set(key, left);
    } else {
      return;
    }
    this.count -= 1;
  }

  of(key: PrincipalKey): readonly C[] {
    const held = this.byPrincipal.get(key);
    return held === undefined ? [] : held instanceof Set ? [...held] : [held];
  }

  /** Every connection, without building arrays of them (the heartbeat visits all, often). */
  forEach(visit: (connection: C) => void): void {
    for (const held of this.byPrincipal.values()) {
      if (held instanceof Set) held.forEach((connection) => visit(connection));
      else visit(held);
    }
  }

  get size(): number {
    return this.count;
  }
}
