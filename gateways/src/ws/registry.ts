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
  private readonly byPrincipal = new Map<PrincipalKey, Set<C>>();

  add(connection: C): void {
    const key = principalKeyOf(connection);
    const connections = this.byPrincipal.get(key) ?? new Set<C>();
    connections.add(connection);
    this.byPrincipal.set(key, connections);
  }

  remove(connection: C): void {
    const key = principalKeyOf(connection);
    const connections = this.byPrincipal.get(key);
    connections?.delete(connection);
    if (connections?.size === 0) this.byPrincipal.delete(key);
  }

  of(key: PrincipalKey): readonly C[] {
    return [...(this.byPrincipal.get(key) ?? [])];
  }

  all(): readonly C[] {
    return [...this.byPrincipal.values()].flatMap((connections) => [...connections]);
  }
}
