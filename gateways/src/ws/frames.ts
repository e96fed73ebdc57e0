// The websocket frames of the client protocol (../shared/design/PROTOCOL.md) as io-ts codecs: client
// frames are decoded with them at the edge, server frames are typed by them.
import { isLeft } from 'fp-ts/Either';
import * as t from 'io-ts';
import { Id, agent, session, withRule } from '@cschat/domain';
import { AttachmentView } from '@cschat/infra';
import { LiveBoard } from '@cschat/projections';
import { isStorableText } from '../text';

/*
 * Limits of client frames, checked by the codecs below:
 * - `text`: at most MAX_TEXT_LENGTH characters (UTF-16 code units, as JavaScript's `length`
 *   counts them), and not empty or only white space once trimmed. It is passed on as sent.
 * - `clientMsgId`: 1..MAX_CLIENT_MSG_ID_LENGTH characters, any.
 * - neither holds a NUL character or an unpaired surrogate, which the event store cannot keep.
 * - `sessionId`, `toAgentId`, `toGroupId`: the domain's `Id`, 1..MAX_ID_LENGTH characters of
 *   `A-Z a-z 0-9 _ . : @ -`, starting with a letter or digit.
 * - the frame's own `id`: a string of 1..MAX_FRAME_ID_LENGTH characters or a finite number.
 */
export const MAX_TEXT_LENGTH = 4000;
export const MAX_CLIENT_MSG_ID_LENGTH = 100;
export const MAX_ID_LENGTH = 100;
export const MAX_FRAME_ID_LENGTH = 100;
/** At most this many files on one message (`message.send`'s `attachments`). */
export const MAX_ATTACHMENTS = 10;

interface FrameStringIdBrand {
  readonly FrameStringId: unique symbol;
}
interface FrameNumberIdBrand {
  readonly FrameNumberId: unique symbol;
}
/** The id a client gives a frame to match its answer; echoed back as it came. */
export const FrameId = withRule(
  t.union([
    t.brand(
      t.string,
      (s): s is t.Branded<string, FrameStringIdBrand> => s.length >= 1 && s.length <= MAX_FRAME_ID_LENGTH,
      'FrameStringId',
    ),
    // JSON.parse turns `1e999` into Infinity, which JSON.stringify would echo as null.
    t.brand(t.number, (n): n is t.Branded<number, FrameNumberIdBrand> => Number.isFinite(n), 'FrameNumberId'),
  ]),
  `must be a string of 1 to ${MAX_FRAME_ID_LENGTH} characters or a finite number`,
);
export type FrameId = t.TypeOf<typeof FrameId>;

interface MessageTextBrand {
  readonly MessageText: unique symbol;
}
export const MessageText = withRule(
  t.brand(
    t.string,
    (s): s is t.Branded<string, MessageTextBrand> =>
      s.length <= MAX_TEXT_LENGTH && s.trim().length > 0 && isStorableText(s),
    'MessageText',
  ),
  `must be 1 to ${MAX_TEXT_LENGTH} characters, not blank, without NUL characters or unpaired surrogates`,
);
export type MessageText = t.TypeOf<typeof MessageText>;

interface ClientMsgIdBrand {
  readonly ClientMsgId: unique symbol;
}
export const ClientMsgId = withRule(
  t.brand(
    t.string,
    (s): s is t.Branded<string, ClientMsgIdBrand> =>
      s.length >= 1 && s.length <= MAX_CLIENT_MSG_ID_LENGTH && isStorableText(s),
    'ClientMsgId',
  ),
  `must be 1 to ${MAX_CLIENT_MSG_ID_LENGTH} characters without NUL characters or unpaired surrogates`,
);
export type ClientMsgId = t.TypeOf<typeof ClientMsgId>;

/**
 * A client frame of one type. Exact: fields the protocol does not name are dropped when it
 * decodes, so only checked fields reach the handlers.
 */
const clientFrame = <T extends string, P extends t.Props>(type: T, props: P) =>
  t.exact(t.intersection([t.type({ type: t.literal(type), ...props }), t.partial({ id: FrameId })]));

interface MessageBodyBrand {
  readonly MessageBody: unique symbol;
}
/** The text of a `message.send`: MessageText's limits, except that it may be blank when files come with it. */
export const MessageBody = withRule(
  t.brand(
    t.string,
    (s): s is t.Branded<string, MessageBodyBrand> => s.length <= MAX_TEXT_LENGTH && isStorableText(s),
    'MessageBody',
  ),
  `must be at most ${MAX_TEXT_LENGTH} characters without NUL characters or unpaired surrogates`,
);

interface AttachmentIdsBrand {
  readonly AttachmentIds: unique symbol;
}
/** The files of a message: 1..MAX_ATTACHMENTS ids given by `POST /api/uploads`. */
export const AttachmentIds = withRule(
  t.brand(
    t.readonlyArray(Id),
    (ids): ids is t.Branded<readonly Id[], AttachmentIdsBrand> => ids.length >= 1 && ids.length <= MAX_ATTACHMENTS,
    'AttachmentIds',
  ),
  `must be 1 to ${MAX_ATTACHMENTS} file ids`,
);

/**
 * `message.send`: a text, files (`attachments`), or both. A blank text without files fails on
 * `text`, named as a field so that the `bad_request` message says which.
 */
const messageSend = <P extends t.Props>(props: P) => {
  const frame = t.exact(
    t.intersection([
      t.type({ type: t.literal('message.send'), ...props, text: MessageBody, clientMsgId: ClientMsgId }),
      t.partial({ id: FrameId, attachments: AttachmentIds }),
    ]),
  );
  type Frame = t.TypeOf<typeof frame>;
  const hasContent = (f: Frame): boolean => {
    const message = f as { readonly text: string; readonly attachments?: readonly string[] };
    return message.text.trim().length > 0 || (message.attachments?.length ?? 0) > 0;
  };
  // Only the wording of the failure: a props codec before `text` lets the reporter name the field.
  const textField = t.type({ text: MessageText });
  return new t.RefinementType<typeof frame, Frame, t.OutputOf<typeof frame>, unknown>(
    'MessageSend',
    (u): u is Frame => frame.is(u) && hasContent(u),
    (u, c) => {
      const decoded = frame.validate(u, c);
      if (isLeft(decoded) || hasContent(decoded.right)) return decoded;
      return t.failure(decoded.right.text, [
        ...c,
        { key: '', type: textField, actual: u },
        { key: 'text', type: MessageText, actual: decoded.right.text },
      ]);
    },
    frame.encode,
    frame,
    hasContent,
  );
};

// ---- visitor -> server

export const VisitorMessageSend = messageSend({});
export const HumanRequest = clientFrame('human.request', {});
export const VisitorSessionEnd = clientFrame('session.end', {});

/** The visitor types (or stopped) in its open session; not stored, passed on at most twice a second. */
export const VisitorTyping = clientFrame('typing', { typing: t.boolean });
/** The visitor has read the agents' messages of its open session. */
export const VisitorSessionRead = clientFrame('session.read', {});

interface CsatRatingBrand {
  readonly CsatRating: unique symbol;
}
/** A satisfaction rating: an integer from 1 (bad) to 5 (great). */
export const CsatRating = withRule(
  t.brand(
    t.number,
    (n): n is t.Branded<number, CsatRatingBrand> =>
      Number.isInteger(n) && n >= session.CSAT_MIN && n <= session.CSAT_MAX,
    'CsatRating',
  ),
  `must be an integer from ${session.CSAT_MIN} to ${session.CSAT_MAX}`,
);
interface CsatCommentBrand {
  readonly CsatComment: unique symbol;
}
/** The comment of a rating: at most MAX_CSAT_COMMENT characters once trimmed (the session trims it). */
export const CsatComment = withRule(
  t.brand(
    t.string,
    (s): s is t.Branded<string, CsatCommentBrand> => s.trim().length <= session.MAX_CSAT_COMMENT && isStorableText(s),
    'CsatComment',
  ),
  `must be text of at most ${session.MAX_CSAT_COMMENT} characters`,
);
/** The visitor rates one of its ended sessions that asked for it (`csat.request`), once. */
export const CsatSubmit = t.exact(
  t.intersection([
    t.type({ type: t.literal('csat.submit'), sessionId: Id, rating: CsatRating }),
    t.partial({ id: FrameId, comment: CsatComment }),
  ]),
);

export const VisitorFrame = t.union([
  VisitorMessageSend,
  HumanRequest,
  VisitorSessionEnd,
  VisitorTyping,
  VisitorSessionRead,
  CsatSubmit,
]);
export type VisitorFrame = t.TypeOf<typeof VisitorFrame>;

// ---- agent -> server

export const AgentStatusSet = clientFrame('agent.status', { status: agent.AgentStatus });
export const AgentMessageSend = messageSend({ sessionId: Id });
export const SessionReadFrame = clientFrame('session.read', { sessionId: Id });
/** Names exactly one target: `toAgentId` or `toGroupId` (a frame with both fails). */
export const SessionTransferFrame = t.union([
  t.exact(
    t.intersection([
      t.type({ type: t.literal('session.transfer'), sessionId: Id, toAgentId: Id }),
      t.partial({ id: FrameId, toGroupId: t.undefined }),
    ]),
  ),
  t.exact(
    t.intersection([
      t.type({ type: t.literal('session.transfer'), sessionId: Id, toGroupId: Id }),
      t.partial({ id: FrameId, toAgentId: t.undefined }),
    ]),
  ),
]);
export const AgentSessionEnd = clientFrame('session.end', { sessionId: Id });
export const AgentTyping = clientFrame('typing', { sessionId: Id, typing: t.boolean });
/** A private note: kept in the session and the agents' history, never sent to the visitor. */
export const NoteSend = clientFrame('note.send', { sessionId: Id, text: MessageText, clientMsgId: ClientMsgId });

/** How many tags one `session.tag` may name in `add` or in `remove`. */
export const MAX_TAGS_PER_FRAME = 20;
interface TagBrand {
  readonly Tag: unique symbol;
}
/**
 * A tag as sent: 1-32 characters once trimmed (the session trims it and checks again, `invalid_tag`);
 * a frame with another is refused `bad_request` naming `add` or `remove`.
 */
export const Tag = withRule(
  t.brand(
    t.string,
    (s): s is t.Branded<string, TagBrand> => {
      const length = s.trim().length;
      return length >= 1 && length <= session.MAX_TAG_LENGTH && isStorableText(s);
    },
    'Tag',
  ),
  `must be 1 to ${session.MAX_TAG_LENGTH} characters once trimmed`,
);
interface TagListBrand {
  readonly TagList: unique symbol;
}
const TagList = withRule(
  t.brand(
    t.array(Tag),
    (tags): tags is t.Branded<t.TypeOf<typeof Tag>[], TagListBrand> => tags.length <= MAX_TAGS_PER_FRAME,
    'TagList',
  ),
  `must be at most ${MAX_TAGS_PER_FRAME} tags`,
);
export const SessionTagFrame = t.exact(
  t.intersection([
    t.type({ type: t.literal('session.tag'), sessionId: Id }),
    t.partial({ id: FrameId, add: TagList, remove: TagList }),
  ]),
);

/**
 * Supervisors and admins (PROTOCOL "Supervisors"): watch a session without holding it (its
 * `message` frames, notes included, `typing` of both sides and `session.state` come to this socket
 * until `session.unwatch`, the socket closes, or the session ends), take it over, and follow the
 * live board (`live.update` frames, at most one a second, until `live.unsubscribe`).
 */
export const SessionWatchFrame = clientFrame('session.watch', { sessionId: Id });
export const SessionUnwatchFrame = clientFrame('session.unwatch', { sessionId: Id });
export const SessionTakeoverFrame = clientFrame('session.takeover', { sessionId: Id });
export const LiveSubscribeFrame = clientFrame('live.subscribe', {});
export const LiveUnsubscribeFrame = clientFrame('live.unsubscribe', {});

export const AgentFrame = t.union([
  AgentStatusSet,
  AgentMessageSend,
  SessionReadFrame,
  SessionTransferFrame,
  AgentSessionEnd,
  AgentTyping,
  NoteSend,
  SessionTagFrame,
  SessionWatchFrame,
  SessionUnwatchFrame,
  SessionTakeoverFrame,
  LiveSubscribeFrame,
  LiveUnsubscribeFrame,
]);
export type AgentFrame = t.TypeOf<typeof AgentFrame>;

export type ClientFrame = VisitorFrame | AgentFrame;

/** The codec of each client frame type, per socket kind; the gateway decodes with these. */
export const CLIENT_FRAMES: {
  readonly visitor: ReadonlyMap<string, t.Decoder<unknown, VisitorFrame>>;
  readonly agent: ReadonlyMap<string, t.Decoder<unknown, AgentFrame>>;
} = {
  visitor: new Map<string, t.Decoder<unknown, VisitorFrame>>([
    ['message.send', VisitorMessageSend],
    ['human.request', HumanRequest],
    ['session.end', VisitorSessionEnd],
    ['typing', VisitorTyping],
    ['session.read', VisitorSessionRead],
    ['csat.submit', CsatSubmit],
  ]),
  agent: new Map<string, t.Decoder<unknown, AgentFrame>>([
    ['agent.status', AgentStatusSet],
    ['message.send', AgentMessageSend],
    ['session.read', SessionReadFrame],
    ['session.transfer', SessionTransferFrame],
    ['session.end', AgentSessionEnd],
    ['typing', AgentTyping],
    ['note.send', NoteSend],
    ['session.tag', SessionTagFrame],
    ['session.watch', SessionWatchFrame],
    ['session.unwatch', SessionUnwatchFrame],
    ['session.takeover', SessionTakeoverFrame],
    ['live.subscribe', LiveSubscribeFrame],
    ['live.unsubscribe', LiveUnsubscribeFrame],
  ]),
};

// ---- server -> client (encoded only; no decoding happens in the gateway)

/** Times are ISO-8601 strings in UTC; ids are strings. */
const SenderOut = t.intersection([t.type({ role: session.Role }), t.partial({ id: t.string })]);
/** `name`: an agent's display name, on the frames a visitor gets. */
const MessageSender = t.intersection([SenderOut, t.partial({ name: t.string })]);

export const SessionStateName = t.keyof({ bot: null, queued: null, assigned: null, ended: null });
export type SessionStateName = t.TypeOf<typeof SessionStateName>;

/** `{type: 'ack', id, ...result}`: the result fields of the handler, beside `type` and `id`. */
export const AckFrame = t.intersection([t.type({ type: t.literal('ack'), id: FrameId }), t.UnknownRecord]);
export type AckFrame = t.TypeOf<typeof AckFrame>;

/**
 * `id` when the failed frame had one that could be read; `details` are facts a client may use; `field`
 * the frame's field whose rule `message` states (`rating: must be an integer from 1 to 5`), for `bad_request`.
 */
export const ErrorFrame = t.intersection([
  t.type({ type: t.literal('error'), code: t.string, message: t.string }),
  t.partial({ id: FrameId, details: t.record(t.string, t.string), field: t.string }),
]);
export type ErrorFrame = t.TypeOf<typeof ErrorFrame>;

export const SuggestionsFrame = t.intersection([
  t.type({ type: t.literal('suggestions'), questions: t.readonlyArray(t.string) }),
  t.partial({ greeting: t.string }),
]);
export type SuggestionsFrame = t.TypeOf<typeof SuggestionsFrame>;

export const MessageFrame = t.intersection([
  t.type({
    type: t.literal('message'),
    sessionId: t.string,
    messageId: t.string,
    from: MessageSender,
    text: t.string,
    at: t.string,
  }),
  t.partial({
    clientMsgId: t.string,
    /** A private note (only to agents). */
    private: t.boolean,
    suggestions: t.readonlyArray(t.string),
    offerHuman: t.boolean,
    /** On a bot message: what the visitor may do in one step (a button), e.g. end the session. */
    actions: t.readonlyArray(session.OfferedAction),
    /** The message's files (`GET <url>` serves each to the session's participants). */
    attachments: t.readonlyArray(AttachmentView),
  }),
]);
export type MessageFrame = t.TypeOf<typeof MessageFrame>;

/**
 * `queuePosition` 1 is next; `reason` is for `ended`, for `queued` after a requeue, and `takeover`
 * for `assigned` when a supervisor took the session over (its previous agent is told why).
 */
export const SessionStateFrame = t.intersection([
  t.type({ type: t.literal('session.state'), sessionId: t.string, state: SessionStateName }),
  t.partial({
    queuePosition: t.number,
    agentId: t.string,
    /** The display name of the agent (`assigned`, to the visitor). */
    agentName: t.string,
    reason: t.union([session.EndReason, session.RequeueReason, t.literal('takeover')]),
  }),
]);
export type SessionStateFrame = t.TypeOf<typeof SessionStateFrame>;

/** `load` is the number of sessions the agent holds; `name` its display name (its username when it has none). */
export const AgentStateFrame = t.type({
  type: t.literal('agent.state'),
  status: agent.AgentStatus,
  load: t.number,
  capacity: t.number,
  name: t.string,
});
export type AgentStateFrame = t.TypeOf<typeof AgentStateFrame>;

export const SessionListRow = t.intersection([
  t.type({
    sessionId: t.string,
    visitorId: t.string,
    channel: session.Channel,
    state: SessionStateName,
    unread: t.boolean,
    updatedAt: t.string,
    tags: t.readonlyArray(t.string),
    /** The service-level targets of its group the session passed (`firstResponse`, `wait`). */
    slaBreached: t.readonlyArray(session.SlaTarget),
  }),
  t.partial({
    visitorName: t.string,
    firstUnreadAt: t.string,
    lastMessage: t.type({ text: t.string, at: t.string, from: SenderOut }),
  }),
]);
export type SessionListRow = t.TypeOf<typeof SessionListRow>;

/** The agent's whole current list. */
export const SessionListFrame = t.type({ type: t.literal('session.list'), sessions: t.readonlyArray(SessionListRow) });
export type SessionListFrame = t.TypeOf<typeof SessionListFrame>;

/**
 * One row of the agent's list changed (a new message, the unread flag): the row as `session.list`
 * has it. The whole list is pushed on login, after a reconnect and on the R6 triggers.
 */
export const SessionUpdateFrame = t.type({ type: t.literal('session.update'), session: SessionListRow });
export type SessionUpdateFrame = t.TypeOf<typeof SessionUpdateFrame>;

/** A message of the agent's (or the bot's) that the visitor's platform would not take, with the reason. */
export const MessageFailedFrame = t.type({
  type: t.literal('message.failed'),
  sessionId: t.string,
  messageId: t.string,
  reason: t.string,
});
export type MessageFailedFrame = t.TypeOf<typeof MessageFailedFrame>;

/** The other side types (or stopped): the visitor sees the agent, the agent the visitor. Not stored. */
export const TypingFrame = t.type({
  type: t.literal('typing'),
  sessionId: t.string,
  from: SenderOut,
  typing: t.boolean,
});
export type TypingFrame = t.TypeOf<typeof TypingFrame>;

/** A read receipt: the visitor read the agents' messages up to `upTo`, or the agent the visitor's. */
export const MessageReadFrame = t.type({
  type: t.literal('message.read'),
  sessionId: t.string,
  upTo: t.string,
  at: t.string,
});
export type MessageReadFrame = t.TypeOf<typeof MessageReadFrame>;

/** After the end of a session (any but the timeout of a visitor who never wrote): how did it go? */
export const CsatRequestFrame = t.type({ type: t.literal('csat.request'), sessionId: t.string });
export type CsatRequestFrame = t.TypeOf<typeof CsatRequestFrame>;
/** The live board as `GET /api/admin/live` answers it, pushed to a socket that asked with `live.subscribe`. */
export const LiveUpdateFrame = t.intersection([t.type({ type: t.literal('live.update') }), LiveBoard]);
export type LiveUpdateFrame = t.TypeOf<typeof LiveUpdateFrame>;

export const ServerFrame = t.union([
  AckFrame,
  ErrorFrame,
  SuggestionsFrame,
  MessageFrame,
  SessionStateFrame,
  AgentStateFrame,
  SessionListFrame,
  SessionUpdateFrame,
  MessageFailedFrame,
  TypingFrame,
  MessageReadFrame,
  CsatRequestFrame,
  LiveUpdateFrame,
]);
export type ServerFrame = t.TypeOf<typeof ServerFrame>;
