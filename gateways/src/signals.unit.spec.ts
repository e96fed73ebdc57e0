import { TypingThrottle } from './signals';

describe('typing throttle (at most 2 a second per socket)', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('passes two at once, holds the rest and passes only the latest when the second is over', () => {
    const throttle = new TypingThrottle(() => Date.now());
    const passed: number[] = [];
    const outcomes = [0, 1, 2, 3, 4].map((i) => throttle.offer(() => passed.push(i)));
    expect(outcomes).toEqual(['passed', 'passed', 'held', 'held', 'held']);
    expect(passed).toEqual([0, 1]);
    jest.advanceTimersByTime(999);
    expect(passed).toEqual([0, 1]);
    jest.advanceTimersByTime(1);
    expect(passed).toEqual([0, 1, 4]);
    jest.advanceTimersByTime(5_000);
    expect(passed).toEqual([0, 1, 4]);
  });

  it('never passes more than two in any second, however they come', () => {
    const throttle = new TypingThrottle(() => Date.now());
    const times: number[] = [];
    for (let step = 0; step < 100; step++) {
      throttle.offer(() => times.push(Date.now()));
      jest.advanceTimersByTime(130);
    }
    jest.advanceTimersByTime(2_000);
    for (let i = 2; i < times.length; i++) expect(times[i]! - times[i - 2]!).toBeGreaterThanOrEqual(1_000);
    // Far fewer than offered, but it keeps passing: about two a second over 13 seconds.
    expect(times.length).toBeGreaterThanOrEqual(26);
    expect(times.length).toBeLessThanOrEqual(28);
  });

  it('passes nothing held after the socket closed', () => {
    const throttle = new TypingThrottle(() => Date.now());
    const passed: number[] = [];
    for (let i = 0; i < 3; i++) throttle.offer(() => passed.push(i));
    throttle.stop();
    jest.advanceTimersByTime(2_000);
    expect(passed).toEqual([0, 1]);
  });
});
