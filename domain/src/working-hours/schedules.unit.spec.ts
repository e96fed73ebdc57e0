import { isLeft, isRight, type Either } from 'fp-ts/Either';
import { decodeOrThrow } from '../../../test-support/fixtures';
import type { DomainError } from '../shared/errors';
import { IrregularSchedule, RegularSchedule, WorkingHours } from './schedule';
import { addSchedule, hoursOfGroup, replaceSchedule } from './schedules';

const schedule = decodeOrThrow(WorkingHours);
const regularOf = (id: string, groupId = 'support', companyId = 'acme') =>
  schedule({ id, companyId, groupId, type: 'regular', timeZone: 'Asia/Shanghai', weekly: [] });
const irregularOf = (id: string, groupId = 'support', companyId = 'acme') =>
  schedule({ id, companyId, groupId, type: 'irregular', timeZone: 'Asia/Shanghai', dates: [] });

const ids = (result: Either<DomainError, WorkingHours[]>) =>
  isRight(result) ? result.right.map((s) => s.id) : result.left.code;

describe('one schedule of each type per company and group', () => {
  it('adds a regular and an irregular schedule to a group, and refuses a second of either', () => {
    const both = [regularOf('r1'), irregularOf('i1')];
    expect(ids(addSchedule([regularOf('r1')], irregularOf('i1')))).toEqual(['r1', 'i1']);
    expect(ids(addSchedule(both, regularOf('r2')))).toBe('working_hours_exists');
    expect(addSchedule(both, irregularOf('i2'))).toEqual({
      _tag: 'Left',
      left: {
        code: 'working_hours_exists',
        message: 'group support already has its irregular schedule',
        details: { groupId: 'support', type: 'irregular' },
      },
    });
  });

  it('keeps other groups and other companies apart', () => {
    const existing = [regularOf('r1')];
    expect(ids(addSchedule(existing, regularOf('r2', 'sales')))).toEqual(['r1', 'r2']);
    expect(ids(addSchedule(existing, regularOf('r3', 'support', 'globex')))).toEqual(['r1', 'r3']);
  });

  it('replaces a schedule in its place, and refuses to turn it into a type its group has', () => {
    const existing = [regularOf('r1'), irregularOf('i1'), regularOf('r2', 'sales')];
    const changed = schedule({ ...regularOf('r1'), timeZone: 'Europe/Berlin' });
    const replaced = replaceSchedule(existing, changed);
    expect(ids(replaced)).toEqual(['r1', 'i1', 'r2']);
    expect(isRight(replaced) && replaced.right[0]).toEqual(changed);
    expect(ids(replaceSchedule(existing, irregularOf('r1')))).toBe('working_hours_exists');
    expect(ids(replaceSchedule(existing, irregularOf('r2', 'sales')))).toEqual(['r1', 'i1', 'r2']);
  });

  it('adds a replacement whose id is unknown, under the same rule', () => {
    expect(ids(replaceSchedule([regularOf('r1')], irregularOf('i1')))).toEqual(['r1', 'i1']);
    expect(ids(replaceSchedule([regularOf('r1')], regularOf('r2')))).toBe('working_hours_exists');
  });

  it('gives the calendar the schedules of one group of one company', () => {
    const all = [regularOf('r1'), irregularOf('i1', 'sales'), regularOf('r2', 'support', 'globex')];
    expect(hoursOfGroup(all, regularOf('x').companyId, regularOf('x').groupId)).toEqual({ regular: all[0] });
    expect(hoursOfGroup(all, regularOf('x').companyId, irregularOf('x', 'sales').groupId)).toEqual({
      irregular: all[1],
    });
    expect(hoursOfGroup(all, regularOf('x').companyId, regularOf('x', 'billing').groupId)).toEqual({});
  });
});

describe('schedule codecs', () => {
  const weekly = (range: object) => ({ type: 'regular', timeZone: 'Asia/Shanghai', weekly: [range] });
  const dated = (entry: object) => ({ type: 'irregular', timeZone: 'Asia/Shanghai', dates: [entry] });
  const accepts = (codec: { decode: (u: unknown) => Either<unknown, unknown> }, value: unknown) =>
    isRight(codec.decode(value));

  it("accepts the protocol's examples", () => {
    expect(accepts(RegularSchedule, weekly({ day: 'mon', from: '09:00', to: '18:00' }))).toBe(true);
    expect(accepts(IrregularSchedule, dated({ date: '2026-10-01', from: '10:00', to: '16:00' }))).toBe(true);
    expect(accepts(IrregularSchedule, dated({ date: '2026-10-02', closed: true }))).toBe(true);
  });

  it('refuses times that are not on a clock, and 24:00 except as a closing time', () => {
    expect(accepts(RegularSchedule, weekly({ day: 'mon', from: '20:00', to: '24:00' }))).toBe(true);
    expect(accepts(RegularSchedule, weekly({ day: 'mon', from: '00:00', to: '23:59' }))).toBe(true);
    for (const [from, to] of [
      ['24:00', '06:00'],
      ['25:00', '26:00'],
      ['09:00', '25:00'],
      ['12:60', '13:00'],
      ['9:00', '18:00'],
      ['09:00', '24:01'],
    ]) {
      expect(accepts(RegularSchedule, weekly({ day: 'mon', from, to }))).toBe(false);
    }
  });

  it('refuses dates that are not on the calendar', () => {
    expect(accepts(IrregularSchedule, dated({ date: '2028-02-29', closed: true }))).toBe(true);
    for (const date of ['2026-02-30', '2026-02-29', '2026-13-01', '2026-2-3', '2026-10-01T00:00']) {
      expect(accepts(IrregularSchedule, dated({ date, closed: true }))).toBe(false);
    }
  });

  it('refuses unknown zones and days, and entries or schedules with missing fields', () => {
    expect(
      accepts(RegularSchedule, { ...weekly({ day: 'mon', from: '09:00', to: '18:00' }), timeZone: 'Mars/Olympus' }),
    ).toBe(false);
    expect(accepts(RegularSchedule, weekly({ day: 'monday', from: '09:00', to: '18:00' }))).toBe(false);
    expect(accepts(RegularSchedule, weekly({ day: 'mon', from: '09:00' }))).toBe(false);
    expect(accepts(RegularSchedule, { type: 'regular', timeZone: 'Asia/Shanghai' })).toBe(false);
    expect(accepts(RegularSchedule, { type: 'regular', weekly: [] })).toBe(false);
    expect(accepts(IrregularSchedule, dated({ date: '2026-10-01' }))).toBe(false);
    expect(accepts(IrregularSchedule, dated({ date: '2026-10-01', closed: false }))).toBe(false);
    expect(accepts(IrregularSchedule, dated({ from: '10:00', to: '16:00' }))).toBe(false);
    expect(
      accepts(IrregularSchedule, { ...weekly({ day: 'mon', from: '09:00', to: '18:00' }), type: 'irregular' }),
    ).toBe(false);
  });

  it('stores a schedule with its company and group, reading `closed` over a range given beside it', () => {
    const stored = schedule({
      id: 'wh1',
      companyId: 'acme',
      groupId: 'support',
      type: 'irregular',
      timeZone: 'Asia/Shanghai',
      dates: [{ date: '2026-10-01', closed: true, from: '10:00', to: '16:00' }],
      note: 'not part of the protocol',
    });
    expect(stored).toEqual({
      id: 'wh1',
      companyId: 'acme',
      groupId: 'support',
      type: 'irregular',
      timeZone: 'Asia/Shanghai',
      dates: [{ date: '2026-10-01', closed: true }],
    });
    expect(isLeft(WorkingHours.decode({ ...stored, companyId: 'ac-me' }))).toBe(true);
    expect(isLeft(WorkingHours.decode({ ...stored, groupId: undefined }))).toBe(true);
  });
});
