import { RefusalWindow, TokenBucket } from './limits';

const clock = () => {
  let now = 1_000_000;
  return { now: () => now, advance: (ms: number) => void (now += ms) };
};

describe('TokenBucket', () => {
  it('lets a burst through, then refills at its rate up to the burst', () => {
    const time = clock();
    const bucket = new TokenBucket(20, 40, time.now);
    expect(Array.from({ length: 41 }, () => bucket.take()).filter(Boolean)).toHaveLength(40);
    time.advance(100); // two tokens
    expect([bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, false]);
    time.advance(60_000);
    expect(Array.from({ length: 41 }, () => bucket.take()).filter(Boolean)).toHaveLength(40);
  });
});

describe('RefusalWindow', () => {
  it('says so when the limit of refusals fell within the window', () => {
    const time = clock();
    const window = new RefusalWindow(3, 60_000, time.now);
    expect([window.record(), window.record()]).toEqual([false, false]);
    time.advance(60_000); // the first two leave the window
    expect([window.record(), window.record()]).toEqual([false, false]);
    time.advance(59_999);
    expect(window.record()).toBe(true);
  });
});
