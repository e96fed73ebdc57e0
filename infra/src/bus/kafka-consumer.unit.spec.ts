// The supervision of one Kafka group member (kafka-consumer.ts): when it re-creates the kafkajs
// consumer. What kafkajs does against a real broker is in kafka.int, kafka-outage.int and
// kafka-cluster.int; here a scripted stand-in for kafkajs's consumer plays the failures that a real
// broker only shows now and then (a consumer that joins and then hears nothing for good), so that
// the decisions are checked every run. It stands in for the client library, not for the broker.
import { EventEmitter } from 'node:events';
import type { Kafka } from 'kafkajs';
import { createLogger, type Logger } from '../logging';
import { SupervisedConsumer } from './kafka-consumer';

const EVENTS = { GROUP_JOIN: 'consumer.group_join', CRASH: 'consumer.crash', REQUEST: 'consumer.network.request' };

/** What each created consumer does once it runs: join, then fetch, heartbeat only, or nothing at all. */
type Behaviour = 'fetches' | 'heartbeats' | 'silent';

class ScriptedConsumer extends EventEmitter {
  readonly events = EVENTS;
  disconnected = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly behaviour: Behaviour) {
    super();
  }

  async connect(): Promise<void> {}
  async subscribe(): Promise<void> {}
  async run(): Promise<void> {
    setImmediate(() => {
      this.emit(EVENTS.GROUP_JOIN, { payload: { memberAssignment: { topic: [0] } } });
      if (this.behaviour === 'silent') return;
      const apiName = this.behaviour === 'fetches' ? 'Fetch' : 'Heartbeat';
      this.timer = setInterval(() => this.emit(EVENTS.REQUEST, { payload: { apiName } }), 20);
    });
  }
  async disconnect(): Promise<void> {
    this.disconnected = true;
    clearInterval(this.timer);
  }
  async commitOffsets(): Promise<void> {}
}

const lines: { msg: string; err?: { message?: string } }[] = [];
const logger: Logger = createLogger({
  level: 'warn',
  destination: { write: (line: string) => void lines.push(JSON.parse(line) as (typeof lines)[number]) },
});

const supervised = (behaviours: Behaviour[]) => {
  const created: ScriptedConsumer[] = [];
  const kafka = {
    consumer: () => {
      const consumer = new ScriptedConsumer(behaviours[Math.min(created.length, behaviours.length - 1)]!);
      created.push(consumer);
      return consumer;
    },
  } as unknown as Kafka;
  const consumer = new SupervisedConsumer({
    topic: 'topic',
    groupId: 'group',
    handle: async () => undefined,
    kafka,
    brokerTopic: 'topic',
    brokerGroupId: 'group',
    namespace: '',
    retry: { retries: 0 },
    logger,
    startOffsets: new Map(),
    stallMs: 300,
  });
  return { consumer, created };
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('SupervisedConsumer: the stall guard', () => {
  beforeEach(() => (lines.length = 0));

  it('re-creates a consumer that joined and then heard nothing (no fetch, no heartbeat) for stallMs', async () => {
    const { consumer, created } = supervised(['silent', 'fetches']);
    await consumer.start(5_000);
    try {
      await sleep(1_500);
      expect(created).toHaveLength(2);
      expect(created[0]!.disconnected).toBe(true);
      expect(created[1]!.disconnected).toBe(false);
      const crash = lines.find((l) => l.msg.includes('crashed; re-creating it'));
      expect(crash?.err?.message).toMatch(/no fetch or heartbeat answered .* \(stalled\)/);
      // The new one fetches: it is left alone.
      await sleep(800);
      expect(created).toHaveLength(2);
    } finally {
      await consumer.stop();
    }
  });

  it('leaves alone a member that fetches, and one the group gave no partition that only heartbeats', async () => {
    for (const behaviour of ['fetches', 'heartbeats'] as const) {
      const { consumer, created } = supervised([behaviour]);
      await consumer.start(5_000);
      try {
        await sleep(1_200);
        expect(created).toHaveLength(1);
        expect(created[0]!.disconnected).toBe(false);
      } finally {
        await consumer.stop();
      }
    }
    expect(lines.filter((l) => l.msg.includes('crashed'))).toEqual([]);
  });

  it('keeps re-creating while every new consumer stays silent, and stops doing so once stopped', async () => {
    const { consumer, created } = supervised(['silent']);
    await consumer.start(5_000);
    await sleep(2_500);
    await consumer.stop();
    const made = created.length;
    expect(made).toBeGreaterThanOrEqual(3);
    // Every one replaced was disconnected: no member of the group is left behind in this process.
    expect(created.slice(0, -1).every((c) => c.disconnected)).toBe(true);
    await sleep(800);
    expect(created).toHaveLength(made);
    expect(created.every((c) => c.disconnected)).toBe(true);
  });
});
