// The fan-out end to end: command handler -> event store -> relay -> bus -> projectors -> read
// models, with redelivery, poison, relay crashes and rebuilds. Run on PGlite with the in-process
// bus, and on PostgreSQL with Kafka.
import type { Knex } from 'knex';
import { isLeft, isRight } from 'fp-ts/Either';
import { agent, queue as queues, session, type IsoInstant } from '@cschat/domain';
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
import { historyPage, historySql, sessionListOf } from './queries';
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
    projectors = [
      new Projector({
        db: f.db,
        schema: f.schema,
        projections: PROJECTIONS,
        bus: f.bus,
        topic: f.topic,
        groupId: `projector-${groupSuffix}`,
        logger: silentLogger(),
        onListChanged: async (c) => {
          changes.push(...c);
        },
        onParked: (_p, reason) => parked.push(reason),
      }),
    ];
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

  // The log shows an event once every older transaction ended (see the event store): wait for
  // the last one written, or an expectation would miss it.
  const logShowsLastWritten = () =>
    waitFor('the log to show the last event written', async () => {
      const head = await f.store.lastPosition();
      return lastWritten === undefined || (head !== undefined && comparePositions(head, lastWritten) >= 0)
        ? true
        : undefined;
    });

  /** Waits until every projector has applied the last revision of every stream of the store. */
  const caughtUp = async (except?: string): Promise<void> => {
    await logShowsLastWritten();
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
  const onAgent = async (agentId: string, command: Record<string, unknown>) => {
    const result = await handleCommand(
      f.store,
      agent.agentAggregate,
      agent.agentStream('acme', agentId),
      { companyId: 'acme', agentId, ...command } as agent.AgentCommand,
      () => undefined,
    );
    if (isLeft(result)) throw new Error(result.left.message);
    wrote(result.right.position);
  };
  const delivered = (e: RecordedEvent) => ({ ...toBusMessage(e), topic: f.topic, partition: 0, offset: 0n });
  const stopProjectors = () => Promise.all(projectors.map((p) => p.stop()));
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
    expect(changes).toContainEqual(
      expect.objectContaining({ companyId: 'acme', agentId: 'alice', sessionId: 's1', reason: 'read' }),
    );

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
    // A message's change carries the session's row as the list shows it (the gateway pushes it).
    expect(changes.filter((c) => c.sessionId === 's1' && c.reason === 'message').at(-1)?.row).toEqual(row);
  });

  it("tags and notes: the row carries the visitor's name and the tags, a tag change pushes it, notes are private history rows", async () => {
    await post('s1', { role: 'visitor', id: 'v1' }, 'hello', '2026-11-25T10:00:01.000Z', {
      origin: { visitorId: 'v1', channel: 'telegram', groupId: 'support', visitorName: 'Ann' },
    });
    await onSession('s1', { type: 'RequestHuman', at: '2026-11-25T10:00:02.000Z' });
    await onSession('s1', { type: 'AssignSession', agentId: 'alice', at: '2026-11-25T10:00:03.000Z' });
    await onSession('s1', {
      type: 'TagSession',
      agentId: 'alice',
      add: ['vip', 'refund'],
      remove: [],
      at: '2026-11-25T10:00:04.000Z',
    });
    await onSession('s1', {
      type: 'PostNote',
      agentId: 'alice',
      messageId: 'note-1',
      clientMsgId: 'n1',
      text: 'call back tomorrow',
      at: '2026-11-25T10:00:05.000Z',
    });
    await caughtUp();
    // A tag change alone in its batch pushes the one row (with an assignment, the whole list goes).
    changes.length = 0;
    await onSession('s1', {
      type: 'TagSession',
      agentId: 'alice',
      add: [],
      remove: ['vip'],
      at: '2026-11-25T10:00:06.000Z',
    });
    await caughtUp();
    const [row] = await sessionListOf(f.db, f.schema, 'acme', 'alice');
    expect(row).toMatchObject({ sessionId: 's1', visitorName: 'Ann', tags: ['refund'] });
    // The note is no chat message: the row's last message is still the visitor's.
    expect(row?.lastMessage?.text).toBe('hello');
    await waitFor('the tag change', async () => (changes.some((c) => c.reason === 'tags') ? true : undefined));
    expect(changes.filter((c) => c.sessionId === 's1' && c.reason === 'tags').at(-1)?.row).toEqual(row);

    const page = { companyId: 'acme', sessionId: 's1', limit: 10 };
    const forAgents = await historyPage(f.db, f.schema, { ...page, notes: true });
    expect(forAgents.map((m) => [m.text, m.private])).toEqual([
      ['call back tomorrow', true],
      ['hello', undefined],
    ]);
    expect(forAgents[0]).toMatchObject({
      messageId: 'note-1',
      clientMsgId: 'n1',
      from: { role: 'agent', id: 'alice' },
    });
    const forVisitor = await historyPage(f.db, f.schema, page);
    expect(forVisitor.map((m) => m.text)).toEqual(['hello']);
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
    const results = await rebuild({
      db: f.db,
      schema: f.schema,
      projections: PROJECTIONS,
      readLog: f.readLog,
      batchSize: 25,
    });
    expect(results.map((r) => r.generation)).toEqual(PROJECTIONS.map(() => 2));
    expect(await snapshot(f.db, f.schema)).toEqual(live);

    // Rebuild again while another company keeps chatting; afterwards the live projectors go on
    // writing into the new generation, and a third rebuild from scratch agrees with it.
    const traffic = scenario({ companyId: 'globex', sessions: 8 });
    await Promise.all(
      [PROJECTIONS.slice(0, 3), PROJECTIONS.slice(3)].map((projections) =>
        rebuild({ db: f.db, schema: f.schema, projections, readLog: f.readLog, batchSize: 10 }),
      ),
    );
    await traffic;
    await caughtUp();
    const afterTraffic = await snapshot(f.db, f.schema);
    for (const projection of PROJECTIONS)
      await rebuild({ db: f.db, schema: f.schema, projections: [projection], readLog: f.readLog });
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
  it('applies a redelivered batch that mixes applied and new events (some twice) once', async () => {
    await scenario({ companyId: 'acme', sessions: 4 });
    await caughtUp();
    await stopProjectors();
    const applied = await readWholeLog(f.store);
    await scenario({ companyId: 'initech', sessions: 3 });
    await logShowsLastWritten();
    const all = await readWholeLog(f.store);
    const fresh = all.slice(applied.length);
    expect(fresh.length).toBeGreaterThan(0);
    // Streams in reverse order (each stream's own order kept), then the new events once more.
    const byStream = new Map<string, RecordedEvent[]>();
    for (const e of all) byStream.set(e.streamId, [...(byStream.get(e.streamId) ?? []), e]);
    await projectors[0]!.handleBatch([...[...byStream.values()].reverse().flat(), ...fresh].map(delivered));
    const once = await snapshot(f.db, f.schema);
    const { rows } = await f.db.raw<{ rows: { count: string }[] }>(
      `select count(*)::text as count from "${f.schema}".messages`,
    );
    expect(Number(rows[0]!.count)).toBe(all.filter((e) => e.type === 'MessagePosted').length);

    // The live projector gets the new events again from the bus: nothing changes.
    await startProjectors();
    await caughtUp();
    expect(await snapshot(f.db, f.schema)).toEqual(once);
    await rebuild({ db: f.db, schema: f.schema, projections: PROJECTIONS, readLog: f.readLog });
    expect(await snapshot(f.db, f.schema)).toEqual(once);
  });

  it('a batch touching one row many times leaves the rows its events leave one at a time', async () => {
    await stopProjectors();
    let clock = Date.parse('2026-11-25T10:00:00.000Z');
    const at = () => new Date((clock += 1000)).toISOString();
    const visitor = { role: 'visitor', id: 'v1' };
    const queue = async (command: Record<string, unknown>) => {
      const result = await handleCommand(
        f.store,
        queues.queueAggregate,
        queues.queueStream('acme', 'support'),
        { companyId: 'acme', groupId: 'support', at: at(), ...command } as queues.QueueCommand,
        () => undefined,
      );
      if (isLeft(result)) throw new Error(result.left.message);
      wrote(result.right.position);
    };
    await onAgent('alice', { type: 'ChangeAgentStatus', status: 'idle', at: at() });
    await onAgent('bob', { type: 'ChangeAgentStatus', status: 'idle', at: at() });
    await post('m', visitor, 'hello', at(), { origin: { visitorId: 'v1', channel: 'web', groupId: 'support' } });
    await post('m', { role: 'bot' }, 'Let me find someone.', at());
    await onSession('m', { type: 'RequestHuman', at: at() });
    await queue({ type: 'JoinQueue', sessionId: 'm' });
    await onAgent('alice', { type: 'AttachSession', sessionId: 'm', capacity: 5, at: at() });
    await onSession('m', { type: 'AssignSession', agentId: 'alice', at: at() });
    await queue({ type: 'LeaveQueue', sessionId: 'm', reason: 'assigned' });
    await post('m', visitor, 'one', at());
    await post('m', visitor, 'two', at());
    await onSession('m', { type: 'MarkSessionRead', agentId: 'alice', at: at() });
    await post('m', { role: 'agent', id: 'alice' }, 'hi', at());
    await post('m', visitor, 'three', at());
    await onSession('m', { type: 'TransferSession', byAgentId: 'alice', to: { agentId: 'bob' }, at: at() });
    await onAgent('alice', { type: 'DetachSession', sessionId: 'm', reason: 'transferred', at: at() });
    await onAgent('bob', { type: 'AttachSession', sessionId: 'm', capacity: 5, at: at() });
    await post('m', visitor, 'four', at());
    await onSession('m', { type: 'MarkSessionRead', agentId: 'bob', at: at() });
    await post('m', { role: 'agent', id: 'bob' }, 'bob here', at());
    await onAgent('alice', { type: 'ChangeAgentStatus', status: 'away', at: at() });
    await onSession('m', { type: 'EndSession', by: visitor, at: at() });
    await onAgent('bob', { type: 'DetachSession', sessionId: 'm', reason: 'ended', at: at() });
    await logShowsLastWritten();
    const log = await readWholeLog(f.store);

    const before = changes.length;
    await projectors[0]!.handleBatch(log.map(delivered));
    const inOneBatch = await snapshot(f.db, f.schema);
    expect(inOneBatch['session_list']).toHaveLength(1);
    expect(inOneBatch['messages']).toHaveLength(8);
    // One push per agent: each had an R6 trigger, so the whole list once (named by the first).
    expect(changes.slice(before).map((c) => [c.agentId, c.reason])).toEqual([
      ['alice', 'assigned'],
      ['bob', 'transferred'],
    ]);

    await rebuild({ db: f.db, schema: f.schema, projections: PROJECTIONS, readLog: f.readLog, batchSize: 1 });
    expect(await snapshot(f.db, f.schema)).toEqual(inOneBatch);
  });

  it('parks a poison event inside a batch and applies the rest of the batch', async () => {
    await stopProjectors();
    const visitor = { role: 'visitor', id: 'v7' };
    await post('p1', visitor, 'before', '2026-11-25T12:00:00.000Z', {
      origin: { visitorId: 'v7', channel: 'web', groupId: 'support' },
    });
    await post('p1', visitor, 'after', '2026-11-25T12:00:01.000Z');
    await logShowsLastWritten();
    const log = await readWholeLog(f.store);
    const message = log.find((e) => e.type === 'MessagePosted')!;
    const broken: RecordedEvent = {
      ...message,
      streamId: session.sessionStream('acme', 'broken'),
      revision: 0n,
      data: { v: 1, text: 42 },
    };
    await projectors[0]!.handleBatch([
      delivered(log[0]!),
      { key: 'x', value: '{not json', topic: f.topic, partition: 0, offset: 0n },
      delivered(broken),
      ...log.slice(1).map(delivered),
    ]);
    expect(await listRow('p1')).toMatchObject({ state: 'bot', unread: true });
    const [row] = (
      await f.db.raw<{ rows: { last_message_text: string }[] }>(
        `select last_message_text from "${f.schema}".session_list where session_id = 'p1'`,
      )
    ).rows;
    expect(row?.last_message_text).toBe('after');
    const { rows: parkedRows } = await f.db.raw<{ rows: { reason: string }[] }>(
      `select reason from "${f.schema}".projection_parked`,
    );
    expect(parkedRows.filter((r) => r.reason === 'not JSON')).toHaveLength(PROJECTIONS.length);
    expect(parkedRows.filter((r) => /cannot decode MessagePosted/.test(r.reason))).toHaveLength(PROJECTIONS.length);
    expect(parked).toHaveLength(2 * PROJECTIONS.length);
    const { rows: brokenStreams } = await f.db.raw<{ rows: unknown[] }>(
      `select 1 from "${f.schema}".projection_streams where stream_id = ?`,
      [broken.streamId],
    );
    expect(brokenStreams).toHaveLength(0);
  });
};
