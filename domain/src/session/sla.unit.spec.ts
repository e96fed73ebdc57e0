// FlagSlaBreach: the SLA monitor's command. The session checks the target itself (the monitor reads
// read models that lag), so an early, late, repeated or raced command changes nothing.
import { deciderSpec } from '../../../test-support/decider-spec';
import { decodeOrThrow } from '../../../test-support/fixtures';
import { GroupHours } from '../working-hours';
import { SessionCommand } from './commands';
import { sessionDecider } from './decider';
import { SessionEvent } from './events';

const event = decodeOrThrow(SessionEvent);
const command = decodeOrThrow(SessionCommand);

const ids = { companyId: 'acme', sessionId: 's1' };
/** Seconds after 10:00 of the test's day. */
const T = (second: number): string => new Date(Date.parse('2026-11-25T10:00:00.000Z') + second * 1000).toISOString();

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
  groupId: 'support',
});
const visitorSaid = event({
  type: 'MessagePosted',
  v: 1,
  ...ids,
  at: T(1),
  messageId: 'm-v',
  from: { role: 'visitor', id: 'v1' },
  text: 'hello',
  visitorId: 'v1',
  channel: 'web',
});
/** The visitor asks for a human at T(10): the targets count from here. */
const humanRequested = event({ type: 'HumanRequested', v: 1, ...ids, at: T(10), groupId: 'support', handover: 1 });
const assigned = event({
  type: 'SessionAssigned',
  v: 1,
  ...ids,
  at: T(20),
  agentId: 'alice',
  groupId: 'support',
  handover: 2,
});
const aliceAnswered = event({
  type: 'MessagePosted',
  v: 1,
  ...ids,
  at: T(25),
  messageId: 'm-a',
  from: { role: 'agent', id: 'alice' },
  text: 'How can I help?',
  visitorId: 'v1',
  channel: 'web',
  agentId: 'alice',
});
const ended = event({ type: 'SessionEnded', v: 1, ...ids, at: T(30), reason: 'visitor', groupId: 'support' });

const queued = [started, visitorSaid, humanRequested];
const withAlice = [...queued, assigned];

const flag = (target: 'firstResponse' | 'wait', at: string, targetSeconds = 60) =>
  command({ type: 'FlagSlaBreach', ...ids, at, target, targetSeconds });
const breached = (target: 'firstResponse' | 'wait', at: string, extra: Record<string, unknown> = {}) =>
  event({
    type: 'SlaBreached',
    v: 1,
    ...ids,
    at,
    groupId: 'support',
    target,
    targetSeconds: 60,
    handover: 1,
    ...extra,
  });

describe('session decider: FlagSlaBreach', () => {
  it('flags a queued session past its wait target, counted from the request for a human', () => {
    spec
      .given(queued)
      .when(flag('wait', T(70)))
      .then([breached('wait', T(70))]);
    spec
      .given(queued)
      .when(flag('wait', T(100)))
      .then([breached('wait', T(100))]);
  });

  it('flags the first response of a queued or assigned session that no agent answered', () => {
    spec
      .given(queued)
      .when(flag('firstResponse', T(70)))
      .then([breached('firstResponse', T(70))]);
    spec
      .given(withAlice)
      .when(flag('firstResponse', T(75)))
      .then([breached('firstResponse', T(75), { agentId: 'alice', handover: 2 })]);
  });

  it('flags nothing before the target is reached', () => {
    spec
      .given(queued)
      .when(flag('wait', T(69)))
      .thenNothing();
    spec
      .given(withAlice)
      .when(flag('firstResponse', T(69)))
      .thenNothing();
  });

  it('flags each target once: a repeat, or a second monitor, changes nothing', () => {
    const once = [...queued, breached('wait', T(70))];
    spec
      .given(once)
      .when(flag('wait', T(71)))
      .thenNothing();
    // The other target is still its own.
    spec
      .given(once)
      .when(flag('firstResponse', T(71)))
      .then([breached('firstResponse', T(71))]);
    const both = [...once, breached('firstResponse', T(71))];
    spec
      .given(both)
      .when(flag('firstResponse', T(200)))
      .thenNothing();
    expect(
      spec
        .given(both)
        .when(flag('wait', T(200)))
        .state(),
    ).toMatchObject({
      slaBreached: ['wait', 'firstResponse'],
    });
  });

  it('does not flag the wait of an assigned session, nor the first response of an answered one', () => {
    spec
      .given(withAlice)
      .when(flag('wait', T(100)))
      .thenNothing();
    spec
      .given([...withAlice, aliceAnswered])
      .when(flag('firstResponse', T(100)))
      .thenNothing();
  });

  it('does not flag an ended session, a session still with the bot, or one that does not exist', () => {
    spec
      .given([...queued, ended])
      .when(flag('wait', T(100)))
      .thenNothing();
    spec
      .given([...withAlice, ended])
      .when(flag('firstResponse', T(100)))
      .thenNothing();
    spec
      .given([started, visitorSaid])
      .when(flag('firstResponse', T(100)))
      .thenNothing();
    spec
      .given([started, visitorSaid])
      .when(flag('wait', T(100)))
      .thenNothing();
    spec
      .given([])
      .when(flag('wait', T(100)))
      .thenError('session_not_found');
  });
});
