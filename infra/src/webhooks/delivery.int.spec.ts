// The test of done: a receiver that fails twice, then accepts; the worker is stopped after
// the first failure and a new one started: the receiver's log has the delivery once, accepted at
// the third attempt, the outbox row delivered, nothing lost. Events come through a real bus (an
// event redelivered adds no row), requests go over real HTTP and are checked as a receiver would.
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import knexFactory, { type Knex } from 'knex';
import { describeWithServer } from '../../../test-support/servers';
import { waitFor } from '../../../test-support/wait';
import { InProcessBus } from '../bus/in-process';
import type { RecordedEvent } from '../event-store/port';
import { createPgliteKnex } from '../event-store';
import { silentLogger } from '../logging';
import { EVENTS_TOPIC, toBusMessage } from '../relay/envelope';
import { WebhookOutbox } from './outbox';
import { DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, verifySignature } from './signature';
import { createWebhookStore, type WebhookStore } from './store';
import { WebhookWorker } from './worker';

interface Received {
  readonly delivery: string;
  readonly kind: string;
  readonly status: number;
  readonly body: { id: string; type: string; companyId: string; data: Record<string, unknown> };
}

/** A receiver as an integration writes one: verifies the signature, de-duplicates by delivery id. */
class Receiver {
  readonly requests: Received[] = [];
  /** Delivery ids accepted, once each (the receiver's log). */
  readonly accepted = new Map<string, Received['body']>();
  private server: Server | undefined;
  url = '';

  constructor(
    private readonly secret: () => string,
    private readonly failuresPerDelivery: number,
  ) {}

  async start(): Promise<void> {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const delivery = String(request.headers[DELIVERY_HEADER]);
        const verified = verifySignature(
          this.secret(),
          request.headers[SIGNATURE_HEADER] as string | undefined,
          raw,
          Math.floor(Date.now() / 1000),
        );
        const seen = this.requests.filter((r) => r.delivery === delivery).length;
        const status = !verified.ok ? 401 : seen < this.failuresPerDelivery ? 503 : 200;
        const body = JSON.parse(raw) as Received['body'];
        this.requests.push({ delivery, kind: String(request.headers[EVENT_HEADER]), status, body });
        if (status === 200 && !this.accepted.has(delivery)) this.accepted.set(delivery, body);
        response.writeHead(status).end();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks`;
  }

  async stop(): Promise<void> {
    await new Promise((resolve) => this.server?.close(resolve));
  }
}

let revision = 0n;
const recorded = (sessionId: string, type: string, data: Record<string, unknown>): RecordedEvent => ({
  streamId: `session-${sessionId}`,
  revision: revision++,
  position: { commit: revision, prepare: revision },
  eventId: randomUUID(),
  type,
  data: { v: 1, companyId: 'acme', sessionId, at: '2026-12-05T10:00:00.000Z', ...data },
  metadata: {},
  recordedAt: new Date(),
});

const workerOf = (store: WebhookStore): WebhookWorker =>
  new WebhookWorker({
    store,
    logger: silentLogger(),
    retryScheduleMs: [400, 400, 400],
    jitter: 0,
    pollMs: 50,
    timeoutMs: 2_000,
    leaseMs: 10_000,
    allowPrivate: true,
  });

const deliverySuite = (
  open: () => Promise<{ store: WebhookStore; other: () => WebhookStore; dispose(): Promise<void> }>,
) => {
  let store: WebhookStore;
  let dispose: () => Promise<void>;
  let other: () => WebhookStore;
  let secret = '';
  let receiver: Receiver;
  let bus: InProcessBus;
  let outbox: WebhookOutbox;
  const workers: WebhookWorker[] = [];

  beforeEach(async () => {
    const opened = await open();
    store = opened.store;
    other = opened.other;
    dispose = () => opened.dispose();
    receiver = new Receiver(() => secret, 2);
    await receiver.start();
    bus = new InProcessBus(silentLogger());
    await bus.start();
    outbox = new WebhookOutbox({
      bus,
      store,
      logger: silentLogger(),
      onEnqueued: () => workers.forEach((w) => w.wake()),
    });
    await outbox.start();
  });
  afterEach(async () => {
    await Promise.all(workers.splice(0).map((w) => w.stop()));
    await outbox.stop();
    await bus.stop();
    await receiver.stop();
    await dispose();
  });

  const subscribe = async (events: Parameters<WebhookStore['create']>[1]['events']): Promise<string> => {
    secret = `whsec_${randomBytes(8).toString('hex')}`;
    return (await store.create('acme', { url: receiver.url, events }, secret)).id;
  };
  const publish = async (...events: RecordedEvent[]): Promise<void> => {
    await bus.publish(EVENTS_TOPIC, events.map(toBusMessage));
    await bus.drained(EVENTS_TOPIC);
  };

  it('delivers once after two failures across a restart of the worker, nothing lost', async () => {
    const endpointId = await subscribe(['session.ended', 'message.created']);
    const ended = recorded('s-1', 'SessionEnded', { reason: 'agent', agentId: 'a-1' });
    // The bus redelivers the event: still one row.
    await publish(ended, ended);
    const first = workerOf(store);
    workers.push(first);
    first.start();
    await waitFor('the first attempt', async () => (receiver.requests.length >= 1 ? true : undefined));
    // Stopped mid-retry: after the first failure, before the second attempt is due.
    await first.stop();
    workers.splice(workers.indexOf(first), 1);
    expect(receiver.requests.map((r) => r.status)).toEqual([503]);
    const pending = await store.deliveries('acme', endpointId, { limit: 10 });
    expect(pending!.deliveries).toHaveLength(1);
    expect(pending!.deliveries[0]).toMatchObject({ status: 'pending', attempts: 1, lastStatusCode: 503 });

    // A new worker (a new process's: its own store over the database) takes it from there.
    const second = workerOf(other());
    workers.push(second);
    second.start();
    const id = pending!.deliveries[0]!.id;
    await waitFor('the delivery', async () => (receiver.accepted.has(id) ? true : undefined));
    await second.stop();
    expect(receiver.requests.map((r) => [r.delivery, r.kind, r.status])).toEqual([
      [id, 'session.ended', 503],
      [id, 'session.ended', 503],
      [id, 'session.ended', 200],
    ]);
    expect(receiver.accepted.get(id)).toEqual({
      id,
      type: 'session.ended',
      createdAt: '2026-12-05T10:00:00.000Z',
      companyId: 'acme',
      data: { sessionId: 's-1', reason: 'agent', agentId: 'a-1' },
    });
    const log = await store.deliveries('acme', endpointId, { limit: 10 });
    expect(log!.deliveries).toEqual([
      expect.objectContaining({
        id,
        status: 'delivered',
        attempts: 3,
        lastStatusCode: 200,
        deliveredAt: expect.any(String) as unknown,
        history: [
          expect.objectContaining({ attempt: 1, statusCode: 503, error: 'HTTP 503' }),
          expect.objectContaining({ attempt: 2, statusCode: 503 }),
          expect.objectContaining({ attempt: 3, statusCode: 200 }),
        ],
      }),
    ]);
    // The event delivered again later adds nothing, and nothing is sent again.
    await publish(ended);
    expect((await store.deliveries('acme', endpointId, { limit: 10 }))!.deliveries).toHaveLength(1);
    expect(await store.claim(10, new Date(Date.now() + 3_600_000), 1_000)).toEqual([]);
  });

  it('sends what people and the bot say, not notes or the system; only the kinds subscribed', async () => {
    const endpointId = await subscribe(['message.created']);
    await publish(
      recorded('s-2', 'MessagePosted', {
        messageId: 'm-1',
        from: { role: 'visitor', id: 'v-1' },
        text: 'hello',
        visitorId: 'v-1',
      }),
      recorded('s-2', 'NotePosted', { messageId: 'm-2', from: { role: 'agent', id: 'a-1' }, text: 'private' }),
      recorded('s-2', 'MessagePosted', { messageId: 'm-3', from: { role: 'system' }, text: 'joined' }),
      recorded('s-2', 'MessagePosted', { messageId: 'm-4', from: { role: 'bot' }, text: 'hi, I am the bot' }),
      recorded('s-2', 'SessionEnded', { reason: 'visitor' }),
    );
    const log = await store.deliveries('acme', endpointId, { limit: 10 });
    expect(log!.deliveries.map((d) => [d.event, d.sessionId])).toEqual([
      ['message.created', 's-2'],
      ['message.created', 's-2'],
    ]);
  });

  it('sends again a row whose worker died holding it, once its lease has passed', async () => {
    await subscribe(['session.ended']);
    await publish(recorded('s-3', 'SessionEnded', { reason: 'timeout' }));
    // A worker claimed it (a one-second lease) and died before sending.
    const [held] = await store.claim(10, new Date(), 1_000);
    expect(held).toBeDefined();
    const worker = workerOf(other());
    workers.push(worker);
    worker.start();
    await waitFor('the delivery', async () => (receiver.accepted.has(held!.id) ? true : undefined));
    // Attempt 1 was the dead worker's (no answer recorded); 2 and 3 failed; 4 was accepted.
    expect(receiver.requests.map((r) => r.status)).toEqual([503, 503, 200]);
    // The worker records the answer just after the receiver accepted it.
    const delivered = await waitFor('the delivery recorded', async () => {
      const log = await store.deliveries('acme', held!.endpointId, { limit: 1 });
      const row = log?.deliveries[0];
      return row?.status === 'delivered' ? row : undefined;
    });
    expect(delivered).toMatchObject({ status: 'delivered', attempts: 4 });
  });
};

describe('outbound webhook delivery on PGlite (embedded)', () => {
  let knex: Knex;
  let schemas = 0;
  beforeAll(() => {
    knex = createPgliteKnex();
  });
  afterAll(() => knex.destroy());

  deliverySuite(async () => {
    const schema = `webhooks_delivery_${++schemas}`;
    const store = createWebhookStore({ knex, schema });
    await store.start();
    return {
      store,
      // One process owns an embedded database: a restarted worker opens the same one.
      other: () => createWebhookStore({ knex, schema }),
      dispose: () => knex.raw(`drop schema "${schema}" cascade`).then(() => undefined),
    };
  });
});

describeWithServer('postgres', 'outbound webhook delivery on PostgreSQL', (url) => {
  const pools: Knex[] = [];
  const pool = (): Knex => {
    const knex = knexFactory({ client: 'pg', connection: url, pool: { min: 0, max: 4 } });
    pools.push(knex);
    return knex;
  };
  afterAll(() => Promise.all(pools.map((knex) => knex.destroy())));

  const open = async () => {
    const schema = `webhooks_delivery_${randomBytes(6).toString('hex')}`;
    const store = createWebhookStore({ knex: pool(), schema });
    await store.start();
    return {
      store,
      other: () => {
        const next = createWebhookStore({ knex: pool(), schema });
        void next.start();
        return next;
      },
      dispose: () =>
        store
          .start()
          .then(() => pools[0]!.raw(`drop schema "${schema}" cascade`))
          .then(() => undefined),
    };
  };
  deliverySuite(open);

  it('two workers on one outbox never send a row twice', async () => {
    const { store, other, dispose } = await open();
    const receiver = new Receiver(() => 'whsec_two', 0);
    await receiver.start();
    const bus = new InProcessBus(silentLogger());
    await bus.start();
    const outbox = new WebhookOutbox({ bus, store, logger: silentLogger() });
    try {
      await outbox.start();
      await store.create('acme', { url: receiver.url, events: ['message.created'] }, 'whsec_two');
      const events = Array.from({ length: 80 }, (_, n) =>
        recorded(`s-${n}`, 'MessagePosted', { messageId: `m-${n}`, from: { role: 'agent', id: 'a-1' }, text: `${n}` }),
      );
      await bus.publish(EVENTS_TOPIC, events.map(toBusMessage));
      await bus.drained(EVENTS_TOPIC);
      const workers = [workerOf(other()), workerOf(other())];
      for (const worker of workers) worker.start();
      await waitFor('80 deliveries', async () => (receiver.accepted.size === 80 ? true : undefined));
      await Promise.all(workers.map((w) => w.stop()));
      expect(receiver.requests).toHaveLength(80);
      expect(new Set(receiver.requests.map((r) => r.delivery)).size).toBe(80);
    } finally {
      await outbox.stop();
      await bus.stop();
      await receiver.stop();
      await dispose();
    }
  });
});
