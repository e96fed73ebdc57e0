// Codecs shared by the aggregates' events and commands.
import * as t from 'io-ts';
import { DateTime } from 'luxon';

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;

interface IsoInstantBrand {
  readonly IsoInstant: unique symbol;
}
/** An instant as an ISO-8601 string in UTC (`2026-11-25T09:30:00.000Z`). */
export const IsoInstant = t.brand(
  t.string,
  (s): s is t.Branded<string, IsoInstantBrand> => ISO_INSTANT.test(s) && DateTime.fromISO(s, { zone: 'utc' }).isValid,
  'IsoInstant',
);
export type IsoInstant = t.TypeOf<typeof IsoInstant>;

interface IdBrand {
  readonly Id: unique symbol;
}
/** Ids are short printable strings without separators that stream names use. */
export const Id = t.brand(
  t.string,
  (s): s is t.Branded<string, IdBrand> => /^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,99}$/.test(s),
  'Id',
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
export const CompanyId = t.brand(
  t.string,
  (s): s is t.Branded<string, CompanyIdBrand> => /^[A-Za-z0-9][A-Za-z0-9_]{0,63}$/.test(s),
  'CompanyId',
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
