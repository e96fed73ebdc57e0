import * as t from 'io-ts';
import { CompanyId, Id, IsoInstant } from '../shared/codecs';
import { AgentStatus, AttachPurpose, DetachReason } from './events';

const base = { companyId: CompanyId, agentId: Id, at: IsoInstant };

/** The agent chooses a status (`agent.status`), or signs out (`signed_out`: offline). */
export const ChangeAgentStatus = t.intersection([
  t.type({ type: t.literal('ChangeAgentStatus'), ...base, status: AgentStatus }),
  t.partial({ reason: t.keyof({ chosen: null, signed_out: null }) }),
]);
/** No socket of the agent has been open for the company's grace: it goes offline (presence). */
export const MarkAgentDisconnected = t.type({ type: t.literal('MarkAgentDisconnected'), ...base });
/** A socket of the agent opened: a status lost to a disconnection comes back as the agent chose it. */
export const ResumeAgentStatus = t.type({ type: t.literal('ResumeAgentStatus'), ...base });
/**
 * Takes a slot for a session; refused above the agent's capacity (from the configuration) and
 * when offline. A session already attached changes nothing.
 */
export const AttachSession = t.intersection([
  t.type({ type: t.literal('AttachSession'), ...base, sessionId: Id, capacity: t.number }),
  t.partial({ handover: t.number, for: AttachPurpose, groupId: Id, fromAgentId: Id }),
]);
/**
 * Gives a session's slot back. With `handover`, only the slot taken for that handover (or one
 * older than handover numbers) goes: a late step about an earlier assignment never frees a newer one.
 */
export const DetachSession = t.intersection([
  t.type({ type: t.literal('DetachSession'), ...base, sessionId: Id, reason: DetachReason }),
  t.partial({ handover: t.number }),
]);

export const AgentCommand = t.union([
  ChangeAgentStatus,
  MarkAgentDisconnected,
  ResumeAgentStatus,
  AttachSession,
  DetachSession,
]);
export type AgentCommand = t.TypeOf<typeof AgentCommand>;
