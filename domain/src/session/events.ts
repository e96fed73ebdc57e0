// What happened to a session, as past-tense business facts. Every event names its company and
// carries its shape version `v`; an older shape is lifted by the upcasters in ../shared/upcast.
import * as t from 'io-ts';
import { CompanyId, Id, IsoInstant } from '../shared/codecs';

export const Channel = t.keyof({
  web: null,
  telegram: null,
  whatsapp: null,
  messenger: null,
  instagram: null,
  wechat: null,
});
export type Channel = t.TypeOf<typeof Channel>;

export const Role = t.keyof({ visitor: null, agent: null, bot: null, system: null });
export type Role = t.TypeOf<typeof Role>;

export const Sender = t.intersection([t.type({ role: Role }), t.partial({ id: Id })]);
export type Sender = t.TypeOf<typeof Sender>;

export const EndReason = t.keyof({ visitor: null, agent: null, timeout: null, system: null });
export type EndReason = t.TypeOf<typeof EndReason>;

/**
 * A file on a message. `mediaId` is where it lives: the attachment store's id (then also
 * `attachmentId`, `size` and the sniffed `contentType`, written since uploads) or, in events written
 * before, the platform's media id.
 */
export const Attachment = t.intersection([
  t.type({ kind: t.keyof({ image: null, file: null }), mediaId: t.string }),
  t.partial({
    name: t.string,
    mimeType: t.string,
    url: t.string,
    attachmentId: t.string,
    size: t.number,
    contentType: t.string,
  }),
]);
export type Attachment = t.TypeOf<typeof Attachment>;

const base = { v: t.literal(1), companyId: CompanyId, sessionId: Id, at: IsoInstant };

export const SessionStarted = t.intersection([
  t.type({ type: t.literal('SessionStarted'), ...base, visitorId: Id, channel: Channel, groupId: Id }),
  /** `channelUserId`: the visitor's id on the platform (a channel session), where replies go. */
  t.partial({ channelAccountId: Id, visitorName: t.string, channelUserId: t.string }),
]);

/**
 * Something the visitor can do in one step from a bot message (the widget shows a button): for now
 * only ending the session, which the bot offers on a goodbye and never does itself.
 */
export const OfferedAction = t.type({ type: t.literal('session.end'), label: t.string });
export type OfferedAction = t.TypeOf<typeof OfferedAction>;

/**
 * Why the bot said what it said (on its messages): the visitor message it answers, what the
 * recogniser found and how sure it was. The audit replay and the unanswered-questions report
 * read it. `outcome: 'end'` means the bot offered to end (with a `session.end` action).
 */
export const BotOutcome = t.intersection([
  t.type({
    inReplyTo: Id,
    question: t.string,
    outcome: t.keyof({ answered: null, not_understood: null, transfer: null, end: null }),
    confidence: t.number,
  }),
  t.partial({
    entryId: t.string,
    entryKind: t.keyof({ faq: null, intent: null }),
    title: t.string,
    suggestions: t.array(t.string),
    offerHuman: t.boolean,
    actions: t.array(OfferedAction),
  }),
]);
export type BotOutcome = t.TypeOf<typeof BotOutcome>;

/**
 * Who the message is for, as decided (written since the message path stopped reading the session
 * again to deliver): the session's visitor and channel, and the agent holding it when a message is
 * posted to an assigned session. Events written before carry none of the three.
 */
const Audience = t.partial({ visitorId: Id, agentId: Id, channel: Channel });

export const MessagePosted = t.intersection([
  t.type({ type: t.literal('MessagePosted'), ...base, messageId: Id, from: Sender, text: t.string }),
  t.partial({ clientMsgId: t.string, attachments: t.array(Attachment), bot: BotOutcome }),
  Audience,
]);

/**
 * The session's handover number after an event that gives it to a queue or an agent (see the
 * session decider's `handover`). Events written before handover numbers existed do not carry it.
 */
const handedOver = t.partial({ handover: t.number });

/** The visitor asked for a human and the group was open: the session waits for an agent. */
export const HumanRequested = t.intersection([
  t.type({ type: t.literal('HumanRequested'), ...base, groupId: Id }),
  handedOver,
]);

/** The visitor asked for a human outside the group's working hours; the bot stays. */
export const HumanUnavailable = t.intersection([
  t.type({ type: t.literal('HumanUnavailable'), ...base, groupId: Id, reason: t.literal('closed_hours') }),
  t.partial({ nextOpeningAt: IsoInstant }),
]);

export const SessionAssigned = t.intersection([
  t.type({ type: t.literal('SessionAssigned'), ...base, agentId: Id, groupId: Id }),
  handedOver,
]);

export const TransferTarget = t.union([t.type({ agentId: Id }), t.type({ groupId: Id })]);
export type TransferTarget = t.TypeOf<typeof TransferTarget>;

/**
 * `reason: 'takeover'`: a supervisor or an admin took the session over from `fromAgentId` (who did
 * not hand it over itself); absent for a transfer by the holder.
 */
export const SessionTransferred = t.intersection([
  t.type({ type: t.literal('SessionTransferred'), ...base, fromAgentId: Id, to: TransferTarget }),
  handedOver,
  t.partial({ reason: t.literal('takeover') }),
]);

/** Why a session went back to its group's queue without its agent ending or transferring it. */
export const RequeueReason = t.keyof({ agent_offline: null });
export type RequeueReason = t.TypeOf<typeof RequeueReason>;

/** The agent holding the session was offline too long: the session goes back to the front of the queue. */
export const SessionRequeued = t.intersection([
  t.type({
    type: t.literal('SessionRequeued'),
    ...base,
    fromAgentId: Id,
    groupId: Id,
    reason: RequeueReason,
  }),
  handedOver,
]);

/** The holding agent read the session; `upTo` (written since read receipts): the last visitor message it read. */
export const SessionRead = t.intersection([
  t.type({ type: t.literal('SessionRead'), ...base, agentId: Id }),
  t.partial({ upTo: Id }),
]);

/** The visitor read the agents' messages up to `upTo` (a read receipt for the agent). */
export const SessionReadByVisitor = t.type({
  type: t.literal('SessionReadByVisitor'),
  ...base,
  visitorId: Id,
  upTo: Id,
});

/**
 * A private note of an agent in the session: kept in the session and in the agents' history,
 * never sent to the visitor or to a platform. `agentId`: the agent holding the session then.
 */
export const NotePosted = t.intersection([
  t.type({ type: t.literal('NotePosted'), ...base, messageId: Id, from: Sender, text: t.string }),
  t.partial({ clientMsgId: t.string, attachments: t.array(Attachment), agentId: Id }),
]);

/** Labels on the session changed: what was added and removed, and the whole set after (`tags`). */
export const SessionTagsChanged = t.type({
  type: t.literal('SessionTagsChanged'),
  ...base,
  agentId: Id,
  added: t.array(t.string),
  removed: t.array(t.string),
  tags: t.array(t.string),
});

/** `visitorId` (written since the end's follow-ups are a workflow): whose open session it was. */
export const SessionEnded = t.intersection([
  t.type({ type: t.literal('SessionEnded'), ...base, reason: EndReason }),
  t.partial({ agentId: Id, groupId: Id, visitorId: Id }),
]);

/**
 * The visitor is asked how it went (CSAT), in the same decision as the end: every end but the
 * inactivity timeout of a visitor who never wrote. `channel`: where the question goes (a platform
 * visitor gets it as text and answers with a digit).
 */
export const CsatRequested = t.intersection([
  t.type({ type: t.literal('CsatRequested'), ...base, visitorId: Id }),
  t.partial({ channel: Channel, agentId: Id, groupId: Id }),
]);

/**
 * The visitor's rating (1-5) of the ended session and its comment; at most once per session.
 * `clientMsgId`: the message that carried it, when one did (a platform visitor's digit).
 */
export const CsatSubmitted = t.intersection([
  t.type({ type: t.literal('CsatSubmitted'), ...base, visitorId: Id, rating: t.number }),
  t.partial({ comment: t.string, agentId: Id, groupId: Id, clientMsgId: t.string }),
]);

/** Which service-level target a session missed: the first agent answer, or the wait in the queue for an agent. */
export const SlaTarget = t.keyof({ firstResponse: null, wait: null });
export type SlaTarget = t.TypeOf<typeof SlaTarget>;

/**
 * The session passed one of its group's service-level targets (`targetSeconds` from the
 * first `HumanRequested` it is counted from): at most once per target and session.
 */
export const SlaBreached = t.intersection([
  t.type({
    type: t.literal('SlaBreached'),
    ...base,
    groupId: Id,
    target: SlaTarget,
    targetSeconds: t.number,
  }),
  t.partial({ agentId: Id, handover: t.number }),
]);

/** The next inactivity check of the session is due at `dueAt` (re-emitted until it expires). */
export const TimeoutCheckScheduled = t.type({ type: t.literal('TimeoutCheckScheduled'), ...base, dueAt: IsoInstant });

/** What became of a message sent to the visitor's platform (a channel session): sent, or failed for good. */
export const ChannelDeliveryRecorded = t.intersection([
  t.type({
    type: t.literal('ChannelDeliveryRecorded'),
    ...base,
    messageId: Id,
    outcome: t.keyof({ delivered: null, failed: null }),
  }),
  t.partial({ reason: t.string, platformMessageId: t.string }),
]);

export const SessionEvent = t.union([
  SessionStarted,
  MessagePosted,
  HumanRequested,
  HumanUnavailable,
  SessionAssigned,
  SessionTransferred,
  SessionRequeued,
  SessionRead,
  SessionReadByVisitor,
  NotePosted,
  SessionTagsChanged,
  SessionEnded,
  TimeoutCheckScheduled,
  ChannelDeliveryRecorded,
  CsatRequested,
  CsatSubmitted,
  SlaBreached,
]);
export type SessionEvent = t.TypeOf<typeof SessionEvent>;

export const sessionStream = (companyId: string, sessionId: string): string => `session-${companyId}-${sessionId}`;
