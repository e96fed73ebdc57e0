// The bus on Apache Kafka through kafkajs: an idempotent producer waiting for all in-sync
// replicas, and consumer groups that commit offsets explicitly after their handler succeeded.
import {
  Kafka,
  logLevel,
  Partitioners,
  type Admin,
  type Consumer as KafkaConsumer,
  type EachBatchPayload,
  type LogEntry,
  type Producer,
} from 'kafkajs';
import { silentLogger, type Logger } from '../logging';
import { HandlerRunner } from './handler-runner';
import { HandlerAbandonedError, type Bus, type BusMessage, type ConsumeOptions, type Consumer } from './port';

export interface KafkaBusOptions {
  readonly brokers: readonly string[];
  readonly clientId?: string;
  /** Partitions of topics this bus creates; one key always maps to one partition. */
  readonly partitions?: number;
  readonly logger?: Logger;
  /** Prefixed to every topic and consumer group, so that several deployments share a cluster. */
  readonly namespace?: string;
  /** How long consume() waits for the consumer to join its group (ms). */
  readonly joinTimeoutMs?: number;
}

const PINO_LEVEL: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

export class KafkaBus implements Bus {
  private readonly kafka: Kafka;
  private readonly logger: Logger;
  private producer: Producer | undefined;
  private admin: Admin | undefined;
  private readonly topics = new Map<string, Promise<void>>();
  private readonly consumers = new Set<Consumer>();

  constructor(private readonly options: KafkaBusOptions) {
    this.logger = options.logger ?? silentLogger();
    const logger = this.logger.child({ component: 'kafkajs' });
    this.kafka = new Kafka({
      clientId: options.clientId ?? 'cschat',
      brokers: [...options.brokers],
      logLevel: logLevel.WARN,
      logCreator:
        () =>
        ({ level, log }: LogEntry) => {
          const { message, ...rest } = log;
          // The broker's answer when another process created the topic first: ensureTopic expects
          // it (and fails on its own when creating really failed), so it is no error to log.
          const expected = `${message} ${JSON.stringify(rest)}`.includes('Topic creation errors');
          logger[expected ? 'debug' : (PINO_LEVEL[level] ?? 'info')](rest, message);
        },
    });
  }

  async start(): Promise<void> {
    if (this.producer !== undefined) return;
    const producer = this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    const admin = this.kafka.admin();
    await Promise.all([producer.connect(), admin.connect()]);
    this.producer = producer;
    this.admin = admin;
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
        .createTopics({ topics: [{ topic: name, numPartitions: this.options.partitions ?? 3 }], waitForLeaders: true })
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

  async publish(topic: string, messages: readonly BusMessage[]): Promise<void> {
    if (messages.length === 0) return;
    if (this.producer === undefined) throw new Error('Kafka bus used before start()');
    await this.ensureTopic(topic);
    await this.producer.send({
      topic: this.name(topic),
      acks: -1,
      messages: messages.map((m) => ({
        key: m.key,
        value: m.value,
        headers: { ...m.headers },
      })),
    });
  }

  async consume(options: ConsumeOptions): Promise<Consumer> {
    await this.ensureTopic(options.topic);
    const runner = new HandlerRunner(options, this.logger);
    const consumer: KafkaConsumer = this.kafka.consumer({
      groupId: this.name(options.groupId),
      allowAutoTopicCreation: false,
      // An idle fetch returns after this long; stop() waits for the fetch in progress, so a
      // short one makes a graceful stop quick (new messages end a fetch at once anyway).
      maxWaitTimeInMs: 500,
      // A crashed member's partitions go to the others (or its restart) after this long.
      sessionTimeout: 10_000,
      heartbeatInterval: 1_000,
    });
    await consumer.connect();
    // Resolved once the group has given this consumer its partitions: a consumer that starts at
    // the newest messages sees everything published after consume() returned.
    const joined = new Promise<void>((resolve) => {
      const remove = consumer.on(consumer.events.GROUP_JOIN, () => {
        remove();
        resolve();
      });
    });
    await consumer.subscribe({
      topic: this.name(options.topic),
      fromBeginning: options.fromBeginning ?? true,
    });
    // The batches in progress: stop() waits for them so that their commits reach the broker.
    const inFlight = new Set<Promise<void>>();
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: (payload) => {
        const work = this.handleBatch(consumer, runner, payload);
        inFlight.add(work);
        return work.finally(() => inFlight.delete(work));
      },
    });

    // Well above the session timeout: a restarted member may wait for its dead self to expire.
    const timeout = this.options.joinTimeoutMs ?? 60_000;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      joined,
      new Promise<void>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`consumer group ${options.groupId} not joined within ${timeout} ms`)),
          timeout,
        );
      }),
    ]).finally(() => clearTimeout(timer));

    const handle: Consumer = {
      stop: async () => {
        if (!this.consumers.delete(handle)) return;
        const grace = runner.stop();
        await Promise.allSettled([...inFlight]);
        await consumer.disconnect();
        grace.cancel();
      },
    };
    this.consumers.add(handle);
    return handle;
  }

  private async handleBatch(consumer: KafkaConsumer, runner: HandlerRunner, payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    let handled: string | undefined;
    try {
      for (const message of batch.messages) {
        if (runner.isStopping || !payload.isRunning() || payload.isStale()) break;
        await runner.run({
          topic: batch.topic.slice((this.options.namespace ?? '').length),
          partition: batch.partition,
          offset: BigInt(message.offset),
          key: message.key?.toString() ?? '',
          value: message.value?.toString() ?? '',
          headers: Object.fromEntries(
            Object.entries(message.headers ?? {}).map(([name, value]) => [name, value?.toString() ?? '']),
          ),
        });
        handled = message.offset;
        // Moves kafkajs's fetch position; without it the batch would be fetched again.
        payload.resolveOffset(message.offset);
        await payload.heartbeat();
      }
    } catch (error) {
      if (!(error instanceof HandlerAbandonedError)) throw error;
    } finally {
      // Commit what succeeded, also when the batch ends early: the next offset to read.
      if (handled !== undefined) {
        const offset = (BigInt(handled) + 1n).toString();
        await consumer
          .commitOffsets([{ topic: batch.topic, partition: batch.partition, offset }])
          .catch((error: unknown) =>
            this.logger.warn(
              {
                err: error,
                topic: batch.topic,
                partition: batch.partition,
                offset,
              },
              'offset commit failed; messages will be redelivered',
            ),
          );
      }
    }
  }
}
