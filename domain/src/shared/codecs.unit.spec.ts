import fc from 'fast-check';
import { isRight } from 'fp-ts/Either';
import { DateTime } from 'luxon';
import { IsoInstant, isRealInstant } from './codecs';

const luxonSays = (s: string): boolean => DateTime.fromISO(s, { zone: 'utc' }).isValid;
const two = (max: number) => fc.integer({ min: 0, max }).map((n) => String(n).padStart(2, '0'));

describe('IsoInstant', () => {
  it('judges instants as luxon does, without it: leap years, month lengths, 24:00, leap seconds', () => {
    const edges = [
      '2026-01-01T24:00:00Z',
      '2026-01-01T24:00:00.0001Z',
      '2026-01-01T24:00:00.500Z',
      '2026-01-01T24:30:00Z',
      '2026-01-01T23:59:60Z',
      '2024-02-29T00:00:00Z',
      '2026-02-29T00:00:00Z',
      '2100-02-29T00:00:00Z',
      '2000-02-29T00:00:00Z',
      '2026-04-31T00:00:00Z',
      '0000-01-01T00:00:00Z',
      '9999-12-31T23:59:59.999999999Z',
      '2026-13-01T00:00:00Z',
      '2026-01-00T00:00:00Z',
    ];
    for (const s of edges) expect({ s, valid: isRealInstant(s) }).toEqual({ s, valid: luxonSays(s) });
    fc.assert(
      fc.property(
        fc.tuple(fc.integer({ min: 0, max: 9999 }), two(14), two(33), two(26), two(61), two(61)),
        fc.option(fc.stringMatching(/^\d{1,9}$/), { nil: undefined }),
        ([year, month, day, hour, minute, second], fraction) => {
          const s = `${String(year).padStart(4, '0')}-${month}-${day}T${hour}:${minute}:${second}${fraction === undefined ? '' : `.${fraction}`}Z`;
          expect({ s, valid: isRealInstant(s) }).toEqual({ s, valid: luxonSays(s) });
        },
      ),
      { numRuns: 5000 },
    );
  });

  it('refuses other forms: offsets, no seconds, no zone, spaces', () => {
    for (const s of ['2026-01-01T10:00:00+01:00', '2026-01-01T10:00Z', '2026-01-01T10:00:00', ' 2026-01-01T10:00:00Z'])
      expect(isRight(IsoInstant.decode(s))).toBe(false);
    expect(isRight(IsoInstant.decode('2026-12-05T10:00:00.123Z'))).toBe(true);
  });
});
