// The command handler against a real event store: retries on conflicts, never exceeds capacity.
import { isLeft, isRight } from 'fp-ts/Either';
import { agent, session, type IsoInstant } from '@cschat/domain';
import { VersionConflictError } from '../event-store/errors';
import type { EventStore } from '../event-store/port';
import { handleCommand, UndecodableEventError } from './handler';

const at = '2026-11-25T10:00:00.000Z' as IsoInstant;
const always = { hours: {}, timeoutSeconds: 600 };

/** Holds every stream read until `parties` reads are waiting, so that they all read the same revision. */
const barrierStore = (store: EventStore, parties: number): EventStore => {
  let waiting: (() => void)[] = [];
  return Object.assign(Object.create(store) as EventStore, {
    readStream: async (...args: Parameters<EventStore['readStream']>) => {
      const events = await store.readStream(...args);
      if (parties > 0) {
        await new Promise<void>((resolve) => {
          waiting.push(resolve);
          if (waiting.length === parties) {
            parties = 0;
            waiting.forEach((release) => release());
            waiting = [];
          }
        });
      }
      return events;
    },
  });
};

export interface StoreFixture {
  readonly store: EventStore;
  readonly dispose: () => Promise<void>;
}

export const commandHandlerContract = (open: () => Promise<StoreFixture>): void => {
  let store: EventStore;
  let dispose: () => Promise<void>;
  let n = 0;
  let companyId: string;

  beforeEach(async () => {
    ({ store, dispose } = await open());
    companyId = `co${Date.now().toString(36)}${++n}`;
  });
  afterEach(() => dispose());

  const openSession = async (sessionId: string) => {
    const result = await handleCommand(
      store,
      session.sessionAggregate,
      session.sessionStream(companyId, sessionId),
      {
        type: 'PostMessage',
        companyId,
        sessionId,
        at,
        messageId: `${sessionId}-m0`,
        from: { role: 'visitor', id: 'v1' },
        text: 'hello',
        origin: { visitorId: 'v1', channel: 'web', groupId: 'support' },
      } as session.SessionCommand,
      () => always,
    );
    expect(isRight(result)).toBe(true);
  };

  it('two concurrent commands on one stream both succeed, one of them after a retry', async () => {
    await openSession('s1');
    const racing = barrierStore(store, 2);
    const post = (messageId: string) =>
      handleCommand(
        racing,
        session.sessionAggregate,
        session.sessionStream(companyId, 's1'),
        {
          type: 'PostMessage',
          companyId,
          sessionId: 's1',
          at,
          messageId,
          from: { role: 'visitor', id: 'v1' },
          text: messageId,
        } as session.SessionCommand,
        () => always,
      );
    const results = await Promise.all([post('m1'), post('m2')]);
    const handled = results.map((r) => {
      if (isLeft(r)) throw new Error(r.left.message);
      return r.right;
    });
    expect(handled.map((h) => h.retries).sort()).toEqual([0, 1]);
    const texts = (await store.readStream(session.sessionStream(companyId, 's1'))).map((e) => e.data['text']);
    expect(texts.slice(2).sort()).toEqual(['m1', 'm2']); // after SessionStarted and 'hello'
  });

  it('two concurrent assignments that would exceed capacity leave exactly one attached', async () => {
    const stream = agent.agentStream(companyId, 'alice');
    await handleCommand(
      store,
      agent.agentAggregate,
      stream,
      { type: 'ChangeAgentStatus', companyId, agentId: 'alice', at, status: 'idle' } as agent.AgentCommand,
      () => undefined,
    );
    const racing = barrierStore(store, 2);
    const attach = (sessionId: string) =>
      handleCommand(
        racing,
        agent.agentAggregate,
        stream,
        { type: 'AttachSession', companyId, agentId: 'alice', at, sessionId, capacity: 1 } as agent.AgentCommand,
        () => undefined,
      );
    const results = await Promise.all([attach('s1'), attach('s2')]);
    expect(results.filter(isRight)).toHaveLength(1);
    const refused = results.filter(isLeft);
    expect(refused).toHaveLength(1);
    expect(refused[0]!.left.code).toBe('capacity_reached');
    const attached = (await store.readStream(stream)).filter((e) => e.type === 'SessionAttached');
    expect(attached).toHaveLength(1);
  });

  it('returns a domain error and appends nothing', async () => {
    const stream = session.sessionStream(companyId, 'missing');
    const result = await handleCommand(
      store,
      session.sessionAggregate,
      stream,
      { type: 'RequestHuman', companyId, sessionId: 'missing', at } as session.SessionCommand,
      () => always,
    );
    expect(isLeft(result) && result.left.code).toBe('session_not_found');
    expect(await store.readStream(stream)).toEqual([]);
  });

  it('gives up after the attempts it is allowed, with the version conflict', async () => {
    await openSession('s2');
    const racing = barrierStore(store, 2);
    const post = (messageId: string) =>
      handleCommand(
        racing,
        session.sessionAggregate,
        session.sessionStream(companyId, 's2'),
        {
          type: 'PostMessage',
          companyId,
          sessionId: 's2',
          at,
          messageId,
          from: { role: 'visitor', id: 'v1' },
          text: 'x',
        } as session.SessionCommand,
        () => always,
        { maxAttempts: 1 },
      );
    const results = await Promise.allSettled([post('m1'), post('m2')]);
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(failed).toHaveLength(1);
    expect(failed[0]!.reason).toBeInstanceOf(VersionConflictError);
  });

  describe('deciding on the state this process folded, which another process may have moved on', () => {
    /** Another process's append: straight to the store, past this process's folded state. */
    const appendElsewhere = async (sessionId: string, event: Record<string, unknown>) => {
      const stream = session.sessionStream(companyId, sessionId);
      const [last] = await store.readStream(stream, { direction: 'backwards', maxCount: 1 });
      const { type, ...data } = event;
      await store.append(
        stream,
        [{ type: type as string, data: { v: 1, companyId, sessionId, at, ...data } }],
        last!.revision,
      );
    };
    const post = (sessionId: string, messageId: string, from: object, clientMsgId?: string) =>
      handleCommand(
        store,
        session.sessionAggregate,
        session.sessionStream(companyId, sessionId),
        {
          type: 'PostMessage',
          companyId,
          sessionId,
          at,
          messageId,
          from,
          text: messageId,
          ...(clientMsgId === undefined ? {} : { clientMsgId }),
        } as session.SessionCommand,
        () => always,
      );

    it('an append on a state that is behind conflicts, and the retry decides on what it missed', async () => {
      await openSession('s3');
      const visitor = { role: 'visitor', id: 'v1' };
      await appendElsewhere('s3', {
        type: 'MessagePosted',
        messageId: 'm-other',
        from: visitor,
        text: 'x',
        clientMsgId: 'c1',
      });
      const resent = await post('s3', 'm-again', visitor, 'c1');
      expect(isLeft(resent) && resent.left.details).toEqual({ messageId: 'm-other' });
      const fresh = await post('s3', 'm-new', visitor, 'c2');
      expect(isRight(fresh) && fresh.right.retries).toBe(0);
      expect((await store.readStream(session.sessionStream(companyId, 's3'))).map((e) => e.data['messageId'])).toEqual([
        undefined,
        's3-m0',
        'm-other',
        'm-new',
      ]);
    });

    it('a refusal on a state that is behind is decided again on the stream as it is', async () => {
      await openSession('s4');
      await appendElsewhere('s4', { type: 'HumanRequested', groupId: 'support' });
      await appendElsewhere('s4', { type: 'SessionAssigned', agentId: 'alice', groupId: 'support' });
      const reply = await post('s4', 'm-alice', { role: 'agent', id: 'alice' });
      expect(isRight(reply)).toBe(true);
      expect(isRight(reply) && reply.right.events[0]).toMatchObject({ type: 'MessagePosted', agentId: 'alice' });
      const stranger = await post('s4', 'm-bob', { role: 'agent', id: 'bob' });
      expect(isLeft(stranger) && stranger.left.code).toBe('not_assigned_to_you');
    });
  });

  it('refuses to fold an event its aggregate cannot read', async () => {
    const stream = session.sessionStream(companyId, 'bad');
    await store.append(stream, [{ type: 'SessionStarted', data: { v: 1, companyId } }], 'no_stream');
    await expect(
      handleCommand(
        store,
        session.sessionAggregate,
        stream,
        { type: 'RequestHuman', companyId, sessionId: 'bad', at } as session.SessionCommand,
        () => always,
      ),
    ).rejects.toThrow(UndecodableEventError);
  });
};
