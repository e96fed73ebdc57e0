// The presence policy: what follows from an agent's sockets (kept by the gateways with leases) and
// from how long it has been offline. No socket for the company's grace: the agent goes offline
// (`disconnected`); offline (for any reason) for the requeue time: every session it still holds
// goes back to the front of its group's queue; a socket open while the status was lost to a
// disconnection: the status the agent had chosen comes back.
import type { AgentState } from './agent/decider';
import type { UntimedCommand } from './messages';
import { millis } from './shared/codecs';
import type { CompanyId, Id } from './shared/codecs';

export interface PresenceSettings {
  readonly presenceGraceSeconds: number;
  readonly offlineRequeueSeconds: number;
}

/** What the gateways' leases say of an agent's sockets at a moment (infra's presence port). */
export type SocketsSeen =
  | { readonly connected: true }
  | { readonly connected: false; /** the last moment a socket was open or leased */ readonly until?: number };

export interface PresenceFacts {
  readonly companyId: CompanyId;
  readonly agentId: Id;
  readonly state: AgentState;
  readonly seen: SocketsSeen;
  /** Epoch ms. */
  readonly now: number;
  /** Since when this is known to be watched (an agent never seen has had no socket since then at least). */
  readonly watchedSince: number;
}

export const presenceDecision = (facts: PresenceFacts, settings: PresenceSettings): readonly UntimedCommand[] => {
  const { companyId, agentId, state, seen, now } = facts;
  const lost = state.status === 'offline' && state.statusReason === 'disconnected';
  if (seen.connected && lost) return [{ type: 'ResumeAgentStatus', companyId, agentId }];
  if (state.status !== 'offline') {
    if (seen.connected) return [];
    const goneSince = seen.until ?? facts.watchedSince;
    return now - goneSince >= settings.presenceGraceSeconds * 1000
      ? [{ type: 'MarkAgentDisconnected', companyId, agentId }]
      : [];
  }
  if (state.sessions.length === 0 || state.offlineSince === undefined) return [];
  if (now - millis(state.offlineSince) < settings.offlineRequeueSeconds * 1000) return [];
  return state.sessions.map((sessionId) => ({
    type: 'RequeueSession' as const,
    companyId,
    sessionId: sessionId as Id,
    agentId,
    reason: 'agent_offline' as const,
  }));
};
