// The one contract both login throttles pass (in memory, Redis). Each test gets a fresh throttle on a
// clock it moves, and a second handle on the same counts, as another process has.
import type { LoginThrottle, ThrottleRule } from './port';

export interface LoginThrottleFixture {
  readonly throttle: LoginThrottle;
  /** A second handle on the same counts, as another process has (in memory: the same object). */
  readonly other: LoginThrottle;
  dispose(): Promise<void>;
}

const MINUTE = 60_000;
const WINDOW = 15 * MINUTE;
const user = (name: string): ThrottleRule => ({ key: `agent:acme:${name}`, limit: 10, windowMs: WINDOW });
const address: ThrottleRule = { key: 'agent-address:203.0.113.7', limit: 50, windowMs: WINDOW };

export const loginThrottleContract = (setup: (now: () => number) => Promise<LoginThrottleFixture>): void => {
  let f: LoginThrottleFixture;
  let now: number;
  beforeEach(async () => {
    now = Date.UTC(2026, 0, 1, 9);
    f = await setup(() => now);
  });
  afterEach(() => f.dispose());

  const failTimes = async (throttle: LoginThrottle, rules: readonly ThrottleRule[], times: number) => {
    for (let i = 0; i < times; i += 1) await throttle.fail(rules);
  };

  it('allows 9 failures and blocks at the 10th until the window has passed since the first', async () => {
    const alice = user('alice');
    expect(await f.throttle.check([alice])).toEqual({ allowed: true });
    await failTimes(f.throttle, [alice], 9);
    expect(await f.throttle.check([alice])).toEqual({ allowed: true });
    now += MINUTE;
    await f.throttle.fail([alice]);
    expect(await f.throttle.check([alice])).toEqual({ allowed: false, retryAfterMs: WINDOW - MINUTE, key: alice.key });
    now += WINDOW - MINUTE - 1;
    expect(await f.throttle.check([alice])).toEqual({ allowed: false, retryAfterMs: 1, key: alice.key });
    now += 1;
    expect(await f.throttle.check([alice])).toEqual({ allowed: true });
  });

  it('slides: failures leave the window one by one, by their own time', async () => {
    const alice = user('alice');
    await failTimes(f.throttle, [alice], 5);
    now += 10 * MINUTE;
    await failTimes(f.throttle, [alice], 5);
    // The first five leave at 15 min, the last five at 25 min.
    expect(await f.throttle.check([alice])).toMatchObject({ allowed: false, retryAfterMs: 5 * MINUTE });
    now += 5 * MINUTE;
    expect(await f.throttle.check([alice])).toEqual({ allowed: true });
    // One more failure: 6 in the window, not 11; four more reach 10 again, blocked until the oldest of them
    // (at 10 min) leaves at 25 min.
    await f.throttle.fail([alice]);
    expect(await f.throttle.check([alice])).toEqual({ allowed: true });
    now += MINUTE;
    await failTimes(f.throttle, [alice], 4);
    expect(await f.throttle.check([alice])).toMatchObject({ allowed: false, retryAfterMs: 9 * MINUTE });
  });

  it('does not count a blocked attempt: the wait does not grow while an attacker keeps trying', async () => {
    const alice = user('alice');
    await failTimes(f.throttle, [alice], 10);
    for (let i = 0; i < 5; i += 1) {
      now += MINUTE;
      expect(await f.throttle.check([alice])).toMatchObject({
        allowed: false,
        retryAfterMs: WINDOW - (i + 1) * MINUTE,
      });
    }
  });

  it('keeps keys apart and answers the longest wait of several rules', async () => {
    const alice = user('alice');
    const bob = user('bob');
    await failTimes(f.throttle, [alice, address], 10);
    expect(await f.throttle.check([bob, address])).toEqual({ allowed: true });
    now += MINUTE;
    await failTimes(f.throttle, [bob, address], 10);
    // Both usernames are blocked; the address (20 of 50) is not.
    expect(await f.throttle.check([alice, address])).toMatchObject({ allowed: false, key: alice.key });
    expect(await f.throttle.check([bob, address])).toEqual({
      allowed: false,
      retryAfterMs: WINDOW,
      key: bob.key,
    });
    expect(await f.throttle.check([user('carol'), address])).toEqual({ allowed: true });
    expect(await f.throttle.check([alice, bob])).toMatchObject({ allowed: false, key: bob.key, retryAfterMs: WINDOW });
  });

  it('blocks an address at its own limit, whatever the usernames', async () => {
    for (let i = 0; i < 50; i += 1) await f.throttle.fail([user(`u${i}`), address]);
    expect(await f.throttle.check([user('new'), address])).toEqual({
      allowed: false,
      retryAfterMs: WINDOW,
      key: address.key,
    });
  });

  it('forgets the failures of the keys a success names, and only those', async () => {
    const alice = user('alice');
    await failTimes(f.throttle, [alice, address], 10);
    await failTimes(f.throttle, [address], 40);
    await f.throttle.succeed([alice]);
    expect(await f.throttle.check([alice])).toEqual({ allowed: true });
    expect(await f.throttle.check([address])).toMatchObject({ allowed: false, key: address.key });
    await f.throttle.succeed([]);
  });

  it('shares the counts with another process, concurrent failures included', async () => {
    const alice = user('alice');
    await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? f.throttle : f.other).fail([alice])));
    expect(await f.other.check([alice])).toEqual({ allowed: false, retryAfterMs: WINDOW, key: alice.key });
    expect(await f.throttle.check([alice])).toEqual({ allowed: false, retryAfterMs: WINDOW, key: alice.key });
    await f.other.succeed([alice]);
    expect(await f.throttle.check([alice])).toEqual({ allowed: true });
  });
};
