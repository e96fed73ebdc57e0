// An agent's availability and the sessions it holds (its load).
import * as t from 'io-ts';
import { CompanyId, Id, IsoInstant } from '../shared/codecs';

export const AgentStatus = t.keyof({ idle: null, busy: null, away: null, offline: null });
export type AgentStatus = t.TypeOf<typeof AgentStatus>;

const base = { v: t.literal(1), companyId: CompanyId, agentId: Id, at: IsoInstant };

export const DetachReason = t.keyof({ ended: null, transferred: null });
export type DetachReason = t.TypeOf<typeof DetachReason>;

export const AgentStatusChanged = t.type({
  type: t.literal('AgentStatusChanged'),
  ...base,
  status: AgentStatus,
  previous: AgentStatus,
});
export const SessionAttached = t.type({ type: t.literal('SessionAttached'), ...base, sessionId: Id, load: t.number });
export const SessionDetached = t.type({
  type: t.literal('SessionDetached'),
  ...base,
  sessionId: Id,
  load: t.number,
  reason: DetachReason,
});

export const AgentEvent = t.union([AgentStatusChanged, SessionAttached, SessionDetached]);
export type AgentEvent = t.TypeOf<typeof AgentEvent>;

export const agentStream = (companyId: string, agentId: string): string => `agent-${companyId}-${agentId}`;
