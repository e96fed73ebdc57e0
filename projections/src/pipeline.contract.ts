// The fan-out end to end: command handler -> event store -> relay -> bus -> projectors -> read
// models, with redelivery, poison, relay crashes and rebuilds. Run on PGlite with the in-process
// bus, and on PostgreSQL with Kafka.
import type { Knex } from 'knex';
import { isLeft, isRight } from 'fp-ts/Either';
import { session, type IsoInstant } from '@cschat/domain';
import {
  comparePositions,
  handleCommand,
  Relay,
  silentLogger,
  SqlCheckpointStore,
  toBusMessage,
  type Bus,
  type EventStore,
  type Position,
  type RecordedEvent,
} from '@cschat/infra';
import { waitFor } from '../../test-support/wait';
import { PROJECTIONS, prepareReadModels, Projector, rebuild, type ListChanged, type LogReader } from './index';
import { decodeDomainEvent } from './events';
import { historySql, sessionListOf } from './queries';
import { runScenario } from './scenario';

export interface PipelineFixture {
  readonly store: EventStore;
  readonly db: Knex;
  readonly schema: string;
  readonly bus: Bus;
  readonly topic: string;
  readonly readLog: LogReader;
  dispose(): Promise<void>;
}

const readWholeLog = async (store: EventStore): Promise<RecordedEvent[]> => {
  const all: RecordedEvent[] = [];
  let after: Position | undefined;
  for (;;) {
    const page = await store.readAll(after === undefined ? { maxCount: 1000 } : { after, maxCount: 1000 });
    all.push(...page);
    if (page.length < 1000) return all;
    after = page[page.length - 1]!.position;
  }
};

/** Every row of every read model, in a stable order. */
export const snapshot = async (db: Knex, schema: string): Promise<Record<string, unknown[]>> => {
  const tables: Record<string, unknown[]> = {};
  for (const projection of PROJECTIONS) {
    for (const base of projection.tables) {
      const { rows } = await db.raw<{ rows: Record<string, unknown>[] }>(`select * from "${schema}"."${base}"`);
      tables[base] = rows.map((r) => JSON.stringify(r)).sort();
    }
  }
  return tables;
};

export const pipelineContract = (open: () => Promise<PipelineFixture>): void => {
  let f: PipelineFixture;
  let relay: Relay;
  let projectors: Projector[];
  let changes: ListChanged[];
  let parked: string[];
  let tests = 0;
  let groupSuffix: string;
  let lastWritten: Position | undefined;
  const wrote = (position: Position | undefined): void => {
    if (position !== undefined && (lastWritten === undefined || comparePositions(position, lastWritten) > 0))
      lastWritten = position;
  };
  const scenario = async (options: Parameters<typeof runScenario>[1]) => wrote(await runScenario(f.store, options));

  const startProjectors = async () => {
    projectors = PROJECTIONS.map(
      (projection) =>
        new Projector({
          db: f.db,
          schema: f.schema,
          projection,
          bus: f.bus,
          topic: f.topic,
          groupId: `projector-${projection.name}-${groupSuffix}`,
          logger: silentLogger(),
          onListChanged: async (c) => {
            changes.push(...c);
          },
          onParked: (_p, reason) => parked.push(reason),
        }),
    );
    await Promise.all(projectors.map((p) => p.start()));
  };

  beforeEach(async () => {
    f = await open();
    changes = [];
    parked = [];
    lastWritten = undefined;
    groupSuffix = `${Date.now().toString(36)}-${++tests}`;
    await prepareReadModels(f.db, f.schema, PROJECTIONS);
    relay = new Relay({
      store: f.store,
      bus: f.bus,
      checkpoints: new SqlCheckpointStore(f.db, f.schema),
      topic: f.topic,
      logger: silentLogger(),
    });
    relay.start();
    await startProjectors();
  });

  afterEach(async () => {
    await relay.stop();
    await Promise.all(projectors.map((p) => p.stop()));
    await f.dispose();
  });

  /** Waits until every projector has applied the last revision of every stream of the store. */
  const caughtUp = async (except?: string): Promise<void> => {
    // The log shows an event once every older transaction ended (see the event store): wait for
    // the last one written, or the expectation would miss it.
    await waitFor('the log to show the last event written', async () => {
      const head = await f.store.lastPosition();
      return lastWritten === undefined || (head !== undefined && comparePositions(head, lastWritten) >= 0)
        ? true
        : undefined;
    });
    const log = (await readWholeLog(f.store)).filter((e) => e.streamId !== except);
    await waitFor('the read models to catch up', async () => {
      for (const projection of PROJECTIONS) {
        // Each projection records the last event it handled per stream (it skips the others).
        const expected = new Map<string, string>();
        for (const e of log) {
          const decoded = decodeDomainEvent(e);
          if (decoded !== undefined && isRight(decoded) && projection.handles(decoded.right))
            expected.set(e.streamId, e.revision.toString());
        }
        const { rows } = await f.db.raw<{ rows: { stream_id: string; revision: string }[] }>(
          `select s.stream_id, s.revision::text as revision from "${f.schema}".projection_streams s
           join "${f.schema}".projection_generations g on g.projection = s.projection and g.active = s.generation
           where s.projection = ?`,
          [projection.name],
        );
        const applied = new Map(rows.map((r) => [r.stream_id, r.revision]));
        for (const [stream, revision] of expected) if (applied.get(stream) !== revision) return undefined;
      }
      return true;
    });
  };

  const post = async (sessionId: string, from: { role: string; id?: string }, text: string, at: string, extra = {}) => {
    const result = await handleCommand(
      f.store,
      session.sessionAggregate,
      session.sessionStream('acme', sessionId),
      {
        type: 'PostMessage',
        companyId: 'acme',
        sessionId,
        at: at as IsoInstant,
        messageId: `${sessionId}-${at}`,
        from,
        text,
        ...extra,
      } as session.SessionCommand,
      () => ({ hours: {}, timeoutSeconds: 900 }),
    );
    if (isLeft(result)) throw new Error(result.left.message);
    wrote(result.right.position);
  };
  const onSession = async (sessionId: string, command: Record<string, unknown>) => {
    const result = await handleCommand(
      f.store,
      session.sessionAggregate,
      session.sessionStream('acme', sessionId),
      { companyId: 'acme', sessionId, ...command } as session.SessionCommand,
      () => ({ hours: {}, timeoutSeconds: 900 }),
    );
    if (isLeft(result)) throw new Error(result.left.message);
    wrote(result.right.position);
  };
  const listRow = async (sessionId: string) => {
    const { rows } = await f.db.raw<{
      rows: { unread: boolean; first_unread_at: Date | null; agent_id: string | null; state: string }[];
    }>(
      `select unread, first_unread_at, agent_id, state from "${f.schema}".session_list where company_id = 'acme' and session_id = ?`,
      [sessionId],
    );
    return rows[0];
  };

  it('unread: a visitor message sets it with the first unread time, an agent message does not, a read clears it', async () => {
    const visitor = { role: 'visitor', id: 'v1' };
    await post('s1', visitor, 'hello', '2026-11-25T10:00:01.000Z', {
      origin: { visitorId: 'v1', channel: 'web', groupId: 'support' },
    });
    await onSession('s1', { type: 'RequestHuman', at: '2026-11-25T10:00:02.000Z' });
    await onSession('s1', { type: 'AssignSession', agentId: 'alice', at: '2026-11-25T10:00:03.000Z' });
    await caughtUp();
    expect(await listRow('s1')).toMatchObject({ unread: true, agent_id: 'alice', state: 'assigned' });
    expect((await listRow('s1'))!.first_unread_at!.toISOString()).toBe('2026-11-25T10:00:01.000Z');
    expect(changes).toContainEqual({ companyId: 'acme', agentId: 'alice', sessionId: 's1', reason: 'assigned' });

    await onSession('s1', { type: 'MarkSessionRead', agentId: 'alice', at: '2026-11-25T10:00:04.000Z' });
    await post('s1', { role: 'agent', id: 'alice' }, 'hi, how can I help?', '2026-11-25T10:00:05.000Z');
    await caughtUp();
    expect(await listRow('s1')).toMatchObject({ unread: false, first_unread_at: null });
    expect(changes).toContainEqual({ companyId: 'acme', agentId: 'alice', sessionId: 's1', reason: 'read' });

    await post('s1', visitor, 'my order is late', '2026-11-25T10:00:06.000Z');
    await post('s1', visitor, 'order 42', '2026-11-25T10:00:07.000Z');
    await caughtUp();
    expect((await listRow('s1'))!.first_unread_at!.toISOString()).toBe('2026-11-25T10:00:06.000Z');
    const [row] = await sessionListOf(f.db, f.schema, 'acme', 'alice');
    expect(row).toMatchObject({
      sessionId: 's1',
      unread: true,
      lastMessage: { text: 'order 42', from: { role: 'visitor', id: 'v1' } },
    });
  });

  it('applies a redelivered event once, tolerates any order across streams, and parks a poison event', async () => {
    await scenario({ companyId: 'acme', sessions: 6 });
    await caughtUp();
    const before = await snapshot(f.db, f.schema);
    const events = await readWholeLog(f.store);
    // Every event again, streams in reverse order (each stream's own order kept).
    const byStream = new Map<string, RecordedEvent[]>();
    for (const e of events) byStream.set(e.streamId, [...(byStream.get(e.streamId) ?? []), e]);
    const redelivered = [...byStream.values()].reverse().flat();
    for (const projector of projectors) {
      for (const e of redelivered)
        await projector.handle({ ...toBusMessage(e), topic: f.topic, partition: 0, offset: 0n });
    }
    expect(await snapshot(f.db, f.schema)).toEqual(before);

    // Poison: not JSON, then an envelope whose event does not decode; the projector goes on.
    await f.bus.publish(f.topic, [{ key: 'x', value: '{not json' }]);
    await f.store.append(
      session.sessionStream('acme', 'broken'),
      [{ type: 'MessagePosted', data: { v: 1, text: 42 } }],
      'no_stream',
    );
    await post('s-after', { role: 'visitor', id: 'v9' }, 'still working?', '2026-11-25T11:00:00.000Z', {
      origin: { visitorId: 'v9', channel: 'web', groupId: 'support' },
    });
    await caughtUp(session.sessionStream('acme', 'broken')); // the broken stream is never applied
    expect(await listRow('s-after')).toBeDefined();
    const { rows } = await f.db.raw<{ rows: { projection: string; reason: string }[] }>(
      `select projection, reason from "${f.schema}".projection_parked order by projection`,
    );
    expect(rows.filter((r) => r.reason === 'not JSON')).toHaveLength(PROJECTIONS.length);
    expect(rows.filter((r) => /cannot decode MessagePosted/.test(r.reason))).toHaveLength(PROJECTIONS.length);
    expect(parked.length).toBe(2 * PROJECTIONS.length);
  });

  it('loses nothing and doubles nothing when the relay dies between publishing and checkpointing', async () => {
    await relay.stop();
    let crashes = 0;
    relay = new Relay({
      store: f.store,
      bus: f.bus,
      checkpoints: new SqlCheckpointStore(f.db, f.schema),
      topic: f.topic,
      maxBatch: 7,
      logger: silentLogger(),
      afterPublish: async () => {
        if (crashes++ < 3) throw new Error('relay killed after publishing');
      },
    });
    relay.start();
    await scenario({ companyId: 'acme', sessions: 10 });
    await caughtUp();
    expect(crashes).toBeGreaterThan(3);
    const events = await readWholeLog(f.store);
    const posted = events.filter((e) => e.type === 'MessagePosted');
    const { rows } = await f.db.raw<{ rows: { count: string }[] }>(
      `select count(*)::text as count from "${f.schema}".messages`,
    );
    expect(Number(rows[0]!.count)).toBe(posted.length);
    const { rows: facts } = await f.db.raw<{ rows: { visitor: string }[] }>(
      `select sum(visitor_messages)::text as visitor from "${f.schema}".session_facts`,
    );
    expect(Number(facts[0]!.visitor)).toBe(
      posted.filter((e) => (e.data['from'] as { role: string }).role === 'visitor').length,
    );
  });

  it('a rebuilt read model equals the live one, also when events keep arriving during the rebuild', async () => {
    await scenario({ companyId: 'acme', sessions: 12 });
    await caughtUp();
    const live = await snapshot(f.db, f.schema);
    for (const projection of PROJECTIONS) {
      const result = await rebuild({ db: f.db, schema: f.schema, projection, readLog: f.readLog, batchSize: 25 });
      expect(result.generation).toBe(2);
    }
    expect(await snapshot(f.db, f.schema)).toEqual(live);

    // Rebuild again while another company keeps chatting; afterwards the live projectors go on
    // writing into the new generation, and a third rebuild from scratch agrees with it.
    const traffic = scenario({ companyId: 'globex', sessions: 8 });
    await Promise.all(
      PROJECTIONS.map((projection) =>
        rebuild({ db: f.db, schema: f.schema, projection, readLog: f.readLog, batchSize: 10 }),
      ),
    );
    await traffic;
    await caughtUp();
    const afterTraffic = await snapshot(f.db, f.schema);
    for (const projection of PROJECTIONS) await rebuild({ db: f.db, schema: f.schema, projection, readLog: f.readLog });
    expect(await snapshot(f.db, f.schema)).toEqual(afterTraffic);
    const { rows } = await f.db.raw<{ rows: { count: string }[] }>(
      `select count(*)::text as count from information_schema.tables where table_schema = ? and table_name like '%\\_\\_g%' and table_name not like '%\\_p2%'`,
      [f.schema],
    );
    expect(Number(rows[0]!.count)).toBe(PROJECTIONS.reduce((n, p) => n + p.tables.length, 0)); // old generations dropped
  });

  it('reads a history page from the month partitions of its bounds only', async () => {
    const visitor = { role: 'visitor', id: 'v1' };
    await post('h1', visitor, 'october', '2026-10-30T10:00:00.000Z', {
      origin: { visitorId: 'v1', channel: 'web', groupId: 'support' },
    });
    await post('h1', visitor, 'november', '2026-11-15T10:00:00.000Z');
    await post('h1', visitor, 'december', '2026-12-02T10:00:00.000Z');
    await caughtUp();
    const { sql, bindings } = historySql(f.schema, {
      companyId: 'acme',
      sessionId: 'h1',
      since: '2026-11-01T00:00:00Z',
      before: '2026-11-30T00:00:00Z',
      limit: 50,
    });
    const { rows } = await f.db.raw<{ rows: Record<string, string>[] }>(`explain ${sql}`, bindings);
    const plan = rows.map((r) => Object.values(r)[0]).join('\n');
    expect(plan).toMatch(/_p202611/);
    expect(plan).not.toMatch(/_p202610|_p202612/);
  });
};
