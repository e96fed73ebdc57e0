// The outbound webhooks' store over knex (PGlite embedded, PostgreSQL distributed): the endpoints
// an admin registered, the outbox of deliveries (one row per event and subscribed endpoint, its id
// derived from both, so that a redelivered event adds nothing), and every attempt of each.
// Workers claim due rows with `FOR UPDATE SKIP LOCKED` and a lease: two workers never hold one row
// at once, and a row whose worker died is claimed again once its lease has passed.
import { createHash, randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import type {
  DeliveryAttempt,
  DeliveryStatus,
  NewWebhook,
  WebhookDelivery,
  WebhookEndpoint,
  WebhookEventKind,
  WebhookPatch,
} from './codecs';

export const DEFAULT_WEBHOOK_SCHEMA = 'webhooks';

/** An event as the outbox takes it: what every subscribed endpoint of its company is sent. */
export interface OutboxEvent {
  readonly eventId: string;
  readonly companyId: string;
  readonly kind: WebhookEventKind;
  readonly sessionId?: string;
  /** When it happened (the event's `at`). */
  readonly createdAt: string;
  readonly data: Record<string, unknown>;
}

/** A delivery a worker holds until its lease ends: what to send where, signed with what. */
export interface ClaimedDelivery {
  readonly id: string;
  readonly companyId: string;
  readonly endpointId: string;
  readonly kind: WebhookEventKind;
  readonly url: string;
  readonly secret: string;
  readonly body: string;
  /** This attempt's number (1 for the first). */
  readonly attempt: number;
}

/** What became of an attempt: delivered, to be tried again at a time, or given up. */
export type AttemptOutcome =
  { readonly kind: 'delivered' } | { readonly kind: 'retry'; readonly at: Date } | { readonly kind: 'failed' };

export interface DeliveryPage {
  readonly deliveries: readonly WebhookDelivery[];
  readonly nextCursor?: string;
}

/** The id of the delivery of an event to an endpoint: the same on every redelivery of the event. */
export const deliveryIdOf = (eventId: string, endpointId: string): string => {
  const hex = createHash('sha256').update(`${eventId}\n${endpointId}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${((parseInt(hex[16]!, 16) & 3) | 8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
};

export interface WebhookStore {
  readonly description: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  list(companyId: string): Promise<WebhookEndpoint[]>;
  /** The endpoint and its secret (the only time the secret leaves the store, but for sending). */
  create(companyId: string, body: NewWebhook, secret: string): Promise<WebhookEndpoint>;
  update(companyId: string, id: string, patch: WebhookPatch): Promise<WebhookEndpoint | undefined>;
  remove(companyId: string, id: string): Promise<boolean>;
  rotateSecret(companyId: string, id: string, secret: string): Promise<boolean>;
  /**
   * One row per event and enabled endpoint of its company subscribed to its kind, in one
   * transaction (`within`, when the caller has one); a row that exists already is left as it is.
   * Returns how many rows were new.
   */
  enqueue(events: readonly OutboxEvent[], now: Date, within?: Knex.Transaction): Promise<number>;
  /** Takes up to `limit` due rows for `leaseMs`, counting their attempt. */
  claim(limit: number, now: Date, leaseMs: number): Promise<ClaimedDelivery[]>;
  /**
   * Records an attempt and what became of the row; false (nothing written) when the row is no
   * longer this attempt's (its lease passed and another worker took it).
   */
  record(
    delivery: Pick<ClaimedDelivery, 'id' | 'attempt'>,
    attempt: Omit<DeliveryAttempt, 'attempt'>,
    outcome: AttemptOutcome,
  ): Promise<boolean>;
  /** The endpoint's delivery log, newest first; undefined when the company has no such endpoint. */
  deliveries(
    companyId: string,
    endpointId: string,
    page: { readonly limit: number; readonly cursor?: string },
  ): Promise<DeliveryPage | undefined>;
  /** The soonest time a pending row is due (the worker's next wake-up), if any. */
  nextDue(): Promise<Date | undefined>;
  /**
   * A visitor's erasure: in the bodies of the rows of these sessions (pending, delivered or failed),
   * the message texts, satisfaction comments and file names read `[erased]`; a pending row is then
   * sent so. Returns the rows changed (0 again on a second run).
   */
  eraseSessions(companyId: string, sessionIds: readonly string[]): Promise<number>;
}

interface EndpointRow {
  company_id: string;
  id: string;
  url: string;
  events: string | string[];
  enabled: boolean;
  created_at: Date | string;
  updated_at: Date | string;
}

interface DeliveryRow {
  seq: string | number;
  id: string;
  company_id: string;
  endpoint_id: string;
  kind: WebhookEventKind;
  event_id: string;
  session_id: string | null;
  status: DeliveryStatus;
  attempts: number;
  last_status: number | null;
  last_error: string | null;
  next_attempt_at: Date | string | null;
  delivered_at: Date | string | null;
  created_at: Date | string;
}

interface AttemptRow {
  delivery_id: string;
  attempt: number;
  at: Date | string;
  status_code: number | null;
  error: string | null;
  duration_ms: number;
}

const iso = (value: Date | string): string => new Date(value).toISOString();
const jsonOf = <T>(value: T | string): T => (typeof value === 'string' ? (JSON.parse(value) as T) : value);

const endpointOf = (row: EndpointRow): WebhookEndpoint => ({
  id: row.id,
  url: row.url,
  events: jsonOf<WebhookEventKind[]>(row.events as WebhookEventKind[] | string),
  enabled: row.enabled,
  createdAt: iso(row.created_at),
  updatedAt: iso(row.updated_at),
});

const deliveryOf = (row: DeliveryRow, history: readonly DeliveryAttempt[]): WebhookDelivery => ({
  id: row.id,
  endpointId: row.endpoint_id,
  event: row.kind,
  eventId: row.event_id,
  status: row.status,
  attempts: row.attempts,
  createdAt: iso(row.created_at),
  history: [...history],
  ...(row.session_id === null ? {} : { sessionId: row.session_id }),
  ...(row.last_status === null ? {} : { lastStatusCode: row.last_status }),
  ...(row.last_error === null ? {} : { lastError: row.last_error }),
  ...(row.next_attempt_at === null || row.status !== 'pending' ? {} : { nextAttemptAt: iso(row.next_attempt_at) }),
  ...(row.delivered_at === null ? {} : { deliveredAt: iso(row.delivered_at) }),
});

const attemptOf = (row: AttemptRow): DeliveryAttempt => ({
  attempt: row.attempt,
  at: iso(row.at),
  durationMs: row.duration_ms,
  ...(row.status_code === null ? {} : { statusCode: row.status_code }),
  ...(row.error === null ? {} : { error: row.error }),
});

export interface SqlWebhookStoreOptions {
  readonly knex: Knex;
  readonly schema?: string;
}

export const createWebhookStore = (options: SqlWebhookStoreOptions): WebhookStore => {
  const { knex } = options;
  const schema = options.schema ?? DEFAULT_WEBHOOK_SCHEMA;
  const s = `"${schema}"`;
  let started: Promise<void> | undefined;

  const bodyOf = (deliveryId: string, event: OutboxEvent): string =>
    JSON.stringify({
      id: deliveryId,
      type: event.kind,
      createdAt: event.createdAt,
      companyId: event.companyId,
      data: event.data,
    });

  const enqueueIn = async (
    trx: Knex | Knex.Transaction,
    events: readonly OutboxEvent[],
    now: Date,
  ): Promise<number> => {
    let added = 0;
    const endpointsOf = new Map<string, EndpointRow[]>();
    for (const event of events) {
      let endpoints = endpointsOf.get(event.companyId);
      if (endpoints === undefined) {
        const { rows } = await trx.raw<{ rows: EndpointRow[] }>(
          `select * from ${s}.endpoints where company_id = ? and enabled`,
          [event.companyId],
        );
        endpoints = rows;
        endpointsOf.set(event.companyId, rows);
      }
      for (const endpoint of endpoints) {
        if (!jsonOf<string[]>(endpoint.events).includes(event.kind)) continue;
        const id = deliveryIdOf(event.eventId, endpoint.id);
        const { rows } = await trx.raw<{ rows: { id: string }[] }>(
          `insert into ${s}.deliveries (id, company_id, endpoint_id, kind, event_id, session_id, body, status, attempts, next_attempt_at, created_at)
           values (?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?)
           on conflict (id) do nothing
           returning id`,
          [
            id,
            event.companyId,
            endpoint.id,
            event.kind,
            event.eventId,
            event.sessionId ?? null,
            bodyOf(id, event),
            now,
            now,
          ],
        );
        added += rows.length;
      }
    }
    return added;
  };

  return {
    description: `outbound webhooks: schema ${schema}`,
    start: () => {
      started ??= knex.transaction(async (trx) => {
        // Processes starting together against one database create the tables one at a time.
        await trx.raw(`select pg_advisory_xact_lock(hashtext(?))`, [`webhooks:${schema}`]);
        await trx.raw(`create schema if not exists ${s}`);
        await trx.raw(`create table if not exists ${s}.endpoints (
          company_id text not null,
          id text not null,
          url text not null,
          events jsonb not null,
          enabled boolean not null default true,
          secret text not null,
          created_at timestamptz not null,
          updated_at timestamptz not null,
          primary key (company_id, id)
        )`);
        await trx.raw(`create table if not exists ${s}.deliveries (
          seq bigserial not null unique,
          id text primary key,
          company_id text not null,
          endpoint_id text not null,
          kind text not null,
          event_id text not null,
          session_id text,
          body text not null,
          status text not null check (status in ('pending', 'delivered', 'failed')),
          attempts int not null,
          lease_until timestamptz,
          next_attempt_at timestamptz,
          last_status int,
          last_error text,
          delivered_at timestamptz,
          created_at timestamptz not null,
          foreign key (company_id, endpoint_id) references ${s}.endpoints (company_id, id) on delete cascade
        )`);
        await trx.raw(
          `create index if not exists deliveries_due on ${s}.deliveries (next_attempt_at) where status = 'pending'`,
        );
        await trx.raw(
          `create index if not exists deliveries_by_endpoint on ${s}.deliveries (company_id, endpoint_id, seq desc)`,
        );
        await trx.raw(`create table if not exists ${s}.attempts (
          delivery_id text not null references ${s}.deliveries (id) on delete cascade,
          attempt int not null,
          at timestamptz not null,
          status_code int,
          error text,
          duration_ms int not null,
          primary key (delivery_id, attempt)
        )`);
      });
      return started;
    },
    stop: async () => undefined,

    list: async (companyId) => {
      const { rows } = await knex.raw<{ rows: EndpointRow[] }>(
        `select * from ${s}.endpoints where company_id = ? order by created_at, id`,
        [companyId],
      );
      return rows.map(endpointOf);
    },
    create: async (companyId, body, secret) => {
      const now = new Date();
      const { rows } = await knex.raw<{ rows: EndpointRow[] }>(
        `insert into ${s}.endpoints (company_id, id, url, events, enabled, secret, created_at, updated_at)
         values (?, ?, ?, ?::jsonb, ?, ?, ?, ?) returning *`,
        [
          companyId,
          `wh-${randomUUID()}`,
          body.url,
          JSON.stringify(body.events),
          body.enabled ?? true,
          secret,
          now,
          now,
        ],
      );
      return endpointOf(rows[0]!);
    },
    update: async (companyId, id, patch) => {
      const { rows } = await knex.raw<{ rows: EndpointRow[] }>(
        `update ${s}.endpoints set
           url = coalesce(?, url), events = coalesce(?::jsonb, events), enabled = coalesce(?, enabled), updated_at = ?
         where company_id = ? and id = ? returning *`,
        [
          patch.url ?? null,
          patch.events === undefined ? null : JSON.stringify(patch.events),
          patch.enabled ?? null,
          new Date(),
          companyId,
          id,
        ],
      );
      return rows[0] === undefined ? undefined : endpointOf(rows[0]);
    },
    remove: async (companyId, id) => {
      const { rows } = await knex.raw<{ rows: { id: string }[] }>(
        `delete from ${s}.endpoints where company_id = ? and id = ? returning id`,
        [companyId, id],
      );
      return rows.length > 0;
    },
    rotateSecret: async (companyId, id, secret) => {
      const { rows } = await knex.raw<{ rows: { id: string }[] }>(
        `update ${s}.endpoints set secret = ?, updated_at = ? where company_id = ? and id = ? returning id`,
        [secret, new Date(), companyId, id],
      );
      return rows.length > 0;
    },

    enqueue: async (events, now, within) => {
      if (events.length === 0) return 0;
      if (within !== undefined) return enqueueIn(within, events, now);
      return knex.transaction((trx) => enqueueIn(trx, events, now));
    },

    claim: async (limit, now, leaseMs) => {
      const { rows } = await knex.raw<{
        rows: {
          id: string;
          company_id: string;
          endpoint_id: string;
          kind: WebhookEventKind;
          body: string;
          attempts: number;
          url: string;
          secret: string;
        }[];
      }>(
        `with due as (
           select id from ${s}.deliveries
           where status = 'pending' and next_attempt_at <= ? and (lease_until is null or lease_until <= ?)
           order by next_attempt_at
           limit ?
           for update skip locked
         )
         update ${s}.deliveries d set attempts = d.attempts + 1, lease_until = ?
         from due, ${s}.endpoints e
         where d.id = due.id and e.company_id = d.company_id and e.id = d.endpoint_id
         returning d.id, d.company_id, d.endpoint_id, d.kind, d.body, d.attempts, e.url, e.secret`,
        [now, now, limit, new Date(now.getTime() + leaseMs)],
      );
      return rows.map((row) => ({
        id: row.id,
        companyId: row.company_id,
        endpointId: row.endpoint_id,
        kind: row.kind,
        url: row.url,
        secret: row.secret,
        body: row.body,
        attempt: row.attempts,
      }));
    },

    record: async (delivery, attempt, outcome) =>
      knex.transaction(async (trx) => {
        const { rows } = await trx.raw<{ rows: { id: string }[] }>(
          `update ${s}.deliveries set
             status = ?, lease_until = null, next_attempt_at = ?, last_status = ?, last_error = ?, delivered_at = ?
           where id = ? and attempts = ? and status = 'pending'
           returning id`,
          [
            outcome.kind === 'retry' ? 'pending' : outcome.kind,
            outcome.kind === 'retry' ? outcome.at : null,
            attempt.statusCode ?? null,
            attempt.error ?? null,
            outcome.kind === 'delivered' ? new Date(attempt.at) : null,
            delivery.id,
            delivery.attempt,
          ],
        );
        if (rows.length === 0) return false;
        await trx.raw(
          `insert into ${s}.attempts (delivery_id, attempt, at, status_code, error, duration_ms)
           values (?, ?, ?, ?, ?, ?) on conflict do nothing`,
          [
            delivery.id,
            delivery.attempt,
            new Date(attempt.at),
            attempt.statusCode ?? null,
            attempt.error ?? null,
            Math.round(attempt.durationMs),
          ],
        );
        return true;
      }),

    deliveries: async (companyId, endpointId, page) => {
      const { rows: found } = await knex.raw<{ rows: { id: string }[] }>(
        `select id from ${s}.endpoints where company_id = ? and id = ?`,
        [companyId, endpointId],
      );
      if (found.length === 0) return undefined;
      const { rows } = await knex.raw<{ rows: DeliveryRow[] }>(
        `select seq, id, company_id, endpoint_id, kind, event_id, session_id, status, attempts, last_status, last_error,
                next_attempt_at, delivered_at, created_at
         from ${s}.deliveries
         where company_id = ? and endpoint_id = ? and (?::bigint is null or seq < ?::bigint)
         order by seq desc limit ?`,
        [companyId, endpointId, page.cursor ?? null, page.cursor ?? null, page.limit + 1],
      );
      const shown = rows.slice(0, page.limit);
      const { rows: attempts } =
        shown.length === 0
          ? { rows: [] as AttemptRow[] }
          : await knex.raw<{ rows: AttemptRow[] }>(
              `select * from ${s}.attempts where delivery_id = any(?::text[]) order by attempt`,
              [shown.map((row) => row.id)],
            );
      const historyOf = new Map<string, DeliveryAttempt[]>();
      for (const row of attempts)
        historyOf.set(row.delivery_id, [...(historyOf.get(row.delivery_id) ?? []), attemptOf(row)]);
      return {
        deliveries: shown.map((row) => deliveryOf(row, historyOf.get(row.id) ?? [])),
        ...(rows.length > page.limit ? { nextCursor: String(shown[shown.length - 1]!.seq) } : {}),
      };
    },

    nextDue: async () => {
      const { rows } = await knex.raw<{ rows: { due: Date | string | null }[] }>(
        `select min(greatest(next_attempt_at, coalesce(lease_until, next_attempt_at))) as due
         from ${s}.deliveries where status = 'pending'`,
      );
      const due = rows[0]?.due;
      return due === null || due === undefined ? undefined : new Date(due);
    },

    eraseSessions: async (companyId, sessionIds) => {
      if (sessionIds.length === 0) return 0;
      const erased = `'[erased]'`;
      // The body's data with its personal fields erased, those it has only; a row already so is left alone.
      const erasedData = `(b->'data') || jsonb_strip_nulls(jsonb_build_object(
          'text', case when b->'data'->'text' is not null then to_jsonb(${erased}::text) end,
          'comment', case when b->'data'->'comment' is not null then to_jsonb(${erased}::text) end,
          'attachments', case when jsonb_typeof(b->'data'->'attachments') = 'array' then (
            select coalesce(jsonb_agg(case when jsonb_typeof(a) = 'object' and a->'name' is not null
              then a || jsonb_build_object('name', ${erased}::text) else a end), '[]'::jsonb)
            from jsonb_array_elements(b->'data'->'attachments') a) end))`;
      const result = await knex.raw<{ rowCount: number | null }>(
        `update ${s}.deliveries d set body = x.body from (
           select id, (b || jsonb_build_object('data', ${erasedData}))::text as body, b
           from (select id, body::jsonb as b from ${s}.deliveries
                 where company_id = ? and session_id = any(?::text[])) rows
           where jsonb_typeof(b->'data') = 'object'
         ) x where d.id = x.id and x.body::jsonb <> x.b`,
        [companyId, [...sessionIds]],
      );
      return result.rowCount ?? 0;
    },
  };
};
