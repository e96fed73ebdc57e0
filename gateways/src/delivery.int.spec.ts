// Delivery decides who gets a message from the session as it was when the message was posted, not
// as it is when the event arrives: a bus that was behind (the relay restarting, Kafka restarting,
// or only a few milliseconds of lag) must not drop a visitor's last words before leaving.
import type { Knex } from 'knex';
import { session } from '@cschat/domain';
import {
  createPgliteEventStore,
  createPgliteKnex,
  EVENTS_TOPIC,
  InProcessBus,
  silentLogger,
  toBusMessage,
  type Directory,
  type SqlEventStore,
} from '@cschat/infra';
import { Delivery } from './delivery';
import { LocalSignals, publishSignal, SIGNAL_TTL_MS } from './signals';
import type { ServerFrame } from './ws/frames';

const directory: Directory = {
  settings: async () => ({ inactivityTimeoutSeconds: 900, presenceGraceSeconds: 30, offlineRequeueSeconds: 120 }),
  hoursOfGroup: async () => ({}),
  agent: async () => undefined,
  agentsOfGroup: async () => [],
  groupExists: async () => true,
};

describe('delivery of a message that arrives after its session changed', () => {
  let knex: Knex;
  let store: SqlEventStore;
  let bus: InProcessBus;
  let delivery: Delivery;
  const pushed: { to: string; frame: ServerFrame }[] = [];

  beforeAll(async () => {
    knex = createPgliteKnex();
    store = createPgliteEventStore({ knex, schema: 'delivery' });
    await store.start();
    bus = new InProcessBus(silentLogger());
    await bus.start();
    delivery = new Delivery({
      bus,
      store,
      readModels: knex,
      readModelSchema: 'read_models',
      directory,
      push: {
        toVisitor: (_companyId, visitorId, frame) => pushed.push({ to: visitorId, frame }),
        toAgent: (_companyId, agentId, frame) => pushed.push({ to: agentId, frame }),
      },
      logger: silentLogger(),
      instanceId: 'test',
      listChangesTopic: 'lists',
    });
    await delivery.start();
  });
  afterAll(async () => {
    await delivery.stop();
    await bus.stop();
    await store.stop();
    await knex.destroy();
  });

  it('pushes the visitor message to the agent who held the session then, although it has ended since', async () => {
    const at = '2026-11-25T10:00:00.000Z';
    const base = { v: 1, companyId: 'acme', sessionId: 's1', at };
    const stream = session.sessionStream('acme', 's1');
    await store.append(
      stream,
      [
        { type: 'SessionStarted', data: { ...base, visitorId: 'v1', channel: 'web', groupId: 'support' } },
        { type: 'HumanRequested', data: { ...base, groupId: 'support' } },
        { type: 'SessionAssigned', data: { ...base, agentId: 'alice', groupId: 'support' } },
        {
          type: 'MessagePosted',
          data: { ...base, messageId: 'm1', from: { role: 'visitor', id: 'v1' }, text: 'bye', clientMsgId: 'c1' },
        },
        { type: 'SessionEnded', data: { ...base, reason: 'visitor', agentId: 'alice', groupId: 'support' } },
      ],
      'no_stream',
    );
    // The message event reaches the gateway only now, after the session's end was appended.
    const posted = (await store.readStream(stream)).find((e) => e.type === 'MessagePosted')!;
    await bus.publish(EVENTS_TOPIC, [toBusMessage(posted)]);
    await bus.drained?.(EVENTS_TOPIC);
    for (let i = 0; i < 100 && pushed.length < 2; i++) await new Promise((resolve) => setTimeout(resolve, 10));

    expect(pushed.map((p) => [p.to, p.frame.type, (p.frame as { messageId?: string }).messageId])).toEqual([
      ['v1', 'message', 'm1'],
      ['alice', 'message', 'm1'],
    ]);
  });

  it("carries the bot's offered actions on its message (the widget shows them as buttons)", async () => {
    const base = { v: 1, companyId: 'acme', sessionId: 's2', at: '2026-11-25T10:00:00.000Z' };
    const stream = session.sessionStream('acme', 's2');
    const actions = [{ type: 'session.end', label: 'End chat' }];
    await store.append(
      stream,
      [
        { type: 'SessionStarted', data: { ...base, visitorId: 'v2', channel: 'web', groupId: 'support' } },
        {
          type: 'MessagePosted',
          data: {
            ...base,
            messageId: 'b1',
            from: { role: 'bot' },
            text: 'Anything else?',
            bot: { inReplyTo: 'm0', question: 'bye', outcome: 'end', confidence: 1, actions },
          },
        },
      ],
      'no_stream',
    );
    const posted = (await store.readStream(stream)).find((e) => e.type === 'MessagePosted')!;
    await bus.publish(EVENTS_TOPIC, [toBusMessage(posted)]);
    await bus.drained?.(EVENTS_TOPIC);
    const toV2 = () => pushed.find((p) => p.to === 'v2');
    for (let i = 0; i < 100 && toV2() === undefined; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(toV2()?.frame).toMatchObject({ type: 'message', messageId: 'b1', actions });
  });

  const settle = async (done: () => boolean) => {
    for (let i = 0; i < 200 && !done(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  };
  const deliverAll = async (stream: string, types: readonly string[]) => {
    const events = (await store.readStream(stream)).filter((e) => types.includes(e.type));
    await bus.publish(EVENTS_TOPIC, events.map(toBusMessage));
    await bus.drained?.(EVENTS_TOPIC);
  };

  it("asks the visitor for a rating on every gateway (csat.request), and keeps the server's own texts' failures from the agent", async () => {
    // A second gateway on the same bus: each consumes every event in a group of its own.
    const elsewhere: { to: string; frame: ServerFrame }[] = [];
    const other = new Delivery({
      bus,
      store,
      readModels: knex,
      readModelSchema: 'read_models',
      directory,
      push: {
        toVisitor: (_companyId, visitorId, frame) => elsewhere.push({ to: visitorId, frame }),
        toAgent: (_companyId, agentId, frame) => elsewhere.push({ to: agentId, frame }),
      },
      logger: silentLogger(),
      instanceId: 'other',
      listChangesTopic: 'lists',
    });
    await other.start();
    try {
      const base = { v: 1, companyId: 'acme', sessionId: 's-csat', at: '2026-11-25T10:00:00.000Z' };
      const stream = session.sessionStream('acme', 's-csat');
      await store.append(
        stream,
        [
          { type: 'SessionStarted', data: { ...base, visitorId: 'v-csat', channel: 'telegram', groupId: 'support' } },
          { type: 'HumanRequested', data: { ...base, groupId: 'support' } },
          { type: 'SessionAssigned', data: { ...base, agentId: 'carol', groupId: 'support' } },
          { type: 'SessionEnded', data: { ...base, reason: 'agent', agentId: 'carol', groupId: 'support' } },
          {
            type: 'CsatRequested',
            data: { ...base, visitorId: 'v-csat', channel: 'telegram', groupId: 'support', agentId: 'carol' },
          },
          { type: 'ChannelDeliveryRecorded', data: { ...base, messageId: 'csat-question', outcome: 'failed' } },
        ],
        'no_stream',
      );
      await deliverAll(stream, ['CsatRequested', 'ChannelDeliveryRecorded']);
      const asked = (list: { to: string; frame: ServerFrame }[]) =>
        list.filter((p) => p.frame.type === 'csat.request').map((p) => [p.to, p.frame]);
      await settle(() => asked(pushed).length > 0 && asked(elsewhere).length > 0);
      const frame = { type: 'csat.request', sessionId: 's-csat' };
      expect(asked(pushed)).toEqual([['v-csat', frame]]);
      expect(asked(elsewhere)).toEqual([['v-csat', frame]]);
      expect([...pushed, ...elsewhere].filter((p) => p.frame.type === 'message.failed')).toEqual([]);
    } finally {
      await other.stop();
    }
  });

  it('gives a note to agents only (the holder and its author, private), and read receipts to the other side', async () => {
    const base = { v: 1, companyId: 'acme', sessionId: 's3', at: '2026-11-25T10:00:00.000Z' };
    const stream = session.sessionStream('acme', 's3');
    await store.append(
      stream,
      [
        { type: 'SessionStarted', data: { ...base, visitorId: 'v3', channel: 'telegram', groupId: 'support' } },
        { type: 'HumanRequested', data: { ...base, groupId: 'support' } },
        { type: 'SessionAssigned', data: { ...base, agentId: 'alice', groupId: 'support' } },
        {
          type: 'NotePosted',
          data: { ...base, messageId: 'n1', from: { role: 'agent', id: 'boss' }, text: 'VIP', agentId: 'alice' },
        },
        { type: 'SessionRead', data: { ...base, agentId: 'alice', upTo: 'm1' } },
        { type: 'SessionReadByVisitor', data: { ...base, visitorId: 'v3', upTo: 'a1' } },
      ],
      'no_stream',
    );
    pushed.length = 0;
    await deliverAll(stream, ['NotePosted', 'SessionRead', 'SessionReadByVisitor']);
    await settle(() => pushed.length >= 4);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(pushed).toEqual([
      {
        to: 'alice',
        frame: {
          type: 'message',
          sessionId: 's3',
          messageId: 'n1',
          from: { role: 'agent', id: 'boss' },
          text: 'VIP',
          at: base.at,
          private: true,
        },
      },
      {
        to: 'boss',
        frame: expect.objectContaining({ type: 'message', messageId: 'n1', private: true }) as ServerFrame,
      },
      { to: 'v3', frame: { type: 'message.read', sessionId: 's3', upTo: 'm1', at: base.at } },
      { to: 'alice', frame: { type: 'message.read', sessionId: 's3', upTo: 'a1', at: base.at } },
    ]);
  });

  it('passes a typing signal to the sockets of every gateway, and drops one that comes too late', async () => {
    const other: { to: string; frame: ServerFrame }[] = [];
    const gatewayB = new Delivery({
      bus,
      store,
      readModels: knex,
      readModelSchema: 'read_models',
      directory,
      push: {
        toVisitor: (_companyId, visitorId, frame) => other.push({ to: visitorId, frame }),
        toAgent: (_companyId, agentId, frame) => other.push({ to: agentId, frame }),
      },
      logger: silentLogger(),
      instanceId: 'test-b',
      listChangesTopic: 'lists',
    });
    await gatewayB.start();
    try {
      pushed.length = 0;
      const signal = {
        kind: 'typing',
        companyId: 'acme',
        sessionId: 's3',
        to: { role: 'agent', id: 'alice' },
        from: { role: 'visitor' },
        typing: true,
      } as const;
      await publishSignal(bus, { ...signal, sentAt: Date.now() - SIGNAL_TTL_MS - 1_000 });
      await publishSignal(bus, { ...signal, typing: false, sentAt: Date.now() });
      const frame = { type: 'typing', sessionId: 's3', from: { role: 'visitor' }, typing: false };
      await settle(() => pushed.length >= 1 && other.length >= 1);
      await new Promise((resolve) => setTimeout(resolve, 50));
      // Both gateways push to the sockets they hold of the addressee; the stale one is nowhere.
      expect(pushed).toEqual([{ to: 'alice', frame }]);
      expect(other).toEqual([{ to: 'alice', frame }]);
    } finally {
      await gatewayB.stop();
    }
  });

  it('in one process, passes typing to the subscribed gateway without the bus', async () => {
    const signals = new LocalSignals();
    const got: { to: string; frame: ServerFrame }[] = [];
    const local = new Delivery({
      bus,
      store,
      readModels: knex,
      readModelSchema: 'read_models',
      directory,
      push: {
        toVisitor: (_companyId, visitorId, frame) => got.push({ to: visitorId, frame }),
        toAgent: (_companyId, agentId, frame) => got.push({ to: agentId, frame }),
      },
      logger: silentLogger(),
      instanceId: 'test-local',
      listChangesTopic: 'lists',
      signals,
    });
    await local.start();
    await signals.publish({
      kind: 'typing',
      companyId: 'acme',
      sessionId: 's3',
      to: { role: 'visitor', id: 'v3' },
      from: { role: 'agent', id: 'alice' },
      typing: true,
      sentAt: Date.now(),
    });
    await local.stop();
    await signals.publish({
      kind: 'typing',
      companyId: 'acme',
      sessionId: 's3',
      to: { role: 'visitor', id: 'v3' },
      from: { role: 'agent', id: 'alice' },
      typing: false,
      sentAt: Date.now(),
    });
    expect(got).toEqual([
      { to: 'v3', frame: { type: 'typing', sessionId: 's3', from: { role: 'agent', id: 'alice' }, typing: true } },
    ]);
  });
});
