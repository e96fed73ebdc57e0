// The bus on Apache Kafka through kafkajs: an idempotent producer waiting for all in-sync
// replicas, and consumer groups that commit offsets explicitly after their handler succeeded.
// Through a broker outage publish() fails within seconds (its callers retry), and consumers wait
// it out or are re-created when kafkajs gives up on them: either way they resume within seconds
// of the broker answering again (kafka-consumer.ts).
import { Kafka, logLevel, Partitioners, type Admin, type LogEntry, type Producer, type RetryOptions } from 'kafkajs';
import { silentLogger, type Logger } from '../logging';
import { SupervisedConsumer } from './kafka-consumer';
import { fixKafkajsStoppedRunnerFetch } from './kafkajs-fix';
import type { Bus, BusMessage, ConsumeOptions, Consumer } from './port';

export interface KafkaBusOptions {
  readonly brokers: readonly string[];
  readonly clientId?: string;
  /** Partitions of topics this bus creates; one key always maps to one partition. */
  readonly partitions?: number;
  /**
   * Replicas of each partition of the topics this bus creates; default: the brokers'
   * default.replication.factor. Publishing waits for every in-sync replica (acks all), so with
   * the brokers' min.insync.replicas a publish is acknowledged only once that many have it.
   */
  readonly replicationFactor?: number;
  readonly logger?: Logger;
  /** Prefixed to every topic and consumer group, so that several deployments share a cluster. */
  readonly namespace?: string;
  /** How long consume() waits for the consumer to join its group (ms). */
  readonly joinTimeoutMs?: number;
  /**
   * How often a consumer's client retries one operation before the consumer crashes (and is
   * re-created). Default: without end, so that a consumer waits out an outage of any length and
   * keeps its place in its group (kafkajs still gives up on one that has no broker left at all:
   * it is re-created). Tests set it low to see the crashes.
   */
  readonly consumerRetries?: number;
}

/**
 * kafkajs's backoff between two tries of one operation: from 100 ms, doubling, never above a
 * second, so that nothing waits more than about a second once the broker answers again (kafkajs's
 * defaults grow to 30 s, and its restart of a crashed consumer waits as long as the last try did).
 */
const BACKOFF = { initialRetryTime: 100, maxRetryTime: 1_000, multiplier: 2, factor: 0.2 } as const;
/**
 * Publishing gives up after 5 more tries (after 0.1, 0.2, 0.4, 0.8 and 1 s), so that publish()
 * fails while the broker is away (within about 5 s: a send and the lookups under it each give up
 * so) and its caller retries (the relay from its checkpoint, a handler with its backoff), rather
 * than holding it for as long as the outage lasts. A publish that failed may have been written
 * all the same: consumers are idempotent, duplicates are harmless.
 */
const PUBLISH_RETRY: RetryOptions = { ...BACKOFF, retries: 5 };
/** Requests that the broker took but does not answer count as failed after this long. */
const REQUEST_TIMEOUT_MS = 10_000;
/**
 * How long a broker waits for every in-sync replica to take a publish (acks all) before it answers
 * REQUEST_TIMED_OUT, which PUBLISH_RETRY retries. kafkajs's default, 30 s, is longer than
 * REQUEST_TIMEOUT_MS, so each try used to end by the client giving up after 10 s. A cluster that
 * lost the majority of its controllers (two of three brokers down) can neither take a write nor
 * drop the dead replica from the in-sync set: there a publish now fails after its tries (about
 * 30 s) and its caller retries, rather than waiting a minute.
 */
const ACK_TIMEOUT_MS = 5_000;

const PINO_LEVEL: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

export class KafkaBus implements Bus {
  /** The producer's and admin's client: gives up, so that publish() fails during an outage. */
  private readonly publishing: Kafka;
  /** The consumers' client: retries, by default for as long as the broker is away. */
  private readonly consuming: Kafka;
  private readonly consumerRetry: RetryOptions;
  private readonly logger: Logger;
  private producer: Producer | undefined;
  private admin: Admin | undefined;
  private renewing: Promise<void> | undefined;
  private readonly topics = new Map<string, Promise<void>>();
  private readonly consumers = new Set<Consumer>();

  constructor(private readonly options: KafkaBusOptions) {
    // kafkajs 2.2.4 lets a stopped consumer's fetcher spin and freeze the process (kafkajs-fix.ts).
    fixKafkajsStoppedRunnerFetch();
    this.logger = options.logger ?? silentLogger();
    const logger = this.logger.child({ component: 'kafkajs' });
    const client = (clientId: string, retry: RetryOptions) =>
      new Kafka({
        clientId,
        brokers: [...options.brokers],
        requestTimeout: REQUEST_TIMEOUT_MS,
        retry,
        logLevel: logLevel.WARN,
        logCreator:
          () =>
          ({ level, log }: LogEntry) => {
            const { message, ...rest } = log;
            logger[expected(message, rest) ? 'debug' : (PINO_LEVEL[level] ?? 'info')](rest, message);
          },
      });
    const clientId = options.clientId ?? 'cschat';
    // Two clients, because a client's retry settings also hold for the lookups (metadata, group
    // coordinator) made under a producer's or consumer's own retries: a lookup that gave up would
    // crash a consumer that should have waited, and one that never gives up would hold publish().
    this.publishing = client(clientId, PUBLISH_RETRY);
    this.consumerRetry = { ...BACKOFF, retries: options.consumerRetries ?? Number.MAX_SAFE_INTEGER };
    this.consuming = client(`${clientId}-consumer`, this.consumerRetry);
  }

  private newProducer(): Producer {
    return this.publishing.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
      retry: PUBLISH_RETRY,
    });
  }

  async start(): Promise<void> {
    if (this.producer !== undefined) return;
    const producer = this.newProducer();
    const admin = this.publishing.admin();
    await Promise.all([producer.connect(), admin.connect()]);
    this.producer = producer;
    this.admin = admin;
  }

  /**
   * Replaces a producer whose sequence numbers the broker no longer accepts: a new one gets a new
   * producer id and starts again at 0. The one it replaces is closed in the background.
   */
  private renewProducer(lost: Producer): Promise<void> {
    this.renewing ??= (async () => {
      const producer = this.newProducer();
      await producer.connect();
      if (this.producer !== lost) {
        await producer.disconnect();
        return;
      }
      this.producer = producer;
      this.logger.warn('Kafka producer replaced: the broker lost track of its sequence numbers');
      void lost.disconnect().catch(() => undefined);
    })().finally(() => (this.renewing = undefined));
    return this.renewing;
  }

  async stop(): Promise<void> {
    await Promise.all([...this.consumers].map((c) => c.stop()));
    const { producer, admin } = this;
    this.producer = undefined;
    this.admin = undefined;
    this.topics.clear();
    await Promise.all([producer?.disconnect(), admin?.disconnect()]);
  }

  private name(topicOrGroup: string): string {
    return `${this.options.namespace ?? ''}${topicOrGroup}`;
  }

  private ensureTopic(topic: string): Promise<void> {
    let created = this.topics.get(topic);
    if (created === undefined) {
      if (this.admin === undefined) throw new Error('Kafka bus used before start()');
      const admin = this.admin;
      const name = this.name(topic);
      created = admin
        .createTopics({
          topics: [
            {
              topic: name,
              numPartitions: this.options.partitions ?? 3,
              ...(this.options.replicationFactor === undefined
                ? {}
                : { replicationFactor: this.options.replicationFactor }),
            },
          ],
          waitForLeaders: true,
        })
        .then(async (createdHere) => {
          // Another process may have created it a moment ago: wait until its partitions have leaders.
          if (createdHere) return;
          for (let attempt = 0; ; attempt++) {
            const { topics } = await admin.fetchTopicMetadata({ topics: [name] });
            if (topics[0]?.partitions.every((p) => p.leader >= 0) === true || attempt >= 50) return;
            await new Promise((resolve) => setTimeout(resolve, 100));
          }
        });
      created.catch(() => this.topics.delete(topic));
      this.topics.set(topic, created);
    }
    return created;
  }

  /**
   * Where a group that starts at the newest messages starts, for the partitions it has no
   * committed offset of: the ends of those partitions now.
   */
  private async newestOffsets(topic: string, groupId: string): Promise<Map<number, string>> {
    const admin = this.admin!;
    const name = this.name(topic);
    const [committed] = await whileRetriable(() => admin.fetchOffsets({ groupId: this.name(groupId), topics: [name] }));
    const missing = new Set(committed?.partitions.filter((p) => BigInt(p.offset) < 0n).map((p) => p.partition));
    if (missing.size === 0) return new Map();
    // A topic created a moment ago may have no leader yet ("not the leader for that topic-partition").
    const ends = await whileRetriable(() => admin.fetchTopicOffsets(name));
    return new Map(ends.filter((p) => missing.has(p.partition)).map((p) => [p.partition, p.offset]));
  }

  async publish(topic: string, messages: readonly BusMessage[]): Promise<void> {
    if (messages.length === 0) return;
    if (this.producer === undefined) throw new Error('Kafka bus used before start()');
    await this.ensureTopic(topic);
    const producer = this.producer;
    try {
      await producer.send({
        topic: this.name(topic),
        acks: -1,
        timeout: ACK_TIMEOUT_MS,
        messages: messages.map((m) => ({
          key: m.key,
          value: m.value,
          headers: { ...m.headers },
        })),
      });
    } catch (error) {
      // The caller retries (at least once); with this producer every retry would fail the same way.
      if (producerLost(error)) await this.renewProducer(producer).catch(() => undefined);
      throw error;
    }
  }

  async consume(options: ConsumeOptions): Promise<Consumer> {
    await this.ensureTopic(options.topic);
    const consumer = new SupervisedConsumer({
      ...options,
      kafka: this.consuming,
      brokerTopic: this.name(options.topic),
      brokerGroupId: this.name(options.groupId),
      namespace: this.options.namespace ?? '',
      retry: this.consumerRetry,
      logger: this.logger,
      startOffsets:
        options.fromBeginning === false ? await this.newestOffsets(options.topic, options.groupId) : new Map(),
    });
    // Resolves once the group has given this consumer its partitions: a consumer that starts at the
    // newest messages sees everything published after consume() returned. The timeout is well above
    // the session timeout: a restarted member may wait for its dead self to expire.
    await consumer.start(this.options.joinTimeoutMs ?? 60_000);
    const handle: Consumer = {
      stop: async () => {
        if (!this.consumers.delete(handle)) return;
        await consumer.stop();
      },
      lastHeardAt: () => consumer.lastHeardAt(),
    };
    this.consumers.add(handle);
    return handle;
  }
}

/**
 * Runs an admin request again while the broker answers with an error it calls retriable (a new
 * partition without its leader yet, a leader moving), at most for a few seconds.
 */
const whileRetriable = async <T>(request: () => Promise<T>, attempts = 20): Promise<T> => {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await request();
    } catch (error) {
      const retriable = (error as { retriable?: unknown }).retriable === true;
      if (!retriable || attempt >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.min(100 * attempt, 500)));
    }
  }
};

/**
 * Answers after which kafkajs's idempotent producer never sends again: after a broker restart it
 * may count sequence numbers for batches the broker did not keep (kafkajs issue #598), and every
 * later send is refused as out of order. Only a new producer (a new producer id) gets out of it.
 */
const PRODUCER_LOST = new Set(['OUT_OF_ORDER_SEQUENCE_NUMBER', 'UNKNOWN_PRODUCER_ID', 'INVALID_PRODUCER_EPOCH']);

const producerLost = (error: unknown): boolean => {
  for (let e: unknown = error; e instanceof Error; e = (e as { cause?: unknown }).cause)
    if (PRODUCER_LOST.has((e as { type?: string }).type ?? '')) return true;
  return false;
};

/**
 * kafkajs's messages that say nothing is wrong here: the broker's answer when another process
 * created a topic first (ensureTopic expects it, and fails on its own when creating really failed),
 * and the warning that an idempotent producer with limited retries loses exactly-once delivery,
 * which this bus does not promise (at least once; see PUBLISH_RETRY).
 */
const expected = (message: string, rest: object): boolean =>
  `${message} ${JSON.stringify(rest)}`.includes('Topic creation errors') ||
  message.startsWith('Limiting retries for the idempotent producer');
