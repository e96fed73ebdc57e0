import { EventLoopTurns } from './turns';

const clock = () => {
  let now = 0;
  return { now: () => now, set: (ms: number) => void (now = ms) };
};

describe('EventLoopTurns', () => {
  it('lets statements run back to back for a slice, then hands the event loop a turn', async () => {
    const time = clock();
    const turns = new EventLoopTurns(10, time.now);
    expect(turns.next()).toBeUndefined();
    time.set(9);
    expect(turns.next()).toBeUndefined();
    // Something else the event loop has to do meanwhile (a socket read, a timer).
    let other = false;
    setImmediate(() => (other = true));
    time.set(10);
    const turn = turns.next();
    expect(turn).toBeInstanceOf(Promise);
    expect(other).toBe(false);
    await turn;
    // The work goes on after the event loop did the rest, and the slice starts again.
    expect(other).toBe(true);
    time.set(15);
    expect(turns.next()).toBeUndefined();
  });

  it('starts a new slice after the event loop had a turn anyway (the work waited on I/O)', async () => {
    const time = clock();
    const turns = new EventLoopTurns(10, time.now);
    expect(turns.next()).toBeUndefined();
    // The event loop had a turn: an immediate queued after the slice's own runs after it (immediates
    // run in order; a 1 ms timer could fire before it on a loaded machine, in the same loop iteration).
    await new Promise((resolve) => setImmediate(resolve));
    time.set(50);
    expect(turns.next()).toBeUndefined();
  });
});
