// A broker outage longer than kafkajs's default retries last (20 s; they give up after about 10 s):
// the consumers and the relay resume within seconds of the broker answering again, and nothing
// that was acknowledged is lost. Consumers crash when the broker goes (kafkajs gives up on a
// consumer that has no broker left); those of the second bus surely do (their client gives up
// after 3 retries), to show that a crashed consumer is re-created and goes on where it was, also
// one that started at the newest messages. The broker is the suite's own
// (test-support/kafka-broker.ts): stopping it disturbs no other suite.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { isRight } from 'fp-ts/Either';
import type { Knex } from 'knex';
import { startKafkaBroker, type KafkaBroker } from '../../../test-support/kafka-broker';
import { describeWithServer } from '../../../test-support/servers';
import { waitFor } from '../../../test-support/wait';
import { createPgliteEventStore, createPgliteKnex, type SqlEventStore } from '../event-store';
import { createLogger, type Logger } from '../logging';
import { SqlCheckpointStore } from '../relay/checkpoints';
import { fromBusMessage } from '../relay/envelope';
import { Relay } from '../relay/relay';
import { KafkaBus } from './kafka';
import type { Consumer, DeliveredMessage } from './port';

const OUTAGE_MS = 20_000;
/** How soon after the broker answers again the consumers have the new messages. */
const RESUMED_WITHIN_MS = 10_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface LogLine {
  readonly msg: string;
  readonly group?: string;
  readonly sinceCrashMs?: number;
}

const capturingLogger = (lines: LogLine[]): Logger =>
  createLogger({
    level: 'info',
    destination: { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) },
  });

describeWithServer('kafka', 'Kafka bus through a broker outage', () => {
  jest.setTimeout(150_000);
  const folder = mkdtempSync(path.join(tmpdir(), 'cschat-kafka-outage-'));
  const namespace = `outage${Date.now().toString(36)}.`;
  const logged: LogLine[] = [];
  const crashingLogged: LogLine[] = [];
  let broker: KafkaBroker | undefined;
  let bus: KafkaBus | undefined;
  let crashingBus: KafkaBus | undefined;
  let knex: Knex | undefined;
  let store: SqlEventStore | undefined;
  let relay: Relay | undefined;

  beforeAll(async () => {
    broker = await startKafkaBroker(path.join(folder, 'kafka'));
    bus = new KafkaBus({
      brokers: [broker.brokers],
      clientId: 'outage-test',
      namespace,
      logger: capturingLogger(logged),
    });
    crashingBus = new KafkaBus({
      brokers: [broker.brokers],
      clientId: 'outage-test-crashing',
      namespace,
      logger: capturingLogger(crashingLogged),
      consumerRetries: 3,
    });
    await Promise.all([bus.start(), crashingBus.start()]);
    knex = createPgliteKnex();
    store = createPgliteEventStore({ knex });
    await store.start();
  }, 150_000);

  afterAll(async () => {
    await relay?.stop();
    await Promise.all([bus?.stop(), crashingBus?.stop()]);
    await store?.stop();
    await knex?.destroy();
    await broker?.stop();
    rmSync(folder, { recursive: true, force: true });
  }, 60_000);

  it('resumes consuming and relaying within seconds of the broker answering again, losing nothing acknowledged', async () => {
    const topic = 'outage';
    const inbox = (received: string[]) => async (m: DeliveredMessage) => void received.push(m.value);
    const [steady, recreated, newest, stopped, relayed] = [[], [], [], [], []] as string[][];
    const consumers: Consumer[] = await Promise.all([
      bus!.consume({ topic, groupId: 'steady', handle: inbox(steady!) }),
      crashingBus!.consume({ topic, groupId: 'recreated', handle: inbox(recreated!) }),
      crashingBus!.consume({ topic, groupId: 'newest', fromBeginning: false, handle: inbox(newest!) }),
      bus!.consume({
        topic: 'outage-events',
        groupId: 'relayed',
        handle: async (m) => {
          const event = fromBusMessage(m.value);
          if (isRight(event)) relayed!.push(event.right.eventId);
        },
      }),
    ]);
    const stoppedConsumer = await bus!.consume({ topic, groupId: 'stopped', handle: inbox(stopped!) });
    relay = new Relay({
      store: store!,
      bus: bus!,
      checkpoints: new SqlCheckpointStore(knex!, 'relay'),
      logger: capturingLogger(logged),
      topic: 'outage-events',
    });
    relay.start();

    const acked: string[] = [];
    const appended: string[] = [];
    const publish = async (...values: string[]) => {
      await bus!.publish(
        topic,
        values.map((value, n) => ({ key: `k-${n}`, value })),
      );
      acked.push(...values);
    };
    let streams = 0;
    const append = async () => {
      const stream = `session-outage-${++streams}`;
      await store!.append(stream, [{ type: 'Tested', data: {} }], 'no_stream');
      appended.push(...(await store!.readStream(stream)).map((e) => e.eventId));
    };
    const hasAll = (received: readonly string[], expected: readonly string[]) =>
      expected.every((value) => received.includes(value));

    // One key, so one partition: the others have no offset committed for 'newest' when the broker goes.
    for (const n of [1, 2, 3]) await publish(`before-${n}`);
    await append();
    await waitFor('the messages before the outage', async () =>
      [steady!, recreated!, newest!, stopped!].every((received) => hasAll(received, acked)) &&
      hasAll(relayed!, appended)
        ? true
        : undefined,
    );

    await broker!.stop();
    const downAt = Date.now();
    const steadyConsumer = consumers[0]!;
    // publish() fails while the broker is away, soon enough for its caller to retry.
    const failedAfterMs = await publish('during').then(
      () => undefined,
      () => Date.now() - downAt,
    );
    await append(); // the relay keeps trying to publish it
    await waitFor('the crashing consumer to crash', async () =>
      crashingLogged.some((l) => l.msg.includes('crashed; re-creating')) ? true : undefined,
    );
    // A consumer stopped during the outage stops (without waiting for the broker) and stays stopped.
    const stopAt = Date.now();
    await stoppedConsumer.stop();
    const stopMs = Date.now() - stopAt;
    const stoppedHad = stopped!.length;
    await sleep(Math.max(0, downAt + OUTAGE_MS - Date.now()));
    // Nothing was heard from the broker while it was away (a gateway's watchdog counts that silence).
    const heardDuringOutage = steadyConsumer.lastHeardAt();

    await broker!.start();
    const backAt = Date.now();
    // Six keys: on every partition, before the re-created consumers are back in their groups.
    const after = Array.from({ length: 6 }, (_, n) => `after-${n}`);
    for (let tries = 0; ; tries++) {
      try {
        await publish(...after);
        break;
      } catch (error) {
        if (tries >= 3) throw error;
      }
    }
    await append();
    const arrival = (what: string, received: string[], expected: string[]) =>
      waitFor(what, async () => (hasAll(received, expected) ? Date.now() - backAt : undefined), 60_000);
    const [steadyMs, recreatedMs, newestMs, relayedMs] = await Promise.all([
      arrival('the consumer of the first bus', steady!, acked),
      arrival('the re-created consumer', recreated!, acked),
      arrival('the re-created consumer of the newest messages', newest!, acked),
      arrival('the relayed events', relayed!, appended),
    ]);
    // ... and it is heard from again once the broker answers.
    const heardAgain = await waitFor('the consumer to hear from the broker again', async () =>
      steadyConsumer.lastHeardAt() > backAt ? true : undefined,
    );
    await Promise.all(consumers.map((c) => c.stop()));
    process.stdout.write(
      `broker away ${backAt - downAt} ms (publish failed after ${failedAfterMs} ms); after it answered: ` +
        `consumer ${steadyMs} ms, re-created consumers ${recreatedMs} and ${newestMs} ms, relay ${relayedMs} ms; ` +
        `a stop during the outage took ${stopMs} ms\n`,
    );

    expect(failedAfterMs).toBeLessThan(10_000);
    expect(heardDuringOutage).toBeLessThanOrEqual(downAt);
    expect(heardAgain).toBe(true);
    const late = Object.entries({ steadyMs, recreatedMs, newestMs, relayedMs }).filter(
      ([, ms]) => ms >= RESUMED_WITHIN_MS,
    );
    expect(late).toEqual([]);
    expect(stopMs).toBeLessThan(10_000);
    expect(stopped!.length).toBe(stoppedHad);
    // Nothing acknowledged lost (duplicates are allowed: at least once).
    for (const received of [steady!, recreated!, newest!]) expect(new Set(received)).toEqual(new Set(acked));
    expect(new Set(relayed)).toEqual(new Set(appended));
    // The crashing bus's consumers crashed and were re-created; each crash and return was logged.
    const rejoined = new Set(crashingLogged.filter((l) => l.msg.includes('re-created and back')).map((l) => l.group));
    expect(rejoined).toEqual(new Set(['recreated', 'newest']));
  });
});
