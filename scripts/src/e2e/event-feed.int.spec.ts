// A gateway cut off from Kafka but not from its visitors (interface D of issue 23): a gateway and a
// relay as processes of their own, on PostgreSQL and on a Kafka broker of the suite's own (free
// ports, a temporary folder: test-support/kafka-broker.ts), KAFKA_LINK_TIMEOUT_MS 3 s.
// - The relay killed: no events come, but the gateway's consumers still hear from Kafka (their long
//   polls are answered empty), so the gateway stays ready and keeps its sockets.
// - The broker stopped: the gateway's consumers hear nothing; past the timeout /readyz answers 503
//   saying why, the visitor's and the agent's sockets are closed with 1013, a new socket is closed
//   with 1013 at once, and cschat_event_feed_up is 0.
// - The broker back: /readyz is 200 again, and a visitor who reconnects gets its pushes.
// It prints how long each took (the times are not asserted: the machine is shared).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Client, http, type Frame } from '../../../test-support/clients';
import { startKafkaBroker, type KafkaBroker } from '../../../test-support/kafka-broker';
import { environmentOf, freePort, scratchDatabase, Services, type Service } from '../../../test-support/processes';
import { describeWithServer } from '../../../test-support/servers';
import { waitFor } from '../../../test-support/wait';

const LINK_TIMEOUT_MS = 3_000;
const FEED_LOST = 'event feed lost; reconnect';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describeWithServer('kafka', "a gateway's event feed lost and back", () => {
  describeWithServer('postgres', 'events and read models', (databaseUrl) => {
    jest.setTimeout(300_000);
    const id = randomBytes(4).toString('hex');
    const services = new Services();
    const diagnosed = (body: () => Promise<void>) => services.diagnosed(body);
    const clients: Client[] = [];
    let folder: string | undefined;
    let broker: KafkaBroker | undefined;
    let database: Awaited<ReturnType<typeof scratchDatabase>> | undefined;
    let env: (roles: string, port: number) => NodeJS.ProcessEnv;
    let gateway: Service;
    let base = '';
    let relay: Service;

    const startRelay = async (): Promise<Service> => {
      const service = services.launch(
        `relay ${services.all.filter((s) => s.name.startsWith('relay')).length + 1}`,
        env('relay', await freePort()),
        ['--no-demo'],
      );
      await service.printed('cschat is running in distributed mode');
      return service;
    };

    beforeAll(
      diagnosed(async () => {
        folder = mkdtempSync(path.join(tmpdir(), 'cschat-feed-'));
        [broker, database] = await Promise.all([
          startKafkaBroker(path.join(folder, 'kafka')),
          scratchDatabase(databaseUrl, `cschat_feed_${id}`),
        ]);
        env = environmentOf({
          databaseUrl: database.url,
          brokers: broker.brokers,
          namespace: `feed-${id}.`,
          tokenSecret: randomBytes(32).toString('base64url'),
          dataDir: path.join(folder, 'data'),
          extra: { KAFKA_LINK_TIMEOUT_MS: String(LINK_TIMEOUT_MS) },
        });
        // The gateway creates the demo company (alice), then the relay starts on its tables.
        const port = await freePort();
        base = `http://127.0.0.1:${port}`;
        gateway = services.launch('gateway', env('gateway,api', port));
        await gateway.ready(base);
        relay = await startRelay();
      }),
      180_000,
    );

    afterAll(async () => {
      for (const client of clients) client.close();
      await services.stop();
      await database?.drop();
      await broker?.stop();
      if (folder !== undefined) rmSync(folder, { recursive: true, force: true });
    }, 120_000);

    const connect = async (kind: 'agent' | 'visitor', body: Record<string, string>) => {
      const login = await http(base).post(`/api/${kind}s/login`, body);
      expect(login.status).toBe(200);
      const token = String(login.body['token']);
      const client = await Client.open(`${base.replace(/^http/, 'ws')}/ws/${kind}?token=${token}`);
      clients.push(client);
      return client;
    };
    const readiness = async () => {
      const response = await fetch(`${base}/readyz`);
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    const feedUp = async (): Promise<string | undefined> => {
      const text = await (await fetch(`${base}/metrics`)).text();
      return /^cschat_event_feed_up (\d)$/m.exec(text)?.[1];
    };
    /** A visitor's message comes back to it as a push: it went through the relay, Kafka and this gateway's delivery. */
    const pushedBack = async (visitor: Client, clientMsgId: string): Promise<void> => {
      expect(await visitor.request({ type: 'message.send', text: `hello ${clientMsgId}`, clientMsgId })).toMatchObject({
        type: 'ack',
      });
      await visitor.next(
        (f: Frame) => f.type === 'message' && f['clientMsgId'] === clientMsgId,
        `the push of ${clientMsgId}`,
        30_000,
      );
    };

    it(
      'stays ready through a relay outage, and closes its sockets with 1013 while Kafka is away',
      diagnosed(async () => {
        const visitor = await connect('visitor', { companyId: 'demo' });
        await visitor.next((f) => f.type === 'suggestions', 'suggestions');
        const agent = await connect('agent', { companyId: 'demo', username: 'alice', password: 'demo' });
        await agent.next((f) => f.type === 'agent.state', 'agent.state');
        await pushedBack(visitor, 'before');
        expect(await feedUp()).toBe('1');

        // The relay away: nothing reaches Kafka, but the gateway's consumers still hear from it.
        relay.crash();
        await relay.exited;
        const relayQuiet: number[] = [];
        const quietUntil = Date.now() + 3 * LINK_TIMEOUT_MS;
        while (Date.now() < quietUntil) {
          relayQuiet.push((await readiness()).status);
          await sleep(200);
        }
        expect(new Set(relayQuiet)).toEqual(new Set([200]));
        expect(visitor.closed).toBeUndefined();
        expect(agent.closed).toBeUndefined();
        expect(await feedUp()).toBe('1');
        relay = await startRelay();
        await pushedBack(visitor, 'after-relay');

        // Kafka away.
        // From the start of the stop: the broker stops taking requests at once, its process ends later.
        const cutAt = Date.now();
        await broker!.stop();
        const stopTookMs = Date.now() - cutAt;
        const notReady = await waitFor(
          'the gateway to be not ready',
          async () => {
            const answer = await readiness();
            return answer.status === 503 ? { ...answer, afterMs: Date.now() - cutAt } : undefined;
          },
          60_000,
        );
        expect(notReady.body).toEqual({
          error: {
            code: 'not_ready',
            message: expect.stringMatching(
              /^event feed lost: nothing heard from Kafka for \d+ ms \(KAFKA_LINK_TIMEOUT_MS is 3000\)$/,
            ) as unknown,
          },
        });
        const [visitorClosed, agentClosed] = await Promise.all([visitor.waitClosed(60_000), agent.waitClosed(60_000)]);
        const closedAfterMs = Date.now() - cutAt;
        expect([visitorClosed, agentClosed]).toEqual([1013, 1013]);
        expect([visitor.closedReason, agent.closedReason]).toEqual([FEED_LOST, FEED_LOST]);
        expect(await feedUp()).toBe('0');
        expect(gateway.output).toContain('event feed lost');
        // A new socket is closed at once, before anything is sent.
        const login = await http(base).post('/api/visitors/login', { companyId: 'demo' });
        const refused = await Client.open(
          `${base.replace(/^http/, 'ws')}/ws/visitor?token=${String(login.body['token'])}`,
        );
        clients.push(refused);
        expect(await refused.waitClosed(10_000)).toBe(1013);
        expect(refused.frames).toEqual([]);

        // Kafka back: ready again, and a visitor who reconnects gets its pushes.
        const startAt = Date.now();
        await broker!.start();
        const backAt = Date.now();
        await waitFor(
          'the gateway to be ready again',
          async () => ((await readiness()).status === 200 ? true : undefined),
          120_000,
        );
        const readyAfterMs = Date.now() - backAt;
        expect(await feedUp()).toBe('1');
        expect(gateway.output).toContain('event feed back');
        const again = await connect('visitor', { companyId: 'demo' });
        await again.next((f) => f.type === 'suggestions', 'suggestions');
        await pushedBack(again, 'after-kafka');
        const agentAgain = await connect('agent', { companyId: 'demo', username: 'alice', password: 'demo' });
        await agentAgain.next((f) => f.type === 'agent.state', 'agent.state');
        expect(agentAgain.closed).toBeUndefined();

        process.stdout.write(
          `event feed, KAFKA_LINK_TIMEOUT_MS ${LINK_TIMEOUT_MS}: relay away ${3 * LINK_TIMEOUT_MS} ms, readyz ` +
            `${relayQuiet.length} times 200; Kafka stopping (took ${stopTookMs} ms): /readyz 503 after ` +
            `${notReady.afterMs} ms, sockets closed with 1013 after ${closedAfterMs} ms; Kafka started (took ` +
            `${backAt - startAt} ms until it answered): ready ${readyAfterMs} ms after that\n`,
        );
      }),
    );
  });
});
