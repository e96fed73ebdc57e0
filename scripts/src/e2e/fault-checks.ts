// What the fault suite checks after its load, from the event store (the truth) and the read
// models: which messages were posted and who had to receive them, how often each session was
// assigned, the agents' loads against their capacity, and the read models against a clean rebuild.
import { isLeft } from 'fp-ts/Either';
import type { Knex } from 'knex';
import { millis, session } from '@cschat/domain';
import { DEFAULT_EVENT_STORE_SCHEMA, isEnvelope, type EventStore } from '@cschat/infra';

/** The stored data with its sealed personal fields as a placeholder: the checks need the facts, not the texts. */
const unsealed = (value: unknown): unknown =>
  isEnvelope(value)
    ? '[sealed]'
    : Array.isArray(value)
      ? value.map(unsealed)
      : value !== null && typeof value === 'object'
        ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unsealed(v)]))
        : value;
import { DEFAULT_READ_MODEL_SCHEMA, PROJECTIONS, prepareReadModels, rebuild } from '@cschat/projections';

export interface SessionFacts {
  state: session.SessionState;
  /** SessionAssigned events of the session (the load transfers nothing: one at most). */
  assignments: number;
  /** When the visitor asked for a human, and when an agent was first assigned (event times). */
  requestedAt?: number;
  assignedAt?: number;
  ended?: { readonly at: number; readonly reason: string };
}

export interface MessageFacts {
  readonly sessionId: string;
  /**
   * Who had to receive it: the session's visitor for an agent's message, the agent holding the
   * session for a visitor's. None for a visitor's message while no agent held the session (that
   * one reaches the agent with the history, not as a push).
   */
  readonly recipient: string | undefined;
}

export interface StoreFacts {
  readonly sessions: ReadonlyMap<string, SessionFacts>;
  readonly messages: ReadonlyMap<string, MessageFacts>;
  /** Each agent's highest load. */
  readonly peakLoad: ReadonlyMap<string, number>;
  /** Agents that held more sessions than their capacity, at the event that did it. */
  readonly overCapacity: readonly string[];
  /** Sessions attached to more than one agent, or to another agent than the one assigned. */
  readonly heldByTwo: readonly string[];
  /** Agent sessions still attached although the session ended. */
  readonly stillHeld: readonly string[];
  /** The newest event's global position (the log is quiet when it stops moving). */
  readonly lastPosition: string;
}

interface EventRow {
  stream_id: string;
  type: string;
  data: Record<string, unknown>;
  position: string;
}

/** Folds the whole log of the company; `capacityOf` is the agents' configured capacity. */
export const readStoreFacts = async (
  db: Knex,
  companyId: string,
  capacityOf: (agentId: string) => number,
): Promise<StoreFacts> => {
  const { rows } = await db.raw<{ rows: EventRow[] }>(
    `select e.stream_id, e.type, e.data, e.global_position::text as position
     from "${DEFAULT_EVENT_STORE_SCHEMA}".events e
     where e.stream_id like ? or e.stream_id like ? order by e.global_position`,
    [`session-${companyId}-%`, `agent-${companyId}-%`],
  );
  const sessions = new Map<string, SessionFacts>();
  const messages = new Map<string, MessageFacts>();
  const held = new Map<string, Set<string>>();
  const holders = new Map<string, Set<string>>();
  const peakLoad = new Map<string, number>();
  const overCapacity: string[] = [];
  for (const row of rows) {
    if (row.stream_id.startsWith('agent-')) {
      const agentId = String(row.data['agentId']);
      const sessionId = String(row.data['sessionId']);
      const mine = held.get(agentId) ?? new Set<string>();
      held.set(agentId, mine);
      if (row.type === 'SessionAttached') {
        mine.add(sessionId);
        holders.set(sessionId, (holders.get(sessionId) ?? new Set()).add(agentId));
        if (mine.size > capacityOf(agentId)) overCapacity.push(`${agentId} held ${mine.size} at ${row.position}`);
        peakLoad.set(agentId, Math.max(peakLoad.get(agentId) ?? 0, mine.size));
      } else if (row.type === 'SessionDetached') mine.delete(sessionId);
      continue;
    }
    const decoded = session.sessionAggregate.decodeEvent(row.type, unsealed(row.data) as Record<string, unknown>);
    if (isLeft(decoded)) throw new Error(`undecodable ${row.type} in ${row.stream_id}: ${decoded.left.message}`);
    const event = decoded.right;
    const facts = sessions.get(event.sessionId) ?? { state: session.sessionAggregate.initialState, assignments: 0 };
    sessions.set(event.sessionId, facts);
    const before = facts.state;
    if (event.type === 'MessagePosted' && before.status !== 'none') {
      const role = event.from.role;
      messages.set(event.messageId, {
        sessionId: event.sessionId,
        recipient:
          role === 'agent'
            ? before.visitorId
            : role === 'visitor' && before.status === 'assigned'
              ? before.agentId
              : undefined,
      });
    }
    if (event.type === 'HumanRequested') facts.requestedAt ??= millis(event.at);
    if (event.type === 'SessionAssigned') {
      facts.assignments += 1;
      facts.assignedAt ??= millis(event.at);
    }
    if (event.type === 'SessionEnded') facts.ended = { at: millis(event.at), reason: event.reason };
    facts.state = session.sessionAggregate.evolve(before, event);
  }
  const heldByTwo = [...holders.entries()]
    .filter(([sessionId, agents]) => {
      const state = sessions.get(sessionId)?.state;
      const assignedTo = state !== undefined && 'agentId' in state ? state.agentId : undefined;
      return agents.size > 1 || (assignedTo !== undefined && !agents.has(assignedTo));
    })
    .map(([sessionId, agents]) => `${sessionId}: ${[...agents].join(', ')}`);
  const stillHeld = [...held.entries()].flatMap(([agentId, mine]) =>
    [...mine].filter((sessionId) => sessions.get(sessionId)?.ended !== undefined).map((s) => `${agentId}: ${s}`),
  );
  const { rows: last } = await db.raw<{ rows: { position: string | null }[] }>(
    `select max(global_position)::text as position from "${DEFAULT_EVENT_STORE_SCHEMA}".events`,
  );
  return {
    sessions,
    messages,
    peakLoad,
    overCapacity,
    heldByTwo,
    stillHeld,
    lastPosition: last[0]?.position ?? '0',
  };
};

/** Sessions that asked for a human before `before` (epoch ms) and are neither assigned nor ended. */
export const waitingForAgent = async (db: Knex, before: number): Promise<number> => {
  const { rows } = await db.raw<{ rows: { waiting: string }[] }>(
    `select count(*)::text as waiting from (
       select stream_id from "${DEFAULT_EVENT_STORE_SCHEMA}".events
       where type in ('HumanRequested', 'SessionAssigned', 'SessionEnded') group by stream_id
       having bool_and(type = 'HumanRequested') and min(recorded_at) < ?) w`,
    [new Date(Math.min(before, Date.now() + 86_400_000))],
  );
  return Number(rows[0]?.waiting ?? 0);
};

/** Message ids of `ids` that the messages read model (the history) has. */
export const inHistory = async (db: Knex, ids: readonly string[]): Promise<Set<string>> => {
  if (ids.length === 0) return new Set();
  const rows: { message_id: string }[] = await db
    .withSchema(DEFAULT_READ_MODEL_SCHEMA)
    .from('messages')
    .whereIn('message_id', [...ids])
    .select('message_id');
  return new Set(rows.map((r) => r.message_id));
};

/** Every read model rebuilt from the whole log into `schema`, next to the live ones. */
export const rebuildInto = async (db: Knex, store: EventStore, schema: string): Promise<void> => {
  await prepareReadModels(db, schema, PROJECTIONS);
  await rebuild({ db, schema, projections: PROJECTIONS, readLog: (options) => store.readAll(options) });
};

export interface TableDifference {
  readonly table: string;
  readonly rows: number;
  /** Rows (as JSON) the live read model lacks, and rows it has that the rebuild does not. */
  readonly missing: readonly string[];
  readonly extra: readonly string[];
}

/**
 * Row by row, every read model's table in the live schema against the same in `rebuilt`, of the
 * same database or of `rebuiltDb` (a restored copy's read models).
 */
export const compareReadModels = async (
  db: Knex,
  rebuilt: string,
  rebuiltDb: Knex = db,
): Promise<TableDifference[]> => {
  const rowsOf = async (from: Knex, schema: string, table: string): Promise<Map<string, number>> => {
    const { rows } = await from.raw<{ rows: { row: string }[] }>(
      `select row_to_json(t)::text as row from "${schema}"."${table}" t`,
    );
    const counted = new Map<string, number>();
    for (const { row } of rows) counted.set(row, (counted.get(row) ?? 0) + 1);
    return counted;
  };
  const only = (a: Map<string, number>, b: Map<string, number>): string[] =>
    [...a.entries()].flatMap(([row, n]) => Array<string>(Math.max(0, n - (b.get(row) ?? 0))).fill(row));
  const differences: TableDifference[] = [];
  for (const table of PROJECTIONS.flatMap((p) => p.tables)) {
    const [live, clean] = await Promise.all([
      rowsOf(db, DEFAULT_READ_MODEL_SCHEMA, table),
      rowsOf(rebuiltDb, rebuilt, table),
    ]);
    differences.push({
      table,
      rows: [...clean.values()].reduce((sum, n) => sum + n, 0),
      missing: only(clean, live),
      extra: only(live, clean),
    });
  }
  return differences;
};
