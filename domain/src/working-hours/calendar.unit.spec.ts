import fc from 'fast-check';
import { Settings } from 'luxon';
import { decodeOrThrow } from '../../../test-support/fixtures';
import { IsoInstant, instantOf, millis } from '../shared/codecs';
import { isOpen, nextOpening } from './calendar';
import { GroupHours, type Weekday } from './schedule';

const hours = decodeOrThrow(GroupHours);
const at = decodeOrThrow(IsoInstant);
const regular = (timeZone: string, weekly: readonly object[]) => ({ type: 'regular', timeZone, weekly });
const irregular = (timeZone: string, dates: readonly object[]) => ({ type: 'irregular', timeZone, dates });
const WEEKDAYS: readonly Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri'];
const everyDay: readonly Weekday[] = [...WEEKDAYS, 'sat', 'sun'];
const on = (days: readonly Weekday[], from: string, to: string) => days.map((day) => ({ day, from, to }));

const open = (group: GroupHours, instant: string) => isOpen(group, at(instant));
const next = (group: GroupHours, instant: string) => nextOpening(group, at(instant));

// Asia/Shanghai is UTC+8 all year; 2026-09-14 is a Monday.
const office = hours({ regular: regular('Asia/Shanghai', on(WEEKDAYS, '09:00', '18:00')) });

describe('a regular week', () => {
  it('is open on a weekday inside the range and closed at the weekend', () => {
    expect(open(office, '2026-09-15T02:00:00.000Z')).toBe(true); // Tue 10:00
    expect(open(office, '2026-09-19T04:00:00.000Z')).toBe(false); // Sat 12:00
    expect(open(office, '2026-09-20T04:00:00.000Z')).toBe(false); // Sun 12:00
  });

  it('opens at the opening minute and closes at the closing minute', () => {
    expect(open(office, '2026-09-15T00:59:59.999Z')).toBe(false); // Tue 08:59:59.999
    expect(open(office, '2026-09-15T01:00:00.000Z')).toBe(true); // Tue 09:00
    expect(open(office, '2026-09-15T09:59:59.999Z')).toBe(true); // Tue 17:59:59.999
    expect(open(office, '2026-09-15T10:00:00.000Z')).toBe(false); // Tue 18:00
  });

  it('gives the instant itself as the next opening when open, and looks across the weekend when not', () => {
    expect(next(office, '2026-09-15T02:00:00Z')).toBe('2026-09-15T02:00:00Z');
    expect(next(office, '2026-09-18T11:00:00.000Z')).toBe('2026-09-21T01:00:00.000Z'); // Fri 19:00 -> Mon 09:00
    expect(next(office, '2026-09-15T00:00:00.000Z')).toBe('2026-09-15T01:00:00.000Z'); // Tue 08:00 -> 09:00
  });

  it('has split shifts with a closed lunch break', () => {
    const split = hours({
      regular: regular('Asia/Shanghai', [...on(WEEKDAYS, '09:00', '12:00'), ...on(WEEKDAYS, '13:00', '18:00')]),
    });
    expect(open(split, '2026-09-15T03:59:00.000Z')).toBe(true); // Tue 11:59
    expect(open(split, '2026-09-15T04:00:00.000Z')).toBe(false); // Tue 12:00
    expect(open(split, '2026-09-15T04:30:00.000Z')).toBe(false); // Tue 12:30
    expect(next(split, '2026-09-15T04:30:00.000Z')).toBe('2026-09-15T05:00:00.000Z'); // -> 13:00
    expect(open(split, '2026-09-15T05:00:00.000Z')).toBe(true); // Tue 13:00
  });

  it('runs a night shift past midnight into the next morning', () => {
    const nights = hours({ regular: regular('Asia/Shanghai', on(WEEKDAYS, '22:00', '06:00')) });
    expect(open(nights, '2026-09-15T13:59:00.000Z')).toBe(false); // Tue 21:59
    expect(open(nights, '2026-09-15T15:00:00.000Z')).toBe(true); // Tue 23:00
    expect(open(nights, '2026-09-15T19:00:00.000Z')).toBe(true); // Wed 03:00
    expect(open(nights, '2026-09-15T22:00:00.000Z')).toBe(false); // Wed 06:00
    expect(open(nights, '2026-09-15T23:00:00.000Z')).toBe(false); // Wed 07:00
    expect(open(nights, '2026-09-18T19:00:00.000Z')).toBe(true); // Sat 03:00, Friday's shift
    expect(open(nights, '2026-09-19T19:00:00.000Z')).toBe(false); // Sun 03:00: no shift on Saturday
  });

  it('covers Monday morning with a Sunday-night shift', () => {
    const sundayNight = hours({ regular: regular('Asia/Shanghai', [{ day: 'sun', from: '22:00', to: '06:00' }]) });
    expect(open(sundayNight, '2026-09-20T13:00:00.000Z')).toBe(false); // Sun 21:00
    expect(open(sundayNight, '2026-09-20T18:00:00.000Z')).toBe(true); // Mon 02:00
    expect(open(sundayNight, '2026-09-20T22:00:00.000Z')).toBe(false); // Mon 06:00
    expect(next(sundayNight, '2026-09-20T22:00:00.000Z')).toBe('2026-09-27T14:00:00.000Z'); // next Sun 22:00
  });

  it('reads from == to as 24 hours and 24:00 as the midnight that ends the day', () => {
    const group = hours({
      regular: regular('Asia/Shanghai', [
        { day: 'wed', from: '08:00', to: '08:00' },
        { day: 'mon', from: '20:00', to: '24:00' },
      ]),
    });
    expect(open(group, '2026-09-16T23:59:00.000Z')).toBe(true); // Thu 07:59
    expect(open(group, '2026-09-17T00:00:00.000Z')).toBe(false); // Thu 08:00
    expect(open(group, '2026-09-14T15:59:00.000Z')).toBe(true); // Mon 23:59
    expect(open(group, '2026-09-14T16:00:00.000Z')).toBe(false); // Tue 00:00
  });
});

describe('daylight saving time', () => {
  const sundayNight = (timeZone: string) =>
    hours({ regular: regular(timeZone, [{ day: 'sun', from: '01:00', to: '04:00' }]) });
  const daily = (timeZone: string, from: string, to: string) =>
    hours({ regular: regular(timeZone, on(everyDay, from, to)) });

  it('has a two-hour Sunday 01:00-04:00 in Berlin when clocks go forward (2026-03-29) and four when back', () => {
    const berlin = sundayNight('Europe/Berlin');
    expect(next(berlin, '2026-03-28T12:00:00.000Z')).toBe('2026-03-29T00:00:00.000Z'); // 01:00 CET
    expect(open(berlin, '2026-03-29T01:59:59.999Z')).toBe(true);
    expect(open(berlin, '2026-03-29T02:00:00.000Z')).toBe(false); // 04:00 CEST
    expect(next(berlin, '2026-10-24T12:00:00.000Z')).toBe('2026-10-24T23:00:00.000Z'); // 01:00 CEST
    expect(open(berlin, '2026-10-25T02:59:59.999Z')).toBe(true);
    expect(open(berlin, '2026-10-25T03:00:00.000Z')).toBe(false); // 04:00 CET
  });

  it('has a two-hour Sunday 01:00-04:00 in New York when clocks go forward (2026-03-08) and four when back', () => {
    const newYork = sundayNight('America/New_York');
    expect(next(newYork, '2026-03-07T12:00:00.000Z')).toBe('2026-03-08T06:00:00.000Z'); // 01:00 EST
    expect(open(newYork, '2026-03-08T07:59:59.999Z')).toBe(true);
    expect(open(newYork, '2026-03-08T08:00:00.000Z')).toBe(false); // 04:00 EDT
    // 01:00 happens twice on 2026-11-01: the range opens at the first.
    expect(next(newYork, '2026-10-31T12:00:00.000Z')).toBe('2026-11-01T05:00:00.000Z'); // 01:00 EDT
    expect(open(newYork, '2026-11-01T08:59:59.999Z')).toBe(true);
    expect(open(newYork, '2026-11-01T09:00:00.000Z')).toBe(false); // 04:00 EST
  });

  it('keeps a daily 09:00-17:00 on the wall clock on both sides of the change', () => {
    const berlin = daily('Europe/Berlin', '09:00', '17:00');
    expect(next(berlin, '2026-03-28T07:00:00.000Z')).toBe('2026-03-28T08:00:00.000Z'); // Sat 09:00 CET
    expect(next(berlin, '2026-03-28T16:00:00.000Z')).toBe('2026-03-29T07:00:00.000Z'); // Sun 09:00 CEST
    expect(open(berlin, '2026-03-29T14:59:00.000Z')).toBe(true);
    expect(open(berlin, '2026-03-29T15:00:00.000Z')).toBe(false); // Sun 17:00 CEST
    expect(next(berlin, '2026-10-24T15:00:00.000Z')).toBe('2026-10-25T08:00:00.000Z'); // Sat 17:00 CEST -> Sun 09:00 CET
    expect(open(berlin, '2026-10-25T15:59:00.000Z')).toBe(true);
    expect(open(berlin, '2026-10-25T16:00:00.000Z')).toBe(false); // Sun 17:00 CET

    const newYork = daily('America/New_York', '09:00', '17:00');
    expect(next(newYork, '2026-03-07T22:00:00.000Z')).toBe('2026-03-08T13:00:00.000Z'); // Sat 17:00 EST -> Sun 09:00 EDT
    expect(open(newYork, '2026-03-08T21:00:00.000Z')).toBe(false); // Sun 17:00 EDT
    expect(next(newYork, '2026-10-31T21:00:00.000Z')).toBe('2026-11-01T14:00:00.000Z'); // Sat 17:00 EDT -> Sun 09:00 EST
    expect(open(newYork, '2026-11-01T21:59:00.000Z')).toBe(true);
    expect(open(newYork, '2026-11-01T22:00:00.000Z')).toBe(false); // Sun 17:00 EST
  });

  it('makes a nine-hour night shift across the change eight hours long in spring and ten in autumn', () => {
    const nights = daily('Europe/Berlin', '22:00', '07:00');
    expect(next(nights, '2026-03-28T12:00:00.000Z')).toBe('2026-03-28T21:00:00.000Z'); // Sat 22:00 CET
    expect(open(nights, '2026-03-29T04:59:00.000Z')).toBe(true);
    expect(open(nights, '2026-03-29T05:00:00.000Z')).toBe(false); // Sun 07:00 CEST: 8 h later
    expect(next(nights, '2026-10-24T12:00:00.000Z')).toBe('2026-10-24T20:00:00.000Z'); // Sat 22:00 CEST
    expect(open(nights, '2026-10-25T05:59:00.000Z')).toBe(true);
    expect(open(nights, '2026-10-25T06:00:00.000Z')).toBe(false); // Sun 07:00 CET: 10 h later
  });

  it('moves an opening time in the spring-forward gap forward by the gap', () => {
    const gap = hours({ regular: regular('Europe/Berlin', [{ day: 'sun', from: '02:30', to: '05:00' }]) });
    expect(open(gap, '2026-03-29T01:29:59.999Z')).toBe(false);
    expect(next(gap, '2026-03-29T00:00:00.000Z')).toBe('2026-03-29T01:30:00.000Z'); // 03:30 CEST
    expect(open(gap, '2026-03-29T02:59:00.000Z')).toBe(true); // 04:59 CEST
  });

  it('answers the same whatever season the code runs in', () => {
    const repeated = hours({ regular: regular('Europe/Berlin', [{ day: 'sun', from: '02:30', to: '05:00' }]) });
    const clock = Settings.now;
    const answers = ['2026-01-15T00:00:00Z', '2026-07-15T00:00:00Z'].map((today) => {
      const now = millis(at(today));
      Settings.now = () => now;
      try {
        return next(repeated, '2026-10-24T12:00:00.000Z');
      } finally {
        Settings.now = clock;
      }
    });
    expect(answers).toEqual(['2026-10-25T00:30:00.000Z', '2026-10-25T00:30:00.000Z']); // the first 02:30, CEST
  });
});

describe('holiday duty', () => {
  // 2026-10-01 is a Thursday and 2026-10-10 a Saturday.
  const holidays = irregular('Asia/Shanghai', [
    { date: '2026-10-01', closed: true },
    { date: '2026-10-02', from: '10:00', to: '16:00' },
    { date: '2026-10-10', from: '09:00', to: '18:00' },
  ]);
  const withHolidays = hours({
    regular: regular('Asia/Shanghai', on(WEEKDAYS, '09:00', '18:00')),
    irregular: holidays,
  });

  it('closes a listed date of an otherwise open week', () => {
    expect(open(withHolidays, '2026-09-30T02:00:00.000Z')).toBe(true); // Wed 10:00
    expect(open(withHolidays, '2026-10-01T02:00:00.000Z')).toBe(false); // Thu 10:00, closed
  });

  it('replaces the regular ranges of a listed date with its own', () => {
    expect(open(withHolidays, '2026-10-02T01:30:00.000Z')).toBe(false); // Fri 09:30
    expect(open(withHolidays, '2026-10-02T02:00:00.000Z')).toBe(true); // Fri 10:00
    expect(open(withHolidays, '2026-10-02T08:00:00.000Z')).toBe(false); // Fri 16:00
  });

  it('opens a listed Saturday of an otherwise closed weekend', () => {
    expect(open(withHolidays, '2026-10-10T02:00:00.000Z')).toBe(true); // Sat 10:00
    expect(open(withHolidays, '2026-10-11T02:00:00.000Z')).toBe(false); // Sun 10:00
  });

  it('finds the next opening across a holiday', () => {
    expect(next(withHolidays, '2026-09-30T10:00:00.000Z')).toBe('2026-10-02T02:00:00.000Z'); // Wed 18:00 -> Fri 10:00
    expect(next(withHolidays, '2026-10-02T08:00:00.000Z')).toBe('2026-10-05T01:00:00.000Z'); // Fri 16:00 -> Mon 09:00
  });

  it('lets a night shift that started before a holiday finish on it, and starts none on it', () => {
    const nights = hours({
      regular: regular('Asia/Shanghai', on(WEEKDAYS, '22:00', '06:00')),
      irregular: irregular('Asia/Shanghai', [{ date: '2026-10-01', closed: true }]),
    });
    expect(open(nights, '2026-09-30T19:00:00.000Z')).toBe(true); // Thu 03:00, Wednesday's shift
    expect(open(nights, '2026-10-01T15:00:00.000Z')).toBe(false); // Thu 23:00
    expect(open(nights, '2026-10-01T19:00:00.000Z')).toBe(false); // Fri 03:00
  });

  it('allows several ranges on a date, and a closed entry wins over ranges of the same date', () => {
    const group = hours({
      irregular: irregular('Asia/Shanghai', [
        { date: '2026-10-02', from: '09:00', to: '11:00' },
        { date: '2026-10-02', from: '14:00', to: '16:00' },
        { date: '2026-10-03', from: '09:00', to: '11:00' },
        { date: '2026-10-03', closed: true },
      ]),
    });
    expect(open(group, '2026-10-02T02:00:00.000Z')).toBe(true); // 10:00
    expect(open(group, '2026-10-02T04:00:00.000Z')).toBe(false); // 12:00
    expect(open(group, '2026-10-02T07:00:00.000Z')).toBe(true); // 15:00
    expect(open(group, '2026-10-03T02:00:00.000Z')).toBe(false);
  });

  it("decides which dates are replaced in the irregular schedule's zone", () => {
    const group = hours({
      regular: regular('Asia/Shanghai', on(WEEKDAYS, '09:00', '18:00')),
      irregular: irregular('America/Los_Angeles', [{ date: '2026-10-01', closed: true }]),
    });
    // Thu 2026-10-01 09:00 in Shanghai is Wed 18:00 in Los Angeles; Fri 09:00 is Thu 18:00 there.
    expect(open(group, '2026-10-01T02:00:00.000Z')).toBe(true);
    expect(open(group, '2026-10-02T02:00:00.000Z')).toBe(false);
  });

  it('opens a group with only holiday duty on its dates alone', () => {
    const dutyOnly = hours({
      irregular: irregular('Asia/Shanghai', [{ date: '2026-10-01', from: '10:00', to: '16:00' }]),
    });
    expect(open(dutyOnly, '2026-10-01T04:00:00.000Z')).toBe(true);
    expect(open(dutyOnly, '2026-10-02T04:00:00.000Z')).toBe(false);
    expect(open(dutyOnly, '2026-09-30T04:00:00.000Z')).toBe(false);
    expect(next(dutyOnly, '2026-09-01T00:00:00.000Z')).toBe('2026-10-01T02:00:00.000Z');
    expect(next(dutyOnly, '2026-10-01T08:00:00.000Z')).toBeUndefined();
  });
});

describe('groups that are always or never open', () => {
  it('is always open without any schedule', () => {
    expect(open(hours({}), '2026-09-19T04:00:00.000Z')).toBe(true);
    expect(next(hours({}), '2026-09-19T04:00:00.000Z')).toBe('2026-09-19T04:00:00.000Z');
  });

  it('is never open with an empty week', () => {
    const never = hours({ regular: regular('Asia/Shanghai', []) });
    expect(open(never, '2026-09-15T02:00:00.000Z')).toBe(false);
    expect(next(never, '2026-09-15T02:00:00.000Z')).toBeUndefined();
  });

  it('looks 400 days ahead and no further', () => {
    const once = (date: string) =>
      hours({ regular: regular('UTC', []), irregular: irregular('UTC', [{ date, from: '09:00', to: '10:00' }]) });
    expect(next(once('2027-10-01'), '2026-09-15T00:00:00.000Z')).toBe('2027-10-01T09:00:00.000Z');
    expect(next(once('2027-10-30'), '2026-09-15T00:00:00.000Z')).toBeUndefined();
  });
});

describe('properties', () => {
  const time = fc
    .tuple(fc.integer({ min: 0, max: 23 }), fc.constantFrom(0, 15, 30, 59))
    .map(([h, m]) => `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`);
  const weekly = fc.array(
    fc.record({ day: fc.constantFrom(...everyDay), from: time, to: fc.oneof(time, fc.constant('24:00')) }),
    { maxLength: 5 },
  );
  const instant = fc.integer({ min: millis(at('2026-01-01T00:00:00Z')), max: millis(at('2028-01-01T00:00:00Z')) });
  const zones = ['Asia/Shanghai', 'Europe/Berlin', 'America/New_York', 'Australia/Lord_Howe', 'America/Sao_Paulo'];
  const date = fc
    .integer({ min: 0, max: 729 })
    .map((day) => instantOf(millis(at('2026-01-01T00:00:00Z')) + day * 86_400_000).slice(0, 10));
  const dates = fc.array(
    fc.oneof(
      fc.record({ date, from: time, to: fc.oneof(time, fc.constant('24:00')) }),
      fc.record({ date, closed: fc.constant(true) }),
    ),
    { maxLength: 6 },
  );

  it('finds an open instant as the next opening, with nothing open before it', () => {
    fc.assert(
      fc.property(fc.constantFrom(...zones), weekly, fc.option(dates), instant, (timeZone, ranges, duty, from) => {
        const group = hours({
          regular: regular(timeZone, ranges),
          ...(duty === null ? {} : { irregular: irregular(timeZone, duty) }),
        });
        const opening = nextOpening(group, instantOf(from));
        if (opening === undefined) return ranges.length === 0;
        const until = millis(opening);
        const between = [...Array.from({ length: 20 }, (_, i) => from + ((until - from) * i) / 20), until - 1];
        return (
          isOpen(group, opening) &&
          until >= from &&
          between.filter((t) => t >= from && t < until).every((t) => !isOpen(group, instantOf(Math.floor(t))))
        );
      }),
      { numRuns: 300 },
    );
  });

  it('agrees with minute-of-week arithmetic in zones without daylight saving time', () => {
    const minutes = (time: string) => Number(time.slice(0, 2)) * 60 + Number(time.slice(3));
    const WEEK = 7 * 1440;
    fc.assert(
      fc.property(
        fc.constantFrom(['UTC', 0] as const, ['Asia/Kolkata', 330] as const),
        weekly,
        instant,
        ([zone, offset], ranges, t) => {
          // 1970-01-01 (the epoch) was a Thursday, day 3 of a week that starts on Monday.
          const minuteOfWeek = (((Math.floor(t / 60_000) + offset + 3 * 1440) % WEEK) + WEEK) % WEEK;
          const expected = ranges.some(({ day, from, to }) => {
            const start = everyDay.indexOf(day) * 1440 + minutes(from);
            const length =
              minutes(to) > minutes(from) ? minutes(to) - minutes(from) : 1440 - minutes(from) + minutes(to);
            return (minuteOfWeek - start + WEEK) % WEEK < length;
          });
          return isOpen(hours({ regular: regular(zone, ranges) }), instantOf(t)) === expected;
        },
      ),
      { numRuns: 300 },
    );
  });
});
