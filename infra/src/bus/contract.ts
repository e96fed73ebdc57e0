// The one contract both bus adapters pass. Topic and group names are unique per test, so a
// shared Kafka broker holds nothing a test did not write itself.
import type { Bus, BusMessage, DeliveredMessage } from './port';

export interface BusFixture {
  readonly bus: Bus;
  dispose(): Promise<void>;
}

interface Collector {
  readonly received: DeliveredMessage[];
  readonly handle: (message: DeliveredMessage) => Promise<void>;
  /** Resolves once `count` messages arrived in all (rejects after the timeout). */
  readonly until: (count: number, timeoutMs?: number) => Promise<DeliveredMessage[]>;
}

const collector = (onMessage: (m: DeliveredMessage) => Promise<void> = async () => undefined): Collector => {
  const received: DeliveredMessage[] = [];
  let check = (): void => undefined;
  return {
    received,
    handle: async (message) => {
      await onMessage(message);
      received.push(message);
      check();
    },
    until: (count, timeoutMs = 30_000) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`received ${received.length} of ${count} messages: ${values(received).join(',')}`)),
          timeoutMs,
        );
        check = () => {
          if (received.length >= count) {
            clearTimeout(timer);
            resolve(received);
          }
        };
        check();
      }),
  };
};

const values = (messages: readonly { value: string }[]): string[] => messages.map((m) => m.value);

interface BatchCollector {
  /** Every batch the handler completed, in order. */
  readonly batches: (readonly DeliveredMessage[])[];
  readonly received: () => DeliveredMessage[];
  readonly handleBatch: (messages: readonly DeliveredMessage[]) => Promise<void>;
  readonly until: (count: number, timeoutMs?: number) => Promise<DeliveredMessage[]>;
}

const batchCollector = (
  onBatch: (messages: readonly DeliveredMessage[]) => Promise<void> = async () => undefined,
): BatchCollector => {
  const batches: (readonly DeliveredMessage[])[] = [];
  const received = (): DeliveredMessage[] => batches.flat();
  let check = (): void => undefined;
  return {
    batches,
    received,
    handleBatch: async (messages) => {
      await onBatch(messages);
      batches.push(messages);
      check();
    },
    until: (count, timeoutMs = 30_000) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(new Error(`received ${received().length} of ${count} messages: ${values(received()).join(',')}`)),
          timeoutMs,
        );
        check = () => {
          if (received().length >= count) {
            clearTimeout(timer);
            resolve(received());
          }
        };
        check();
      }),
  };
};
const numbered = (key: string, from: number, to: number): BusMessage[] =>
  Array.from({ length: to - from + 1 }, (_, i) => ({ key, value: String(from + i) }));
const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export const busContract = (open: () => Promise<BusFixture>): void => {
  let fixture: BusFixture;
  let bus: Bus;
  let topic: string;
  let group: string;
  let tests = 0;

  beforeEach(async () => {
    fixture = await open();
    bus = fixture.bus;
    const unique = `${Date.now().toString(36)}-${++tests}`;
    topic = `contract-${unique}`;
    group = `group-${unique}`;
  });
  afterEach(() => fixture.dispose());

  it('keeps the order of each key across batches, and delivers every message once', async () => {
    const keys = ['session-a', 'session-b', 'queue-c', 'agent-d'];
    for (let round = 0; round < 5; round++) {
      await bus.publish(
        topic,
        Array.from({ length: 20 }, (_, i) => ({
          key: keys[i % 4]!,
          value: `${keys[i % 4]}:${round * 5 + Math.floor(i / 4)}`,
        })),
      );
    }
    const inbox = collector();
    const consumer = await bus.consume({ topic, groupId: group, handle: inbox.handle });
    const received = await inbox.until(100);
    await consumer.stop();
    expect(new Set(values(received)).size).toBe(100);
    for (const key of keys) {
      const sequence = received.filter((m) => m.key === key).map((m) => Number(m.value.split(':')[1]));
      expect(sequence).toEqual(Array.from({ length: 25 }, (_, i) => i));
    }
    const headersKept = collector();
    await bus.publish(topic, [{ key: 'k', value: 'with-headers', headers: { 'event-type': 'MessagePosted' } }]);
    const again = await bus.consume({ topic, groupId: group, handle: headersKept.handle });
    const [withHeaders] = await headersKept.until(1);
    await again.stop();
    expect(withHeaders).toMatchObject({ value: 'with-headers', headers: { 'event-type': 'MessagePosted' } });
  });

  it('loses nothing across a consumer restart: the next consumer of the group goes on after the commits', async () => {
    await bus.publish(topic, numbered('k', 1, 5));
    const first = collector();
    const consumer = await bus.consume({ topic, groupId: group, handle: first.handle });
    await first.until(5);
    await consumer.stop();

    await bus.publish(topic, numbered('k', 6, 10));
    const second = collector();
    const next = await bus.consume({ topic, groupId: group, handle: second.handle });
    await second.until(5);
    await pause(300);
    await next.stop();
    expect(values(second.received)).toEqual(['6', '7', '8', '9', '10']);
  });

  it('redelivers a message whose consumer died in its handler, before committing', async () => {
    await bus.publish(topic, numbered('k', 1, 6));
    let stuck!: () => void;
    const reachedThree = new Promise<void>((resolve) => (stuck = resolve));
    const dying = collector(async (m) => {
      if (m.value === '3') {
        stuck();
        await new Promise(() => undefined); // never finishes: the process "dies" here
      }
    });
    const consumer = await bus.consume({ topic, groupId: group, handle: dying.handle, stopGraceMs: 100 });
    await reachedThree;
    await consumer.stop();
    expect(values(dying.received)).toEqual(['1', '2']);

    const survivor = collector();
    const next = await bus.consume({ topic, groupId: group, handle: survivor.handle });
    await survivor.until(4);
    await next.stop();
    expect(values(survivor.received)).toEqual(['3', '4', '5', '6']);
  });

  it('retries a failing handler until it succeeds, without skipping or reordering', async () => {
    await bus.publish(topic, numbered('k', 1, 3));
    let failures = 0;
    const attempts: string[] = [];
    const inbox = collector(async (m) => {
      attempts.push(m.value);
      if (m.value === '2' && failures < 2) {
        failures += 1;
        throw new Error('projection database unavailable');
      }
    });
    const consumer = await bus.consume({ topic, groupId: group, handle: inbox.handle });
    await inbox.until(3);
    await consumer.stop();
    expect(values(inbox.received)).toEqual(['1', '2', '3']);
    expect(attempts).toEqual(['1', '2', '2', '2', '3']);
  });

  it('is heard from: after what it was given, and again while it waits for more (a gateway watches it)', async () => {
    const inbox = collector();
    const consumer = await bus.consume({ topic, groupId: group, handle: inbox.handle });
    const before = Date.now();
    await bus.publish(topic, numbered('k', 1, 1));
    await inbox.until(1);
    expect(consumer.lastHeardAt()).toBeGreaterThanOrEqual(before);
    // Nothing more comes; an idle consumer is heard from all the same (Kafka answers its long poll empty).
    const heard = consumer.lastHeardAt();
    const deadline = Date.now() + 10_000;
    while (consumer.lastHeardAt() <= heard && Date.now() < deadline) await pause(50);
    const idleHeard = consumer.lastHeardAt();
    await consumer.stop();
    expect(idleHeard).toBeGreaterThan(heard);
  });

  it('gives every consumer group every message (each gateway sees all events)', async () => {
    await bus.publish(topic, numbered('k', 1, 4));
    const a = collector();
    const b = collector();
    const consumers = await Promise.all([
      bus.consume({ topic, groupId: `${group}-a`, handle: a.handle }),
      bus.consume({ topic, groupId: `${group}-b`, handle: b.handle }),
    ]);
    await Promise.all([a.until(4), b.until(4)]);
    await Promise.all(consumers.map((c) => c.stop()));
    expect(values(a.received)).toEqual(['1', '2', '3', '4']);
    expect(values(b.received)).toEqual(['1', '2', '3', '4']);
  });
  it('hands a batch handler what is waiting, at most maxBatch at a time, each message once in order per key', async () => {
    const keys = ['session-a', 'session-b', 'queue-c', 'agent-d'];
    await bus.publish(
      topic,
      Array.from({ length: 40 }, (_, i) => ({ key: keys[i % 4]!, value: `${keys[i % 4]}:${Math.floor(i / 4)}` })),
    );
    const inbox = batchCollector();
    const consumer = await bus.consume({ topic, groupId: group, handleBatch: inbox.handleBatch, maxBatch: 7 });
    const received = await inbox.until(40);
    await consumer.stop();
    expect(new Set(values(received)).size).toBe(40);
    expect(Math.max(...inbox.batches.map((b) => b.length))).toBeLessThanOrEqual(7);
    // Messages published before the consumer came are waiting: they come several at a time.
    expect(inbox.batches.some((b) => b.length > 1)).toBe(true);
    for (const key of keys) {
      const sequence = received.filter((m) => m.key === key).map((m) => Number(m.value.split(':')[1]));
      expect(sequence).toEqual(Array.from({ length: 10 }, (_, i) => i));
    }
    for (const batch of inbox.batches) {
      // One partition per batch, offsets rising: a batch is a slice of one partition's log.
      expect(new Set(batch.map((m) => m.partition)).size).toBe(1);
      const offsets = batch.map((m) => m.offset);
      expect([...offsets].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))).toEqual(offsets);
    }
  });

  it('retries a failing batch as the same batch until it succeeds, then goes on', async () => {
    await bus.publish(topic, numbered('k', 1, 6));
    const attempts: string[][] = [];
    const inbox = batchCollector(async (batch) => {
      attempts.push(values(batch));
      if (attempts.length <= 2) throw new Error('projection database unavailable');
    });
    const consumer = await bus.consume({ topic, groupId: group, handleBatch: inbox.handleBatch, maxBatch: 4 });
    await inbox.until(6);
    await consumer.stop();
    expect(values(inbox.received())).toEqual(['1', '2', '3', '4', '5', '6']);
    expect(attempts[1]).toEqual(attempts[0]);
    expect(attempts[2]).toEqual(attempts[0]);
    expect(attempts.slice(2).flat()).toEqual(['1', '2', '3', '4', '5', '6']);
  });

  it('lets the batch in hand finish on stop() and commits it; a batch abandoned after the grace comes again whole', async () => {
    await bus.publish(topic, numbered('k', 1, 3));
    let inHand!: () => void;
    const started = new Promise<void>((resolve) => (inHand = resolve));
    let finish!: () => void;
    const gate = new Promise<void>((resolve) => (finish = resolve));
    const finishing = batchCollector(async () => {
      inHand();
      await gate;
    });
    const first = await bus.consume({ topic, groupId: group, handleBatch: finishing.handleBatch, maxBatch: 10 });
    await started;
    const stopping = first.stop();
    await pause(50);
    finish();
    await stopping;
    const done = values(finishing.received());
    expect(done.length).toBeGreaterThan(0);

    // The next one goes on after what the first one finished; it dies inside the batch holding 5.
    await bus.publish(topic, numbered('k', 4, 6));
    let stuck!: (batch: readonly DeliveredMessage[]) => void;
    const reachedFive = new Promise<readonly DeliveredMessage[]>((resolve) => (stuck = resolve));
    const dying = batchCollector(async (batch) => {
      if (values(batch).includes('5')) {
        stuck(batch);
        await new Promise(() => undefined); // never finishes: the process "dies" here
      }
    });
    const second = await bus.consume({
      topic,
      groupId: group,
      handleBatch: dying.handleBatch,
      maxBatch: 10,
      stopGraceMs: 100,
    });
    const abandoned = await reachedFive;
    await second.stop();
    const before = [...done, ...values(dying.received())];
    expect(before).toEqual(['1', '2', '3', '4', '5', '6'].slice(0, before.length));

    const survivor = batchCollector();
    const third = await bus.consume({ topic, groupId: group, handleBatch: survivor.handleBatch });
    await survivor.until(6 - before.length);
    await pause(300);
    await third.stop();
    expect([...before, ...values(survivor.received())]).toEqual(['1', '2', '3', '4', '5', '6']);
    expect(values(survivor.received()).slice(0, abandoned.length)).toEqual(values(abandoned));
  });
};
