// An agent's availability and the sessions it holds (its load).
import * as t from 'io-ts';
import { CompanyId, Id, IsoInstant } from '../shared/codecs';

export const AgentStatus = t.keyof({ idle: null, busy: null, away: null, offline: null });
export type AgentStatus = t.TypeOf<typeof AgentStatus>;

/**
 * Why the status changed: the agent chose it (an event without a reason, written before reasons
 * existed, was chosen too), its last socket closed longer ago than the company's grace, a socket
 * opened again after that (the status it had chosen comes back), or it signed out.
 */
export const StatusReason = t.keyof({ chosen: null, disconnected: null, reconnected: null, signed_out: null });
export type StatusReason = t.TypeOf<typeof StatusReason>;

const base = { v: t.literal(1), companyId: CompanyId, agentId: Id, at: IsoInstant };

/** `released`: a slot taken for an assignment or a transfer that did not happen is given back. */
export const DetachReason = t.keyof({ ended: null, transferred: null, requeued: null, released: null });
export type DetachReason = t.TypeOf<typeof DetachReason>;

/**
 * What a slot was taken for: routing a queued session to the agent, a transfer from a colleague,
 * or a supervisor's takeover of a session a colleague holds (`fromAgentId`).
 */
export const AttachPurpose = t.keyof({ assignment: null, transfer: null, takeover: null });
export type AttachPurpose = t.TypeOf<typeof AttachPurpose>;

export const AgentStatusChanged = t.intersection([
  t.type({ type: t.literal('AgentStatusChanged'), ...base, status: AgentStatus, previous: AgentStatus }),
  t.partial({ reason: StatusReason }),
]);

/**
 * The agent took a slot for a session. `handover`: the session's handover number once the slot is
 * confirmed (see the session's `handover`), so that a slot and the steps about it are matched to
 * one assignment or transfer; `for` and its details say which workflow finishes it. Slots written
 * before workflows existed have none of these.
 */
export const SessionAttached = t.intersection([
  t.type({ type: t.literal('SessionAttached'), ...base, sessionId: Id, load: t.number }),
  t.partial({ handover: t.number, for: AttachPurpose, groupId: Id, fromAgentId: Id }),
]);
export const SessionDetached = t.intersection([
  t.type({ type: t.literal('SessionDetached'), ...base, sessionId: Id, load: t.number, reason: DetachReason }),
  t.partial({ handover: t.number }),
]);

export const AgentEvent = t.union([AgentStatusChanged, SessionAttached, SessionDetached]);
export type AgentEvent = t.TypeOf<typeof AgentEvent>;

export const agentStream = (companyId: string, agentId: string): string => `agent-${companyId}-${agentId}`;
