// A gateway cut off from Kafka but not from its visitors (interface D of issue 23): gateway A and a
// relay as processes of their own, on PostgreSQL, Redis and a Kafka broker of the suite's own (free
// ports, a temporary folder: test-support/kafka-broker.ts), KAFKA_LINK_TIMEOUT_MS 3 s. Gateway B
// shares its database and Redis but reads a second broker of the suite's own: on one host, giving it
// a Kafka of its own is how one gateway is cut off while another's feed works (the gateways tell each other through
// Redis when they last heard: feed-watchdog.ts).
// - The relay killed: no events come, but the gateway's consumers still hear from Kafka (their long
//   polls are answered empty), so the gateway stays ready and keeps its sockets.
// - A's broker stopped while B's feed works: past the timeout A's /readyz answers 503 saying why, the
//   visitor's and the agent's sockets are closed with 1013, a new socket is closed with 1013 at once,
//   and cschat_event_feed_up is 0.
// - B gone too (no gateway hears from Kafka): A is ready again and keeps its sockets, old and new,
//   whose messages are still acknowledged; moving them would help nobody.
// - The broker back: a visitor gets its pushes again.
// It prints how long each took (the times are not asserted: the machine is shared).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Client, http, type Frame } from '../../../test-support/clients';
import { startKafkaBroker, type KafkaBroker } from '../../../test-support/kafka-broker';
import { startRedis, type ScratchRedis } from '../../../test-support/redis-server';
import { environmentOf, freePort, scratchDatabase, Services, type Service } from '../../../test-support/processes';
import { describeWithServer } from '../../../test-support/servers';
import { waitFor } from '../../../test-support/wait';

const LINK_TIMEOUT_MS = 3_000;
const FEED_LOST = 'event feed lost; reconnect';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describeWithServer('kafka', "a gateway's event feed lost and back", () => {
  describeWithServer('postgres', 'events and read models', (databaseUrl) => {
    describeWithServer('redis', 'what each gateway last heard', (redisUrl) => {
      jest.setTimeout(300_000);
      const id = randomBytes(4).toString('hex');
      const services = new Services();
      const diagnosed = (body: () => Promise<void>) => services.diagnosed(body);
      const clients: Client[] = [];
      let folder: string | undefined;
      let broker: KafkaBroker | undefined;
      let brokerB: KafkaBroker | undefined;
      let database: Awaited<ReturnType<typeof scratchDatabase>> | undefined;
      let redis: ScratchRedis | undefined;
      let env: (roles: string, port: number) => NodeJS.ProcessEnv;
      let envB: (roles: string, port: number) => NodeJS.ProcessEnv;
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
          [broker, brokerB, database, redis] = await Promise.all([
            startKafkaBroker(path.join(folder, 'kafka')),
            startKafkaBroker(path.join(folder, 'kafka-b')),
            scratchDatabase(databaseUrl, `cschat_feed_${id}`),
            startRedis(redisUrl, `test:feed-${id}:`),
          ]);
          const deployment = {
            databaseUrl: database.url,
            brokers: broker.brokers,
            namespace: `feed-${id}.`,
            redisUrl: redis.url,
            redisPrefix: redis.prefix,
            tokenSecret: randomBytes(32).toString('base64url'),
            dataDir: path.join(folder, 'data'),
            extra: { KAFKA_LINK_TIMEOUT_MS: String(LINK_TIMEOUT_MS) },
          };
          env = environmentOf(deployment);
          envB = environmentOf({ ...deployment, brokers: brokerB.brokers, namespace: `feed-${id}-b.` });
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
        await redis?.stop();
        await Promise.all([broker?.stop(), brokerB?.stop()]);
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
        expect(
          await visitor.request({ type: 'message.send', text: `hello ${clientMsgId}`, clientMsgId }),
        ).toMatchObject({
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

          // Gateway B, whose feed works (its own broker), reports to the same Redis.
          const portB = await freePort();
          const baseB = `http://127.0.0.1:${portB}`;
          const gatewayB = services.launch('gateway B', envB('gateway,api', portB), ['--no-demo']);
          await gatewayB.ready(baseB);

          // A's Kafka away while B's works.
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
                /^event feed lost: nothing heard from Kafka for \d+ ms \(KAFKA_LINK_TIMEOUT_MS is 3000\); another gateway's works$/,
              ) as unknown,
            },
          });
          const [visitorClosed, agentClosed] = await Promise.all([
            visitor.waitClosed(60_000),
            agent.waitClosed(60_000),
          ]);
          const closedAfterMs = Date.now() - cutAt;
          expect([visitorClosed, agentClosed]).toEqual([1013, 1013]);
          expect([visitor.closedReason, agent.closedReason]).toEqual([FEED_LOST, FEED_LOST]);
          expect(await feedUp()).toBe('0');
          expect(gateway.output).toContain("event feed lost while another gateway's works");
          expect((await fetch(`${baseB}/readyz`)).status).toBe(200);
          // A new socket is closed at once, before anything is sent.
          const login = await http(base).post('/api/visitors/login', { companyId: 'demo' });
          const refused = await Client.open(
            `${base.replace(/^http/, 'ws')}/ws/visitor?token=${String(login.body['token'])}`,
          );
          clients.push(refused);
          expect(await refused.waitClosed(10_000)).toBe(1013);
          expect(refused.frames).toEqual([]);

          // B gone too: no gateway hears from Kafka, so A serves what it can: ready, sockets kept.
          const goneAt = Date.now();
          gatewayB.crash();
          await gatewayB.exited;
          await waitFor(
            'the gateway to be ready again with every gateway silent',
            async () => ((await readiness()).status === 200 ? true : undefined),
            60_000,
          );
          const servingAfterMs = Date.now() - goneAt;
          expect(gateway.output).toContain('event feed silent on every gateway: keeping the sockets');
          expect(await feedUp()).toBe('0');
          const kept = await connect('visitor', { companyId: 'demo' });
          await kept.next((f) => f.type === 'suggestions', 'suggestions');
          const keptStatuses: number[] = [];
          const keptUntil = Date.now() + 2 * LINK_TIMEOUT_MS;
          while (Date.now() < keptUntil) {
            keptStatuses.push((await readiness()).status);
            await sleep(200);
          }
          expect(new Set(keptStatuses)).toEqual(new Set([200]));
          expect(kept.closed).toBeUndefined();
          // Commands go to PostgreSQL: a message is acknowledged (stored) without Kafka.
          expect(
            await kept.request({ type: 'message.send', text: 'while Kafka is away', clientMsgId: 'no-kafka' }),
          ).toMatchObject({ type: 'ack' });

          // Kafka back: the feed is back, the kept socket is still there and pushes come again.
          const startAt = Date.now();
          await broker!.start();
          const backAt = Date.now();
          await waitFor(
            'the event feed to be back',
            async () => ((await feedUp()) === '1' ? true : undefined),
            120_000,
          );
          const feedBackAfterMs = Date.now() - backAt;
          expect((await readiness()).status).toBe(200);
          expect(gateway.output).toContain('event feed back');
          expect(kept.closed).toBeUndefined();
          await pushedBack(kept, 'after-kafka');
          const agentAgain = await connect('agent', { companyId: 'demo', username: 'alice', password: 'demo' });
          await agentAgain.next((f) => f.type === 'agent.state', 'agent.state');
          expect(agentAgain.closed).toBeUndefined();

          process.stdout.write(
            `event feed, KAFKA_LINK_TIMEOUT_MS ${LINK_TIMEOUT_MS}: relay away ${3 * LINK_TIMEOUT_MS} ms, readyz ` +
              `${relayQuiet.length} times 200; A's Kafka stopping (took ${stopTookMs} ms) while B's works: /readyz 503 ` +
              `after ${notReady.afterMs} ms, sockets closed with 1013 after ${closedAfterMs} ms; B gone: A ready ` +
              `again after ${servingAfterMs} ms, a new socket kept ${2 * LINK_TIMEOUT_MS} ms; Kafka started (took ` +
              `${backAt - startAt} ms until it answered): feed back ${feedBackAfterMs} ms after that\n`,
          );
        }),
      );
    });
  });
});
