// The one contract every event store adapter passes. Each test gets a fresh, empty store.
import { InvalidAppendError, VersionConflictError } from './errors';
import type { AppendResult, EventFilter, EventStore, NewEvent, Position, RecordedEvent, Subscription } from './port';
import { comparePositions } from './port';

export interface StoreFixture {
  readonly store: EventStore;
  /** Stops the store and removes what the test wrote. */
  dispose(): Promise<void>;
}

const event = (type: string, data: Record<string, unknown> = {}): NewEvent => ({ type, data });

const take = async (subscription: Subscription, count: number, timeoutMs = 10000): Promise<RecordedEvent[]> => {
  const seen: RecordedEvent[] = [];
  const timeout = setTimeout(() => void subscription.stop(), timeoutMs);
  try {
    for await (const recorded of subscription) {
      seen.push(recorded);
      if (seen.length === count) break;
    }
  } finally {
    clearTimeout(timeout);
  }
  return seen;
};

/** This test's part of the global log (a shared EventStoreDB also holds other tests' events). */
const readWholeLog = async (store: EventStore, batch: number, prefix: string): Promise<RecordedEvent[]> => {
  const all: RecordedEvent[] = [];
  let after: Position | undefined;
  for (;;) {
    const page = await store.readAll(after === undefined ? { maxCount: batch } : { after, maxCount: batch });
    all.push(...page.filter((e) => e.streamId.startsWith(prefix)));
    if (page.length < batch) return all;
    after = page[page.length - 1]!.position;
  }
};

const expectConflict = async (promise: Promise<unknown>): Promise<VersionConflictError> => {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(VersionConflictError);
  return error as VersionConflictError;
};

export const eventStoreContract = (open: () => Promise<StoreFixture>): void => {
  let fixture: StoreFixture;
  let store: EventStore;
  // Every test writes streams of its own prefix, so that adapters whose log is shared between
  // tests (a real EventStoreDB) pass the same contract as those that start empty.
  let prefix = '';
  let tests = 0;
  const s = (stream: string): string => `${prefix}${stream}`;
  const mine = (): EventFilter => ({ streamPrefixes: [prefix] });

  beforeEach(async () => {
    fixture = await open();
    store = fixture.store;
    prefix = `t${Date.now().toString(36)}${++tests}-`;
  });
  afterEach(() => fixture.dispose());

  describe('append and read a stream', () => {
    it('appends to a new stream and reads the events back with their metadata', async () => {
      const result = await store.append(
        s('session-acme-1'),
        [
          { type: 'SessionStarted', data: { companyId: 'acme', text: '你好 👋' }, metadata: { correlationId: 'c-1' } },
          {
            eventId: '7d7f5b8e-1d3a-4c57-9b4e-0d2f1d1c9a11',
            type: 'MessagePosted',
            data: { nested: { list: [1, 'two', null] } },
            metadata: { correlationId: 'c-1', causationId: 'cmd-9' },
          },
        ],
        'no_stream',
      );
      expect(result.revision).toBe(1n);

      const events = await store.readStream(s('session-acme-1'));
      expect(events.map((e) => [e.revision, e.type])).toEqual([
        [0n, 'SessionStarted'],
        [1n, 'MessagePosted'],
      ]);
      expect(events[0]!.data).toEqual({ companyId: 'acme', text: '你好 👋' });
      expect(events[0]!.metadata).toMatchObject({ correlationId: 'c-1' });
      expect(events[1]!.eventId).toBe('7d7f5b8e-1d3a-4c57-9b4e-0d2f1d1c9a11');
      expect(events[1]!.metadata).toMatchObject({ correlationId: 'c-1', causationId: 'cmd-9' });
      expect(events[1]!.data).toEqual({ nested: { list: [1, 'two', null] } });
      expect(events[0]!.eventId).toMatch(/^[0-9a-f-]{36}$/);
      expect(events[0]!.streamId).toBe(s('session-acme-1'));
      expect(events[0]!.recordedAt).toBeInstanceOf(Date);
      expect(Math.abs(events[0]!.recordedAt.getTime() - Date.now())).toBeLessThan(60_000);
      expect(comparePositions(events[1]!.position, result.position)).toBe(0);
      expect(comparePositions(events[0]!.position, events[1]!.position)).toBe(-1);
    });

    it('reads a missing stream as empty', async () => {
      expect(await store.readStream(s('nothing-here'))).toEqual([]);
      expect(await store.readStream(s('nothing-here'), { direction: 'backwards' })).toEqual([]);
    });

    it('reads forwards and backwards from a revision with a maximum count', async () => {
      await store.append(
        s('s-1'),
        [0, 1, 2, 3, 4].map((n) => event('Counted', { n })),
        'no_stream',
      );
      const revisions = (events: RecordedEvent[]): bigint[] => events.map((e) => e.revision);
      expect(revisions(await store.readStream(s('s-1'), { fromRevision: 2n }))).toEqual([2n, 3n, 4n]);
      expect(revisions(await store.readStream(s('s-1'), { fromRevision: 1n, maxCount: 2 }))).toEqual([1n, 2n]);
      expect(revisions(await store.readStream(s('s-1'), { direction: 'backwards' }))).toEqual([4n, 3n, 2n, 1n, 0n]);
      expect(
        revisions(await store.readStream(s('s-1'), { direction: 'backwards', fromRevision: 3n, maxCount: 2 })),
      ).toEqual([3n, 2n]);
      expect(await store.readStream(s('s-1'), { fromRevision: 5n })).toEqual([]);
    });
  });

  describe('expected revision', () => {
    it('no_stream: succeeds once, then conflicts', async () => {
      await store.append(s('s-1'), [event('A')], 'no_stream');
      const conflict = await expectConflict(store.append(s('s-1'), [event('B')], 'no_stream'));
      expect(conflict.streamId).toBe(s('s-1'));
      expect(conflict.actual).toBe(0n);
      expect(conflict.code).toBe('version_conflict');
    });

    it('stream_exists: conflicts on a missing stream, succeeds on an existing one', async () => {
      const conflict = await expectConflict(store.append(s('s-1'), [event('A')], 'stream_exists'));
      expect(conflict.actual).toBeUndefined();
      await store.append(s('s-1'), [event('A')], 'any');
      expect((await store.append(s('s-1'), [event('B')], 'stream_exists')).revision).toBe(1n);
    });

    it('exact revision: succeeds when it matches, conflicts with the actual revision otherwise', async () => {
      await store.append(s('s-1'), [event('A'), event('B')], 'no_stream');
      const conflict = await expectConflict(store.append(s('s-1'), [event('C')], 0n));
      expect(conflict.actual).toBe(1n);
      expect(conflict.expected).toBe(0n);
      await expectConflict(store.append(s('s-2'), [event('C')], 0n));
      expect((await store.append(s('s-1'), [event('C')], 1n)).revision).toBe(2n);
      expect((await store.readStream(s('s-1'))).map((e) => e.type)).toEqual(['A', 'B', 'C']);
    });

    it('any: appends whatever the stream holds', async () => {
      expect((await store.append(s('s-1'), [event('A')], 'any')).revision).toBe(0n);
      expect((await store.append(s('s-1'), [event('B'), event('C')], 'any')).revision).toBe(2n);
    });

    it('a conflicting append writes nothing', async () => {
      await store.append(s('s-1'), [event('A')], 'no_stream');
      await expectConflict(store.append(s('s-1'), [event('B'), event('C')], 5n));
      expect(await store.readStream(s('s-1'))).toHaveLength(1);
      expect(await readWholeLog(store, 10, prefix)).toHaveLength(1);
    });
  });

  describe('concurrent appends to one stream', () => {
    it('with the same expected revision: exactly one wins', async () => {
      await store.append(s('hot'), [event('Opened')], 'no_stream');
      const attempts = await Promise.allSettled(
        Array.from({ length: 8 }, (_, i) => store.append(s('hot'), [event('Raced', { i })], 0n)),
      );
      const won = attempts.filter((a) => a.status === 'fulfilled');
      const lost = attempts.filter((a): a is PromiseRejectedResult => a.status === 'rejected');
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(7);
      for (const failure of lost) expect(failure.reason).toBeInstanceOf(VersionConflictError);
      expect(await store.readStream(s('hot'))).toHaveLength(2);
    });

    it('creating the same stream: exactly one wins', async () => {
      const attempts = await Promise.allSettled(
        Array.from({ length: 6 }, () => store.append(s('new'), [event('Opened')], 'no_stream')),
      );
      expect(attempts.filter((a) => a.status === 'fulfilled')).toHaveLength(1);
    });

    it('with any: all win, with distinct consecutive revisions', async () => {
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) => store.append(s('busy'), [event('A', { i }), event('B', { i })], 'any')),
      );
      expect(results.map((r) => r.revision).sort((a, b) => Number(a - b))).toEqual(
        Array.from({ length: 10 }, (_, i) => BigInt(i * 2 + 1)),
      );
      const events = await store.readStream(s('busy'));
      expect(events.map((e) => e.revision)).toEqual(Array.from({ length: 20 }, (_, i) => BigInt(i)));
      // Each append's two events stay together.
      for (let i = 0; i < 20; i += 2) expect(events[i]!.data).toEqual(events[i + 1]!.data);
    });
  });

  describe('concurrent appends to several streams, each with its own outcome', () => {
    /** Events of one append: `n` events tagged with the append's name and their rank in it. */
    const events = (name: string, n: number): NewEvent[] =>
      Array.from({ length: n }, (_, k) => event('Tagged', { name, k }));
    const name = (e: RecordedEvent): unknown => e.data['name'];

    const conflictOf = (outcome: PromiseSettledResult<unknown>): VersionConflictError => {
      expect(outcome.status).toBe('rejected');
      const reason: unknown = outcome.status === 'rejected' ? outcome.reason : undefined;
      expect(reason).toBeInstanceOf(VersionConflictError);
      return reason as VersionConflictError;
    };

    /** Each append's events stand together in the log, in their order; returns the appends' names. */
    const appendsInLog = (log: readonly RecordedEvent[]): unknown[] => {
      const names: unknown[] = [];
      log.forEach((e, i) => {
        if (e.data['k'] === 0) names.push(name(e));
        else expect([name(log[i - 1]!), log[i - 1]!.data['k']]).toEqual([name(e), Number(e.data['k']) - 1]);
      });
      return names;
    };

    it('a conflict fails its own append only; the others get their own revision and position', async () => {
      await store.append(s('existing'), [event('Opened')], 'no_stream');
      await store.append(s('two'), [event('Opened'), event('Noted')], 'no_stream');
      await store.append(s('touched'), [event('Opened')], 'no_stream');
      await store.append(s('present'), [event('Opened')], 'no_stream');
      await store.append(s('exact'), [event('Opened')], 'no_stream');
      const setUp = await readWholeLog(store, 100, prefix);

      const [created, noStream, wrongRevision, any, exists, exact] = await Promise.allSettled([
        store.append(s('fresh'), events('created', 2), 'no_stream'),
        store.append(s('existing'), events('no-stream', 2), 'no_stream'),
        store.append(s('two'), events('wrong-revision', 1), 0n),
        store.append(s('touched'), events('any', 3), 'any'),
        store.append(s('present'), events('exists', 1), 'stream_exists'),
        store.append(s('exact'), events('exact', 2), 0n),
      ]);

      expect(conflictOf(noStream).actual).toBe(0n);
      const wrong = conflictOf(wrongRevision);
      expect([wrong.streamId, wrong.expected, wrong.actual]).toEqual([s('two'), 0n, 1n]);
      const revisionOf = (outcome: PromiseSettledResult<AppendResult>): bigint | undefined =>
        outcome.status === 'fulfilled' ? outcome.value.revision : undefined;
      expect([created, any, exists, exact].map(revisionOf)).toEqual([1n, 3n, 1n, 2n]);

      expect(await store.readStream(s('existing'))).toHaveLength(1);
      expect(await store.readStream(s('two'))).toHaveLength(2);
      expect((await store.readStream(s('touched'))).map((e) => e.revision)).toEqual([0n, 1n, 2n, 3n]);

      const log = (await readWholeLog(store, 100, prefix)).slice(setUp.length);
      expect(log).toHaveLength(8);
      expect(appendsInLog(log).sort()).toEqual(['any', 'created', 'exact', 'exists']);
      // Each result's position is that of its append's last event.
      for (const [outcome, tag] of [
        [created, 'created'],
        [any, 'any'],
        [exists, 'exists'],
        [exact, 'exact'],
      ] as const) {
        const last = log.filter((e) => name(e) === tag).pop()!;
        expect(outcome.status === 'fulfilled' && comparePositions(outcome.value.position, last.position)).toBe(0);
      }
    });

    it('several concurrent `any` appends to one stream, among appends to others, each get consecutive revisions', async () => {
      const results = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          i % 2 === 0
            ? store.append(s('hot'), events(`hot-${i}`, 2), 'any')
            : store.append(s(`cold-${i}`), events(`cold-${i}`, 2), 'no_stream'),
        ),
      );
      expect(results.filter((_, i) => i % 2 === 1).map((r) => r.revision)).toEqual(Array(6).fill(1n));
      expect(
        results
          .filter((_, i) => i % 2 === 0)
          .map((r) => r.revision)
          .sort((a, b) => Number(a - b)),
      ).toEqual([1n, 3n, 5n, 7n, 9n, 11n]);

      const hot = await store.readStream(s('hot'));
      expect(hot.map((e) => e.revision)).toEqual(Array.from({ length: 12 }, (_, i) => BigInt(i)));
      for (let i = 0; i < 12; i += 2) expect([name(hot[i + 1]!), hot[i + 1]!.data['k']]).toEqual([name(hot[i]!), 1]);
      // Each result is its own: the revision it reports is its own last event's.
      results.forEach((result, i) => {
        if (i % 2 === 0) expect(name(hot[Number(result.revision)]!)).toBe(`hot-${i}`);
      });

      const log = await readWholeLog(store, 100, prefix);
      expect(log).toHaveLength(24);
      expect(appendsInLog(log)).toHaveLength(12);
    });

    it('an invalid append among valid concurrent ones fails alone', async () => {
      const outcomes = await Promise.allSettled([
        store.append(s('a'), events('a', 2), 'no_stream'),
        store.append(s('b'), [event('has space')], 'any'),
        store.append(s('c'), events('c', 1), 'any'),
        store.append(s('d'), [event('A', { n: 1n })], 'no_stream'),
        store.append(s('e'), events('e', 2), 'any'),
      ]);
      expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'rejected', 'fulfilled']);
      for (const outcome of outcomes) {
        if (outcome.status === 'rejected') expect(outcome.reason).toBeInstanceOf(InvalidAppendError);
      }
      expect(await store.readStream(s('b'))).toEqual([]);
      expect(await store.readStream(s('d'))).toEqual([]);
      expect(appendsInLog(await readWholeLog(store, 100, prefix)).sort()).toEqual(['a', 'c', 'e']);
    });
  });

  describe('the global log', () => {
    it('reads every event once, in order, in batches, starting after a position', async () => {
      for (let i = 0; i < 7; i++) await store.append(s(`s-${i % 3}`), [event('Counted', { i })], 'any');
      const all = await readWholeLog(store, 3, prefix);
      expect(all.map((e) => e.data['i'])).toEqual([0, 1, 2, 3, 4, 5, 6]);
      for (let i = 1; i < all.length; i++) {
        expect(comparePositions(all[i - 1]!.position, all[i]!.position)).toBe(-1);
      }
      const after = async (position: Position): Promise<unknown[]> =>
        (await store.readAll({ after: position, maxCount: 10 }))
          .filter((e) => e.streamId.startsWith(prefix))
          .map((e) => e.data['i']);
      expect(await after(all[4]!.position)).toEqual([5, 6]);
      expect(await after(all[6]!.position)).toEqual([]);
      // This test wrote the last events of the log (the log may be shared with earlier tests).
      expect(await store.lastPosition()).toEqual(all[6]!.position);
    });
  });

  describe('subscriptions', () => {
    it('catch up, then go live, and resume after a reconnect exactly where they stopped', async () => {
      await store.append(s('s-1'), [event('A', { n: 1 }), event('A', { n: 2 })], 'no_stream');
      await store.append(s('s-2'), [event('A', { n: 3 })], 'no_stream');

      const first = store.subscribe({ filter: mine() });
      const firstSeen = take(first, 5);
      await new Promise((resolve) => setTimeout(resolve, 50));
      await store.append(s('s-1'), [event('A', { n: 4 })], 1n);
      await store.append(s('s-3'), [event('A', { n: 5 })], 'no_stream');
      const seen = await firstSeen;
      expect(seen.map((e) => e.data['n'])).toEqual([1, 2, 3, 4, 5]);
      await first.stop();

      // Written while nobody listens, then a reconnect from the last position seen.
      await store.append(s('s-2'), [event('A', { n: 6 })], 0n);
      const second = store.subscribe({ after: seen[4]!.position, filter: mine() });
      const secondSeen = take(second, 2);
      await store.append(s('s-4'), [event('A', { n: 7 })], 'no_stream');
      expect((await secondSeen).map((e) => e.data['n'])).toEqual([6, 7]);
      await second.stop();
    });

    it('deliver a burst of concurrent appends exactly once and in log order', async () => {
      const subscription = store.subscribe({ filter: mine() });
      const seen = take(subscription, 60);
      await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          store.append(
            s(`burst-${i % 5}`),
            [event('A', { i, k: 0 }), event('A', { i, k: 1 }), event('A', { i, k: 2 })],
            'any',
          ),
        ),
      );
      const events = await seen;
      await subscription.stop();
      expect(events).toHaveLength(60);
      expect(new Set(events.map((e) => e.eventId)).size).toBe(60);
      expect(events.map((e) => e.eventId)).toEqual((await readWholeLog(store, 1000, prefix)).map((e) => e.eventId));
    });

    it('filter by stream prefix and by event type', async () => {
      await store.append(s('session-a-1'), [event('MessagePosted'), event('SessionRead')], 'no_stream');
      await store.append(s('agent-a-1'), [event('AgentStatusChanged'), event('MessagePosted')], 'no_stream');
      await store.append(s('session-a-2'), [event('MessagePosted')], 'no_stream');

      const byStream = await take(store.subscribe({ filter: { streamPrefixes: [s('session-')] } }), 3);
      expect(byStream.map((e) => `${e.streamId.slice(prefix.length)}/${e.type}`)).toEqual([
        'session-a-1/MessagePosted',
        'session-a-1/SessionRead',
        'session-a-2/MessagePosted',
      ]);
      const byType = await take(
        store.subscribe({ filter: { eventTypes: ['MessagePosted'], streamPrefixes: [prefix] } }),
        3,
      );
      expect(byType.map((e) => e.streamId)).toEqual([s('session-a-1'), s('agent-a-1'), s('session-a-2')]);
    });

    it('stop ends an idle subscription promptly', async () => {
      const subscription = store.subscribe({ filter: mine() });
      const ended = take(subscription, 1, 60_000);
      await new Promise((resolve) => setTimeout(resolve, 20));
      await subscription.stop();
      expect(await ended).toEqual([]);
    });
  });

  describe('invalid appends are refused with a clear error and write nothing', () => {
    const cases: [string, () => Promise<unknown>, RegExp][] = [
      [
        'an oversized event',
        () => store.append(s('s-1'), [event('Big', { text: 'x'.repeat(1024 * 1024 + 1) })], 'any'),
        /bytes, above the limit/,
      ],
      ['an invalid event type', () => store.append(s('s-1'), [event('has space')], 'any'), /invalid type/],
      [
        'data that is not an object',
        () => store.append(s('s-1'), [{ type: 'A', data: [1, 2] as never }], 'any'),
        /data must be a JSON object/,
      ],
      ['data that is not JSON', () => store.append(s('s-1'), [event('A', { n: 1n })], 'any'), /not JSON/],
      ['a NUL character', () => store.append(s('s-1'), [event('A', { text: 'a\u0000b' })], 'any'), /NUL/],
      ['an invalid stream id', () => store.append(s('has space'), [event('A')], 'any'), /stream id/],
      ['an invalid event id', () => store.append(s('s-1'), [{ eventId: 'nope', type: 'A', data: {} }], 'any'), /UUID/],
      ['no events', () => store.append(s('s-1'), [], 'any'), /at least one event/],
    ];
    it.each(cases)('%s', async (_name, attempt, message) => {
      const error: unknown = await attempt().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(InvalidAppendError);
      expect((error as Error).message).toMatch(message);
      expect(await readWholeLog(store, 10, prefix)).toEqual([]);
    });

    it('takes the six characters `\\u0000` written out (a backslash, not a NUL) and gives them back', async () => {
      const text = 'how do I escape \\u0000? like \\\\u0000';
      await store.append(s('s-2'), [event('A', { text })], 'any');
      expect((await store.readStream(s('s-2'))).map((e) => e.data)).toEqual([{ text }]);
    });
  });
};
