import { TaskQueue } from './task-queue';

const deferred = () => {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
};

describe('TaskQueue', () => {
  it('runs one task at a time, in order, and says when the last finished', async () => {
    const log: string[] = [];
    const first = deferred();
    const drained = deferred();
    const queue = new TaskQueue(
      () => log.push('failed'),
      () => {
        log.push('drained');
        drained.resolve();
      },
    );
    queue.push(async () => {
      log.push('1 starts');
      await first.promise;
      log.push('1 ends');
    });
    queue.push(async () => void log.push('2'));
    queue.push(async () => void log.push('3'));
    expect(queue.length).toBe(3);
    await new Promise((resolve) => setImmediate(resolve));
    expect(log).toEqual(['1 starts']);
    first.resolve();
    await drained.promise;
    expect(log).toEqual(['1 starts', '1 ends', '2', '3', 'drained']);
    expect(queue.length).toBe(0);
  });

  it('tells of a failed task, rejected or thrown, and still runs those after it', async () => {
    const failures: unknown[] = [];
    const ran: number[] = [];
    const drained = deferred();
    const queue = new TaskQueue((error) => failures.push(error), drained.resolve);
    queue.push(async () => {
      throw new Error('rejected');
    });
    queue.push(() => {
      throw new Error('thrown');
    });
    queue.push(async () => void ran.push(3));
    await drained.promise;
    expect(failures).toEqual([new Error('rejected'), new Error('thrown')]);
    expect(ran).toEqual([3]);
  });
});
