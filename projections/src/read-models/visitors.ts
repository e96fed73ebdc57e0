// Visitors' profiles (PROTOCOL "Names and profiles"): what each visitor told about itself, the
// channel it came by, and when it was first and last seen (a login, a visit or a message).
import type { DomainEvent } from '../events';
import type { Projection } from '../projection';
import { nothingChanged } from '../projection';
import { touchRows, update, type Row, type Rows, type TableShape } from '../rows';

export const VISITORS: TableShape = {
  columns: [
    ['company_id', 'text'],
    ['visitor_id', 'text'],
    ['name', 'text'],
    ['email', 'text'],
    ['phone', 'text'],
    ['attributes', 'jsonb'],
    ['channel', 'text'],
    ['page_url', 'text'],
    ['first_seen_at', 'timestamptz'],
    ['last_seen_at', 'timestamptz'],
  ],
  key: ['company_id', 'visitor_id'],
};

interface VisitorRecord {
  readonly company_id: string;
  readonly visitor_id: string;
  readonly name: string | null;
  readonly email: string | null;
  readonly phone: string | null;
  readonly attributes: Record<string, string>;
  readonly channel: string;
  /** The page the visitor was last seen on (a web visitor's login). */
  readonly page_url: string | null;
  readonly first_seen_at: string;
  readonly last_seen_at: string;
}

/** The visitor an event is about, if any: its own stream's events, a session's start, its messages. */
const visitorOf = (event: DomainEvent): string | undefined => {
  switch (event.type) {
    case 'VisitorProfileUpdated':
    case 'VisitorSeen':
    case 'SessionStarted':
      return event.visitorId;
    case 'MessagePosted':
      return event.from.role === 'visitor' ? event.from.id : undefined;
    default:
      return undefined;
  }
};

const later = (a: string, b: string): string => (Date.parse(a) >= Date.parse(b) ? a : b);
const earlier = (a: string, b: string): string => (Date.parse(a) <= Date.parse(b) ? a : b);

/** The row of a visitor first seen at `at` on `channel`. */
const newVisitor = (key: Row, channel: string, at: string): VisitorRecord => ({
  ...(key as { company_id: string; visitor_id: string }),
  name: null,
  email: null,
  phone: null,
  attributes: {},
  channel,
  page_url: null,
  first_seen_at: at,
  last_seen_at: at,
});

export const foldVisitors = (rows: Rows, events: readonly DomainEvent[]): void => {
  for (const event of events) {
    const visitorId = visitorOf(event);
    if (visitorId === undefined) continue;
    const key = { company_id: event.companyId, visitor_id: visitorId };
    let row = rows.get(key) as VisitorRecord | undefined;
    const seen = (channel: string): VisitorRecord => {
      if (row === undefined) {
        row = newVisitor(key, channel, event.at);
        rows.set(row as unknown as Row);
      } else {
        update(rows, row, {
          first_seen_at: earlier(row.first_seen_at, event.at),
          last_seen_at: later(row.last_seen_at, event.at),
        });
      }
      return row;
    };
    switch (event.type) {
      case 'VisitorSeen':
        update(rows, seen(event.channel), {
          channel: event.channel,
          ...(event.pageUrl === undefined ? {} : { page_url: event.pageUrl }),
        });
        break;
      case 'VisitorProfileUpdated': {
        const { name, email, phone, attributes } = event.changed;
        update(rows, seen('web'), {
          ...(name === undefined ? {} : { name }),
          ...(email === undefined ? {} : { email }),
          ...(phone === undefined ? {} : { phone }),
          ...(attributes === undefined ? {} : { attributes }),
        });
        break;
      }
      case 'SessionStarted': {
        const current = seen(event.channel);
        // A platform's display name, unless the visitor gave one itself.
        if (current.name === null && event.visitorName !== undefined)
          update(rows, current, { name: event.visitorName });
        break;
      }
      case 'MessagePosted':
        if (row !== undefined) seen(row.channel);
        break;
      default:
        break;
    }
  }
};

export const visitors: Projection = {
  name: 'visitors',
  tables: ['visitors'],

  async createTables(db, table) {
    await db.raw(`create table ${table('visitors')} (
      company_id text not null,
      visitor_id text not null,
      name text,
      email text,
      phone text,
      attributes jsonb not null default '{}',
      channel text not null,
      page_url text,
      first_seen_at timestamptz not null,
      last_seen_at timestamptz not null,
      primary key (company_id, visitor_id)
    )`);
  },

  async upgradeTables(db, table) {
    await db.raw(`alter table ${table('visitors')} add column if not exists page_url text`);
  },

  handles: (event) => visitorOf(event) !== undefined,
  async applyBatch({ db, table, events }) {
    const keys = events.flatMap(({ event }) => {
      const visitorId = visitorOf(event);
      return visitorId === undefined ? [] : [{ company_id: event.companyId, visitor_id: visitorId }];
    });
    const rows = await touchRows(db, table('visitors'), VISITORS, keys);
    foldVisitors(
      rows,
      events.map(({ event }) => event),
    );
    await rows.write(db);
    return nothingChanged;
  },
};
