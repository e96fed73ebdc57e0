// The session: bot -> queued -> assigned -> ended, with its messages, read marks and transfers.
import { isLeft, left, right, type Either } from 'fp-ts/Either';
import { millis, type CompanyId, type Id, type IsoInstant } from '../shared/codecs';
import type { Decider } from '../shared/decider';
import { domainError, type DomainError } from '../shared/errors';
import { emptyGrowingMap, extend, lookup, type GrowingMap } from '../shared/growing-map';
import { deadlineOf, timeoutDecision } from '../timeout';
import { isOpen, nextOpening, type GroupHours } from '../working-hours';
import type { EndedBy, SessionCommand } from './commands';
import type { Channel, EndReason, SessionEvent, SlaTarget } from './events';

export type SessionStatus = 'bot' | 'queued' | 'assigned' | 'ended';

export interface OpenedSession {
  readonly status: SessionStatus;
  readonly companyId: CompanyId;
  readonly sessionId: Id;
  readonly visitorId: Id;
  readonly channel: Channel;
  readonly channelAccountId?: Id;
  /** The visitor on the platform (a channel session): where replies are sent. */
  readonly channelUserId?: string;
  readonly visitorName?: string;
  /** The group serving the session: the channel's group, or the one it was transferred to. */
  readonly groupId: Id;
  readonly agentId?: Id;
  /**
   * How many times the session was handed to a queue or an agent (a human request, an
   * assignment, a transfer, a requeue). An agent's slot is taken for one handover number, and a
   * step of a workflow names the number it is about: a late step about an earlier one is refused
   * or changes nothing. Counted from the events, so sessions older than the number have it too.
   */
  readonly handover: number;
  /** Message ids by sender and client message id, so that a resent message is recognised. */
  readonly clientMessages: GrowingMap<string>;
  /** The last chat message of the visitor or an agent, or the transfer to a human. */
  readonly lastActivityAt: IsoInstant;
  readonly humanRequestedAt?: IsoInstant;
  readonly unread: boolean;
  readonly firstUnreadAt?: IsoInstant;
  readonly nextCheckAt?: IsoInstant;
  readonly endReason?: EndReason;
  /** The bot's not-understood answers in a row (it offers a human after a few). */
  readonly botMisses?: number;
  /**
   * The bot's last message offered to end the session (a `session.end` action): a channel visitor,
   * who has no button, answers it with an end word.
   */
  readonly endOffered?: true;
  /** Messages sent to the visitor's platform and what became of them (a channel session). */
  readonly deliveries?: GrowingMap<'delivered' | 'failed'>;
  /** The session's labels (`SessionTagsChanged`), in the order they were added. */
  readonly tags?: readonly string[];
  /** The last message of the visitor: what an agent's read reaches (`SessionRead.upTo`). */
  readonly lastVisitorMessageId?: Id;
  /** The last message of an agent: what the visitor's read reaches (`SessionReadByVisitor.upTo`). */
  readonly lastAgentMessageId?: Id;
  /** Up to which agent message the visitor has read. */
  readonly visitorReadUpTo?: Id;
  /** The satisfaction question: asked at the end (`requested`), then answered once (`submitted`). */
  readonly csat?: 'requested' | 'submitted';
  /** The message that carried the rating, when one did (a platform visitor's digit). */
  readonly csatClientMsgId?: string;
  /** The service-level targets the session has passed (each flagged once). */
  readonly slaBreached?: readonly SlaTarget[];
}

/** The ratings a visitor may give, and how long its comment may be. */
export const CSAT_MIN = 1;
export const CSAT_MAX = 5;
export const MAX_CSAT_COMMENT = 1000;

/** How long a tag may be (after trimming) and how many a session may carry. */
export const MAX_TAG_LENGTH = 32;
export const MAX_TAGS = 20;

export type SessionState = { readonly status: 'none' } | OpenedSession;

export interface SessionContext {
  /** Working hours of the session's group. */
  readonly hours: GroupHours;
  /** Inactivity timeout of the session's company or group. */
  readonly timeoutSeconds: number;
}

const clientKey = (role: string, id: string | undefined, clientMsgId: string): string =>
  `${role}:${id ?? ''}:${clientMsgId}`;

/** The id of the message this sender already posted with this client id, if any. */
export const postedMessageId = (
  state: SessionState,
  from: { readonly role: string; readonly id?: string | undefined },
  clientMsgId: string,
): string | undefined =>
  state.status === 'none' ? undefined : lookup(state.clientMessages, clientKey(from.role, from.id, clientMsgId));

/** What became of a message sent to the visitor's platform, if it is known. */
export const deliveryOf = (state: SessionState, messageId: string): 'delivered' | 'failed' | undefined =>
  state.status === 'none' || state.deliveries === undefined ? undefined : lookup(state.deliveries, messageId);

const without = <T extends object, K extends keyof T>(value: T, ...keys: K[]): Omit<T, K> => {
  const copy = { ...value };
  for (const key of keys) delete copy[key];
  return copy;
};

export const evolve = (state: SessionState, event: SessionEvent): SessionState => {
  if (event.type === 'SessionStarted') {
    return {
      status: 'bot',
      companyId: event.companyId,
      sessionId: event.sessionId,
      visitorId: event.visitorId,
      channel: event.channel,
      ...(event.channelAccountId === undefined ? {} : { channelAccountId: event.channelAccountId }),
      ...(event.channelUserId === undefined ? {} : { channelUserId: event.channelUserId }),
      ...(event.visitorName === undefined ? {} : { visitorName: event.visitorName }),
      groupId: event.groupId,
      handover: 0,
      clientMessages: emptyGrowingMap(),
      lastActivityAt: event.at,
      unread: false,
    };
  }
  if (state.status === 'none') return state;
  switch (event.type) {
    case 'MessagePosted': {
      const { role, id } = event.from;
      const chat = role === 'visitor' || role === 'agent';
      const visitor = role === 'visitor';
      const offersEnd = event.bot?.actions?.some((a) => a.type === 'session.end') === true;
      return {
        ...(role === 'bot' ? without(state, 'endOffered') : state),
        clientMessages:
          event.clientMsgId === undefined
            ? state.clientMessages
            : extend(state.clientMessages, clientKey(role, id, event.clientMsgId), event.messageId),
        lastActivityAt: chat ? event.at : state.lastActivityAt,
        unread: state.unread || visitor,
        botMisses:
          event.bot === undefined
            ? (state.botMisses ?? 0)
            : event.bot.outcome === 'not_understood'
              ? (state.botMisses ?? 0) + 1
              : 0,
        ...(visitor && !state.unread ? { firstUnreadAt: event.at } : {}),
        ...(role === 'bot' && offersEnd ? { endOffered: true } : {}),
        ...(visitor ? { lastVisitorMessageId: event.messageId } : {}),
        ...(role === 'agent' ? { lastAgentMessageId: event.messageId } : {}),
      };
    }
    case 'HumanRequested':
      return {
        ...state,
        status: 'queued',
        groupId: event.groupId,
        handover: event.handover ?? state.handover + 1,
        lastActivityAt: event.at,
        humanRequestedAt: event.at,
      };
    case 'HumanUnavailable':
      return state;
    case 'SessionAssigned':
      return {
        ...state,
        status: 'assigned',
        agentId: event.agentId,
        groupId: event.groupId,
        handover: event.handover ?? state.handover + 1,
      };
    case 'SessionTransferred': {
      const handover = event.handover ?? state.handover + 1;
      return 'agentId' in event.to
        ? { ...state, status: 'assigned', agentId: event.to.agentId, handover }
        : { ...without(state, 'agentId'), status: 'queued', groupId: event.to.groupId, handover };
    }
    case 'SessionRequeued':
      return {
        ...without(state, 'agentId'),
        status: 'queued',
        groupId: event.groupId,
        handover: event.handover ?? state.handover + 1,
      };
    case 'SessionRead':
      return { ...without(state, 'firstUnreadAt'), unread: false };
    case 'SessionReadByVisitor':
      return { ...state, visitorReadUpTo: event.upTo };
    case 'NotePosted':
      // A note is no chat activity (it neither resets the inactivity clock nor marks unread);
      // its client id is remembered so that a resent note is recognised.
      return event.clientMsgId === undefined
        ? state
        : {
            ...state,
            clientMessages: extend(
              state.clientMessages,
              clientKey('note', event.from.id, event.clientMsgId),
              event.messageId,
            ),
          };
    case 'SessionTagsChanged':
      return { ...state, tags: event.tags };
    case 'SessionEnded':
      return { ...without(state, 'nextCheckAt'), status: 'ended', endReason: event.reason };
    case 'TimeoutCheckScheduled':
      return { ...state, nextCheckAt: event.dueAt };
    case 'ChannelDeliveryRecorded':
      return {
        ...state,
        deliveries: extend(state.deliveries ?? emptyGrowingMap(), event.messageId, event.outcome),
      };
    case 'CsatRequested':
      return { ...state, csat: 'requested' };
    case 'CsatSubmitted':
      return {
        ...state,
        csat: 'submitted',
        ...(event.clientMsgId === undefined ? {} : { csatClientMsgId: event.clientMsgId }),
      };
    case 'SlaBreached':
      return { ...state, slaBreached: [...(state.slaBreached ?? []), event.target] };
  }
};

const notFound = (command: SessionCommand): DomainError =>
  domainError('session_not_found', `session ${command.sessionId} does not exist`);

const endReasonOf = (by: EndedBy): EndReason => by.role;

/** Accepting the decision: the events, with the fields every session event carries. */
type Draft = SessionEvent extends infer E
  ? E extends SessionEvent
    ? Omit<E, 'v' | 'companyId' | 'sessionId' | 'at'>
    : never
  : never;

const emit =
  (command: SessionCommand) =>
  (...drafts: Draft[]): Either<DomainError, readonly SessionEvent[]> =>
    right(
      drafts.map((draft) => ({
        v: 1,
        companyId: command.companyId,
        sessionId: command.sessionId,
        at: command.at,
        ...draft,
      })),
    );

export const decide = (
  command: SessionCommand,
  state: SessionState,
  context: SessionContext,
): Either<DomainError, readonly SessionEvent[]> => {
  const events = emit(command);
  // Another company's session is, for this command, a session that does not exist.
  if (state.status !== 'none' && state.companyId !== command.companyId) return left(notFound(command));

  if (command.type === 'PostMessage') {
    const { from, clientMsgId } = command;
    // The audience rides on the event, so that delivering it reads nothing (see MessagePosted).
    const message = (audience: { visitorId: Id; channel: Channel; agentId?: Id }): Draft => ({
      type: 'MessagePosted',
      messageId: command.messageId,
      from,
      text: command.text,
      ...(clientMsgId === undefined ? {} : { clientMsgId }),
      ...(command.attachments === undefined ? {} : { attachments: command.attachments }),
      ...(command.bot === undefined || from.role !== 'bot' ? {} : { bot: command.bot }),
      ...audience,
    });
    if (state.status === 'none') {
      const origin = command.origin;
      if (origin === undefined || from.role !== 'visitor') return left(notFound(command));
      return events(
        { type: 'SessionStarted', ...origin },
        message({ visitorId: origin.visitorId, channel: origin.channel }),
      );
    }
    if (clientMsgId !== undefined) {
      const existing = lookup(state.clientMessages, clientKey(from.role, from.id, clientMsgId));
      if (existing !== undefined) {
        return left(domainError('duplicate_message', 'this message was already posted', { messageId: existing }));
      }
    }
    if (state.status === 'ended') return left(domainError('session_ended', 'the session has ended'));
    if (from.role === 'visitor' && from.id !== state.visitorId) return left(notFound(command));
    if (from.role === 'agent' && (state.status !== 'assigned' || state.agentId !== from.id)) {
      return left(domainError('not_assigned_to_you', 'only the agent holding the session can write in it'));
    }
    return events(
      message({
        visitorId: state.visitorId,
        channel: state.channel,
        ...(state.status === 'assigned' && state.agentId !== undefined ? { agentId: state.agentId } : {}),
      }),
    );
  }

  if (state.status === 'none') {
    if (command.type !== 'RequestHuman' || command.origin === undefined) return left(notFound(command));
    // Asking for a human before writing: the session starts here, then the request is decided.
    const started = events({ type: 'SessionStarted', ...command.origin });
    if (isLeft(started)) return started;
    const opened = started.right.reduce(evolve, state);
    const { origin: _opened, ...request } = command;
    const requested = decide(request, opened, context);
    return isLeft(requested) ? requested : right([...started.right, ...requested.right]);
  }

  switch (command.type) {
    case 'RequestHuman': {
      if (state.status === 'ended') return left(domainError('session_ended', 'the session has ended'));
      if (state.status !== 'bot') return right([]); // already with humans: nothing more to do
      if (!isOpen(context.hours, command.at)) {
        const next = nextOpening(context.hours, command.at);
        return events({
          type: 'HumanUnavailable',
          groupId: state.groupId,
          reason: 'closed_hours',
          ...(next === undefined ? {} : { nextOpeningAt: next }),
        });
      }
      return events(
        { type: 'HumanRequested', groupId: state.groupId, handover: state.handover + 1 },
        { type: 'TimeoutCheckScheduled', dueAt: deadlineOf(command.at, context.timeoutSeconds) },
      );
    }

    case 'AssignSession': {
      const { agentId, handover } = command;
      if (state.status === 'ended') return left(domainError('session_ended', 'the session has ended'));
      if (state.status === 'assigned' && state.agentId === agentId && (handover ?? state.handover) === state.handover)
        return right([]);
      if (state.status !== 'queued') {
        return left(domainError('invalid_transition', `a session in state ${state.status} cannot be assigned`));
      }
      if (handover !== undefined && handover !== state.handover + 1) return left(handedOverMeanwhile(state));
      return events({ type: 'SessionAssigned', agentId, groupId: state.groupId, handover: state.handover + 1 });
    }

    case 'TransferSession': {
      const { byAgentId, to, handover } = command;
      if (state.status === 'ended') return left(domainError('session_ended', 'the session has ended'));
      // Done already (a workflow's step again after a restart).
      if ('agentId' in to && handover === state.handover && state.agentId === to.agentId) return right([]);
      // A supervisor (or an admin) steps in: the session goes from its holder to the supervisor.
      const takeover =
        oversees(command.role) && 'agentId' in to && to.agentId === byAgentId && state.agentId !== byAgentId;
      if (takeover) {
        if (state.status !== 'assigned' || state.agentId === undefined) {
          return left(domainError('invalid_transition', `a session in state ${state.status} cannot be taken over`));
        }
        if (handover !== undefined && handover !== state.handover + 1) return left(handedOverMeanwhile(state));
        return events({
          type: 'SessionTransferred',
          fromAgentId: state.agentId,
          to,
          handover: state.handover + 1,
          reason: 'takeover',
        });
      }
      if (state.status !== 'assigned' || state.agentId !== byAgentId) {
        return left(domainError('not_assigned_to_you', 'only the agent holding the session can transfer it'));
      }
      if ('agentId' in to && to.agentId === byAgentId) {
        return left(domainError('invalid_transition', 'the session is already yours'));
      }
      if (handover !== undefined && handover !== state.handover + 1) return left(handedOverMeanwhile(state));
      return events({ type: 'SessionTransferred', fromAgentId: byAgentId, to, handover: state.handover + 1 });
    }

    case 'RequeueSession': {
      // Only the agent that still holds it loses it: otherwise it has moved on already.
      if (state.status !== 'assigned' || state.agentId !== command.agentId) return right([]);
      return events({
        type: 'SessionRequeued',
        fromAgentId: command.agentId,
        groupId: state.groupId,
        reason: command.reason,
        handover: state.handover + 1,
      });
    }

    case 'MarkSessionRead': {
      if (state.status !== 'assigned' || state.agentId !== command.agentId) {
        return left(domainError('not_assigned_to_you', 'only the agent holding the session can read it'));
      }
      const upTo = state.lastVisitorMessageId;
      return state.unread
        ? events({ type: 'SessionRead', agentId: command.agentId, ...(upTo === undefined ? {} : { upTo }) })
        : right([]);
    }

    case 'MarkSessionReadByVisitor': {
      if (command.visitorId !== state.visitorId) return left(notFound(command));
      const upTo = state.lastAgentMessageId;
      // Nothing new from the agents since the last read: no receipt.
      if (upTo === undefined || upTo === state.visitorReadUpTo) return right([]);
      return events({ type: 'SessionReadByVisitor', visitorId: command.visitorId, upTo });
    }

    case 'PostNote': {
      const { agentId, clientMsgId } = command;
      if (clientMsgId !== undefined) {
        const existing = lookup(state.clientMessages, clientKey('note', agentId, clientMsgId));
        if (existing !== undefined) {
          return left(domainError('duplicate_message', 'this note was already posted', { messageId: existing }));
        }
      }
      if (state.status === 'ended') return left(domainError('session_ended', 'the session has ended'));
      const holds = state.status === 'assigned' && state.agentId === agentId;
      if (!holds && !oversees(command.role)) {
        return left(domainError('not_assigned_to_you', 'only the agent holding the session can write a note in it'));
      }
      return events({
        type: 'NotePosted',
        messageId: command.messageId,
        from: { role: 'agent', id: agentId },
        text: command.text,
        ...(clientMsgId === undefined ? {} : { clientMsgId }),
        ...(command.attachments === undefined ? {} : { attachments: command.attachments }),
        ...(state.status === 'assigned' && state.agentId !== undefined ? { agentId: state.agentId } : {}),
      });
    }

    case 'TagSession': {
      const { agentId } = command;
      // The agent that holds (or held, once it ended) the session labels it; supervisors and admins any.
      if (state.agentId !== agentId && !oversees(command.role)) {
        return left(domainError('not_assigned_to_you', 'only the agent holding the session can tag it'));
      }
      const add = command.add.map((tag) => tag.trim());
      const remove = command.remove.map((tag) => tag.trim());
      const bad = [...add, ...remove].find((tag) => tag.length < 1 || tag.length > MAX_TAG_LENGTH);
      if (bad !== undefined) {
        return left(
          domainError('invalid_tag', `tags: each must be 1 to ${MAX_TAG_LENGTH} characters once trimmed`, { tag: bad }),
        );
      }
      const before = state.tags ?? [];
      const removed = [...new Set(remove)].filter((tag) => before.includes(tag));
      const kept = before.filter((tag) => !removed.includes(tag));
      const added = [...new Set(add)].filter((tag) => !kept.includes(tag) && !removed.includes(tag));
      if (added.length === 0 && removed.length === 0) return right([]);
      const tags = [...kept, ...added];
      if (tags.length > MAX_TAGS && added.length > 0) {
        return left(domainError('too_many_tags', `tags: a session carries at most ${MAX_TAGS}`));
      }
      return events({ type: 'SessionTagsChanged', agentId, added, removed, tags });
    }

    case 'EndSession': {
      const { by } = command;
      if (state.status === 'ended') {
        return by.role === 'system' ? right([]) : left(domainError('session_ended', 'the session has ended'));
      }
      if (by.role === 'visitor' && by.id !== state.visitorId) return left(notFound(command));
      if (by.role === 'agent' && (state.status !== 'assigned' || state.agentId !== by.id)) {
        return left(domainError('not_assigned_to_you', 'only the agent holding the session can end it'));
      }
      return events(...ended(state, endReasonOf(by)));
    }

    case 'RecordChannelDelivery': {
      // Once per message: a redelivered report changes nothing.
      if (deliveryOf(state, command.messageId) !== undefined) return right([]);
      const { messageId, outcome, reason, platformMessageId } = command;
      return events({
        type: 'ChannelDeliveryRecorded',
        messageId,
        outcome,
        ...(reason === undefined ? {} : { reason }),
        ...(platformMessageId === undefined ? {} : { platformMessageId }),
      });
    }

    case 'CheckTimeout': {
      // A check for a session that has ended, or that never went to humans, does nothing.
      if (state.status === 'ended' || state.status === 'bot') return right([]);
      const deadline = deadlineOf(state.lastActivityAt, context.timeoutSeconds);
      const decision = timeoutDecision(deadline, command.at);
      if (decision.kind === 'end') return events(...ended(state, 'timeout'));
      return state.nextCheckAt === decision.at
        ? right([])
        : events({ type: 'TimeoutCheckScheduled', dueAt: decision.at });
    }

    case 'SubmitCsat': {
      if (command.visitorId !== state.visitorId) return left(notFound(command));
      if (state.csat === 'submitted') {
        // The same message again (a redelivered webhook): done already, nothing more.
        if (command.clientMsgId !== undefined && command.clientMsgId === state.csatClientMsgId) return right([]);
        return left(domainError('already_rated', 'this session has been rated'));
      }
      if (state.status !== 'ended' || state.csat !== 'requested') {
        return left(domainError('invalid_transition', 'this session has not asked for a rating'));
      }
      const { rating, comment } = command;
      if (!Number.isInteger(rating) || rating < CSAT_MIN || rating > CSAT_MAX) {
        return left(domainError('bad_request', `rating: must be an integer from ${CSAT_MIN} to ${CSAT_MAX}`));
      }
      const trimmed = comment?.trim() ?? '';
      if (trimmed.length > MAX_CSAT_COMMENT) {
        return left(domainError('bad_request', `comment: must be at most ${MAX_CSAT_COMMENT} characters`));
      }
      return events({
        type: 'CsatSubmitted',
        visitorId: state.visitorId,
        rating,
        groupId: state.groupId,
        ...(trimmed === '' ? {} : { comment: trimmed }),
        ...(state.agentId === undefined ? {} : { agentId: state.agentId }),
        ...(command.clientMsgId === undefined ? {} : { clientMsgId: command.clientMsgId }),
      });
    }

    case 'FlagSlaBreach': {
      // Once per target; only while the target can still be missed, and only once it really is:
      // a late or early monitor changes nothing.
      const { target, targetSeconds } = command;
      if (state.slaBreached?.includes(target) === true || state.humanRequestedAt === undefined) return right([]);
      const open =
        target === 'wait' ? state.status === 'queued' : state.status === 'queued' || state.status === 'assigned';
      const answered = target === 'firstResponse' && state.lastAgentMessageId !== undefined;
      if (!open || answered || secondsBetween(state.humanRequestedAt, command.at) < targetSeconds) return right([]);
      return events({
        type: 'SlaBreached',
        groupId: state.groupId,
        target,
        targetSeconds,
        handover: state.handover,
        ...(state.agentId === undefined ? {} : { agentId: state.agentId }),
      });
    }
  }
};

/** Supervisors and admins may write notes and tags on a session they do not hold. */
const oversees = (role: string | undefined): boolean => role === 'supervisor' || role === 'admin';

const handedOverMeanwhile = (state: OpenedSession): DomainError =>
  domainError('invalid_transition', `the session was handed over meanwhile (handover ${state.handover})`);

/**
 * The end, and the satisfaction question with it: every end but the inactivity timeout of a
 * visitor who never wrote.
 */
const ended = (state: OpenedSession, reason: EndReason): Draft[] => {
  const agent = state.agentId === undefined ? {} : { agentId: state.agentId };
  const end: Draft = { type: 'SessionEnded', reason, groupId: state.groupId, visitorId: state.visitorId, ...agent };
  const visitorWrote = state.lastVisitorMessageId !== undefined;
  if (reason === 'timeout' && !visitorWrote) return [end];
  return [
    end,
    { type: 'CsatRequested', visitorId: state.visitorId, channel: state.channel, groupId: state.groupId, ...agent },
  ];
};

/** Seconds from `from` to `to` (ISO instants). */
const secondsBetween = (from: IsoInstant, to: IsoInstant): number => (millis(to) - millis(from)) / 1000;

export const sessionDecider: Decider<SessionCommand, SessionEvent, SessionState, SessionContext> = {
  initialState: { status: 'none' },
  evolve,
  decide,
};
