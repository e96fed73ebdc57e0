// The bus on a three-broker cluster (KRaft, replication factor 3, min.insync.replicas 2), publishing
// as the service does (idempotent producer, acks all), while its brokers crash (SIGKILL):
// (a) the leader of a partition dies: publishing goes on after a leader election;
// (b) a second broker dies: the cluster refuses writes (no publish is acknowledged) rather than
//     acknowledging what one broker alone holds, and the relay keeps its checkpoint;
// (c) one broker comes back: publishing and relaying resume.
// After each, every acknowledged message is read exactly as it was published (at least once: a
// publish reported failed may have been written all the same). The cluster is the suite's own
// (test-support/kafka-cluster.ts), on free ports in a temporary folder.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { isRight } from 'fp-ts/Either';
import type { Knex } from 'knex';
import { startKafkaCluster, type KafkaCluster } from '../../../test-support/kafka-cluster';
import { describeWithServer } from '../../../test-support/servers';
import { waitFor } from '../../../test-support/wait';
import { createPgliteEventStore, createPgliteKnex, type SqlEventStore } from '../event-store';
import type { Position } from '../event-store/port';
import { createLogger, type Logger } from '../logging';
import { SqlCheckpointStore } from '../relay/checkpoints';
import { fromBusMessage } from '../relay/envelope';
import { Relay } from '../relay/relay';
import { Partitioners } from 'kafkajs';
import { KafkaBus } from './kafka';
import type { BusMessage, Consumer, DeliveredMessage } from './port';

const TOPIC = 'orders';
const EVENTS = 'cluster-events';
const PARTITIONS = [0, 1, 2] as const;
const KEYS = Array.from({ length: 12 }, (_, n) => `customer-${n}`);
/** Generous: three JVMs and the suite share two cores with other suites. */
const RECOVERY_MS = 120_000;

interface Attempt {
  readonly id: string;
  readonly key: string;
  readonly partition: number;
  readonly phase: string;
  readonly startedAt: number;
  /** 'acked', or the error publish() failed with. */
  outcome?: string;
  tookMs?: number;
}

interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly err?: { readonly type?: string; readonly message?: string };
}

const capturingLogger = (lines: LogLine[]): Logger =>
  createLogger({
    level: 'warn',
    destination: { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) },
  });

/** The error and its causes as "name[type]" (kafkajs wraps the broker's answer in retry errors). */
const errorChain = (error: unknown): string => {
  const parts: string[] = [];
  for (let e: unknown = error; e instanceof Error && parts.length < 4; e = (e as { cause?: unknown }).cause) {
    const type = (e as { type?: string }).type;
    parts.push(`${e.name}${type === undefined ? '' : `[${type}]`}`);
  }
  return parts.length > 0 ? parts.join(' <- ') : String(error);
};

const before = (a: Position, b: Position): boolean =>
  a.commit < b.commit || (a.commit === b.commit && a.prepare < b.prepare);

describeWithServer('kafka', 'Kafka bus on a three-broker cluster', () => {
  jest.setTimeout(2 * RECOVERY_MS + 60_000);
  const folder = mkdtempSync(path.join(tmpdir(), 'cschat-kafka-cluster-'));
  const logged: LogLine[] = [];
  let cluster: KafkaCluster | undefined;
  let bus: KafkaBus | undefined;
  let knex: Knex | undefined;
  let store: SqlEventStore | undefined;
  let relay: Relay | undefined;
  let checkpoints: SqlCheckpointStore | undefined;
  const consumers: Consumer[] = [];

  const published = new Map<string, BusMessage>();
  const attempts: Attempt[] = [];
  /** What the group that reads all along got (duplicates included). */
  const received: DeliveredMessage[] = [];
  const appended: { readonly eventId: string; readonly position: Position }[] = [];
  const partitionOf = new Map<string, number>();
  const report: string[] = [];
  /** The first node killed (the leader in (a)) and the second (in (b)). */
  const killed: number[] = [];

  beforeAll(async () => {
    cluster = await startKafkaCluster(path.join(folder, 'kafka'));
    step(`cluster up on ${cluster.brokers}`);
    bus = new KafkaBus({
      brokers: cluster.brokers.split(','),
      clientId: 'cluster-test',
      partitions: PARTITIONS.length,
      replicationFactor: 3,
      logger: capturingLogger(logged),
    });
    await bus.start();
    knex = createPgliteKnex();
    store = createPgliteEventStore({ knex });
    await store.start();
    checkpoints = new SqlCheckpointStore(knex, 'relay');
  }, 240_000);

  afterAll(async () => {
    const lines = new Map<string, number>();
    for (const l of logged) {
      const line = `${l.msg}${l.err?.type === undefined ? '' : ` [${l.err.type}]`}`;
      lines.set(line, (lines.get(line) ?? 0) + 1);
    }
    report.push(`log lines (warn and above) of the bus and relay:`, ...[...lines].map(([l, n]) => `  ${n}x ${l}`));
    process.stdout.write(`${report.join('\n')}\n`);
    // The clients first, while the cluster (two nodes at least, after (c)) still answers: a consumer
    // stopped with its brokers gone keeps retrying to leave its group until they answer, which would
    // keep this process alive after the suite.
    await relay?.stop();
    await Promise.all(consumers.map((c) => c.stop()));
    await bus?.stop();
    await cluster?.stop();
    await store?.stop();
    await knex?.destroy();
    rmSync(folder, { recursive: true, force: true });
  }, 60_000);

  let count = 0;
  /** One publish of one message per key; each message is an attempt with the publish's outcome. */
  const publishAll = async (keys: readonly string[], phase: string): Promise<Attempt[]> => {
    const startedAt = Date.now();
    const batch = keys.map((key) => {
      const id = `${phase}-${++count}`;
      // A random body: a message read back must be this one, byte for byte.
      const message: BusMessage = {
        key,
        value: JSON.stringify({ id, body: randomBytes(24).toString('base64') }),
        headers: { id, phase },
      };
      published.set(id, message);
      const attempt: Attempt = { id, key, partition: partitionOf.get(key) ?? -1, phase, startedAt };
      attempts.push(attempt);
      return { message, attempt };
    });
    let outcome = 'acked';
    try {
      await bus!.publish(
        TOPIC,
        batch.map((b) => b.message),
      );
    } catch (error) {
      outcome = errorChain(error);
    }
    for (const { attempt } of batch) Object.assign(attempt, { outcome, tookMs: Date.now() - startedAt });
    return batch.map((b) => b.attempt);
  };
  const publishOne = async (key: string, phase: string) => (await publishAll([key], phase))[0]!;

  /** One publisher per partition (a partition without a leader does not hold up the others). */
  const publishing = (phase: string) => {
    let running = true;
    const loops = PARTITIONS.map(async (partition) => {
      const keys = KEYS.filter((k) => partitionOf.get(k) === partition);
      for (let n = 0; running; n++) {
        await publishOne(keys[n % keys.length]!, phase);
        // A steady trickle, not a flood: thousands of messages a second only slow the reads down.
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    });
    return {
      stop: async () => {
        running = false;
        await Promise.all(loops);
      },
    };
  };

  const acked = () => attempts.filter((a) => a.outcome === 'acked').map((a) => a.id);
  const ackedAfter = (time: number, partition: number) =>
    attempts.some((a) => a.partition === partition && a.startedAt >= time && a.outcome === 'acked');

  /** Differences between what was read and what was published: none expected. */
  const damage = (messages: readonly DeliveredMessage[], ids: readonly string[]) => {
    const read = new Set(messages.map((m) => m.headers?.['id']));
    const altered = messages.filter((m) => {
      const sent = published.get(m.headers?.['id'] ?? '');
      return (
        sent === undefined ||
        sent.key !== m.key ||
        sent.value !== m.value ||
        sent.headers?.['phase'] !== m.headers?.['phase']
      );
    });
    return { missing: ids.filter((id) => !read.has(id)), altered: altered.map((m) => `${m.partition}@${m.offset}`) };
  };

  let streams = 0;
  const append = async () => {
    const stream = `session-cluster-${++streams}`;
    await store!.append(stream, [{ type: 'Tested', data: { n: streams } }], 'no_stream');
    const events = await store!.readStream(stream);
    appended.push(...events.map((e) => ({ eventId: e.eventId, position: e.position })));
    return events[events.length - 1]!.position;
  };

  const suiteStart = Date.now();
  const step = (what: string) => report.push(`  +${Math.round((Date.now() - suiteStart) / 1000)} s ${what}`);
  const summary = (phase: string, extra: string) => {
    const mine = attempts.filter((a) => a.phase === phase);
    const errors = new Map<string, number>();
    for (const a of mine) {
      const error = `${a.outcome!} (after ${a.tookMs} ms)`;
      if (a.outcome !== 'acked') errors.set(error, (errors.get(error) ?? 0) + 1);
    }
    report.push(
      `(${phase}) ${mine.length} publishes, ${mine.filter((a) => a.outcome === 'acked').length} acknowledged; ${extra}` +
        [...errors].map(([error, n]) => `\n      refused ${n}x: ${error}`).join(''),
    );
  };

  let audits = 0;
  /** What a new group reads from the topic's beginning, once it has what is expected (or the wait ran out). */
  const readAfresh = async (topic: string, complete: (messages: readonly DeliveredMessage[]) => boolean) => {
    const messages: DeliveredMessage[] = [];
    const consumer = await bus!.consume({
      topic,
      groupId: `audit-${++audits}`,
      handle: async (m) => void messages.push(m),
    });
    try {
      await waitFor(
        `a new group to read ${topic}`,
        async () => (complete(messages) ? true : undefined),
        RECOVERY_MS,
      ).catch(() => undefined);
    } finally {
      await consumer.stop();
    }
    return messages;
  };

  /** Every acknowledged message is on the brokers as it was published; every appended event was relayed. */
  const expectNothingLost = async (phase: string) => {
    const ids = acked();
    const read = await readAfresh(TOPIC, (messages) => damage(messages, ids).missing.length === 0);
    const found = damage(read, ids);
    if (found.missing.length > 0) report.push(`(${phase}) missing: ${found.missing.join(', ')}`);
    expect(found).toEqual({ missing: [], altered: [] });
    expect(read.filter((m) => m.partition !== partitionOf.get(m.key))).toEqual([]);
    const last = appended[appended.length - 1]!.position;
    await waitFor(
      'the relay to publish every appended event',
      async () => {
        const checkpoint = await checkpoints!.load('relay');
        return checkpoint !== undefined && !before(checkpoint, last) ? true : undefined;
      },
      RECOVERY_MS,
    );
    const eventIds = (messages: readonly DeliveredMessage[]) =>
      new Set(messages.map((m) => fromBusMessage(m.value)).flatMap((e) => (isRight(e) ? [e.right.eventId] : [])));
    const events = eventIds(
      await readAfresh(EVENTS, (messages) => appended.every((e) => eventIds(messages).has(e.eventId))),
    );
    expect(appended.filter((e) => !events.has(e.eventId))).toEqual([]);
    // The group that reads all along was running when the brokers crashed: it must catch up too. It
    // once stalled for good (kafkajs committed its offsets to a dead coordinator without end; the
    // consumer is now re-created when a commit hangs: kafka-consumer.ts).
    await waitFor(
      'the group reading all along to catch up',
      async () => (damage(received, ids).missing.length === 0 ? true : undefined),
      RECOVERY_MS,
    ).catch(() => undefined);
    const live = damage(received, ids).missing;
    report.push(`(${phase}) the group reading all along misses ${live.length} of ${ids.length} acknowledged messages`);
    expect(live).toEqual([]);
  };

  it('(a) goes on publishing when the leader of a partition dies, losing nothing acknowledged', async () => {
    consumers.push(await bus!.consume({ topic: TOPIC, groupId: 'reader', handle: async (m) => void received.push(m) }));
    relay = new Relay({
      store: store!,
      bus: bus!,
      checkpoints: checkpoints!,
      logger: capturingLogger(logged),
      topic: EVENTS,
    });
    relay.start();
    // Where each key goes: the producer's partitioner (checked against what is read, below).
    const partitioner = Partitioners.DefaultPartitioner();
    const partitionMetadata = PARTITIONS.map((p) => ({
      partitionErrorCode: 0,
      partitionId: p,
      leader: 1,
      replicas: [],
      isr: [],
    }));
    for (const key of KEYS)
      partitionOf.set(key, partitioner({ topic: TOPIC, partitionMetadata, message: { key, value: null } }));
    expect(new Set(partitionOf.values())).toEqual(new Set(PARTITIONS));

    const publishers = publishing('a');
    await waitFor('publishes on every partition', async () =>
      PARTITIONS.every((p) => ackedAfter(0, p)) ? true : undefined,
    );
    await append();
    const leader = await cluster!.leaderOf(TOPIC, 0);
    step('(a) killing the leader');
    await cluster!.kill(leader);
    killed.push(leader);
    const killedAt = Date.now();
    await append();
    // Publishes that began after the crash are acknowledged on every partition, the dead leader's too.
    await waitFor(
      'acknowledged publishes on every partition after the leader died',
      async () => (PARTITIONS.every((p) => ackedAfter(killedAt, p)) ? true : undefined),
      RECOVERY_MS,
    );
    const resumedMs = Date.now() - killedAt;
    await publishers.stop();
    const newLeader = await cluster!.leaderOf(TOPIC, 0);
    expect(newLeader).not.toBe(leader);
    expect(cluster!.running()).toHaveLength(2);

    summary(
      'a',
      `killed partition 0's leader (node ${leader}); new leader node ${newLeader}; every partition acknowledged again within ${resumedMs} ms`,
    );
    await expectNothingLost('a');
  });

  it('(b) refuses writes with a second broker down, and loses nothing acknowledged', async () => {
    expect(killed).toHaveLength(1);
    const second = cluster!.running().find((id) => id !== killed[0])!;
    const loggedBefore = logged.length;
    step('(b) killing a second broker');
    await cluster!.kill(second);
    killed.push(second);
    const killedAt = Date.now();
    // One broker of three is no majority of the controllers and fewer than min.insync.replicas:
    // no publish that began after the crash may be acknowledged, on any partition.
    const position = await append();
    // One publish with a message for each partition: the producer's requests to one broker go one
    // at a time, and each refused one takes its tries (about 30 s).
    const tries = await publishAll(
      PARTITIONS.map((p) => KEYS.find((k) => partitionOf.get(k) === p)!),
      'b',
    );
    expect(tries.filter((a) => a.outcome === 'acked')).toEqual([]);
    // The relay could not publish the event appended meanwhile: it failed, and kept its checkpoint.
    await waitFor(
      'the relay to fail',
      async () => (logged.slice(loggedBefore).some((l) => l.msg.startsWith('relay failed')) ? true : undefined),
      RECOVERY_MS,
    );
    const checkpoint = await checkpoints!.load('relay');
    expect(checkpoint !== undefined && before(checkpoint, position)).toBe(true);
    summary(
      'b',
      `killed node ${second} ${Date.now() - killedAt} ms ago; nodes running: ${cluster!.running().join(', ')}`,
    );
  });

  it('(c) resumes publishing and relaying once one broker is back, with every acknowledged message there', async () => {
    expect(killed).toHaveLength(2);
    // The first one killed: its replicas are the furthest behind, and it must catch up to count.
    const back = killed[0]!;
    step('(c) starting a broker again');
    await cluster!.start(back);
    step('(c) it answers');
    const startedAt = Date.now();
    const publishers = publishing('c');
    await waitFor(
      'acknowledged publishes on every partition after a broker came back',
      async () => (PARTITIONS.every((p) => ackedAfter(startedAt, p)) ? true : undefined),
      RECOVERY_MS,
    );
    const resumedMs = Date.now() - startedAt;
    await publishers.stop();
    summary('c', `started node ${back} again; every partition acknowledged again within ${resumedMs} ms`);
    await append();
    await expectNothingLost('c');
  });
});
