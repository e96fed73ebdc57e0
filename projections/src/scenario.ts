// A scripted day of a small support team, issued through the real command handler: used by the
// tests that compare live read models with rebuilt ones, and by the rebuild benchmark.
import { isLeft } from 'fp-ts/Either';
import { agent, queue, session, type IsoInstant } from '@cschat/domain';
import { comparePositions, handleCommand, type EventStore, type Position } from '@cschat/infra';

const ALWAYS_OPEN = { hours: {}, timeoutSeconds: 900 };

export interface ScenarioOptions {
  readonly companyId: string;
  readonly sessions: number;
  /** Number of the first session (s<n>), to continue an earlier run. */
  readonly firstSession?: number;
  /** The first instant; each step moves a second on. */
  readonly start?: string;
  readonly agents?: readonly string[];
  /**
   * Every session ends (a waiting visitor gives up, the others end after the chat): a history of
   * any length then keeps agents within capacity and the queue short. Default: some stay open.
   */
  readonly allEnd?: boolean;
}

/**
 * Visitors write, ask for humans, get assigned, chat, are read, transferred, and end. Returns the
 * position of the last event it wrote.
 */
export const runScenario = async (store: EventStore, options: ScenarioOptions): Promise<Position | undefined> => {
  let last: Position | undefined;
  const must = (result: Awaited<ReturnType<typeof handleCommand>>, what: string): void => {
    if (isLeft(result)) throw new Error(`${what}: ${result.left.code} ${result.left.message}`);
    const position = result.right.position;
    if (position !== undefined && (last === undefined || comparePositions(position, last) > 0)) last = position;
  };
  const { companyId } = options;
  const agents = options.agents ?? ['alice', 'bob'];
  let clock = Date.parse(options.start ?? '2026-11-25T09:00:00.000Z') + (options.firstSession ?? 0) * 20_000;
  const at = (): IsoInstant => new Date((clock += 1000)).toISOString() as IsoInstant;
  const onSession = (sessionId: string, command: Record<string, unknown>) =>
    handleCommand(
      store,
      session.sessionAggregate,
      session.sessionStream(companyId, sessionId),
      { companyId, sessionId, at: at(), ...command } as session.SessionCommand,
      () => ALWAYS_OPEN,
    );
  const onAgent = (agentId: string, command: Record<string, unknown>) =>
    handleCommand(
      store,
      agent.agentAggregate,
      agent.agentStream(companyId, agentId),
      { companyId, agentId, at: at(), ...command } as agent.AgentCommand,
      () => undefined,
    );
  const onQueue = (command: Record<string, unknown>) =>
    handleCommand(
      store,
      queue.queueAggregate,
      queue.queueStream(companyId, 'support'),
      { companyId, groupId: 'support', at: at(), ...command } as queue.QueueCommand,
      () => undefined,
    );

  for (const agentId of agents) must(await onAgent(agentId, { type: 'ChangeAgentStatus', status: 'idle' }), 'idle');

  const first = options.firstSession ?? 0;
  for (let i = first; i < first + options.sessions; i++) {
    const sessionId = `s${i}`;
    const visitor = { role: 'visitor', id: `v${i}` };
    const agentId = agents[i % agents.length]!;
    const other = agents[(i + 1) % agents.length]!;
    must(
      await onSession(sessionId, {
        type: 'PostMessage',
        messageId: `${sessionId}-m1`,
        clientMsgId: 'c1',
        from: visitor,
        text: `你好, I need help with order ${i}`,
        origin: { visitorId: `v${i}`, channel: i % 3 === 0 ? 'telegram' : 'web', groupId: 'support' },
      }),
      'first message',
    );
    must(
      await onSession(sessionId, {
        type: 'PostMessage',
        messageId: `${sessionId}-b1`,
        from: { role: 'bot' },
        text: 'Let me find someone.',
      }),
      'bot',
    );
    must(await onSession(sessionId, { type: 'RequestHuman' }), 'human');
    must(await onQueue({ type: 'JoinQueue', sessionId }), 'join');
    if (i % 5 === 4) {
      // Some wait in the queue (and, with allEnd, give up).
      if (options.allEnd === true) {
        must(await onSession(sessionId, { type: 'EndSession', by: visitor }), 'give up');
        must(await onQueue({ type: 'LeaveQueue', sessionId, reason: 'ended' }), 'leave ended');
      }
      continue;
    }
    must(await onAgent(agentId, { type: 'AttachSession', sessionId, capacity: 1000 }), 'attach');
    must(await onSession(sessionId, { type: 'AssignSession', agentId }), 'assign');
    must(await onQueue({ type: 'LeaveQueue', sessionId, reason: 'assigned' }), 'leave');
    must(await onSession(sessionId, { type: 'MarkSessionRead', agentId }), 'read');
    must(
      await onSession(sessionId, {
        type: 'PostMessage',
        messageId: `${sessionId}-a1`,
        from: { role: 'agent', id: agentId },
        text: 'Hello, how can I help?',
      }),
      'reply',
    );
    must(
      await onSession(sessionId, {
        type: 'PostMessage',
        messageId: `${sessionId}-m2`,
        from: visitor,
        text: 'My parcel is late',
      }),
      'second',
    );
    if (i % 4 === 1) {
      must(
        await onSession(sessionId, { type: 'TransferSession', byAgentId: agentId, to: { agentId: other } }),
        'transfer',
      );
      must(await onAgent(agentId, { type: 'DetachSession', sessionId, reason: 'transferred' }), 'detach');
      must(await onAgent(other, { type: 'AttachSession', sessionId, capacity: 1000 }), 'attach other');
    }
    if (i % 3 === 2 || options.allEnd === true) {
      const holder = i % 4 === 1 ? other : agentId;
      must(await onSession(sessionId, { type: 'EndSession', by: visitor }), 'end');
      must(await onAgent(holder, { type: 'DetachSession', sessionId, reason: 'ended' }), 'detach end');
    }
  }
  return last;
};
