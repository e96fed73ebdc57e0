// The fault suite (issue 13): every role in a process of its own on PostgreSQL, Kafka and Redis
// (a relay, a projector, a worker, two gateways), visitors and agents chatting through the
// gateways, and meanwhile, one after the other: SIGKILL on the relay, on the projector, on a
// gateway and on the worker (each started again at once, as a supervisor would), a restart of
// Kafka and a flush of Redis. The broker and the Redis are the suite's own (free ports, a
// temporary folder), so that restarting and flushing them touches no other suite. Afterwards:
// - every acknowledged message is in the event store and the history, and reached the other side
//   (pushed, or read from the history after a reconnect; clients de-duplicate by message id);
// - the open sessions time out on time; no agent held more than its capacity; no session was
//   assigned twice;
// - the read models equal a clean rebuild from the event store, row by row;
// and a table says, per fault, what was acknowledged, lost, pushed twice, and how long the
// longest wait was for a delivery, for the history (read model) and for an assignment.
// FAULTS_BUSY_CORES=N (opt-in) keeps N cores busy with spinning processes from before the first
// process starts until the end (test-support/busy-cores.ts): the suite must pass on a loaded
// machine too (`FAULTS_BUSY_CORES=2` on the 2-core machine is a load average above 6).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import * as path from 'node:path';
import knexFactory, { type Knex } from 'knex';
import { createPostgresEventStore, createSqlKeyStore, encryptingEventStore, type EventStore } from '@cschat/infra';
import { busyCores, type BusyCores } from '../../../test-support/busy-cores';
import { ChatLoad } from '../../../test-support/chat-load';
import { http } from '../../../test-support/clients';
import { startKafkaBroker, type KafkaBroker } from '../../../test-support/kafka-broker';
import { environmentOf, freePort, scratchDatabase, Services, type Service } from '../../../test-support/processes';
import { startRedis, type ScratchRedis } from '../../../test-support/redis-server';
import { describeWithServer } from '../../../test-support/servers';
import { FaultRun, faultTable, type Fault } from './fault-run';

const COMPANY = 'demo';
/** The shortest inactivity timeout the settings take. */
const TIMEOUT_SECONDS = 10;
/** How late a timeout may come: the worker looks at the schedule every TIMEOUT_POLL_MS (200). */
const TIMEOUT_SLACK_MS = 2_000;
const AGENTS = 4;
const CAPACITY = 3;
/** Fewer than the agents' room (12): every visitor who asks is assigned at once when routing works. */
const VISITORS = 10;
/** Steady chatting before the first fault and after each recovery. */
const STEADY_MS = 4_000;

describeWithServer('kafka', 'the fault suite: roles killed, Kafka restarted, Redis flushed', () => {
  describeWithServer('postgres', 'events and read models', (databaseUrl) => {
    describeWithServer('redis', 'deadlines and the timeout schedule', (redisUrl) => {
      jest.setTimeout(300_000);
      const id = randomBytes(4).toString('hex');
      const services = new Services();
      const diagnosed = (body: () => Promise<void>) => services.diagnosed(body);
      let folder: string | undefined;
      let busy: BusyCores | undefined;
      let broker: KafkaBroker | undefined;
      let redis: ScratchRedis | undefined;
      let database: Awaited<ReturnType<typeof scratchDatabase>> | undefined;
      let db: Knex | undefined;
      let store: EventStore | undefined;
      let env: (roles: string, port: number) => NodeJS.ProcessEnv;
      const agentIds = new Set<string>();

      // The processes by role; the gateways that a client may connect to now (a load balancer's view).
      const roles = new Map<string, Service>();
      const gateways = new Map<string, { service: Service; base: string }>();
      const up = new Set<string>();
      const started = new Map<string, number>();

      const startRole = async (name: string, processRoles: string, demo = false): Promise<Service> => {
        const count = (started.get(name) ?? 0) + 1;
        started.set(name, count);
        const port = await freePort();
        const service = services.launch(
          count === 1 ? name : `${name} (start ${count})`,
          env(processRoles, port),
          demo ? [] : ['--no-demo'],
        );
        roles.set(name, service);
        if (processRoles.includes('gateway')) {
          const base = `http://127.0.0.1:${port}`;
          await service.ready(base);
          gateways.set(name, { service, base });
          up.add(base);
        } else {
          await service.printed('cschat is running in distributed mode');
        }
        return service;
      };
      const ROLES = {
        'gateway A': 'gateway,api',
        'gateway B': 'gateway,api',
        relay: 'relay',
        projector: 'projector',
        worker: 'worker',
      } as const;

      /** SIGKILL on the role's process group, and a new process at once (as systemd would). */
      const killAndRestart = async (name: keyof typeof ROLES): Promise<void> => {
        const service = roles.get(name)!;
        const gateway = gateways.get(name);
        if (gateway !== undefined) up.delete(gateway.base);
        service.crash();
        await service.exited;
        await startRole(name, ROLES[name]);
      };

      beforeAll(
        diagnosed(async () => {
          const busyCount = Number(process.env['FAULTS_BUSY_CORES'] ?? '0');
          if (busyCount > 0) busy = busyCores(busyCount);
          folder = mkdtempSync(path.join(tmpdir(), 'cschat-faults-'));
          [broker, redis, database] = await Promise.all([
            startKafkaBroker(path.join(folder, 'kafka')),
            startRedis(redisUrl, `test:faults-${id}:`),
            scratchDatabase(databaseUrl, `cschat_faults_${id}`),
          ]);
          db = knexFactory({ client: 'pg', connection: database.url, pool: { min: 0, max: 4 } });
          // Read as the service reads it: personal fields opened with the keys beside the read models.
          store = encryptingEventStore(
            createPostgresEventStore({ url: database.url, poolSize: 2 }),
            createSqlKeyStore({ knex: db }),
          );
          env = environmentOf({
            databaseUrl: database.url,
            brokers: broker.brokers,
            namespace: `faults-${id}.`,
            redisUrl: redis.url,
            redisPrefix: redis.prefix,
            tokenSecret: randomBytes(32).toString('base64url'),
            dataDir: path.join(folder, 'data'),
            // KAFKA_LINK_TIMEOUT_MS is the default (15 s): the restart of the suite's only broker silences every
            // gateway's feed at once, and a gateway then keeps its sockets, since no other gateway's feed works
            // (README, "A gateway cut off from Kafka"; event-feed.int.spec.ts tests the watchdog).
            extra: { TIMEOUT_POLL_MS: '200' },
          });
          // The first gateway creates the demo company; its admin sets the suite's timeout and agents
          // before the other processes start (the directory caches the settings for 5 s).
          await startRole('gateway A', ROLES['gateway A'], true);
          const api = http(gateways.get('gateway A')!.base);
          const admin = await api.post('/api/agents/login', {
            companyId: COMPANY,
            username: 'admin',
            password: 'demo',
          });
          const token = String(admin.body['token']);
          expect(
            (await api.put('/api/admin/settings', { inactivityTimeoutSeconds: TIMEOUT_SECONDS }, token)).status,
          ).toBe(200);
          for (let n = 1; n <= AGENTS; n++) {
            const created = await api.post(
              '/api/admin/agents',
              {
                username: `agent${n}`,
                password: 'secret-password',
                role: 'agent',
                groupIds: ['support'],
                capacity: CAPACITY,
              },
              token,
            );
            expect(created.status).toBe(201);
            agentIds.add(String(created.body['id']));
          }
          await Promise.all(
            (['gateway B', 'relay', 'projector', 'worker'] as const).map((name) => startRole(name, ROLES[name])),
          );
          await store.start(); // for the rebuild; the processes made its tables
        }),
        180_000,
      );

      afterAll(async () => {
        load?.close();
        await services.stop();
        await store?.stop();
        await db?.destroy();
        await database?.drop();
        await Promise.all([broker?.stop(), redis?.stop(), busy?.stop()]);
        if (folder !== undefined) rmSync(folder, { recursive: true, force: true });
      }, 120_000);

      let load: ChatLoad | undefined;
      const run = new FaultRun({
        get db() {
          return db!;
        },
        companyId: COMPANY,
        capacityOf: (agentId) => (agentIds.has(agentId) ? CAPACITY : 2),
        steadyMs: STEADY_MS,
      });

      const FAULTS: readonly Fault[] = [
        { name: 'SIGKILL relay', inject: () => killAndRestart('relay') },
        { name: 'SIGKILL projector', inject: () => killAndRestart('projector') },
        { name: 'SIGKILL gateway A', inject: () => killAndRestart('gateway A') },
        { name: 'SIGKILL worker', inject: () => killAndRestart('worker') },
        { name: 'restart Kafka', inject: () => broker!.restart() },
        { name: 'flush Redis', inject: () => redis!.flush() },
      ];

      it(
        'loses no acknowledged message through the faults, and says how long each took to recover',
        diagnosed(async () => {
          load = new ChatLoad({
            gateways: { up: () => [...up] },
            companyId: COMPANY,
            agents: Array.from({ length: AGENTS }, (_, i) => ({
              username: `agent${i + 1}`,
              password: 'secret-password',
            })),
            visitors: VISITORS,
            messageIntervalMs: 1000,
            messagesPerSession: [6, 14],
          });
          const rows = await run.run(load, FAULTS);
          process.stdout.write(
            `\n${faultTable(rows)}\n${load.reconnects} reconnects; Redis: ${redis!.flushes}; ` +
              `${busy === undefined ? 'no busy cores' : `${busy.count} busy cores`} (load average ${loadavg()[0]!.toFixed(1)})\n`,
          );
          if (load.ledger.surprises.length > 0)
            process.stdout.write(`unexpected answers: ${load.ledger.surprises.slice(0, 10).join('; ')}\n`);
          expect(rows.map((r) => [r.fault, r.lostIds])).toEqual(rows.map((r) => [r.fault, []]));
          expect(rows.every((r) => r.acked > 0)).toBe(true);
        }),
        600_000,
      );

      it(
        'times out every open session on time, after the faults',
        diagnosed(async () => {
          const { open, late } = await run.lateTimeouts(TIMEOUT_SECONDS, TIMEOUT_SLACK_MS);
          expect(open).toBeGreaterThan(0);
          expect(late).toEqual([]);
        }),
      );

      it(
        'never put an agent above its capacity, nor a session with two agents',
        diagnosed(async () => {
          expect(await run.capacityViolations(CAPACITY)).toEqual({
            assignedTwice: [],
            overCapacity: [],
            heldByTwo: [],
            stillHeld: [],
          });
        }),
      );

      it(
        'has read models equal to a clean rebuild from the event store, row by row',
        diagnosed(async () => {
          expect(await run.rebuildDifferences(store!)).toEqual([]);
        }),
      );
    });
  });
});
