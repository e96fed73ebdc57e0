// The live board of a company (PROTOCOL "Supervisors"): the read models' query joined with who
// works there and the groups, from the configuration. `GET /api/admin/live` answers it and the
// `live.update` frame pushes it.
import type { Knex } from 'knex';
import type { CompanyConfigStore, Logger } from '@cschat/infra';
import { liveBoardOf, type LiveBoard } from '@cschat/projections';
import type { Connection } from './ws';

export const liveBoard = async (
  config: CompanyConfigStore,
  readModels: Knex,
  schema: string,
  companyId: string,
  now = new Date(),
): Promise<LiveBoard> => {
  const [accounts, groups] = await Promise.all([config.listAgents(companyId), config.listGroups(companyId)]);
  return liveBoardOf(readModels, schema, companyId, {
    roster: accounts.map((account) => ({
      agentId: account.id,
      name: account.name ?? account.username,
      capacity: account.capacity,
    })),
    groups: groups.map((group) => ({ groupId: group.id, name: group.name })),
    now,
  });
};

/** At most one `live.update` a second per socket (PROTOCOL leaves the rate to us; a board changes often). */
export const LIVE_UPDATE_INTERVAL_MS = 1_000;
/** How long after an event the board is read: the projectors write the read models a moment after delivery sees it. */
export const LIVE_SETTLE_MS = 150;

/**
 * The sockets that asked for the live board (`live.subscribe`) and the pushes they get: one at
 * once, then one when events that change the board arrive (`changed`), at most one per
 * LIVE_UPDATE_INTERVAL_MS per socket, and one more an interval after a push caused by events (the
 * read models may have been behind the events when it was read).
 */
export class LiveFeed {
  private readonly subscribers = new Map<string, Set<Connection>>();
  private readonly lastSent = new Map<Connection, number>();
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly read: (companyId: string) => Promise<LiveBoard>,
    private readonly logger: Logger,
    private readonly intervalMs = LIVE_UPDATE_INTERVAL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Adds the socket and sends it the board now. */
  async subscribe(connection: Connection): Promise<void> {
    const { companyId } = connection.principal;
    let sockets = this.subscribers.get(companyId);
    if (sockets === undefined) this.subscribers.set(companyId, (sockets = new Set()));
    sockets.add(connection);
    const board = await this.read(companyId);
    if (!sockets.has(connection)) return;
    this.lastSent.set(connection, this.now());
    connection.send({ type: 'live.update', ...board });
  }

  unsubscribe(connection: Connection): void {
    const { companyId } = connection.principal;
    const sockets = this.subscribers.get(companyId);
    sockets?.delete(connection);
    this.lastSent.delete(connection);
    if (sockets?.size === 0) {
      this.subscribers.delete(companyId);
      clearTimeout(this.timers.get(companyId));
      this.timers.delete(companyId);
    }
  }

  /** Something that changes the company's board happened. */
  changed(companyId: string, settle = false): void {
    if (!this.subscribers.has(companyId) || this.timers.has(companyId)) return;
    const sockets = this.subscribers.get(companyId)!;
    const now = this.now();
    const earliest = Math.min(...[...sockets].map((c) => (this.lastSent.get(c) ?? 0) + this.intervalMs));
    const timer = setTimeout(
      () => {
        this.timers.delete(companyId);
        this.push(companyId, settle).catch((error: unknown) =>
          this.logger.warn({ err: error, companyId }, 'live board: not pushed'),
        );
      },
      Math.max(settle ? this.intervalMs : LIVE_SETTLE_MS, earliest - now),
    );
    timer.unref();
    this.timers.set(companyId, timer);
  }

  stop(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.subscribers.clear();
    this.lastSent.clear();
  }

  private async push(companyId: string, settle: boolean): Promise<void> {
    const sockets = this.subscribers.get(companyId);
    if (sockets === undefined) return;
    const board = await this.read(companyId);
    const now = this.now();
    let heldBack = false;
    for (const connection of sockets) {
      // A socket served less than an interval ago (it subscribed just now) waits for the next push.
      if (now - (this.lastSent.get(connection) ?? 0) < this.intervalMs) {
        heldBack = true;
        continue;
      }
      this.lastSent.set(connection, now);
      connection.send({ type: 'live.update', ...board });
    }
    if (heldBack || !settle) this.changed(companyId, !heldBack);
  }
}
