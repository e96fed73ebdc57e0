import { EventLoopLag, LAG_SAMPLE_MS, LAG_WEIGHT, LoadShedder } from './load-shedding';

/** A clock that jest's fake timers move, plus time the event loop spent blocked (timers fire late by it). */
const blockable = () => {
  let blocked = 0;
  return { now: () => Date.now() + blocked, block: (ms: number) => void (blocked += ms) };
};

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

describe('EventLoopLag', () => {
  it('averages how late the samples came: a single stall counts for a quarter, a lasting one in full', () => {
    const clock = blockable();
    const lag = new EventLoopLag(clock.now);
    lag.start();
    jest.advanceTimersByTime(LAG_SAMPLE_MS);
    expect(lag.lagMs).toBe(0);
    clock.block(400);
    jest.advanceTimersByTime(LAG_SAMPLE_MS);
    expect(lag.lagMs).toBe(400 * LAG_WEIGHT);
    jest.advanceTimersByTime(LAG_SAMPLE_MS);
    expect(lag.lagMs).toBe(400 * LAG_WEIGHT * (1 - LAG_WEIGHT));
    for (let i = 0; i < 30; i += 1) {
      clock.block(400);
      jest.advanceTimersByTime(LAG_SAMPLE_MS);
    }
    expect(lag.lagMs).toBeCloseTo(400, 0);
    lag.stop();
    expect(lag.lagMs).toBe(0);
  });
});

describe('LoadShedder', () => {
  it('admits up to maxInFlight at once, and one more for each given back (once)', () => {
    const load = new LoadShedder({ maxInFlight: 2, maxEventLoopLagMs: 100 });
    const first = load.admit();
    const second = load.admit();
    expect(first).toBeDefined();
    expect(second).toBeDefined();
    expect(load.admit()).toBeUndefined();
    expect(load.overloaded).toBe('2 frames and requests in hand');
    first?.();
    first?.();
    expect(load.inFlight).toBe(1);
    expect(load.admit()).toBeDefined();
    expect(load.admit()).toBeUndefined();
  });

  it('refuses new work while the event loop lags more than maxEventLoopLagMs', () => {
    const clock = blockable();
    const load = new LoadShedder({ maxInFlight: 10, maxEventLoopLagMs: 100 }, new EventLoopLag(clock.now));
    load.start();
    clock.block(300);
    jest.advanceTimersByTime(LAG_SAMPLE_MS);
    expect(load.admit()).toBeDefined();
    for (let i = 0; i < 3; i += 1) {
      clock.block(300);
      jest.advanceTimersByTime(LAG_SAMPLE_MS);
    }
    expect(load.admit()).toBeUndefined();
    expect(load.overloaded).toMatch(/^event loop \d+ ms late$/);
    for (let i = 0; i < 10; i += 1) jest.advanceTimersByTime(LAG_SAMPLE_MS);
    expect(load.admit()).toBeDefined();
    expect(load.inFlight).toBe(2);
    load.stop();
  });
});
