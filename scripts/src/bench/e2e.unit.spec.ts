// The e2e benchmark's options: all four modes by default, pairs that can grow, wrong values refused.
import { parseE2e } from './e2e';

describe('npm run bench -- e2e options', () => {
  it('runs both relays and both modes of ours by default, with room for more pairs than --pairs', () => {
    expect(parseE2e([])).toMatchObject({
      modes: ['relay', 'durable', 'embedded', 'distributed'],
      pairs: 50,
      maxPairs: 1000,
      sessionsPerAgent: 1,
      overloadGraceSeconds: 10,
    });
    expect(parseE2e(['--modes', 'durable, embedded', '--pairs', '2000'])).toMatchObject({
      modes: ['durable', 'embedded'],
      pairs: 2000,
      maxPairs: 2000,
    });
  });

  it('refuses an unknown mode and fewer --max-pairs than --pairs, naming the option', () => {
    expect(() => parseE2e(['--modes', 'relay,crud'])).toThrow('unknown mode "crud"');
    expect(() => parseE2e(['--pairs', '100', '--max-pairs', '10'])).toThrow('--max-pairs');
    expect(parseE2e(['--help'])).toBe('help');
  });
});
