// Agents' connection state across every websocket gateway process. A socket holds a lease that
// its gateway's heartbeat renews; a gateway that dies stops renewing, so its sockets count as
// closed when their leases run out. Adapters: in memory (embedded mode) and Redis (one sorted set
// per agent). Times are epoch milliseconds, passed in by the callers (one clock).

export interface AgentRef {
  readonly companyId: string;
  readonly agentId: string;
}

/** One agent socket on one gateway process. */
export interface SocketLease extends AgentRef {
  readonly gatewayId: string;
  readonly connectionId: string;
}

/** What is known of an agent's sockets at a moment. */
export type Seen =
  | { readonly connected: true }
  /**
   * No live socket; `until`: the last moment one of its sockets was open or leased (undefined:
   * never seen by this store, or not for `PRESENCE_KEEP_MS` in Redis).
   */
  | { readonly connected: false; readonly until?: number };

export interface Presence {
  /** A socket opened at `now` (epoch ms): its lease runs until now + leaseMs unless renewed. */
  open(socket: SocketLease, now: number): Promise<void>;
  /**
   * A gateway's heartbeat: renews the leases of all these sockets to now + leaseMs, in one round
   * trip (pipeline / one script) whatever their number. Also restores a lease that a flushed
   * Redis lost. It leases whatever it is given: a socket renewed after its close is open again
   * until that lease ends, so a gateway renews only the sockets it still holds.
   */
  renew(sockets: readonly SocketLease[], now: number): Promise<void>;
  /** The socket closed at `now`: the agent was seen until now (its other sockets are unaffected). */
  close(socket: SocketLease, now: number): Promise<void>;
  /**
   * For each agent, in the order given: connected when one of its leases is live at `now` (ends
   * after it), else since when not. One round trip for many agents.
   */
  seen(agents: readonly AgentRef[], now: number): Promise<readonly Seen[]>;
  readonly leaseMs: number;
}

/** How long a lease lasts unless renewed: a gateway heartbeats well within it. */
export const DEFAULT_LEASE_MS = 15_000;

/** How long Redis keeps an agent nothing was written for (an agent that never comes back). */
export const PRESENCE_KEEP_MS = 7 * 24 * 60 * 60_000;

/** Company ids contain no ':', so `<companyId>:<agentId>` names one agent. */
export const agentKeyOf = (agent: AgentRef): string => `${agent.companyId}:${agent.agentId}`;

/** Gateway ids contain no '/' (connection ids are UUIDs), so this names one socket of an agent. */
export const socketKeyOf = (socket: SocketLease): string => `${socket.gatewayId}/${socket.connectionId}`;

/** What an agent's latest lease end (undefined: none known) says at `now`. */
export const seenFrom = (latestEnd: number | undefined, now: number): Seen =>
  latestEnd !== undefined && latestEnd > now
    ? { connected: true }
    : latestEnd === undefined
      ? { connected: false }
      : { connected: false, until: latestEnd };
