import { GroupCommit, type GroupCommitOptions, type Outcome } from './group-commit';

interface Append {
  readonly streamId: string;
  readonly size: number;
  readonly name: string;
}

const append = (streamId: string, name: string, size = 1): Append => ({ streamId, name, size });

/** A group commit whose writes the test sees and releases one by one. */
const harness = (options: Partial<GroupCommitOptions<Append, string>> = {}) => {
  const batches: string[][] = [];
  const releases: (() => void)[] = [];
  let written = 0;
  const queue = new GroupCommit<Append, string>({
    flushes: 1,
    written: () => (written += 1),
    write: async (batch) => {
      batches.push(batch.map((a) => a.name));
      await new Promise<void>((resolve) => releases.push(resolve));
      return batch.map((a): Outcome<string> =>
        a.name.startsWith('bad') ? { ok: false, error: a.name } : { ok: true, value: a.name },
      );
    },
    ...options,
  });
  const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
  /** Ends the oldest write; the next batch starts a turn after its outcomes are given. */
  const release = async (): Promise<void> => {
    releases.shift()?.();
    await turn();
    await turn();
  };
  return { queue, batches, release, turn, written: () => written, inFlight: () => releases.length };
};

describe('group commit', () => {
  it('puts the appends of one turn in one batch, one per stream, and the next ones of a stream in later batches', async () => {
    const h = harness();
    const results = [
      h.queue.submit(append('a', 'a1')),
      h.queue.submit(append('b', 'b1')),
      h.queue.submit(append('a', 'a2')),
      h.queue.submit(append('c', 'c1')),
      h.queue.submit(append('a', 'a3')),
    ];
    await h.turn();
    expect(h.batches).toEqual([['a1', 'b1', 'c1']]);
    // Appends made while a batch is written wait for the next one.
    const late = h.queue.submit(append('d', 'd1'));
    await h.release();
    expect(h.batches[1]).toEqual(['a2', 'd1']);
    await h.release();
    expect(h.batches[2]).toEqual(['a3']);
    await h.release();
    expect(await Promise.all([...results, late])).toEqual(['a1', 'b1', 'a2', 'c1', 'a3', 'd1']);
  });

  it('gives each append its own outcome, and calls written once per batch that wrote something', async () => {
    const h = harness();
    const outcomes = Promise.allSettled([
      h.queue.submit(append('a', 'a1')),
      h.queue.submit(append('b', 'bad-b')),
      h.queue.submit(append('c', 'c1')),
    ]);
    await h.turn();
    await h.release();
    expect(await outcomes).toEqual([
      { status: 'fulfilled', value: 'a1' },
      { status: 'rejected', reason: 'bad-b' },
      { status: 'fulfilled', value: 'c1' },
    ]);
    expect(h.written()).toBe(1);

    const failed = h.queue.submit(append('d', 'bad-d')).catch((e: unknown) => e);
    await h.turn();
    await h.release();
    expect(await failed).toBe('bad-d');
    expect(h.written()).toBe(1);
  });

  it('fails every append of a batch whose write throws', async () => {
    const queue = new GroupCommit<Append, string>({
      flushes: 1,
      written: () => undefined,
      write: () => Promise.reject(new Error('connection lost')),
    });
    const outcomes = await Promise.allSettled([queue.submit(append('a', 'a1')), queue.submit(append('b', 'b1'))]);
    expect(outcomes.map((o) => o.status === 'rejected' && (o.reason as Error).message)).toEqual([
      'connection lost',
      'connection lost',
    ]);
  });

  it('writes at most `flushes` batches at once, and bounds a batch by appends and by size', async () => {
    const h = harness({ flushes: 2, maxAppends: 2, maxSize: 10 });
    const all = Promise.all([
      h.queue.submit(append('a', 'a1')),
      h.queue.submit(append('b', 'b1')),
      h.queue.submit(append('c', 'c1')),
      h.queue.submit(append('d', 'd1', 8)),
      h.queue.submit(append('e', 'e1', 8)),
      h.queue.submit(append('f', 'f1')),
    ]);
    await h.turn();
    expect(h.batches).toEqual([
      ['a1', 'b1'],
      ['c1', 'd1'],
    ]);
    expect(h.inFlight()).toBe(2);
    await h.release();
    expect(h.batches[2]).toEqual(['e1', 'f1']);
    await h.release();
    await h.release();
    expect(await all).toHaveLength(6);
  });

  it('drain waits for every append submitted', async () => {
    const h = harness();
    let done = false;
    const result = h.queue.submit(append('a', 'a1')).then(() => (done = true));
    const drained = h.queue.drain().then(() => done);
    await h.turn();
    await h.release();
    await result;
    expect(await drained).toBe(true);
  });
});
