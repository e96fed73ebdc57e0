// The agent's workspace on a session: private notes, tags and read receipts both ways.
import { deciderSpec } from '../../../test-support/decider-spec';
import { decodeOrThrow } from '../../../test-support/fixtures';
import { GroupHours } from '../working-hours';
import { SessionCommand } from './commands';
import { MAX_TAGS, sessionDecider } from './decider';
import { SessionEvent } from './events';

const event = decodeOrThrow(SessionEvent);
const command = decodeOrThrow(SessionCommand);

const ids = { companyId: 'acme', sessionId: 's1' };
const T = (minute: number): string => `2026-11-25T10:${String(minute).padStart(2, '0')}:00.000Z`;
const spec = deciderSpec(sessionDecider, {
  hours: decodeOrThrow(GroupHours)({}),
  timeoutSeconds: 600,
});

const started = event({
  type: 'SessionStarted',
  v: 1,
  ...ids,
  at: T(0),
  visitorId: 'v1',
  channel: 'web',
  groupId: 'g',
});
const says = (role: 'visitor' | 'agent', id: string, messageId: string, at: string) =>
  event({
    type: 'MessagePosted',
    v: 1,
    ...ids,
    at,
    messageId,
    from: { role, id },
    text: messageId,
    visitorId: 'v1',
    channel: 'web',
  });
const assigned = event({
  type: 'SessionAssigned',
  v: 1,
  ...ids,
  at: T(2),
  agentId: 'alice',
  groupId: 'g',
  handover: 2,
});
const withAlice = [
  started,
  says('visitor', 'v1', 'm1', T(0)),
  event({ type: 'HumanRequested', v: 1, ...ids, at: T(1), groupId: 'g', handover: 1 }),
  assigned,
];
const ended = event({ type: 'SessionEnded', v: 1, ...ids, at: T(9), reason: 'agent', agentId: 'alice' });

describe('session decider: the agent workspace', () => {
  describe('PostNote', () => {
    const note = (agentId: string, extra: object = {}) =>
      command({ type: 'PostNote', ...ids, at: T(5), messageId: 'n1', agentId, text: 'call back', ...extra });
    const posted = event({
      type: 'NotePosted',
      v: 1,
      ...ids,
      at: T(5),
      messageId: 'n1',
      from: { role: 'agent', id: 'alice' },
      text: 'call back',
      clientMsgId: 'c1',
      agentId: 'alice',
    });

    it('posts the note of the agent holding the session, naming the holder', () => {
      spec
        .given(withAlice)
        .when(note('alice', { clientMsgId: 'c1' }))
        .then([posted]);
    });
    it('answers a resent note with the message id it has, whatever the new id', () => {
      spec
        .given([...withAlice, posted])
        .when(note('alice', { clientMsgId: 'c1', messageId: 'n2' }))
        .thenError('duplicate_message', { messageId: 'n1' });
    });
    it('is no chat activity: the session stays read and its last activity unchanged', () => {
      const state = spec.given(withAlice).when(note('alice')).state();
      expect(state).toMatchObject({ unread: true, lastActivityAt: T(1) });
    });
    it('refuses an agent who does not hold the session, but not a supervisor or an admin', () => {
      spec.given(withAlice).when(note('bob')).thenError('not_assigned_to_you');
      spec
        .given(withAlice)
        .when(note('boss', { role: 'supervisor', clientMsgId: 'c1' }))
        .then([event({ ...posted, from: { role: 'agent', id: 'boss' } })]);
      spec
        .given(withAlice.slice(0, 3))
        .when(note('root', { role: 'admin' }))
        .then([
          event({
            type: 'NotePosted',
            v: 1,
            ...ids,
            at: T(5),
            messageId: 'n1',
            from: { role: 'agent', id: 'root' },
            text: 'call back',
          }),
        ]);
    });
    it('refuses a note in an ended session', () => {
      spec
        .given([...withAlice, ended])
        .when(note('alice'))
        .thenError('session_ended');
    });
  });

  describe('TagSession', () => {
    const tag = (add: string[], remove: string[] = [], agentId = 'alice', extra: object = {}) =>
      command({ type: 'TagSession', ...ids, at: T(6), agentId, add, remove, ...extra });
    const changed = (added: string[], removed: string[], tags: string[]) =>
      event({ type: 'SessionTagsChanged', v: 1, ...ids, at: T(6), agentId: 'alice', added, removed, tags });

    it('adds trimmed tags once and keeps them in order', () => {
      const decided = spec.given(withAlice).when(tag([' vip ', 'refund', 'vip']));
      decided.then([changed(['vip', 'refund'], [], ['vip', 'refund'])]);
      expect(decided.state()).toMatchObject({ tags: ['vip', 'refund'] });
    });
    it('removes tags and adds others in one change; only what changes is named', () => {
      spec
        .given([...withAlice, changed(['vip', 'refund'], [], ['vip', 'refund'])])
        .when(tag(['vip', 'urgent'], ['refund', 'never-there']))
        .then([changed(['urgent'], ['refund'], ['vip', 'urgent'])]);
    });
    it('does nothing when nothing changes (idempotent)', () => {
      spec
        .given([...withAlice, changed(['vip'], [], ['vip'])])
        .when(tag(['vip'], ['other']))
        .thenNothing();
      spec.given(withAlice).when(tag([], [])).thenNothing();
    });
    it('refuses a tag empty once trimmed or longer than 32 characters, naming it', () => {
      spec
        .given(withAlice)
        .when(tag(['  ']))
        .thenError('invalid_tag', { tag: '' });
      spec
        .given(withAlice)
        .when(tag(['x'.repeat(33)]))
        .thenError('invalid_tag', { tag: 'x'.repeat(33) });
      spec
        .given(withAlice)
        .when(tag(['x'.repeat(32)]))
        .then([changed(['x'.repeat(32)], [], ['x'.repeat(32)])]);
    });
    it(`refuses more than ${MAX_TAGS} tags on a session`, () => {
      const twenty = Array.from({ length: MAX_TAGS }, (_, i) => `t${i}`);
      spec
        .given(withAlice)
        .when(tag([...twenty, 'one-more']))
        .thenError('too_many_tags');
      spec
        .given([...withAlice, changed(twenty, [], twenty)])
        .when(tag(['one-more'], ['t0']))
        .then([changed(['one-more'], ['t0'], [...twenty.slice(1), 'one-more'])]);
    });
    it('lets the agent who held an ended session tag it; refuses another agent unless supervisor or admin', () => {
      spec
        .given([...withAlice, ended])
        .when(tag(['done']))
        .then([changed(['done'], [], ['done'])]);
      spec
        .given(withAlice)
        .when(tag(['x'], [], 'bob'))
        .thenError('not_assigned_to_you');
      spec
        .given(withAlice)
        .when(tag(['x'], [], 'boss', { role: 'supervisor' }))
        .then([event({ ...changed(['x'], [], ['x']), agentId: 'boss' })]);
    });
  });

  describe('read receipts', () => {
    const agentRead = command({ type: 'MarkSessionRead', ...ids, at: T(6), agentId: 'alice' });
    const visitorRead = (visitorId = 'v1') =>
      command({ type: 'MarkSessionReadByVisitor', ...ids, at: T(7), visitorId });
    const readByVisitor = (upTo: string) =>
      event({ type: 'SessionReadByVisitor', v: 1, ...ids, at: T(7), visitorId: 'v1', upTo });
    const aliceWrote = [...withAlice, says('agent', 'alice', 'a1', T(3)), says('agent', 'alice', 'a2', T(4))];

    it("the agent's read reaches the visitor's last message", () => {
      spec
        .given([...withAlice, says('visitor', 'v1', 'm2', T(3))])
        .when(agentRead)
        .then([event({ type: 'SessionRead', v: 1, ...ids, at: T(6), agentId: 'alice', upTo: 'm2' })]);
    });
    it("the visitor's read reaches the agents' last message", () => {
      spec
        .given(aliceWrote)
        .when(visitorRead())
        .then([readByVisitor('a2')]);
    });
    it('says nothing when nothing new came from the agents', () => {
      spec.given(withAlice).when(visitorRead()).thenNothing();
      spec
        .given([...aliceWrote, readByVisitor('a2')])
        .when(visitorRead())
        .thenNothing();
      spec
        .given([...aliceWrote, readByVisitor('a1')])
        .when(visitorRead())
        .then([readByVisitor('a2')]);
    });
    it("refuses another visitor's read", () => {
      spec.given(aliceWrote).when(visitorRead('v2')).thenError('session_not_found');
    });
  });
});
