// SlaBreached in the session list (and session history, which folds the list's events): the row
// carries the targets passed, and the agent holding the session gets that one row pushed.
import { DomainEvent } from '@cschat/domain';
import { decodeOrThrow } from '../../../test-support/fixtures';
import { coalesceListChanges, pushesOneRow } from '../projection';
import { sessionListRowOf, type SessionListTableRow } from '../queries';
import { rowsInMemory } from '../rows';
import { foldSessionHistory, SESSION_HISTORY } from './session-history';
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
const humanRequested = event({ type: 'HumanRequested', ...ids, at: T(1), groupId: 'support' });
const assigned = event({ type: 'SessionAssigned', ...ids, at: T(5), agentId: 'alice', groupId: 'support' });
const breached = (target: 'firstResponse' | 'wait', at: string, agentId?: string) =>
  event({
    type: 'SlaBreached',
    ...ids,
    at,
    groupId: 'support',
    target,
    targetSeconds: 2,
    ...(agentId === undefined ? {} : { agentId }),
  });

describe('session list fold: SlaBreached', () => {
  it('adds each target once, in order, and pushes the row to the agent holding the session', () => {
    const rows = rowsInMemory(SESSION_LIST);
    const queued = foldSessionList(rows, [started, humanRequested, breached('wait', T(3))]);
    // Nobody holds a queued session: no agent's list changed.
    expect(queued).toEqual([]);
    expect(rows.all()).toEqual([expect.objectContaining({ state: 'queued', sla_breached: ['wait'] })]);

    const changes = foldSessionList(rows, [
      assigned,
      breached('firstResponse', T(6), 'alice'),
      // Redelivered: nothing more.
      breached('firstResponse', T(6), 'alice'),
      breached('wait', T(3)),
    ]);
    expect(rows.all()).toEqual([
      expect.objectContaining({ state: 'assigned', sla_breached: ['wait', 'firstResponse'], updated_at: T(6) }),
    ]);
    const sla = changes.find((change) => change.reason === 'sla');
    expect(changes.map((change) => [change.agentId, change.reason])).toEqual([
      ['alice', 'assigned'],
      ['alice', 'sla'],
    ]);
    expect(pushesOneRow('sla')).toBe(true);
    expect(sla?.row).toMatchObject({ sessionId: 's1', state: 'assigned', slaBreached: ['wait', 'firstResponse'] });
    // Alone in a batch it is pushed as its row (session.update); after an assignment the whole list goes.
    expect(coalesceListChanges([sla!])).toEqual([sla]);
    expect(coalesceListChanges(changes)).toEqual([changes[0]]);
  });

  it('reads a row written before the column as passing no target', () => {
    const before = {
      session_id: 's1',
      visitor_id: 'v1',
      channel: 'web',
      state: 'queued',
      unread: false,
      first_unread_at: null,
      last_message_text: null,
      last_message_at: null,
      last_message_role: null,
      last_message_from_id: null,
      updated_at: T(1),
    } satisfies SessionListTableRow;
    expect(sessionListRowOf(before).slaBreached).toEqual([]);
  });

  it('keeps the targets in session history, past the end of the session', () => {
    const rows = rowsInMemory(SESSION_HISTORY);
    foldSessionHistory(rows, [
      started,
      humanRequested,
      breached('wait', T(3)),
      breached('firstResponse', T(3)),
      event({ type: 'SessionEnded', ...ids, at: T(9), reason: 'visitor' }),
    ]);
    expect(rows.all()).toEqual([
      expect.objectContaining({ state: 'ended', sla_breached: ['wait', 'firstResponse'], ended_at: T(9) }),
    ]);
  });
});
