// The read models' folds of a batch, in memory: what the rows become and whose lists changed.
import { DomainEvent } from '@cschat/domain';
import { decodeOrThrow } from '../../../test-support/fixtures';
import { coalesceListChanges, type ListChanged } from '../projection';
import { rowsInMemory } from '../rows';
import { AGENT_BOARD, foldAgentBoard } from './agent-board';
import { foldQueueView, QUEUE_VIEW } from './queue-view';
import { foldSessionFacts, SESSION_FACTS } from './session-facts';
import { foldSessionList, SESSION_LIST } from './session-list';

const event = decodeOrThrow(DomainEvent);
const ids = { v: 1, companyId: 'acme', sessionId: 's1' };
const T = (second: number): string => `2026-11-25T10:00:${String(second).padStart(2, '0')}.000Z`;
const started = event({
  type: 'SessionStarted',
  ...ids,
  at: T(0),
  visitorId: 'v1',
  channel: 'web',
  groupId: 'support',
});
const says = (role: string, text: string, at: string, id?: string) =>
  event({
    type: 'MessagePosted',
    ...ids,
    at,
    messageId: `m-${text}`,
    from: id === undefined ? { role } : { role, id },
    text,
  });
const assigned = (agentId: string, at: string) =>
  event({ type: 'SessionAssigned', ...ids, at, agentId, groupId: 'support' });
const read = (agentId: string, at: string) => event({ type: 'SessionRead', ...ids, at, agentId });

describe('session list fold', () => {
  it('sets unread with the first unread visitor message, clears it on a read, and keeps the last message', () => {
    const rows = rowsInMemory(SESSION_LIST);
    foldSessionList(rows, [
      started,
      says('visitor', 'hello', T(1), 'v1'),
      says('visitor', 'anyone', T(2), 'v1'),
      assigned('alice', T(3)),
    ]);
    expect(rows.all()).toEqual([
      expect.objectContaining({ state: 'assigned', agent_id: 'alice', unread: true, first_unread_at: T(1) }),
    ]);
    foldSessionList(rows, [
      read('alice', T(4)),
      says('agent', 'hi', T(5), 'alice'),
      says('visitor', 'late', T(6), 'v1'),
    ]);
    expect(rows.all()).toEqual([
      expect.objectContaining({
        unread: true,
        first_unread_at: T(6),
        last_message_text: 'late',
        last_message_role: 'visitor',
        last_message_from_id: 'v1',
        updated_at: T(6),
      }),
    ]);
  });

  it('changes nothing for a session it has no row of, as an SQL update would', () => {
    const rows = rowsInMemory(SESSION_LIST);
    const changes = foldSessionList(rows, [says('visitor', 'lost', T(1), 'v1'), read('alice', T(2))]);
    expect(rows.all()).toEqual([]);
    expect(changes).toEqual([{ companyId: 'acme', agentId: 'alice', sessionId: 's1', reason: 'read' }]);
  });

  it('names the holder of a message, with the row as the list shows it after the batch', () => {
    const rows = rowsInMemory(SESSION_LIST);
    const changes = foldSessionList(rows, [
      started,
      assigned('alice', T(1)),
      says('visitor', 'one', T(2), 'v1'),
      says('visitor', 'two', T(3), 'v1'),
    ]);
    const row = {
      sessionId: 's1',
      visitorId: 'v1',
      channel: 'web',
      state: 'assigned',
      unread: true,
      firstUnreadAt: T(2),
      lastMessage: { text: 'two', at: T(3), from: { role: 'visitor', id: 'v1' } },
      updatedAt: T(3),
      tags: [],
      slaBreached: [],
    };
    expect(changes).toEqual([
      { companyId: 'acme', agentId: 'alice', sessionId: 's1', reason: 'assigned' },
      { companyId: 'acme', agentId: 'alice', sessionId: 's1', reason: 'message', row },
      { companyId: 'acme', agentId: 'alice', sessionId: 's1', reason: 'message', row },
    ]);
    expect(coalesceListChanges(changes)).toEqual([changes[0]]);
    expect(coalesceListChanges(changes.slice(1))).toEqual([changes[2]]);
  });

  it('tells the agent who held an ended session, and both agents of a transfer', () => {
    const changes = foldSessionList(rowsInMemory(SESSION_LIST), [
      started,
      assigned('alice', T(1)),
      event({ type: 'SessionTransferred', ...ids, at: T(2), fromAgentId: 'alice', to: { agentId: 'bob' } }),
      event({ type: 'SessionEnded', ...ids, at: T(3), reason: 'visitor' }),
    ]);
    expect(changes.map((c) => [c.agentId, c.reason])).toEqual([
      ['alice', 'assigned'],
      ['alice', 'transferred'],
      ['bob', 'transferred'],
      ['bob', 'ended'],
    ]);
  });
});

describe('coalescing list changes', () => {
  const change = (agentId: string, sessionId: string, reason: ListChanged['reason']): ListChanged => ({
    companyId: 'acme',
    agentId,
    sessionId,
    reason,
  });

  it('pushes an agent its whole list once when an R6 trigger is in the batch, else one change per session', () => {
    expect(
      coalesceListChanges([
        change('alice', 's1', 'message'),
        change('bob', 's2', 'message'),
        change('alice', 's3', 'requeued'),
        change('alice', 's4', 'assigned'),
        change('bob', 's2', 'read'),
        change('bob', 's2', 'message'),
        change('bob', 's5', 'message'),
      ]),
    ).toEqual([change('alice', 's3', 'requeued'), change('bob', 's2', 'read'), change('bob', 's5', 'message')]);
  });
});

describe('session facts fold', () => {
  it('counts messages by role, keeps the first assignment and reply, and the end', () => {
    const rows = rowsInMemory(SESSION_FACTS);
    foldSessionFacts(rows, [
      started,
      says('visitor', 'a', T(1), 'v1'),
      says('bot', 'b', T(2)),
      event({ type: 'HumanRequested', ...ids, at: T(3), groupId: 'sales' }),
      assigned('alice', T(4)),
      says('agent', 'c', T(5), 'alice'),
      says('system', 'd', T(6)),
      event({ type: 'SessionTransferred', ...ids, at: T(7), fromAgentId: 'alice', to: { agentId: 'bob' } }),
      assigned('bob', T(8)),
      says('agent', 'e', T(9), 'bob'),
      event({ type: 'HumanRequested', ...ids, at: T(10), groupId: 'support' }),
      event({ type: 'SessionEnded', ...ids, at: T(11), reason: 'agent' }),
    ]);
    expect(rows.all()).toEqual([
      {
        company_id: 'acme',
        session_id: 's1',
        visitor_id: 'v1',
        channel: 'web',
        group_id: 'support',
        started_at: T(0),
        human_requested_at: T(3),
        assigned_at: T(4),
        first_agent_id: 'alice',
        first_agent_reply_at: T(5),
        visitor_messages: 1,
        agent_messages: 2,
        bot_messages: 1,
        transfers: 1,
        ended_at: T(11),
        end_reason: 'agent',
        requested_group_id: 'sales',
        first_agent_reply_by: 'alice',
        queued: false,
        ended_queued: true,
        csat_rating: null,
        csat_comment: null,
        csat_agent_id: null,
        sla_first_response_breaches: 0,
        sla_wait_breaches: 0,
      },
    ]);
  });

  it('marks a session that ended waiting in the queue as abandoned, and one ended by its agent not', () => {
    const rows = rowsInMemory(SESSION_FACTS);
    foldSessionFacts(rows, [
      started,
      event({ type: 'HumanRequested', ...ids, at: T(1), groupId: 'support' }),
      event({ type: 'SlaBreached', ...ids, at: T(2), groupId: 'support', target: 'wait', targetSeconds: 1 }),
      event({ type: 'SessionEnded', ...ids, at: T(3), reason: 'visitor' }),
    ]);
    expect(rows.all()).toEqual([
      expect.objectContaining({ ended_queued: true, queued: false, assigned_at: null, sla_wait_breaches: 1 }),
    ]);

    const other = rowsInMemory(SESSION_FACTS);
    foldSessionFacts(other, [
      started,
      event({ type: 'HumanRequested', ...ids, at: T(1), groupId: 'support' }),
      assigned('alice', T(2)),
      event({
        type: 'SessionRequeued',
        ...ids,
        at: T(3),
        fromAgentId: 'alice',
        groupId: 'support',
        reason: 'agent_offline',
      }),
      assigned('bob', T(4)),
      event({ type: 'SessionTransferred', ...ids, at: T(5), fromAgentId: 'bob', to: { agentId: 'carol' } }),
      event({ type: 'SessionEnded', ...ids, at: T(6), reason: 'agent', agentId: 'carol' }),
    ]);
    expect(other.all()).toEqual([
      expect.objectContaining({ ended_queued: false, first_agent_id: 'alice', assigned_at: T(2), transfers: 1 }),
    ]);
  });

  it('keeps the rating, its comment and the agent it names, and counts the missed targets by kind', () => {
    const rows = rowsInMemory(SESSION_FACTS);
    const rated = (rating: number, at: string) =>
      event({ type: 'CsatSubmitted', ...ids, at, visitorId: 'v1', rating, comment: 'quick', agentId: 'alice' });
    const breach = (target: string, at: string) =>
      event({ type: 'SlaBreached', ...ids, at, groupId: 'support', target, targetSeconds: 30, agentId: 'alice' });
    foldSessionFacts(rows, [
      started,
      event({ type: 'HumanRequested', ...ids, at: T(1), groupId: 'support' }),
      breach('wait', T(2)),
      assigned('alice', T(3)),
      breach('firstResponse', T(4)),
      says('agent', 'hi', T(5), 'alice'),
      event({ type: 'SessionEnded', ...ids, at: T(6), reason: 'visitor' }),
      rated(4, T(7)),
      // A second rating is refused by the decider; were one recorded, the first stays.
      rated(1, T(8)),
    ]);
    expect(rows.all()).toEqual([
      expect.objectContaining({
        csat_rating: 4,
        csat_comment: 'quick',
        csat_agent_id: 'alice',
        sla_first_response_breaches: 1,
        sla_wait_breaches: 1,
        ended_queued: false,
        first_agent_reply_by: 'alice',
      }),
    ]);
  });
});

describe('agent board and queue folds', () => {
  it('keeps an agent status, idle time and load, with the defaults for an agent seen first by its load', () => {
    const rows = rowsInMemory(AGENT_BOARD);
    const agent = { v: 1, companyId: 'acme', agentId: 'alice' };
    foldAgentBoard(rows, [
      event({ type: 'SessionAttached', ...agent, at: T(1), sessionId: 's1', load: 1 }),
      event({ type: 'AgentStatusChanged', ...agent, at: T(2), status: 'idle', previous: 'offline' }),
      event({ type: 'SessionDetached', ...agent, at: T(3), sessionId: 's1', load: 0, reason: 'ended' }),
    ]);
    expect(rows.all()).toEqual([
      { company_id: 'acme', agent_id: 'alice', status: 'idle', load: 0, idle_since: T(2), updated_at: T(3) },
    ]);
  });

  it('keeps the first join of a session and forgets it when it leaves', () => {
    const rows = rowsInMemory(QUEUE_VIEW);
    const waits = { v: 1, companyId: 'acme', groupId: 'support' };
    foldQueueView(rows, [
      event({ type: 'SessionQueued', ...waits, sessionId: 's1', at: T(1) }),
      event({ type: 'SessionQueued', ...waits, sessionId: 's1', at: T(2), front: true }),
      event({ type: 'SessionQueued', ...waits, sessionId: 's2', at: T(3), front: true }),
      event({ type: 'SessionLeftQueue', ...waits, sessionId: 's2', at: T(4), reason: 'assigned' }),
    ]);
    expect(rows.all()).toEqual([
      { company_id: 'acme', group_id: 'support', session_id: 's1', since: T(1), front: false },
    ]);
  });
});
