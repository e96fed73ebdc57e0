import { deciderSpec } from '../../../test-support/decider-spec';
import { decodeOrThrow } from '../../../test-support/fixtures';
import { GroupHours } from '../working-hours';
import { SessionCommand } from './commands';
import { sessionDecider, type SessionContext } from './decider';
import { SessionEvent } from './events';

const event = decodeOrThrow(SessionEvent);
const command = decodeOrThrow(SessionCommand);
const hours = decodeOrThrow(GroupHours);

const ids = { companyId: 'acme', sessionId: 's1' };
const T = (minute: number, second = 0): string =>
  `2026-11-25T10:${String(minute).padStart(2, '0')}:${String(second).padStart(2, '0')}.000Z`;

const alwaysOpen: SessionContext = { hours: hours({}), timeoutSeconds: 600 };
const spec = deciderSpec(sessionDecider, alwaysOpen);

const started = event({
  type: 'SessionStarted',
  v: 1,
  ...ids,
  at: T(0),
  visitorId: 'v1',
  channel: 'web',
  groupId: 'support',
});
/** Before an agent holds the session: the audience is the visitor on the web. */
const toVisitor = { visitorId: 'v1', channel: 'web' } as const;
const visitorSays = (text: string, at: string, clientMsgId = text, messageId = `m-${text}`) =>
  event({
    type: 'MessagePosted',
    v: 1,
    ...ids,
    at,
    messageId,
    clientMsgId,
    from: { role: 'visitor', id: 'v1' },
    text,
    ...toVisitor,
  });
const humanRequested = event({ type: 'HumanRequested', v: 1, ...ids, at: T(1), groupId: 'support', handover: 1 });
const checkAt = (dueAt: string, at = T(1)) => event({ type: 'TimeoutCheckScheduled', v: 1, ...ids, at, dueAt });
const assigned = event({
  type: 'SessionAssigned',
  v: 1,
  ...ids,
  at: T(2),
  agentId: 'alice',
  groupId: 'support',
  handover: 2,
});
const queued = [started, visitorSays('hello', T(0)), humanRequested, checkAt(T(11))];
const withAlice = [...queued, assigned];
/** The satisfaction question that comes with every end but the timeout of a visitor who never wrote. */
const csatAsked = (at: string, agentId?: string) =>
  event({
    type: 'CsatRequested',
    v: 1,
    ...ids,
    at,
    visitorId: 'v1',
    channel: 'web',
    groupId: 'support',
    ...(agentId ? { agentId } : {}),
  });

describe('session decider', () => {
  describe('PostMessage', () => {
    it("opens the session on the visitor's first message", () => {
      spec
        .given([])
        .when(
          command({
            type: 'PostMessage',
            ...ids,
            at: T(0),
            messageId: 'm-hello',
            clientMsgId: 'hello',
            from: { role: 'visitor', id: 'v1' },
            text: 'hello',
            origin: { visitorId: 'v1', channel: 'web', groupId: 'support' },
          }),
        )
        .then([started, visitorSays('hello', T(0))]);
    });

    it('refuses a first message without an origin, or from anyone but a visitor', () => {
      const post = { type: 'PostMessage', ...ids, at: T(0), messageId: 'm1', text: 'hi' };
      spec
        .given([])
        .when(command({ ...post, from: { role: 'visitor', id: 'v1' } }))
        .thenError('session_not_found');
      spec
        .given([])
        .when(
          command({
            ...post,
            from: { role: 'agent', id: 'alice' },
            origin: { visitorId: 'v1', channel: 'web', groupId: 'g' },
          }),
        )
        .thenError('session_not_found');
    });

    it('posts a visitor message in the open session', () => {
      spec
        .given([started])
        .when(
          command({
            type: 'PostMessage',
            ...ids,
            at: T(3),
            messageId: 'm-more',
            clientMsgId: 'more',
            from: { role: 'visitor', id: 'v1' },
            text: 'more',
          }),
        )
        .then([visitorSays('more', T(3))]);
    });

    it('names who the message is for as decided: the visitor, its channel, and the agent holding it', () => {
      const post = (from: { role: string; id?: string }) =>
        command({ type: 'PostMessage', ...ids, at: T(4), messageId: 'm-x', from, text: 'hi' });
      const posted = (from: { role: string; id?: string }, audience: object) =>
        event({ type: 'MessagePosted', v: 1, ...ids, at: T(4), messageId: 'm-x', from, text: 'hi', ...audience });
      const visitor = { role: 'visitor', id: 'v1' };
      spec
        .given(queued)
        .when(post(visitor))
        .then([posted(visitor, toVisitor)]);
      spec
        .given(withAlice)
        .when(post(visitor))
        .then([posted(visitor, { ...toVisitor, agentId: 'alice' })]);
      const telegram = event({
        type: 'SessionStarted',
        v: 1,
        ...ids,
        at: T(0),
        visitorId: 'v1',
        channel: 'telegram',
        groupId: 'support',
        channelAccountId: 'tg',
        channelUserId: '42',
      });
      spec
        .given([telegram])
        .when(post({ role: 'bot' }))
        .then([posted({ role: 'bot' }, { visitorId: 'v1', channel: 'telegram' })]);
    });

    it('answers a resent client message id with the existing message id and no event', () => {
      spec
        .given([started, visitorSays('hello', T(0))])
        .when(
          command({
            type: 'PostMessage',
            ...ids,
            at: T(4),
            messageId: 'm-other',
            clientMsgId: 'hello',
            from: { role: 'visitor', id: 'v1' },
            text: 'hello',
          }),
        )
        .thenError('duplicate_message', { messageId: 'm-hello' });
    });

    it('keeps client message ids apart per sender', () => {
      spec
        .given(withAlice)
        .when(
          command({
            type: 'PostMessage',
            ...ids,
            at: T(4),
            messageId: 'm-a',
            clientMsgId: 'hello',
            from: { role: 'agent', id: 'alice' },
            text: 'hi',
          }),
        )
        .then([
          event({
            type: 'MessagePosted',
            v: 1,
            ...ids,
            at: T(4),
            messageId: 'm-a',
            clientMsgId: 'hello',
            from: { role: 'agent', id: 'alice' },
            text: 'hi',
            ...toVisitor,
            agentId: 'alice',
          }),
        ]);
    });

    it('lets the bot answer while the session is with the bot', () => {
      spec
        .given([started])
        .when(
          command({
            type: 'PostMessage',
            ...ids,
            at: T(1),
            messageId: 'b1',
            from: { role: 'bot' },
            text: 'How can I help?',
          }),
        )
        .then([
          event({
            type: 'MessagePosted',
            v: 1,
            ...ids,
            at: T(1),
            messageId: 'b1',
            from: { role: 'bot' },
            text: 'How can I help?',
            ...toVisitor,
          }),
        ]);
    });

    it('refuses an agent who does not hold the session', () => {
      const post = { type: 'PostMessage', ...ids, at: T(4), messageId: 'm-x', text: 'hi' };
      spec
        .given(queued)
        .when(command({ ...post, from: { role: 'agent', id: 'alice' } }))
        .thenError('not_assigned_to_you');
      spec
        .given(withAlice)
        .when(command({ ...post, from: { role: 'agent', id: 'bob' } }))
        .thenError('not_assigned_to_you');
    });

    it('refuses another visitor, and another company', () => {
      const post = { type: 'PostMessage', ...ids, at: T(4), messageId: 'm-x', text: 'hi' };
      spec
        .given([started])
        .when(command({ ...post, from: { role: 'visitor', id: 'v2' } }))
        .thenError('session_not_found');
      spec
        .given([started])
        .when(command({ ...post, companyId: 'other', from: { role: 'visitor', id: 'v1' } }))
        .thenError('session_not_found');
    });

    it('refuses a message to an ended session', () => {
      const ended = event({ type: 'SessionEnded', v: 1, ...ids, at: T(5), reason: 'visitor', groupId: 'support' });
      spec
        .given([started, ended])
        .when(
          command({
            type: 'PostMessage',
            ...ids,
            at: T(6),
            messageId: 'm-late',
            from: { role: 'visitor', id: 'v1' },
            text: 'late',
          }),
        )
        .thenError('session_ended');
    });
  });

  describe('RequestHuman', () => {
    const request = command({ type: 'RequestHuman', ...ids, at: T(1) });

    it('queues the session for its group and schedules the first inactivity check', () => {
      spec
        .given([started, visitorSays('hello', T(0))])
        .when(request)
        .then([humanRequested, checkAt(T(11))]);
    });

    it('does nothing when the session is already with humans', () => {
      spec.given(queued).when(request).thenNothing();
      spec.given(withAlice).when(request).thenNothing();
    });

    it('says when the group opens next when it is closed now', () => {
      const weekdays = hours({
        regular: { type: 'regular', timeZone: 'UTC', weekly: [{ day: 'thu', from: '09:00', to: '18:00' }] },
      });
      // 2026-11-25 is a Wednesday.
      spec
        .given([started])
        .when(request, { hours: weekdays, timeoutSeconds: 600 })
        .then([
          event({
            type: 'HumanUnavailable',
            v: 1,
            ...ids,
            at: T(1),
            groupId: 'support',
            reason: 'closed_hours',
            nextOpeningAt: '2026-11-26T09:00:00.000Z',
          }),
        ]);
    });

    it('opens the session when the visitor asks for a human before writing', () => {
      const origin = { visitorId: 'v1', channel: 'web', groupId: 'support' };
      spec
        .given([])
        .when(command({ type: 'RequestHuman', ...ids, at: T(0), origin }))
        .then([
          started,
          event({ type: 'HumanRequested', v: 1, ...ids, at: T(0), groupId: 'support', handover: 1 }),
          checkAt(T(10), T(0)),
        ]);
    });

    it('refuses an ended session and a session that does not exist', () => {
      const ended = event({ type: 'SessionEnded', v: 1, ...ids, at: T(5), reason: 'visitor' });
      spec.given([started, ended]).when(request).thenError('session_ended');
      spec.given([]).when(request).thenError('session_not_found');
    });
  });

  describe('AssignSession', () => {
    const assign = (agentId: string) => command({ type: 'AssignSession', ...ids, at: T(2), agentId });

    it('assigns a queued session', () => {
      spec.given(queued).when(assign('alice')).then([assigned]);
    });
    it('is idempotent for the same agent and refuses a second agent', () => {
      spec.given(withAlice).when(assign('alice')).thenNothing();
      spec.given(withAlice).when(assign('bob')).thenError('invalid_transition');
    });
    it('refuses a session still with the bot, and an ended one', () => {
      spec.given([started]).when(assign('alice')).thenError('invalid_transition');
      spec
        .given([...queued, event({ type: 'SessionEnded', v: 1, ...ids, at: T(3), reason: 'timeout' })])
        .when(assign('alice'))
        .thenError('session_ended');
    });
    it('with a handover number: assigns only the handover it was routed for, once', () => {
      const routed = (agentId: string, handover: number) =>
        command({ type: 'AssignSession', ...ids, at: T(2), agentId, handover });
      spec.given(queued).when(routed('alice', 2)).then([assigned]);
      // Done already (the workflow's step again after a restart).
      spec.given(withAlice).when(routed('alice', 2)).thenNothing();
      // Routed for a handover that is not the next one: the session moved on meanwhile.
      spec.given(queued).when(routed('alice', 3)).thenError('invalid_transition');
      spec.given(withAlice).when(routed('bob', 2)).thenError('invalid_transition');
      const requeued = event({
        type: 'SessionRequeued',
        v: 1,
        ...ids,
        at: T(4),
        fromAgentId: 'alice',
        groupId: 'support',
        reason: 'agent_offline',
        handover: 3,
      });
      // Assigned to alice again after a requeue: the late step of the first assignment is refused.
      const again = event({
        type: 'SessionAssigned',
        v: 1,
        ...ids,
        at: T(5),
        agentId: 'alice',
        groupId: 'support',
        handover: 4,
      });
      spec
        .given([...withAlice, requeued, again])
        .when(routed('alice', 2))
        .thenError('invalid_transition');
    });
  });

  describe('RequeueSession', () => {
    const requeue = (agentId: string) =>
      command({ type: 'RequeueSession', ...ids, at: T(6), agentId, reason: 'agent_offline' });
    it('puts a session back in its queue when the agent holding it is gone', () => {
      const decided = spec.given(withAlice).when(requeue('alice'));
      decided.then([
        event({
          type: 'SessionRequeued',
          v: 1,
          ...ids,
          at: T(6),
          fromAgentId: 'alice',
          groupId: 'support',
          reason: 'agent_offline',
          handover: 3,
        }),
      ]);
      expect(decided.state()).toMatchObject({ status: 'queued', handover: 3 });
      expect(decided.state()).not.toHaveProperty('agentId');
    });
    it('does nothing when another agent holds it, or nobody does', () => {
      spec.given(withAlice).when(requeue('bob')).thenNothing();
      spec.given(queued).when(requeue('alice')).thenNothing();
    });
  });

  describe('TransferSession', () => {
    const transfer = (byAgentId: string, to: object) =>
      command({ type: 'TransferSession', ...ids, at: T(5), byAgentId, to });

    it('moves the session to another agent', () => {
      const state = spec.given(withAlice).when(transfer('alice', { agentId: 'bob' }));
      state.then([
        event({
          type: 'SessionTransferred',
          v: 1,
          ...ids,
          at: T(5),
          fromAgentId: 'alice',
          to: { agentId: 'bob' },
          handover: 3,
        }),
      ]);
      expect(state.state()).toMatchObject({ status: 'assigned', agentId: 'bob' });
    });
    it('puts the session back in the queue of another group', () => {
      const state = spec.given(withAlice).when(transfer('alice', { groupId: 'billing' }));
      expect(state.state()).toMatchObject({ status: 'queued', groupId: 'billing' });
      expect(state.state()).not.toHaveProperty('agentId');
    });
    it('refuses an agent who does not hold it, a transfer to oneself, and an ended session', () => {
      spec
        .given(withAlice)
        .when(transfer('bob', { agentId: 'carol' }))
        .thenError('not_assigned_to_you');
      spec
        .given(withAlice)
        .when(transfer('alice', { agentId: 'alice' }))
        .thenError('invalid_transition');
      spec
        .given([
          ...withAlice,
          event({ type: 'SessionEnded', v: 1, ...ids, at: T(3), reason: 'visitor', agentId: 'alice' }),
        ])
        .when(transfer('alice', { agentId: 'bob' }))
        .thenError('session_ended');
    });
  });

  describe('TransferSession as a takeover (a supervisor steps in)', () => {
    const takeover = (byAgentId: string, role?: 'agent' | 'supervisor' | 'admin', handover?: number) =>
      command({
        type: 'TransferSession',
        ...ids,
        at: T(5),
        byAgentId,
        to: { agentId: byAgentId },
        ...(role === undefined ? {} : { role }),
        ...(handover === undefined ? {} : { handover }),
      });

    it('moves the session from its holder to the supervisor, saying it was a takeover', () => {
      const state = spec.given(withAlice).when(takeover('sue', 'supervisor', 3));
      state.then([
        event({
          type: 'SessionTransferred',
          v: 1,
          ...ids,
          at: T(5),
          fromAgentId: 'alice',
          to: { agentId: 'sue' },
          handover: 3,
          reason: 'takeover',
        }),
      ]);
      expect(state.state()).toMatchObject({ status: 'assigned', agentId: 'sue', handover: 3 });
    });
    it('an admin may too; done already is nothing', () => {
      spec
        .given(withAlice)
        .when(takeover('boss', 'admin'))
        .then([
          event({
            type: 'SessionTransferred',
            v: 1,
            ...ids,
            at: T(5),
            fromAgentId: 'alice',
            to: { agentId: 'boss' },
            handover: 3,
            reason: 'takeover',
          }),
        ]);
      const taken = event({
        type: 'SessionTransferred',
        v: 1,
        ...ids,
        at: T(5),
        fromAgentId: 'alice',
        to: { agentId: 'sue' },
        handover: 3,
        reason: 'takeover',
      });
      spec
        .given([...withAlice, taken])
        .when(takeover('sue', 'supervisor', 3))
        .then([]);
    });
    it('refuses an agent, a session handed over meanwhile, one not assigned, and an ended one', () => {
      spec.given(withAlice).when(takeover('bob', 'agent')).thenError('not_assigned_to_you');
      spec.given(withAlice).when(takeover('bob')).thenError('not_assigned_to_you');
      spec
        .given(withAlice)
        .when(takeover('sue', 'supervisor', 5))
        .thenError('invalid_transition');
      spec.given(queued).when(takeover('sue', 'supervisor')).thenError('invalid_transition');
      spec
        .given([
          ...withAlice,
          event({ type: 'SessionEnded', v: 1, ...ids, at: T(3), reason: 'visitor', agentId: 'alice' }),
        ])
        .when(takeover('sue', 'supervisor'))
        .thenError('session_ended');
    });
    it('a supervisor may not move a session it does not hold to someone else', () => {
      spec
        .given(withAlice)
        .when(
          command({
            type: 'TransferSession',
            ...ids,
            at: T(5),
            byAgentId: 'sue',
            to: { agentId: 'bob' },
            role: 'supervisor',
          }),
        )
        .thenError('not_assigned_to_you');
    });
  });

  describe('MarkSessionRead', () => {
    const read = (agentId: string) => command({ type: 'MarkSessionRead', ...ids, at: T(6), agentId });
    const readEvent = event({ type: 'SessionRead', v: 1, ...ids, at: T(6), agentId: 'alice', upTo: 'm-hello' });

    it('clears the unread flag of a visitor message', () => {
      const decided = spec.given(withAlice).when(read('alice'));
      decided.then([readEvent]);
      expect(decided.state()).toMatchObject({ unread: false });
      expect(decided.state()).not.toHaveProperty('firstUnreadAt');
    });
    it('does nothing when nothing is unread', () => {
      spec
        .given([...withAlice, readEvent])
        .when(read('alice'))
        .thenNothing();
    });
    it('refuses an agent who does not hold the session', () => {
      spec.given(withAlice).when(read('bob')).thenError('not_assigned_to_you');
      spec.given(queued).when(read('alice')).thenError('not_assigned_to_you');
    });
  });

  describe('EndSession', () => {
    const end = (by: object) => command({ type: 'EndSession', ...ids, at: T(7), by });
    const endedBy = (reason: string, agentId?: string) =>
      event({
        type: 'SessionEnded',
        v: 1,
        ...ids,
        at: T(7),
        reason,
        groupId: 'support',
        visitorId: 'v1',
        ...(agentId ? { agentId } : {}),
      });

    it('ends by the visitor, the agent holding it, or the system, saying who held it', () => {
      spec
        .given(withAlice)
        .when(end({ role: 'visitor', id: 'v1' }))
        .then([endedBy('visitor', 'alice'), csatAsked(T(7), 'alice')]);
      spec
        .given(withAlice)
        .when(end({ role: 'agent', id: 'alice' }))
        .then([endedBy('agent', 'alice'), csatAsked(T(7), 'alice')]);
      spec
        .given(queued)
        .when(end({ role: 'system' }))
        .then([endedBy('system'), csatAsked(T(7))]);
    });
    it('refuses another agent, another visitor, and a second end', () => {
      spec
        .given(withAlice)
        .when(end({ role: 'agent', id: 'bob' }))
        .thenError('not_assigned_to_you');
      spec
        .given(withAlice)
        .when(end({ role: 'visitor', id: 'v2' }))
        .thenError('session_not_found');
      spec
        .given([...withAlice, endedBy('agent', 'alice')])
        .when(end({ role: 'visitor', id: 'v1' }))
        .thenError('session_ended');
    });
    it('lets the system end an ended session again without effect', () => {
      spec
        .given([...withAlice, endedBy('agent', 'alice')])
        .when(end({ role: 'system' }))
        .thenNothing();
    });
  });

  describe('CheckTimeout', () => {
    const check = (at: string) => command({ type: 'CheckTimeout', ...ids, at });

    it('ends the session when the deadline has passed', () => {
      spec
        .given(withAlice)
        .when(check(T(11)))
        .then([
          event({
            type: 'SessionEnded',
            v: 1,
            ...ids,
            at: T(11),
            reason: 'timeout',
            groupId: 'support',
            visitorId: 'v1',
            agentId: 'alice',
          }),
          csatAsked(T(11), 'alice'),
        ]);
    });
    it('schedules the next check at the deadline when messages moved it', () => {
      spec
        .given([...withAlice, visitorSays('still-there', T(8))])
        .when(check(T(11)))
        .then([checkAt(T(18), T(11))]);
    });
    it('does not schedule the same check twice', () => {
      spec
        .given(withAlice)
        .when(check(T(10)))
        .thenNothing();
    });
    it('ends a queued session too (the visitor gave up)', () => {
      spec
        .given(queued)
        .when(check(T(12)))
        .then([
          event({
            type: 'SessionEnded',
            v: 1,
            ...ids,
            at: T(12),
            reason: 'timeout',
            groupId: 'support',
            visitorId: 'v1',
          }),
          csatAsked(T(12)),
        ]);
    });
    it('does nothing for an ended session or one still with the bot', () => {
      spec
        .given([started])
        .when(check(T(59)))
        .thenNothing();
      spec
        .given([
          ...withAlice,
          event({ type: 'SessionEnded', v: 1, ...ids, at: T(3), reason: 'visitor', agentId: 'alice' }),
        ])
        .when(check(T(30)))
        .thenNothing();
    });
    it('does not count bot messages as activity', () => {
      const bot = event({
        type: 'MessagePosted',
        v: 1,
        ...ids,
        at: T(9),
        messageId: 'b',
        from: { role: 'bot' },
        text: 'still here',
      });
      spec
        .given([...queued, bot])
        .when(check(T(11)))
        .then([
          event({
            type: 'SessionEnded',
            v: 1,
            ...ids,
            at: T(11),
            reason: 'timeout',
            groupId: 'support',
            visitorId: 'v1',
          }),
          csatAsked(T(11)),
        ]);
    });
  });

  describe('satisfaction (CSAT)', () => {
    const endedByAgent = [
      ...withAlice,
      event({
        type: 'SessionEnded',
        v: 1,
        ...ids,
        at: T(7),
        reason: 'agent',
        groupId: 'support',
        visitorId: 'v1',
        agentId: 'alice',
      }),
      csatAsked(T(7), 'alice'),
    ];
    const submit = (fields: object) =>
      command({ type: 'SubmitCsat', ...ids, at: T(8), visitorId: 'v1', rating: 4, ...fields });
    const rated = (fields: object) =>
      event({
        type: 'CsatSubmitted',
        v: 1,
        ...ids,
        at: T(8),
        visitorId: 'v1',
        rating: 4,
        groupId: 'support',
        agentId: 'alice',
        ...fields,
      });

    it('is not asked when a visitor who never wrote times out', () => {
      const origin = { visitorId: 'v1', channel: 'web', groupId: 'support' };
      const silent = [
        started,
        event({ type: 'HumanRequested', v: 1, ...ids, at: T(0), groupId: 'support', handover: 1 }),
        checkAt(T(10), T(0)),
      ];
      spec
        .given([])
        .when(command({ type: 'RequestHuman', ...ids, at: T(0), origin }))
        .then(silent);
      spec
        .given(silent)
        .when(command({ type: 'CheckTimeout', ...ids, at: T(10) }))
        .then([
          event({
            type: 'SessionEnded',
            v: 1,
            ...ids,
            at: T(10),
            reason: 'timeout',
            groupId: 'support',
            visitorId: 'v1',
          }),
        ]);
    });

    it('is asked when a visitor who never wrote leaves by itself, and names the channel of the session', () => {
      const telegram = event({
        type: 'SessionStarted',
        v: 1,
        ...ids,
        at: T(0),
        visitorId: 'v1',
        channel: 'telegram',
        groupId: 'support',
      });
      spec
        .given([telegram])
        .when(command({ type: 'EndSession', ...ids, at: T(3), by: { role: 'visitor', id: 'v1' } }))
        .then([
          event({
            type: 'SessionEnded',
            v: 1,
            ...ids,
            at: T(3),
            reason: 'visitor',
            groupId: 'support',
            visitorId: 'v1',
          }),
          event({
            type: 'CsatRequested',
            v: 1,
            ...ids,
            at: T(3),
            visitorId: 'v1',
            channel: 'telegram',
            groupId: 'support',
          }),
        ]);
    });

    it('takes a rating with its comment trimmed, naming the agent and the group', () => {
      spec
        .given(endedByAgent)
        .when(submit({ rating: 5, comment: '  quick and kind  ' }))
        .then([rated({ rating: 5, comment: 'quick and kind' })]);
    });

    it('drops a comment that is only spaces', () => {
      spec
        .given(endedByAgent)
        .when(submit({ comment: '   ' }))
        .then([rated({})]);
    });

    it('answers a second rating with already_rated', () => {
      spec
        .given([...endedByAgent, rated({})])
        .when(submit({ rating: 1 }))
        .thenError('already_rated');
    });

    it('takes the same message carrying the rating again as done, and another as already_rated', () => {
      const byDigit = [...endedByAgent, rated({ clientMsgId: 'telegram:42' })];
      spec
        .given(endedByAgent)
        .when(submit({ clientMsgId: 'telegram:42' }))
        .then([rated({ clientMsgId: 'telegram:42' })]);
      spec
        .given(byDigit)
        .when(submit({ clientMsgId: 'telegram:42' }))
        .thenNothing();
      spec
        .given(byDigit)
        .when(submit({ clientMsgId: 'telegram:43' }))
        .thenError('already_rated');
      spec.given(byDigit).when(submit({})).thenError('already_rated');
    });

    it('takes only an integer from 1 to 5', () => {
      for (const rating of [0, 6, 2.5, -1]) {
        spec.given(endedByAgent).when(submit({ rating })).thenError('bad_request');
      }
      for (const rating of [1, 5]) {
        spec
          .given(endedByAgent)
          .when(submit({ rating }))
          .then([rated({ rating })]);
      }
    });

    it('takes a comment of up to 1000 characters once trimmed', () => {
      spec
        .given(endedByAgent)
        .when(submit({ comment: ` ${'a'.repeat(1000)} ` }))
        .then([rated({ comment: 'a'.repeat(1000) })]);
      spec
        .given(endedByAgent)
        .when(submit({ comment: 'a'.repeat(1001) }))
        .thenError('bad_request');
    });

    it('does not let another visitor see or rate the session', () => {
      spec
        .given(endedByAgent)
        .when(submit({ visitorId: 'v2' }))
        .thenError('session_not_found');
      spec.given([]).when(submit({})).thenError('session_not_found');
    });

    it('refuses a rating before the end, and after an end that asked nothing', () => {
      spec.given(withAlice).when(submit({})).thenError('invalid_transition');
      spec
        .given([
          ...withAlice,
          event({ type: 'SessionEnded', v: 1, ...ids, at: T(7), reason: 'timeout', groupId: 'support' }),
        ])
        .when(submit({}))
        .thenError('invalid_transition');
    });
  });

  describe('unread flag', () => {
    it('is set by a visitor message with the time of the first unread one, not by an agent message', () => {
      const state = spec
        .given([...withAlice])
        .when(
          command({
            type: 'PostMessage',
            ...ids,
            at: T(9),
            messageId: 'a1',
            from: { role: 'agent', id: 'alice' },
            text: 'hi',
          }),
        )
        .state();
      expect(state).toMatchObject({ unread: true, firstUnreadAt: T(0) });
    });

    it('is never set by the bot, whose replies count its misses in a row and carry why it said them', () => {
      const bot = { inReplyTo: 'm1', question: 'what?', confidence: 0.1 };
      const missedOnce = event({
        type: 'MessagePosted',
        v: 1,
        ...ids,
        at: T(8),
        messageId: 'bot-8',
        from: { role: 'bot' },
        text: 'sorry?',
        bot: { ...bot, outcome: 'not_understood' },
      });
      const reply = (outcome: 'not_understood' | 'answered') =>
        command({
          type: 'PostMessage',
          ...ids,
          at: T(9),
          messageId: 'bot-9',
          from: { role: 'bot' },
          text: 'r',
          bot: { ...bot, outcome },
        });
      const before = spec
        .given([...withAlice])
        .when(reply('answered'))
        .state();
      const missed = spec
        .given([...withAlice, missedOnce])
        .when(reply('not_understood'))
        .state();
      expect(missed).toMatchObject({ botMisses: 2, unread: before.status === 'none' ? false : before.unread });
      expect(
        spec
          .given([...withAlice, missedOnce])
          .when(reply('answered'))
          .state(),
      ).toMatchObject({ botMisses: 0 });
    });
  });

  describe("the bot's offer to end", () => {
    const offerBot = {
      inReplyTo: 'm-bye',
      question: 'bye',
      confidence: 1,
      outcome: 'end',
      actions: [{ type: 'session.end', label: 'End chat' }],
    };
    const text = 'Do you want to end the chat?';
    const offer = event({
      type: 'MessagePosted',
      v: 1,
      ...ids,
      at: T(2),
      messageId: 'b1',
      from: { role: 'bot' },
      text,
      bot: offerBot,
      ...toVisitor,
    });
    const post = (messageId: string, from: object, bot?: object) =>
      command({ type: 'PostMessage', ...ids, at: T(2), messageId, from, text, ...(bot === undefined ? {} : { bot }) });
    const afterOffer = [started, visitorSays('bye', T(1)), offer];

    it('is remembered until the bot says something else, and ends nothing by itself', () => {
      spec
        .given([started, visitorSays('bye', T(1))])
        .when(post('b1', { role: 'bot' }, offerBot))
        .then([offer]);
      expect(
        spec
          .given(afterOffer)
          .when(post('m2', { role: 'visitor', id: 'v1' }))
          .state(),
      ).toMatchObject({
        status: 'bot',
        endOffered: true,
      });
      const answered = { inReplyTo: 'm2', question: 'q', confidence: 0.9, outcome: 'answered' };
      expect(
        spec
          .given(afterOffer)
          .when(post('b2', { role: 'bot' }, answered))
          .state(),
      ).not.toHaveProperty('endOffered');
    });
  });
});
