// The visitors' and the session history's folds of a batch, in memory.
import { DomainEvent } from '@cschat/domain';
import { decodeOrThrow } from '../../../test-support/fixtures';
import { rowsInMemory } from '../rows';
import { foldSessionHistory, SESSION_HISTORY } from './session-history';
import { foldVisitors, VISITORS } from './visitors';

const event = decodeOrThrow(DomainEvent);
const T = (second: number): string => `2026-11-25T10:00:${String(second).padStart(2, '0')}.000Z`;
const ids = { v: 1, companyId: 'acme' };
const started = (visitorName?: string) =>
  event({
    type: 'SessionStarted',
    ...ids,
    sessionId: 's1',
    at: T(1),
    visitorId: 'v1',
    channel: 'telegram',
    groupId: 'support',
    ...(visitorName === undefined ? {} : { visitorName }),
  });
const says = (role: string, id: string, at: string) =>
  event({ type: 'MessagePosted', ...ids, sessionId: 's1', at, messageId: `m-${at}`, from: { role, id }, text: 'hi' });

describe('visitors fold', () => {
  it('first and last seen from visits, starts and the visitor’s messages; the profile from its changes', () => {
    const rows = rowsInMemory(VISITORS);
    foldVisitors(rows, [
      event({ type: 'VisitorSeen', ...ids, visitorId: 'v1', at: T(0), channel: 'web' }),
      event({
        type: 'VisitorProfileUpdated',
        ...ids,
        visitorId: 'v1',
        at: T(0),
        changed: { name: 'Ann', attributes: { a: '1' } },
      }),
      started('tg-name'),
      says('visitor', 'v1', T(5)),
      says('agent', 'alice', T(9)),
      event({
        type: 'VisitorProfileUpdated',
        ...ids,
        visitorId: 'v1',
        at: T(6),
        changed: { email: 'a@b.example', attributes: {} },
      }),
    ]);
    expect(rows.all()).toEqual([
      {
        company_id: 'acme',
        visitor_id: 'v1',
        name: 'Ann',
        email: 'a@b.example',
        phone: null,
        attributes: {},
        channel: 'web',
        page_url: null,
        first_seen_at: T(0),
        last_seen_at: T(6),
      },
    ]);
  });

  it('a platform visitor: its display name and channel from the session start', () => {
    const rows = rowsInMemory(VISITORS);
    foldVisitors(rows, [started('Bob on Telegram'), started('Bob on Telegram')]);
    expect(rows.all()).toEqual([
      expect.objectContaining({
        name: 'Bob on Telegram',
        channel: 'telegram',
        first_seen_at: T(1),
        last_seen_at: T(1),
      }),
    ]);
  });
});

describe('session history fold', () => {
  it('keeps every agent that held the session, its tags and its end, over the session list row', () => {
    const rows = rowsInMemory(SESSION_HISTORY);
    const s = { ...ids, sessionId: 's1' };
    foldSessionHistory(rows, [
      started('Bob'),
      event({ type: 'SessionAssigned', ...s, at: T(2), agentId: 'alice', groupId: 'support' }),
      event({ type: 'SessionTransferred', ...s, at: T(3), fromAgentId: 'alice', to: { agentId: 'bob' } }),
      event({ type: 'SessionTransferred', ...s, at: T(4), fromAgentId: 'bob', to: { groupId: 'support' } }),
      event({ type: 'SessionAssigned', ...s, at: T(5), agentId: 'alice', groupId: 'support' }),
      event({
        type: 'SessionTagsChanged',
        ...s,
        at: T(6),
        agentId: 'alice',
        added: ['vip'],
        removed: [],
        tags: ['vip'],
      }),
      says('visitor', 'v1', T(7)),
    ]);
    foldSessionHistory(rows, [event({ type: 'SessionEnded', ...s, at: T(8), reason: 'agent' })]);
    expect(rows.all()).toEqual([
      expect.objectContaining({
        state: 'ended',
        agent_id: 'alice',
        agent_ids: ['alice', 'bob'],
        tags: ['vip'],
        visitor_name: 'Bob',
        started_at: T(1),
        ended_at: T(8),
        last_message_text: 'hi',
      }),
    ]);
  });
});
