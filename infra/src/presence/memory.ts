// Presence in this process's memory (embedded mode: one gateway, so nothing outlives it). The
// same bookkeeping as Redis: per agent, each socket's lease end, a closed socket's being its
// close time.
import {
  agentKeyOf,
  DEFAULT_LEASE_MS,
  seenFrom,
  socketKeyOf,
  type AgentRef,
  type Presence,
  type Seen,
  type SocketLease,
} from './port';

export interface InMemoryPresenceOptions {
  /** How long a lease lasts unless renewed. Default 15 s. */
  readonly leaseMs?: number | undefined;
}

export class InMemoryPresence implements Presence {
  readonly leaseMs: number;
  /** Agent key -> socket key -> lease end. */
  private readonly agents = new Map<string, Map<string, number>>();

  constructor(options: InMemoryPresenceOptions = {}) {
    this.leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  }

  async open(socket: SocketLease, now: number): Promise<void> {
    this.lease(socket, now + this.leaseMs, now);
  }

  async renew(sockets: readonly SocketLease[], now: number): Promise<void> {
    for (const socket of sockets) this.lease(socket, now + this.leaseMs, now);
  }

  async close(socket: SocketLease, now: number): Promise<void> {
    this.lease(socket, now, now);
  }

  async seen(agents: readonly AgentRef[], now: number): Promise<readonly Seen[]> {
    return agents.map((agent) => {
      const sockets = this.agents.get(agentKeyOf(agent));
      return seenFrom(sockets === undefined ? undefined : prune(sockets, now), now);
    });
  }

  private lease(socket: SocketLease, end: number, now: number): void {
    const key = agentKeyOf(socket);
    const sockets = this.agents.get(key) ?? new Map<string, number>();
    this.agents.set(key, sockets.set(socketKeyOf(socket), end));
    prune(sockets, now);
  }
}

/**
 * Drops the leases ended at `now` but the latest one (the only one `until` needs), so an agent
 * keeps its live sockets and at most one ended. Answers the latest lease end.
 */
const prune = (sockets: Map<string, number>, now: number): number | undefined => {
  let latest: [socket: string, end: number] | undefined;
  for (const entry of sockets) if (latest === undefined || entry[1] > latest[1]) latest = entry;
  for (const [socket, end] of sockets) if (end <= now && socket !== latest?.[0]) sockets.delete(socket);
  return latest?.[1];
};
