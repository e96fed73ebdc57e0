import fc from 'fast-check';
import { emptyGrowingMap, extend, lookup } from './growing-map';

describe('growing map', () => {
  it('answers every key as a plain object would, across chunks, the newest value winning', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.string({ maxLength: 4 }), fc.nat()), { maxLength: 300 }), (pairs) => {
        let map = emptyGrowingMap<number>();
        const plain = new Map<string, number>();
        for (const [key, value] of pairs) {
          map = extend(map, key, value);
          plain.set(key, value);
        }
        for (const [key, value] of plain) expect(lookup(map, key)).toBe(value);
        expect(lookup(map, 'never added, longer than four')).toBeUndefined();
      }),
    );
  });

  it('leaves the map it was extended from as it was (states are values)', () => {
    let before = emptyGrowingMap<string>();
    for (let i = 0; i < 100; i++) before = extend(before, `k${i}`, `v${i}`);
    const after = extend(before, 'k100', 'v100');
    expect(lookup(after, 'k100')).toBe('v100');
    expect(lookup(before, 'k100')).toBeUndefined();
    expect(lookup(before, 'k7')).toBe('v7');
  });

  it('reads inherited names as absent, not as values', () => {
    expect(lookup(emptyGrowingMap<string>(), 'constructor')).toBeUndefined();
    expect(lookup(extend(emptyGrowingMap<string>(), 'toString', 'x'), 'toString')).toBe('x');
  });
});
