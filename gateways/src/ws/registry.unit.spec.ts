import type { Connection, Principal } from './ports';
import { ConnectionRegistry, principalKey } from './registry';

const connection = (id: string, principalId: string, kind: Principal['kind'] = 'agent'): Connection => ({
  id,
  principal: { kind, companyId: 'acme', id: principalId, role: kind } as Principal,
  send: () => true,
  close: () => undefined,
});

const all = (registry: ConnectionRegistry<Connection>): string[] => {
  const ids: string[] = [];
  registry.forEach((c) => ids.push(c.id));
  return ids.sort();
};

describe('ConnectionRegistry', () => {
  it("keeps each principal's sockets, one or several, and forgets them one by one", () => {
    const registry = new ConnectionRegistry<Connection>();
    const [tab1, tab2, tab3] = ['1', '2', '3'].map((id) => connection(`alice-${id}`, 'alice'));
    const bob = connection('bob-1', 'bob');
    const visitorAlice = connection('visitor-alice-1', 'alice', 'visitor');
    for (const c of [tab1!, tab2!, tab3!, bob, visitorAlice]) registry.add(c);
    registry.add(tab2!); // twice is once
    const alice = principalKey('acme', 'agent', 'alice');
    expect(registry.of(alice).map((c) => c.id)).toEqual(['alice-1', 'alice-2', 'alice-3']);
    expect(registry.of(principalKey('acme', 'visitor', 'alice'))).toEqual([visitorAlice]);
    expect(registry.size).toBe(5);
    expect(all(registry)).toEqual(['alice-1', 'alice-2', 'alice-3', 'bob-1', 'visitor-alice-1']);

    registry.remove(tab1!);
    registry.remove(tab1!); // already gone
    registry.remove(tab3!);
    expect(registry.of(alice)).toEqual([tab2]);
    registry.add(tab1!);
    expect(registry.of(alice).map((c) => c.id)).toEqual(['alice-2', 'alice-1']);
    registry.remove(tab2!);
    registry.remove(tab1!);
    registry.remove(bob);
    expect(registry.of(alice)).toEqual([]);
    expect(registry.size).toBe(1);
    expect(all(registry)).toEqual(['visitor-alice-1']);
  });
});
