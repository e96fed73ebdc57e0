// What visitors, agents, the bot and the system ask of a session.
import * as t from 'io-ts';
import { CompanyId, Id, IsoInstant } from '../shared/codecs';
import { Attachment, BotOutcome, Channel, RequeueReason, Sender, SlaTarget, TransferTarget } from './events';

const base = { companyId: CompanyId, sessionId: Id, at: IsoInstant };

/** Where a new session comes from; required when the message opens the session. */
export const SessionOrigin = t.intersection([
  t.type({ visitorId: Id, channel: Channel, groupId: Id }),
  t.partial({ channelAccountId: Id, visitorName: t.string, channelUserId: t.string }),
]);
export type SessionOrigin = t.TypeOf<typeof SessionOrigin>;

export const PostMessage = t.intersection([
  t.type({ type: t.literal('PostMessage'), ...base, messageId: Id, from: Sender, text: t.string }),
  t.partial({ clientMsgId: t.string, attachments: t.array(Attachment), origin: SessionOrigin, bot: BotOutcome }),
]);

/** `origin` opens the session when the visitor asks for a human before writing anything. */
export const RequestHuman = t.intersection([
  t.type({ type: t.literal('RequestHuman'), ...base }),
  t.partial({ origin: SessionOrigin }),
]);

/**
 * `handover`: the session's handover number the assignment gives it (the agent's slot was taken
 * for it); refused when the session was handed over meanwhile, so a late step never assigns it.
 */
export const AssignSession = t.intersection([
  t.type({ type: t.literal('AssignSession'), ...base, agentId: Id }),
  t.partial({ handover: t.number }),
]);

/**
 * Who acts on a session as staff: its holder, or a supervisor or an admin of the company, who may
 * write notes and tags on a session they do not hold, and take it over.
 */
export const StaffRole = t.keyof({ agent: null, supervisor: null, admin: null });
export type StaffRole = t.TypeOf<typeof StaffRole>;

/**
 * `handover` as for AssignSession, when a slot was taken for the transfer. `role`: who transfers as
 * staff; a supervisor or an admin who does not hold the session may transfer it to itself (a
 * takeover), never to someone else.
 */
export const TransferSession = t.intersection([
  t.type({ type: t.literal('TransferSession'), ...base, byAgentId: Id, to: TransferTarget }),
  t.partial({ handover: t.number, role: StaffRole }),
]);

/** The agent holding the session is gone (offline too long): the session goes back to its queue. */
export const RequeueSession = t.type({
  type: t.literal('RequeueSession'),
  ...base,
  agentId: Id,
  reason: RequeueReason,
});

export const MarkSessionRead = t.type({ type: t.literal('MarkSessionRead'), ...base, agentId: Id });

/** The visitor read the agents' messages (a read receipt for the agent holding the session). */
export const MarkSessionReadByVisitor = t.type({ type: t.literal('MarkSessionReadByVisitor'), ...base, visitorId: Id });

/** A private note of an agent (never sent to the visitor); `clientMsgId` recognises a resent one. */
export const PostNote = t.intersection([
  t.type({ type: t.literal('PostNote'), ...base, messageId: Id, agentId: Id, text: t.string }),
  t.partial({ clientMsgId: t.string, attachments: t.array(Attachment), role: StaffRole }),
]);

/** Labels added to and removed from the session (trimmed; 1-32 characters each, at most 20 on a session). */
export const TagSession = t.intersection([
  t.type({ type: t.literal('TagSession'), ...base, agentId: Id, add: t.array(t.string), remove: t.array(t.string) }),
  t.partial({ role: StaffRole }),
]);

export const EndedBy = t.union([
  t.type({ role: t.literal('visitor'), id: Id }),
  t.type({ role: t.literal('agent'), id: Id }),
  t.type({ role: t.literal('system') }),
]);
export type EndedBy = t.TypeOf<typeof EndedBy>;

export const EndSession = t.type({ type: t.literal('EndSession'), ...base, by: EndedBy });

/** A due inactivity check: ends the session at its deadline, or schedules the next check. */
export const CheckTimeout = t.type({ type: t.literal('CheckTimeout'), ...base });

/** The channel sender tells what became of a message it sent to the visitor's platform. */
export const RecordChannelDelivery = t.intersection([
  t.type({
    type: t.literal('RecordChannelDelivery'),
    ...base,
    messageId: Id,
    outcome: t.keyof({ delivered: null, failed: null }),
  }),
  t.partial({ reason: t.string, platformMessageId: t.string }),
]);

/**
 * The visitor rates the ended session (1-5) with an optional comment; once. `clientMsgId`: the
 * message that carried the rating (a platform visitor's digit), so that the same one again (a
 * redelivered webhook) is taken as done rather than refused.
 */
export const SubmitCsat = t.intersection([
  t.type({ type: t.literal('SubmitCsat'), ...base, visitorId: Id, rating: t.number }),
  t.partial({ comment: t.string, clientMsgId: t.string }),
]);

/** The SLA monitor found the session past a target of its group (see SlaBreached); a repeat does nothing. */
export const FlagSlaBreach = t.type({
  type: t.literal('FlagSlaBreach'),
  ...base,
  target: SlaTarget,
  targetSeconds: t.number,
});

export const SessionCommand = t.union([
  PostMessage,
  RequestHuman,
  AssignSession,
  TransferSession,
  RequeueSession,
  MarkSessionRead,
  MarkSessionReadByVisitor,
  PostNote,
  TagSession,
  EndSession,
  CheckTimeout,
  RecordChannelDelivery,
  SubmitCsat,
  FlagSlaBreach,
]);
export type SessionCommand = t.TypeOf<typeof SessionCommand>;
