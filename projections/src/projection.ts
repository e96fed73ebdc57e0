// A read model: the tables it owns (created once per generation, see generations.ts) and how an
// event changes them. `apply` runs inside the transaction that also records the event as applied.
import type { Knex } from 'knex';
import type { RecordedEvent } from '@cschat/infra';
import type { DomainEvent } from './events';
import type { SessionListRow } from './queries';

/**
 * An agent whose session list changed: the gateway pushes that agent the whole list on the R6
 * reasons (assigned, transferred, requeued, ended), and the one row otherwise (`session.update`).
 */
export interface ListChanged {
  readonly companyId: string;
  readonly agentId: string;
  readonly sessionId: string;
  readonly reason: 'assigned' | 'transferred' | 'requeued' | 'read' | 'ended' | 'message';
  /** The session's row after the change, as `sessionListOf` has it, when the projector knows it. */
  readonly row?: SessionListRow;
}

export interface ApplyContext {
  readonly db: Knex.Transaction;
  /** The qualified name of one of the projection's tables in the generation being written. */
  readonly table: (base: string) => string;
  readonly event: DomainEvent;
  readonly recorded: RecordedEvent;
  /** Runs `work` once per key for the projector's lifetime (e.g. creating a month's partition). */
  readonly once: (key: string, work: () => Promise<void>) => Promise<void>;
}

export interface Projection {
  /** Also the name of its consumer group (`projector-<name>`) and of its views. */
  readonly name: string;
  /** Base names of the tables it owns; each has a view of that name over the active generation. */
  readonly tables: readonly string[];
  createTables(db: Knex.Transaction, table: (base: string) => string): Promise<void>;
  /**
   * Brings the tables of a generation created by an earlier version up to this one's shape
   * (idempotent DDL: columns added with their defaults); run on the active generation at start.
   */
  upgradeTables?(db: Knex.Transaction, table: (base: string) => string): Promise<void>;
  /**
   * Whether `apply` can change anything for this event. The projector skips the others before
   * opening a transaction: most events touch one or two read models, and a transaction per
   * read model per event was most of the database's work per chat message (see bench/README.md).
   */
  handles(event: DomainEvent): boolean;
  apply(context: ApplyContext): Promise<readonly ListChanged[]>;
}

/** `handles` for a projection that reacts to a fixed set of event types. */
export const eventTypes =
  (...types: readonly DomainEvent['type'][]): ((event: DomainEvent) => boolean) =>
  (event) =>
    types.includes(event.type);

export const nothingChanged: readonly ListChanged[] = [];
