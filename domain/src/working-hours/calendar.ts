// Whether an agent group is working at an instant, and when it opens next; transfers route only to open groups.
import { DateTime, IANAZone } from 'luxon';
import { type IsoInstant, instantOf, millis } from '../shared/codecs';
import type {
  CalendarDate,
  ClosingTime,
  GroupHours,
  IrregularSchedule,
  OpeningTime,
  RegularSchedule,
} from './schedule';

const MINUTE = 60_000;
const DAY = 1440 * MINUTE;
const WEEK = 7 * DAY;
/** How far `nextOpening` looks: a year and a bit, so a yearly holiday duty is still found. */
const HORIZON = 400 * DAY;

/** Open from `start` up to, not including, `end` (epoch milliseconds). */
interface Opening {
  readonly start: number;
  readonly end: number;
}

/** A calendar date as a count of days since 1970-01-01, which keeps date arithmetic free of time zones. */
type Day = number;

const dayOfDate = (date: CalendarDate): Day => DateTime.fromISO(date, { zone: 'utc' }).toMillis() / DAY;
const dayAt = (instant: number, zone: IANAZone): Day => Math.floor((instant + zone.offset(instant) * MINUTE) / DAY);
const WEEKDAY_INDEX = { mon: 0, tue: 1, wed: 2, thu: 3, fri: 4, sat: 5, sun: 6 } as const;
/** Day 0, 1970-01-01, was a Thursday. */
const weekdayIndex = (day: Day): number => (((day + 3) % 7) + 7) % 7;
const minutesOf = (time: OpeningTime | ClosingTime): number => Number(time.slice(0, 2)) * 60 + Number(time.slice(3));

/**
 * The instant of a wall-clock time (`minutes` may pass 24:00 into the next day). Luxon's `fromObject` picks
 * between the two occurrences of an autumn time by the offset the zone has *today*, so the answer would change
 * with the season the code runs in; here a repeated time is its first occurrence, and a time in the spring gap
 * moves forward by the gap's length (as luxon does): it is read with the offset before the jump.
 */
const wallClockInstant = (day: Day, minutes: number, zone: IANAZone): number => {
  const wall = day * DAY + minutes * MINUTE;
  const before = zone.offset(wall - DAY);
  const readings = [before, zone.offset(wall + DAY)]
    .map((offset) => wall - offset * MINUTE)
    .filter((instant) => zone.offset(instant) * MINUTE === wall - instant);
  return readings.length > 0 ? Math.min(...readings) : wall - before * MINUTE;
};

/** A range that starts on `day`; `to <= from` closes on the next day. */
const openingOn = (day: Day, from: OpeningTime, to: ClosingTime, zone: IANAZone): Opening => {
  const opens = minutesOf(from);
  const closes = minutesOf(to) <= opens ? minutesOf(to) + 1440 : minutesOf(to);
  return { start: wallClockInstant(day, opens, zone), end: wallClockInstant(day, closes, zone) };
};

/** The weekly ranges that start on the days around [from, to], in the schedule's zone. */
const weeklyOpenings = (regular: RegularSchedule, from: number, to: number): Opening[] => {
  const zone = IANAZone.create(regular.timeZone);
  const openings: Opening[] = [];
  // A range closes at the latest on the day after it opens, so ranges of earlier days are over before `from`.
  for (let day = dayAt(from, zone) - 1; day <= dayAt(to, zone); day++) {
    for (const range of regular.weekly) {
      if (WEEKDAY_INDEX[range.day] === weekdayIndex(day)) openings.push(openingOn(day, range.from, range.to, zone));
    }
  }
  return openings;
};

/** A date with a `closed` entry is closed whatever else is listed for it. */
const datedOpenings = (irregular: IrregularSchedule): Opening[] => {
  const zone = IANAZone.create(irregular.timeZone);
  const closed = new Set(irregular.dates.flatMap((entry) => ('closed' in entry ? [entry.date] : [])));
  return irregular.dates.flatMap((entry) =>
    'closed' in entry || closed.has(entry.date) ? [] : [openingOn(dayOfDate(entry.date), entry.from, entry.to, zone)],
  );
};

/**
 * A regular range is replaced when the date on which it opens is listed in the irregular schedule. A night shift
 * that opens the evening before a holiday thus keeps its tail on the holiday: the shift started on a working day.
 * The date is read in the irregular schedule's zone, which says which dates are holidays, even when the regular
 * schedule has another zone.
 */
const isReplaced = (irregular: IrregularSchedule | undefined): ((instant: number) => boolean) => {
  if (irregular === undefined) return () => false;
  const zone = IANAZone.create(irregular.timeZone);
  const listed = new Set(irregular.dates.map((entry) => dayOfDate(entry.date)));
  return (instant) => listed.has(dayAt(instant, zone));
};

/** Every opening that overlaps [from, to). */
const openingsBetween = ({ regular, irregular }: GroupHours, from: number, to: number): Opening[] => {
  const replaced = isReplaced(irregular);
  const regularOpenings =
    regular === undefined ? [] : weeklyOpenings(regular, from, to).filter((o) => !replaced(o.start));
  const irregularOpenings = irregular === undefined ? [] : datedOpenings(irregular);
  // A range in a spring-forward gap can end up empty, or even inverted: it does not exist that day.
  return [...regularOpenings, ...irregularOpenings].filter((o) => o.start < o.end && o.start < to && o.end > from);
};

/** The protocol: a group with no schedule at all is open at all times. */
const hasNoSchedule = (hours: GroupHours): boolean => hours.regular === undefined && hours.irregular === undefined;

export const isOpen = (hours: GroupHours, at: IsoInstant): boolean => {
  if (hasNoSchedule(hours)) return true;
  const instant = millis(at);
  return openingsBetween(hours, instant, instant + 1).length > 0;
};

/** The earliest instant from `at` on at which the group is open, or `undefined` when it stays closed for 400 days. */
export const nextOpening = (hours: GroupHours, at: IsoInstant): IsoInstant | undefined => {
  if (hasNoSchedule(hours)) return at;
  const instant = millis(at);
  // A week at a time, as most groups open within one; an opening found in a later week starts inside it.
  for (let from = instant; from < instant + HORIZON; from += WEEK) {
    const starts = openingsBetween(hours, from, Math.min(from + WEEK, instant + HORIZON)).map((o) => o.start);
    if (starts.length > 0) {
      const opening = Math.max(instant, Math.min(...starts));
      return opening === instant ? at : instantOf(opening);
    }
  }
  return undefined;
};
