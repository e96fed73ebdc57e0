import { fold } from './shared/decider';
import { agentDecider } from './agent/decider';
import { AgentEvent } from './agent/events';
import { decodeOrThrow } from '../../test-support/fixtures';
import { presenceDecision, type PresenceFacts } from './presence';

const event = decodeOrThrow(AgentEvent);
const ids = { companyId: 'acme', agentId: 'alice' } as const;
const T0 = Date.parse('2026-11-25T10:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();
const status = (to: string, from: string, ms: number, reason = 'chosen') =>
  event({ type: 'AgentStatusChanged', v: 1, ...ids, at: iso(ms), status: to, previous: from, reason });
const attached = (sessionId: string, load: number) =>
  event({ type: 'SessionAttached', v: 1, ...ids, at: iso(T0), sessionId, load });
const settings = { presenceGraceSeconds: 30, offlineRequeueSeconds: 120 };
const facts = (events: readonly AgentEvent[], seen: PresenceFacts['seen'], now: number): PresenceFacts =>
  ({ ...ids, state: fold(agentDecider, events), seen, now, watchedSince: T0 }) as PresenceFacts;

describe('presence policy', () => {
  const idle = [status('idle', 'offline', T0), attached('s1', 1), attached('s2', 2)];

  it('an agent with a socket stays as it is', () => {
    expect(presenceDecision(facts(idle, { connected: true }, T0 + 999_000), settings)).toEqual([]);
  });
  it('goes offline once no socket was seen for the grace, not before', () => {
    const gone = { connected: false, until: T0 + 10_000 } as const;
    expect(presenceDecision(facts(idle, gone, T0 + 39_999), settings)).toEqual([]);
    expect(presenceDecision(facts(idle, gone, T0 + 40_000), settings)).toEqual([
      { type: 'MarkAgentDisconnected', ...ids },
    ]);
  });
  it('an agent never seen counts from when it was first watched', () => {
    expect(presenceDecision(facts(idle, { connected: false }, T0 + 29_000), settings)).toEqual([]);
    expect(presenceDecision(facts(idle, { connected: false }, T0 + 30_000), settings)).toHaveLength(1);
  });
  it('requeues the sessions of an agent offline for the requeue time, whatever the reason', () => {
    const disconnected = [...idle, status('offline', 'idle', T0 + 40_000, 'disconnected')];
    const gone = { connected: false, until: T0 + 10_000 } as const;
    expect(presenceDecision(facts(disconnected, gone, T0 + 159_999), settings)).toEqual([]);
    const requeue = (sessionId: string) => ({
      type: 'RequeueSession',
      ...ids,
      sessionId,
      reason: 'agent_offline',
    });
    expect(presenceDecision(facts(disconnected, gone, T0 + 160_000), settings)).toEqual([requeue('s1'), requeue('s2')]);
    // Chosen offline with the console still open: the same clock.
    const chosen = [...idle, status('offline', 'idle', T0 + 5_000)];
    expect(presenceDecision(facts(chosen, { connected: true }, T0 + 124_999), settings)).toEqual([]);
    expect(presenceDecision(facts(chosen, { connected: true }, T0 + 125_000), settings)).toEqual([
      requeue('s1'),
      requeue('s2'),
    ]);
  });
  it('a socket seen while the status was lost to a disconnection brings the status back', () => {
    const lost = [...idle, status('offline', 'idle', T0 + 40_000, 'disconnected')];
    expect(presenceDecision(facts(lost, { connected: true }, T0 + 41_000), settings)).toEqual([
      { type: 'ResumeAgentStatus', ...ids },
    ]);
  });
});
