// A read model: the tables it owns (created once per generation, see generations.ts) and how a
// batch of events changes them. `applyBatch` runs inside the transaction that also records the
// events as applied.
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
  readonly reason: 'assigned' | 'transferred' | 'requeued' | 'read' | 'ended' | 'message' | 'tags' | 'sla';
  /**
   * For `message`, `read`, `tags` and `sla` (a service-level target passed): the session's row after the batch,
   * as `session.list` shows it, so
   * that the gateway can push that one row (`session.update`) without a query.
   */
  readonly row?: SessionListRow;
}

/** One event of a batch, decoded. */
export interface ProjectedEvent {
  readonly event: DomainEvent;
  readonly recorded: RecordedEvent;
}

export interface BatchContext {
  readonly db: Knex.Transaction;
  /** The qualified name of one of the projection's tables in the generation being written. */
  readonly table: (base: string) => string;
  /** The events it handles and has not applied yet, each stream's in order. */
  readonly events: readonly ProjectedEvent[];
  /** Runs `work` once per key for the projector's lifetime (e.g. creating a month's partition). */
  readonly once: (key: string, work: () => Promise<void>) => Promise<void>;
}

export interface Projection {
  /** Also the name of its views, of its lag metric and of its parked events. */
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
   * Whether it can change anything for this event. Batches leave the others out, and a batch of
   * events no read model handles opens no transaction at all.
   */
  handles(event: DomainEvent): boolean;
  /**
   * Applies the events in memory per row (the rows they touch read in one statement) and writes
   * the rows back with one statement per table: the rows equal those of the events applied one
   * at a time, in order.
   */
  applyBatch(context: BatchContext): Promise<readonly ListChanged[]>;
}

/** `handles` for a projection that reacts to a fixed set of event types. */
export const eventTypes =
  (...types: readonly DomainEvent['type'][]): ((event: DomainEvent) => boolean) =>
  (event) =>
    types.includes(event.type);

export const nothingChanged: readonly ListChanged[] = [];

/** The R6 triggers: the agent's whole list is pushed again. */
const WHOLE_LIST: ReadonlySet<ListChanged['reason']> = new Set(['assigned', 'transferred', 'requeued', 'ended']);

/** Whether the change is pushed as the one row it changed (`session.update`) rather than the whole list. */
export const pushesOneRow = (reason: ListChanged['reason']): boolean => !WHOLE_LIST.has(reason);

/**
 * One push per agent and batch: the whole list once when an R6 trigger is among its changes (the
 * first one names it), otherwise one change per session, a read named over messages (the row is
 * the one after the batch either way).
 */
export const coalesceListChanges = (changes: readonly ListChanged[]): ListChanged[] => {
  const agents = new Map<string, { whole?: ListChanged; sessions: Map<string, ListChanged> }>();
  for (const change of changes) {
    const id = JSON.stringify([change.companyId, change.agentId]);
    let agent = agents.get(id);
    if (agent === undefined) {
      agent = { sessions: new Map() };
      agents.set(id, agent);
    }
    if (WHOLE_LIST.has(change.reason)) {
      agent.whole ??= change;
      continue;
    }
    const earlier = agent.sessions.get(change.sessionId);
    agent.sessions.set(change.sessionId, earlier?.reason === 'read' ? { ...change, reason: 'read' } : change);
  }
  return [...agents.values()].flatMap(({ whole, sessions }) =>
    whole === undefined ? [...sessions.values()] : [whole],
  );
};
