import { loginThrottleContract } from './contract';
import { InMemoryLoginThrottle } from './memory';

describe('login throttle in memory', () => {
  loginThrottleContract(async (now) => {
    // One process holds one throttle: the "other process" is the same object.
    const throttle = new InMemoryLoginThrottle({ now });
    return { throttle, other: throttle, dispose: async () => undefined };
  });

  it('keeps only the newest failures a verdict needs, and forgets keys whose failures left the window', async () => {
    let now = 0;
    const throttle = new InMemoryLoginThrottle({ now: () => now });
    const rule = { key: 'agent-address:198.51.100.1', limit: 3, windowMs: 1_000 };
    for (let i = 0; i < 100; i += 1) await throttle.fail([rule]);
    expect(
      (throttle as unknown as { failures: Map<string, { times: number[] }> }).failures.get(rule.key)?.times,
    ).toHaveLength(3);
    now = 1_000;
    for (let i = 0; i < 1000; i += 1) await throttle.check([{ ...rule, key: 'other' }]);
    expect((throttle as unknown as { failures: Map<string, unknown> }).failures.has(rule.key)).toBe(false);
  });
});
