// The shapes of an agent group's working hours, as the admin API receives and stores them.
import * as t from 'io-ts';
import { DateTime, IANAZone } from 'luxon';
import { CompanyId, Id } from '../shared/codecs';
import { withRule } from '../shared/report';

interface TimeZoneBrand {
  readonly TimeZone: unique symbol;
}
/** An IANA time zone (`Asia/Shanghai`): a schedule's times are wall-clock times there. */
export const TimeZone = withRule(
  t.brand(t.string, (s): s is t.Branded<string, TimeZoneBrand> => IANAZone.isValidZone(s), 'TimeZone'),
  'must be an IANA time zone such as Asia/Shanghai',
);
export type TimeZone = t.TypeOf<typeof TimeZone>;

const HOURS_MINUTES = /^([01]\d|2[0-3]):[0-5]\d$/;

interface OpeningTimeBrand {
  readonly OpeningTime: unique symbol;
}
/** When a range opens: `HH:MM` from `00:00` to `23:59`. */
export const OpeningTime = withRule(
  t.brand(t.string, (s): s is t.Branded<string, OpeningTimeBrand> => HOURS_MINUTES.test(s), 'OpeningTime'),
  'must be a time HH:MM from 00:00 to 23:59',
);
export type OpeningTime = t.TypeOf<typeof OpeningTime>;

interface ClosingTimeBrand {
  readonly ClosingTime: unique symbol;
}
/** When a range closes: like an opening time, or `24:00` for the midnight that ends the day. */
export const ClosingTime = withRule(
  t.brand(
    t.string,
    (s): s is t.Branded<string, ClosingTimeBrand> => s === '24:00' || HOURS_MINUTES.test(s),
    'ClosingTime',
  ),
  'must be a time HH:MM from 00:00 to 24:00',
);
export type ClosingTime = t.TypeOf<typeof ClosingTime>;

interface CalendarDateBrand {
  readonly CalendarDate: unique symbol;
}
/** A date that exists on the calendar, `YYYY-MM-DD`. */
export const CalendarDate = withRule(
  t.brand(
    t.string,
    (s): s is t.Branded<string, CalendarDateBrand> =>
      /^\d{4}-\d{2}-\d{2}$/.test(s) && DateTime.fromISO(s, { zone: 'utc' }).isValid,
    'CalendarDate',
  ),
  'must be a calendar date YYYY-MM-DD',
);
export type CalendarDate = t.TypeOf<typeof CalendarDate>;

export const Weekday = t.keyof(
  { mon: null, tue: null, wed: null, thu: null, fri: null, sat: null, sun: null },
  'Weekday',
);
export type Weekday = t.TypeOf<typeof Weekday>;

/** `to <= from` runs past midnight into the next day, so `from == to` is a whole 24 hours. */
export const WeeklyRange = t.strict({ day: Weekday, from: OpeningTime, to: ClosingTime }, 'WeeklyRange');
export type WeeklyRange = t.TypeOf<typeof WeeklyRange>;

export const DatedRange = t.strict({ date: CalendarDate, from: OpeningTime, to: ClosingTime }, 'DatedRange');
export type DatedRange = t.TypeOf<typeof DatedRange>;

export const ClosedDate = t.strict({ date: CalendarDate, closed: t.literal(true) }, 'ClosedDate');
export type ClosedDate = t.TypeOf<typeof ClosedDate>;

export const RegularSchedule = t.strict(
  { type: t.literal('regular'), timeZone: TimeZone, weekly: t.readonlyArray(WeeklyRange) },
  'RegularSchedule',
);
export type RegularSchedule = t.TypeOf<typeof RegularSchedule>;

/**
 * Holiday duty: on a date listed here these entries replace the regular schedule. `ClosedDate` is tried
 * first so that an entry saying both `closed: true` and a range reads as closed.
 */
export const IrregularSchedule = t.strict(
  { type: t.literal('irregular'), timeZone: TimeZone, dates: t.readonlyArray(t.union([ClosedDate, DatedRange])) },
  'IrregularSchedule',
);
export type IrregularSchedule = t.TypeOf<typeof IrregularSchedule>;

/** The body of `POST /api/admin/working-hours` without its group. */
export const Schedule = t.union([RegularSchedule, IrregularSchedule], 'Schedule');
export type Schedule = t.TypeOf<typeof Schedule>;

/** A stored schedule; a group has at most one of each type (`addSchedule`). */
export const WorkingHours = t.intersection(
  [t.strict({ id: Id, companyId: CompanyId, groupId: Id }), Schedule],
  'WorkingHours',
);
export type WorkingHours = t.TypeOf<typeof WorkingHours>;

/** What the calendar reads of one group: either schedule may be missing (none at all: always open). */
export const GroupHours = t.exact(t.partial({ regular: RegularSchedule, irregular: IrregularSchedule }), 'GroupHours');
export type GroupHours = t.TypeOf<typeof GroupHours>;
