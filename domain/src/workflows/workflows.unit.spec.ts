import { decodeOrThrow } from '../../../test-support/fixtures';
import { refused, workflowSpec } from '../../../test-support/workflow-spec';
import { DomainCommand, DomainEvent } from '../messages';
import { assignment } from './assignment';
import { end } from './end';
import { requeue } from './requeue';
import { transfer } from './transfer';

const event = decodeOrThrow(DomainEvent);
const command = decodeOrThrow(DomainCommand);
const at = '2026-11-25T10:00:00.000Z';
const s = { companyId: 'acme', sessionId: 's1', at, v: 1 };
const a = (agentId: string) => ({ companyId: 'acme', agentId, at, v: 1 });

const slotFor = (agentId: string, handover: number, extra: object = { for: 'assignment', groupId: 'support' }) =>
  event({ type: 'SessionAttached', ...a(agentId), sessionId: 's1', load: 1, handover, ...extra });

describe('assignment workflow', () => {
  const spec = workflowSpec(assignment);
  const requested = event({ type: 'HumanRequested', ...s, groupId: 'support', handover: 1 });
  const assigned = event({ type: 'SessionAssigned', ...s, agentId: 'alice', groupId: 'support', handover: 2 });

  it('takes only its events', () => {
    expect(assignment.inputOf(slotFor('alice', 2, { for: 'transfer', fromAgentId: 'bob' }))).toBeUndefined();
    expect(assignment.inputOf(slotFor('alice', 2, {}))).toBeUndefined();
    expect(assignment.inputOf(event({ type: 'SessionRead', ...s, agentId: 'alice' }))).toBeUndefined();
    expect(assignment.instanceOf(assignment.inputOf(requested)!)).toBe('acme-s1');
  });
  it('a human request joins the queue of the group', () => {
    spec
      .given([])
      .when(requested)
      .then([{ type: 'JoinQueue', companyId: 'acme', groupId: 'support', sessionId: 's1' }]);
  });
  it('a slot taken for the session assigns it for that handover, then it leaves the queue', () => {
    spec
      .given([requested])
      .when(slotFor('alice', 2))
      .then([{ type: 'AssignSession', companyId: 'acme', sessionId: 's1', agentId: 'alice', handover: 2 }]);
    spec
      .given([requested, slotFor('alice', 2)])
      .when(assigned)
      .then([{ type: 'LeaveQueue', companyId: 'acme', groupId: 'support', sessionId: 's1', reason: 'assigned' }]);
    // The slot's event again (redelivered) once assigned: nothing more to do.
    spec
      .given([requested, slotFor('alice', 2), assigned])
      .when(slotFor('alice', 2))
      .thenNothing();
  });
  it('gives the slot back when the session could not be assigned', () => {
    const assign = command({ type: 'AssignSession', ...s, agentId: 'bob', handover: 2 });
    const decided = spec.given([requested, slotFor('bob', 2)]).when(refused(assign, 'session_ended'));
    decided.then([
      { type: 'DetachSession', companyId: 'acme', agentId: 'bob', sessionId: 's1', reason: 'released', handover: 2 },
    ]);
    expect(decided.state().pending).toEqual({});
  });
});

describe('transfer workflow', () => {
  const spec = workflowSpec(transfer);
  const slot = slotFor('bob', 3, { for: 'transfer', fromAgentId: 'alice' });
  const moved = event({ type: 'SessionTransferred', ...s, fromAgentId: 'alice', to: { agentId: 'bob' }, handover: 3 });

  it("a colleague's slot taken for it transfers the session, then the previous holder's slot goes", () => {
    spec
      .given([])
      .when(slot)
      .then([
        {
          type: 'TransferSession',
          companyId: 'acme',
          sessionId: 's1',
          byAgentId: 'alice',
          to: { agentId: 'bob' },
          handover: 3,
        },
      ]);
    spec
      .given([slot])
      .when(moved)
      .then([
        {
          type: 'DetachSession',
          companyId: 'acme',
          agentId: 'alice',
          sessionId: 's1',
          reason: 'transferred',
          handover: 2,
        },
      ]);
    spec.given([slot, moved]).when(slot).thenNothing();
  });
  it('to a group: the holder lets go and the session joins that queue', () => {
    spec
      .given([])
      .when(event({ type: 'SessionTransferred', ...s, fromAgentId: 'alice', to: { groupId: 'billing' }, handover: 3 }))
      .then([
        {
          type: 'DetachSession',
          companyId: 'acme',
          agentId: 'alice',
          sessionId: 's1',
          reason: 'transferred',
          handover: 2,
        },
        { type: 'JoinQueue', companyId: 'acme', groupId: 'billing', sessionId: 's1' },
      ]);
  });
  it('gives the colleague its slot back when the transfer was refused', () => {
    const transferTo = command({
      type: 'TransferSession',
      ...s,
      byAgentId: 'alice',
      to: { agentId: 'bob' },
      handover: 3,
    });
    spec
      .given([slot])
      .when(refused(transferTo, 'not_assigned_to_you'))
      .then([
        { type: 'DetachSession', companyId: 'acme', agentId: 'bob', sessionId: 's1', reason: 'released', handover: 3 },
      ]);
  });
});

describe('transfer workflow: a takeover', () => {
  const spec = workflowSpec(transfer);
  const slot = slotFor('sue', 3, { for: 'takeover', fromAgentId: 'alice' });
  const taken = event({
    type: 'SessionTransferred',
    ...s,
    fromAgentId: 'alice',
    to: { agentId: 'sue' },
    handover: 3,
    reason: 'takeover',
  });

  it("the supervisor's slot taken for it moves the session to the supervisor, then the holder's slot goes", () => {
    spec
      .given([])
      .when(slot)
      .then([
        {
          type: 'TransferSession',
          companyId: 'acme',
          sessionId: 's1',
          byAgentId: 'sue',
          to: { agentId: 'sue' },
          role: 'supervisor',
          handover: 3,
        },
      ]);
    spec
      .given([slot])
      .when(taken)
      .then([
        {
          type: 'DetachSession',
          companyId: 'acme',
          agentId: 'alice',
          sessionId: 's1',
          reason: 'transferred',
          handover: 2,
        },
      ]);
    spec.given([slot, taken]).when(slot).thenNothing();
  });
  it('gives the supervisor its slot back when the session was handed over meanwhile', () => {
    const takeOver = command({
      type: 'TransferSession',
      ...s,
      byAgentId: 'sue',
      to: { agentId: 'sue' },
      role: 'supervisor',
      handover: 3,
    });
    spec
      .given([slot])
      .when(refused(takeOver, 'invalid_transition'))
      .then([
        { type: 'DetachSession', companyId: 'acme', agentId: 'sue', sessionId: 's1', reason: 'released', handover: 3 },
      ]);
  });
});

describe('requeue workflow', () => {
  it("the offline agent's slot goes and the session goes to the front of its queue", () => {
    workflowSpec(requeue)
      .given([])
      .when(
        event({
          type: 'SessionRequeued',
          ...s,
          fromAgentId: 'alice',
          groupId: 'support',
          reason: 'agent_offline',
          handover: 5,
        }),
      )
      .then([
        {
          type: 'DetachSession',
          companyId: 'acme',
          agentId: 'alice',
          sessionId: 's1',
          reason: 'requeued',
          handover: 4,
        },
        { type: 'JoinQueue', companyId: 'acme', groupId: 'support', sessionId: 's1', front: true },
      ]);
  });
});

describe('end workflow', () => {
  const spec = workflowSpec(end);
  const started = event({ type: 'SessionStarted', ...s, visitorId: 'v1', channel: 'web', groupId: 'support' });
  it('closes the visitor session, leaves the queue, frees the holder', () => {
    spec
      .given([])
      .when(
        event({
          type: 'SessionEnded',
          ...s,
          reason: 'timeout',
          groupId: 'support',
          agentId: 'alice',
          visitorId: 'v1',
        }),
      )
      .then([
        { type: 'CloseVisitorSession', companyId: 'acme', visitorId: 'v1', sessionId: 's1' },
        { type: 'LeaveQueue', companyId: 'acme', groupId: 'support', sessionId: 's1', reason: 'timeout' },
        { type: 'DetachSession', companyId: 'acme', agentId: 'alice', sessionId: 's1', reason: 'ended' },
      ]);
  });
  it('knows the visitor from the start when the end does not say (older events)', () => {
    spec
      .given([started])
      .when(event({ type: 'SessionEnded', ...s, reason: 'visitor' }))
      .then([{ type: 'CloseVisitorSession', companyId: 'acme', visitorId: 'v1', sessionId: 's1' }]);
  });
});
