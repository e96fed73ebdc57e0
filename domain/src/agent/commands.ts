import * as t from 'io-ts';
import { CompanyId, Id, IsoInstant } from '../shared/codecs';
import { AgentStatus, DetachReason } from './events';

const base = { companyId: CompanyId, agentId: Id, at: IsoInstant };

export const ChangeAgentStatus = t.type({ type: t.literal('ChangeAgentStatus'), ...base, status: AgentStatus });
/** Takes a session; refused above the agent's capacity (from the configuration). */
export const AttachSession = t.type({ type: t.literal('AttachSession'), ...base, sessionId: Id, capacity: t.number });
export const DetachSession = t.type({ type: t.literal('DetachSession'), ...base, sessionId: Id, reason: DetachReason });

export const AgentCommand = t.union([ChangeAgentStatus, AttachSession, DetachSession]);
export type AgentCommand = t.TypeOf<typeof AgentCommand>;
