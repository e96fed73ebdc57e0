// Codecs shared by the aggregates' events and commands.
import * as t from 'io-ts';
import { DateTime } from 'luxon';
import { withRule } from './report';

const ISO_INSTANT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?Z$/;

const isLeapYear = (year: number): boolean => (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * Whether an instant of ISO_INSTANT's form names a real time, as luxon's ISO parser judges it
 * (checked against it in codecs.unit.spec.ts), without building a DateTime: every event carries
 * instants, and luxon's check was most of the cost of decoding one (13-20 µs an event).
 */
export const isRealInstant = (s: string): boolean => {
  const m = ISO_INSTANT.exec(s);
  if (m === null) return false;
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4], m[5], m[6]].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (month < 1 || month > 12 || day < 1) return false;
  const days = month === 2 && isLeapYear(year) ? 29 : DAYS_IN_MONTH[month - 1]!;
  if (day > days || minute > 59 || second > 59) return false;
  if (hour < 24) return true;
  // 24:00:00 is the end of the day (the next one's start); luxon reads milliseconds only.
  return hour === 24 && minute === 0 && second === 0 && Number((m[7] ?? '0').slice(0, 3)) === 0;
};

interface IsoInstantBrand {
  readonly IsoInstant: unique symbol;
}
/** An instant as an ISO-8601 string in UTC (`2026-11-25T09:30:00.000Z`). */
export const IsoInstant = withRule(
  t.brand(t.string, (s): s is t.Branded<string, IsoInstantBrand> => isRealInstant(s), 'IsoInstant'),
  'must be an ISO-8601 time in UTC such as 2026-11-25T09:30:00.000Z',
);
export type IsoInstant = t.TypeOf<typeof IsoInstant>;

interface IdBrand {
  readonly Id: unique symbol;
}
/** Ids are short printable strings without separators that stream names use. */
export const Id = withRule(
  t.brand(t.string, (s): s is t.Branded<string, IdBrand> => /^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,99}$/.test(s), 'Id'),
  'must be an id of 1 to 100 letters, digits or _.:@- starting with a letter or digit',
);
export type Id = t.TypeOf<typeof Id>;

/** Milliseconds since the epoch of an instant; instants compare as numbers. */
export const millis = (instant: IsoInstant): number => DateTime.fromISO(instant, { zone: 'utc' }).toMillis();
export const instantOf = (epochMillis: number): IsoInstant =>
  DateTime.fromMillis(epochMillis, { zone: 'utc' }).toISO() as IsoInstant;

interface CompanyIdBrand {
  readonly CompanyId: unique symbol;
}
/**
 * Company ids appear in every stream name (`session-<companyId>-<sessionId>`), so they have no
 * `-`: a prefix such as `session-acme-` then names one company's streams and no other's.
 */
export const CompanyId = withRule(
  t.brand(
    t.string,
    (s): s is t.Branded<string, CompanyIdBrand> => /^[A-Za-z0-9][A-Za-z0-9_]{0,63}$/.test(s),
    'CompanyId',
  ),
  'must be 1 to 64 letters, digits or _ starting with a letter or digit',
);
export type CompanyId = t.TypeOf<typeof CompanyId>;

/** The distinct paths (`from.role`, `at`) that failed to decode, for error messages. */
export const invalidPaths = (errors: t.Errors): string =>
  [
    ...new Set(
      errors.map((error) =>
        error.context
          .map((c) => c.key)
          .filter(Boolean)
          .join('.'),
      ),
    ),
  ].join(', ');
