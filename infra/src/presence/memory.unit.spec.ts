// The in-memory presence prunes ended leases as it goes; against the obvious model (every
// socket's latest lease end, forever) any sequence of opens, renews, closes and looks on one
// clock gives the same answers.
import fc from 'fast-check';
import { InMemoryPresence } from './memory';
import { agentKeyOf, seenFrom, socketKeyOf, type AgentRef, type SocketLease } from './port';

const LEASE = 100;

const socketOf = (agent: number, socket: number): SocketLease => ({
  companyId: agent % 2 === 0 ? 'acme' : 'globex',
  agentId: `a${agent % 3}`,
  gatewayId: `g${socket % 2}`,
  connectionId: `c${socket}`,
});

const op = fc.oneof(
  fc.record({ kind: fc.constant('open' as const), agent: fc.nat(5), socket: fc.nat(3) }),
  fc.record({ kind: fc.constant('close' as const), agent: fc.nat(5), socket: fc.nat(3) }),
  fc.record({
    kind: fc.constant('renew' as const),
    sockets: fc.array(fc.tuple(fc.nat(5), fc.nat(3)), { maxLength: 6 }),
  }),
  fc.record({ kind: fc.constant('seen' as const) }),
);

describe('InMemoryPresence', () => {
  it('answers like a store that forgets no lease', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(op, fc.nat(3 * LEASE)), { maxLength: 80 }), async (steps) => {
        const presence = new InMemoryPresence({ leaseMs: LEASE });
        const ends = new Map<string, Map<string, number>>();
        const lease = (socket: SocketLease, end: number): void => {
          const sockets = ends.get(agentKeyOf(socket)) ?? new Map<string, number>();
          ends.set(agentKeyOf(socket), sockets.set(socketKeyOf(socket), end));
        };
        const agents: AgentRef[] = Array.from({ length: 6 }, (_, n) => socketOf(n, 0));
        let now = 0;
        for (const [o, elapsed] of steps) {
          now += elapsed;
          if (o.kind === 'open') {
            await presence.open(socketOf(o.agent, o.socket), now);
            lease(socketOf(o.agent, o.socket), now + LEASE);
          } else if (o.kind === 'close') {
            await presence.close(socketOf(o.agent, o.socket), now);
            lease(socketOf(o.agent, o.socket), now);
          } else if (o.kind === 'renew') {
            const sockets = o.sockets.map(([a, s]) => socketOf(a, s));
            await presence.renew(sockets, now);
            for (const socket of sockets) lease(socket, now + LEASE);
          } else {
            const latest = (agent: AgentRef): number | undefined => {
              const all = [...(ends.get(agentKeyOf(agent))?.values() ?? [])];
              return all.length === 0 ? undefined : Math.max(...all);
            };
            expect(await presence.seen(agents, now)).toEqual(agents.map((agent) => seenFrom(latest(agent), now)));
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
