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
import { deadlineOf, millis } from '@cschat/domain';
import { createPostgresEventStore, createSqlKeyStore, encryptingEventStore, type EventStore } from '@cschat/infra';
import { busyCores, type BusyCores } from '../../../test-support/busy-cores';
import { ChatLoad, type Acked } from '../../../test-support/chat-load';
import { http } from '../../../test-support/clients';
import { startKafkaBroker, type KafkaBroker } from '../../../test-support/kafka-broker';
import { environmentOf, freePort, scratchDatabase, Services, type Service } from '../../../test-support/processes';
import { startRedis, type ScratchRedis } from '../../../test-support/redis-server';
import { describeWithServer } from '../../../test-support/servers';
import { waitFor } from '../../../test-support/wait';
import {
  compareReadModels,
  inHistory,
  readStoreFacts,
  rebuildInto,
  waitingForAgent,
  type StoreFacts,
} from './fault-checks';

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

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Phase {
  readonly name: string;
  readonly at: number;
  /** How long the fault itself took (a restart until the process ran again). */
  tookMs?: number;
}

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
      const phases: Phase[] = [];
      let stoppedAt = 0;
      /** When each acknowledged message was first seen in the history (the messages read model). */
      const historyAt = new Map<string, number>();
      let facts: StoreFacts | undefined;
      /** The log as it was when the load stopped: the sessions open then must time out. */
      let openAtStop: StoreFacts | undefined;
      const capacityOf = (agentId: string) => (agentIds.has(agentId) ? CAPACITY : 2);

      const lookInHistory = async (): Promise<void> => {
        const missing = [...load!.ledger.acked.keys()].filter((m) => !historyAt.has(m));
        const now = Date.now();
        for (const messageId of await inHistory(db!, missing)) historyAt.set(messageId, now);
      };

      /**
       * Until the clients' deliveries, the history and routing caught up (or 60 s passed). While the
       * load runs, for what is older than half a second; after it, for everything.
       */
      const settle = async (): Promise<void> => {
        const ledger = load!.ledger;
        await waitFor(
          'deliveries, history and routing to catch up',
          async () => {
            await lookInHistory();
            const before = stoppedAt > 0 ? Number.POSITIVE_INFINITY : Date.now() - 500;
            const behind =
              ledger.undelivered(before).length +
              [...ledger.acked.values()].filter((m) => m.ackedAt < before && !historyAt.has(m.messageId)).length +
              (await waitingForAgent(db!, before - 1000));
            return behind === 0 ? true : undefined;
          },
          60_000,
        ).catch(() => undefined); // the checks after the load say what is missing
      };

      const FAULTS: readonly { name: string; inject: () => Promise<void> }[] = [
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
          await load.start();
          // The history is looked at all along, so that its lag after each fault can be told.
          let probing = true;
          const probe = (async () => {
            while (probing) {
              await lookInHistory().catch(() => undefined);
              await sleep(250);
            }
          })();
          try {
            phases.push({ name: 'none (steady load)', at: Date.now() });
            await sleep(STEADY_MS);
            await settle();
            for (const fault of FAULTS) {
              const phase: Phase = { name: fault.name, at: Date.now() };
              phases.push(phase);
              await fault.inject();
              phase.tookMs = Date.now() - phase.at;
              await settle();
              await sleep(STEADY_MS);
            }
            await load.stop();
            stoppedAt = Date.now();
            openAtStop = await readStoreFacts(db!, COMPANY, capacityOf);
            await settle();
          } finally {
            probing = false;
            await probe;
          }

          facts = await readStoreFacts(db!, COMPANY, capacityOf);
          const rows = phases.map((phase, index) => report(phase, phases[index + 1]?.at));
          process.stdout.write(
            `\n${table(rows)}\n${load.reconnects} reconnects; Redis: ${redis!.flushes}; ` +
              `${busy === undefined ? 'no busy cores' : `${busy.count} busy cores`} (load average ${loadavg()[0]!.toFixed(1)})\n`,
          );
          if (load.ledger.surprises.length > 0)
            process.stdout.write(`unexpected answers: ${load.ledger.surprises.slice(0, 10).join('; ')}\n`);
          expect(rows.map((r) => [r.fault, r.lostIds])).toEqual(rows.map((r) => [r.fault, []]));
          expect(rows.every((r) => r.acked > 0)).toBe(true);
        }),
        600_000,
      );

      interface Row {
        readonly fault: string;
        readonly acked: number;
        readonly lostIds: string[];
        readonly duplicates: number;
        readonly deliveryMs: number;
        readonly historyMs: number;
        readonly routingMs: number;
        readonly tookMs: number | undefined;
      }

      /**
       * The longest wait that ended while the fault was the last one (from its start to the next
       * one's), counted from the fault's start at the earliest: how long until things worked again.
       */
      const longestWait = (waits: readonly { from: number; to: number | undefined }[], start: number, end: number) =>
        Math.max(
          0,
          ...waits
            .filter((w) => w.to !== undefined && w.to >= start && w.to < end)
            .map((w) => w.to! - Math.max(w.from, start)),
        );

      /** The fault's row: what was acknowledged from its start until the next fault's (`end`). */
      const report = (phase: Phase, next: number | undefined): Row => {
        const ledger = load!.ledger;
        const end = next ?? Number.POSITIVE_INFINITY;
        const mine = [...ledger.acked.values()].filter((m) => m.ackedAt >= phase.at && m.ackedAt < end);
        const recipientOf = (m: Acked) => facts!.messages.get(m.messageId)?.recipient;
        const lostIds = mine.flatMap((m) => {
          const recipient = recipientOf(m);
          const why = !facts!.messages.has(m.messageId)
            ? 'not in the event store'
            : !historyAt.has(m.messageId)
              ? 'not in the history'
              : recipient !== undefined && ledger.receipt(recipient, m.messageId) === undefined
                ? `never reached ${recipient}`
                : undefined;
          return why === undefined ? [] : [`${m.from} ${m.senderId}: ${m.messageId} in ${m.sessionId} ${why}`];
        });
        const deliveries = [...ledger.acked.values()].map((m) => {
          const recipient = recipientOf(m);
          return {
            from: m.ackedAt,
            to: recipient === undefined ? undefined : ledger.receipt(recipient, m.messageId)?.at,
          };
        });
        return {
          fault: phase.name,
          acked: mine.length,
          lostIds,
          duplicates: mine.reduce((sum, m) => {
            const recipient = recipientOf(m);
            const pushes = recipient === undefined ? 0 : (ledger.receipt(recipient, m.messageId)?.pushes ?? 0);
            return sum + Math.max(0, pushes - 1);
          }, 0),
          deliveryMs: longestWait(
            deliveries.filter((d) => d.to !== undefined),
            phase.at,
            end,
          ),
          historyMs: longestWait(
            [...ledger.acked.values()].map((m) => ({ from: m.ackedAt, to: historyAt.get(m.messageId) })),
            phase.at,
            end,
          ),
          routingMs: longestWait(
            [...facts!.sessions.values()].flatMap((s) =>
              s.requestedAt === undefined ? [] : [{ from: s.requestedAt, to: s.assignedAt }],
            ),
            phase.at,
            end,
          ),
          tookMs: phase.tookMs,
        };
      };

      const table = (rows: readonly Row[]): string => {
        const header = [
          'fault',
          'acked',
          'lost',
          'duplicates (deduped)',
          'recovery ms',
          'history ms',
          'routing ms',
          'fault took ms',
        ];
        const lines = rows.map((r) => [
          r.fault,
          String(r.acked),
          String(r.lostIds.length),
          String(r.duplicates),
          String(r.deliveryMs),
          String(r.historyMs),
          String(r.routingMs),
          r.tookMs === undefined ? '-' : String(r.tookMs),
        ]);
        const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
        const format = (cells: readonly string[]) =>
          cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
        return [
          'Fault suite: per fault, the messages acknowledged from its start until the next fault. "recovery ms":',
          'the longest a message waited for its recipient after the fault began, among those delivered before the',
          'next fault; "history ms" the same for the history (read model), "routing ms" for an assignment.',
          format(header),
          ...lines.map(format),
        ].join('\n');
      };

      it(
        'times out every open session on time, after the faults',
        diagnosed(async () => {
          const open = [...openAtStop!.sessions.values()].flatMap(({ state }) =>
            state.status === 'queued' || state.status === 'assigned' ? [state] : [],
          );
          expect(open.length).toBeGreaterThan(0);
          const deadlines = new Map(
            open.map((state) => [state.sessionId, millis(deadlineOf(state.lastActivityAt, TIMEOUT_SECONDS))] as const),
          );
          const latest = Math.max(...deadlines.values());
          await waitFor(
            'the open sessions to end',
            async () => {
              facts = await readStoreFacts(db!, COMPANY, capacityOf);
              return [...deadlines.keys()].every((s) => facts!.sessions.get(s)?.ended !== undefined) ? true : undefined;
            },
            Math.max(0, latest - Date.now()) + TIMEOUT_SLACK_MS + 10_000,
          ).catch(() => undefined);
          const outcomes = [...deadlines.entries()].map(([sessionId, deadline]) => {
            const ended = facts!.sessions.get(sessionId)?.ended;
            return { sessionId, reason: ended?.reason, lateMs: ended === undefined ? undefined : ended.at - deadline };
          });
          const late = outcomes.map((o) => o.lateMs ?? Infinity);
          process.stdout.write(
            `timeouts: ${outcomes.length} sessions open when the load stopped; ended ${Math.min(...late)} to ${Math.max(...late)} ms after their deadlines (${TIMEOUT_SECONDS} s after the last message; slack ${TIMEOUT_SLACK_MS} ms)\n`,
          );
          expect(
            outcomes.filter((o) => o.reason !== 'timeout' || o.lateMs! < 0 || o.lateMs! > TIMEOUT_SLACK_MS),
          ).toEqual([]);
        }),
      );

      /** Until the log has not moved for 2 s: the reactions of the last timeouts are done. */
      const quiet = async (): Promise<void> => {
        let last = '';
        let since = Date.now();
        await waitFor(
          'the event log to be quiet',
          async () => {
            facts = await readStoreFacts(db!, COMPANY, capacityOf);
            if (facts.lastPosition !== last) [last, since] = [facts.lastPosition, Date.now()];
            return Date.now() - since >= 2000 ? true : undefined;
          },
          30_000,
        );
      };

      it(
        'never put an agent above its capacity, nor a session with two agents',
        diagnosed(async () => {
          await quiet();
          const sessions = [...facts!.sessions.values()];
          const assignedTwice = sessions.flatMap(({ state, assignments }) =>
            assignments > 1 && state.status !== 'none' ? [state.sessionId] : [],
          );
          process.stdout.write(
            `assignments: ${sessions.filter((s) => s.assignments === 1).length} sessions assigned once, ${assignedTwice.length} twice; ` +
              `highest loads ${JSON.stringify(Object.fromEntries(facts!.peakLoad))} of capacity ${CAPACITY}\n`,
          );
          expect({
            assignedTwice,
            overCapacity: facts!.overCapacity,
            heldByTwo: facts!.heldByTwo,
            stillHeld: facts!.stillHeld,
          }).toEqual({ assignedTwice: [], overCapacity: [], heldByTwo: [], stillHeld: [] });
        }),
      );

      it(
        'has read models equal to a clean rebuild from the event store, row by row',
        diagnosed(async () => {
          await quiet();
          await rebuildInto(db!, store!, 'rebuilt');
          // The live projectors may still be applying the last events: compare until equal, 20 s at most.
          let differences = await compareReadModels(db!, 'rebuilt');
          const deadline = Date.now() + 20_000;
          while (differences.some((d) => d.missing.length + d.extra.length > 0) && Date.now() < deadline) {
            await sleep(500);
            differences = await compareReadModels(db!, 'rebuilt');
          }
          process.stdout.write(
            `read models: ${differences.map((d) => `${d.table} ${d.rows} rows`).join(', ')}; ` +
              `${differences.reduce((n, d) => n + d.missing.length + d.extra.length, 0)} rows differ from the rebuild\n`,
          );
          expect(
            differences
              .filter((d) => d.missing.length + d.extra.length > 0)
              .map((d) => ({ table: d.table, missing: d.missing.slice(0, 5), extra: d.extra.slice(0, 5) })),
          ).toEqual([]);
        }),
      );
    });
  });
});
