// One run of a fault suite under chat load, shared by the single-host suite (faults.int.spec.ts)
// and the distributed one (faults-distributed.int.spec.ts): steady load, then each fault followed
// by settling and steady load again, the load stopped; meanwhile the history (messages read model)
// is watched so that its lag can be told. Afterwards it gives, per fault, the report row (what was
// acknowledged, lost, pushed twice, the longest waits) and the table, and it runs the checks both
// suites make: the open sessions timed out on time, no agent above its capacity nor a session with
// two agents, the read models equal to a clean rebuild. The suites assert on what it returns.
import type { Knex } from 'knex';
import { deadlineOf, millis } from '@cschat/domain';
import type { EventStore } from '@cschat/infra';
import type { Acked, ChatLoad } from '../../../test-support/chat-load';
import { waitFor } from '../../../test-support/wait';
import {
  compareReadModels,
  inHistory,
  readStoreFacts,
  rebuildInto,
  waitingForAgent,
  type StoreFacts,
} from './fault-checks';

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface Fault {
  readonly name: string;
  inject(): Promise<void>;
  /** Why the fault cannot run here (it gets a row saying so, and is not injected). */
  readonly skip?: string | undefined;
  /**
   * False for a fault during which no message can be acknowledged by design (the whole bus away):
   * its row may count none.
   */
  readonly acks?: boolean;
  /**
   * False: the next fault follows at once, without settling and steady load (a fault that is one
   * half of a pair, such as a broker outage whose end is the next fault).
   */
  readonly settles?: boolean;
}

export interface Phase {
  readonly name: string;
  readonly at: number;
  /** How long the fault itself took (a restart until the process ran again). */
  tookMs?: number;
  readonly skipped?: string | undefined;
  readonly acks: boolean;
}

export interface Row {
  readonly fault: string;
  readonly acked: number;
  readonly lostIds: string[];
  readonly duplicates: number;
  readonly deliveryMs: number;
  readonly historyMs: number;
  readonly routingMs: number;
  readonly tookMs: number | undefined;
  readonly skipped: string | undefined;
  /** Whether the fault's row must count acknowledged messages. */
  readonly acks: boolean;
}

export interface FaultRunOptions {
  readonly db: Knex;
  readonly companyId: string;
  /** The agents' configured capacity (SessionAttached beyond it is a violation). */
  readonly capacityOf: (agentId: string) => number;
  /** Steady chatting before the first fault and after each recovery. */
  readonly steadyMs: number;
  /** Told when each fault begins (a suite's progress lines). */
  readonly onPhase?: (phase: Phase) => void;
}

/**
 * The longest wait that ended while the fault was the last one (from its start to the next
 * one's), counted from the fault's start at the earliest: how long until things worked again.
 */
const longestWait = (waits: readonly { from: number; to: number | undefined }[], start: number, end: number) =>
  Math.max(
    0,
    ...waits
      .filter((w) => w.to !== undefined && w.to >= start && w.to < end)
      .map((w) => w.to! - Math.max(w.from, start)),
  );

export class FaultRun {
  readonly phases: Phase[] = [];
  stoppedAt = 0;
  /** When each acknowledged message was first seen in the history (the messages read model). */
  readonly historyAt = new Map<string, number>();
  facts: StoreFacts | undefined;
  /** The log as it was when the load stopped: the sessions open then must time out. */
  openAtStop: StoreFacts | undefined;
  private load: ChatLoad | undefined;

  constructor(private readonly options: FaultRunOptions) {}

  private get ledger() {
    return this.load!.ledger;
  }

  private readFacts(): Promise<StoreFacts> {
    return readStoreFacts(this.options.db, this.options.companyId, this.options.capacityOf);
  }

  async lookInHistory(): Promise<void> {
    const missing = [...this.ledger.acked.keys()].filter((m) => !this.historyAt.has(m));
    const now = Date.now();
    for (const messageId of await inHistory(this.options.db, missing)) this.historyAt.set(messageId, now);
  }

  /**
   * Until the clients' deliveries, the history and routing caught up (or 60 s passed). While the
   * load runs, for what is older than half a second; after it, for everything.
   */
  async settle(): Promise<void> {
    const ledger = this.ledger;
    await waitFor(
      'deliveries, history and routing to catch up',
      async () => {
        await this.lookInHistory();
        const before = this.stoppedAt > 0 ? Number.POSITIVE_INFINITY : Date.now() - 500;
        const behind =
          ledger.undelivered(before).length +
          [...ledger.acked.values()].filter((m) => m.ackedAt < before && !this.historyAt.has(m.messageId)).length +
          (await waitingForAgent(this.options.db, before - 1000));
        return behind === 0 ? true : undefined;
      },
      60_000,
    ).catch(() => undefined); // the checks after the load say what is missing
  }

  /**
   * The load started, steady chatting, each fault (injected, settled, steady chatting again), the
   * load stopped and settled; then the rows, one per phase.
   */
  async run(load: ChatLoad, faults: readonly Fault[]): Promise<Row[]> {
    this.load = load;
    await load.start();
    // The history is looked at all along, so that its lag after each fault can be told.
    let probing = true;
    const probe = (async () => {
      while (probing) {
        await this.lookInHistory().catch(() => undefined);
        await sleep(250);
      }
    })();
    try {
      this.phases.push({ name: 'none (steady load)', at: Date.now(), acks: true });
      await sleep(this.options.steadyMs);
      await this.settle();
      for (const fault of faults) {
        if (fault.skip !== undefined) {
          process.stdout.write(`skipped "${fault.name}": ${fault.skip}\n`);
          this.phases.push({ name: fault.name, at: Date.now(), skipped: fault.skip, acks: false });
          continue;
        }
        const phase: Phase = { name: fault.name, at: Date.now(), acks: fault.acks ?? true };
        this.phases.push(phase);
        this.options.onPhase?.(phase);
        await fault.inject();
        phase.tookMs = Date.now() - phase.at;
        if (fault.settles === false) continue;
        await this.settle();
        await sleep(this.options.steadyMs);
      }
      await load.stop();
      this.stoppedAt = Date.now();
      this.openAtStop = await this.readFacts();
      await this.settle();
    } catch (error) {
      // A fault that failed leaves no load behind: the checks after it look at a quiet log.
      load.close();
      throw error;
    } finally {
      probing = false;
      await probe;
    }
    this.facts = await this.readFacts();
    // A skipped fault's phase is empty: its row counts nothing, the phase before it ends at the next one run.
    const ran = this.phases.filter((p) => p.skipped === undefined);
    return this.phases.map((phase) =>
      phase.skipped === undefined ? this.report(phase, ran[ran.indexOf(phase) + 1]?.at) : this.skippedRow(phase),
    );
  }

  private skippedRow(phase: Phase): Row {
    return {
      fault: phase.name,
      acked: 0,
      lostIds: [],
      duplicates: 0,
      deliveryMs: 0,
      historyMs: 0,
      routingMs: 0,
      tookMs: undefined,
      skipped: phase.skipped,
      acks: false,
    };
  }

  /** The fault's row: what was acknowledged from its start until the next fault's (`next`). */
  report(phase: Phase, next: number | undefined): Row {
    const ledger = this.ledger;
    const facts = this.facts!;
    const end = next ?? Number.POSITIVE_INFINITY;
    const mine = [...ledger.acked.values()].filter((m) => m.ackedAt >= phase.at && m.ackedAt < end);
    const recipientOf = (m: Acked) => facts.messages.get(m.messageId)?.recipient;
    const lostIds = mine.flatMap((m) => {
      const recipient = recipientOf(m);
      const why = !facts.messages.has(m.messageId)
        ? 'not in the event store'
        : !this.historyAt.has(m.messageId)
          ? 'not in the history'
          : recipient !== undefined && ledger.receipt(recipient, m.messageId) === undefined
            ? `never reached ${recipient}`
            : undefined;
      return why === undefined ? [] : [`${m.from} ${m.senderId}: ${m.messageId} in ${m.sessionId} ${why}`];
    });
    const deliveries = [...ledger.acked.values()].map((m) => {
      const recipient = recipientOf(m);
      return {
        from: m.ackedAt,
        to: recipient === undefined ? undefined : ledger.receipt(recipient, m.messageId)?.at,
      };
    });
    return {
      fault: phase.name,
      acked: mine.length,
      lostIds,
      duplicates: mine.reduce((sum, m) => {
        const recipient = recipientOf(m);
        const pushes = recipient === undefined ? 0 : (ledger.receipt(recipient, m.messageId)?.pushes ?? 0);
        return sum + Math.max(0, pushes - 1);
      }, 0),
      deliveryMs: longestWait(
        deliveries.filter((d) => d.to !== undefined),
        phase.at,
        end,
      ),
      historyMs: longestWait(
        [...ledger.acked.values()].map((m) => ({ from: m.ackedAt, to: this.historyAt.get(m.messageId) })),
        phase.at,
        end,
      ),
      routingMs: longestWait(
        [...facts.sessions.values()].flatMap((s) =>
          s.requestedAt === undefined ? [] : [{ from: s.requestedAt, to: s.assignedAt }],
        ),
        phase.at,
        end,
      ),
      tookMs: phase.tookMs,
      skipped: undefined,
      acks: phase.acks,
    };
  }

  /** Until the log has not moved for 2 s: the reactions of the last timeouts are done. */
  async quiet(): Promise<void> {
    let last = '';
    let since = Date.now();
    await waitFor(
      'the event log to be quiet',
      async () => {
        this.facts = await this.readFacts();
        if (this.facts.lastPosition !== last) [last, since] = [this.facts.lastPosition, Date.now()];
        return Date.now() - since >= 2000 ? true : undefined;
      },
      30_000,
    );
  }

  /**
   * Waits for the sessions open when the load stopped to end, prints how late they ended, and
   * answers those that did not time out within `slackMs` of their deadlines (and how many there were).
   */
  async lateTimeouts(
    timeoutSeconds: number,
    slackMs: number,
  ): Promise<{
    readonly open: number;
    readonly late: { sessionId: string; reason: string | undefined; lateMs: number | undefined }[];
  }> {
    const open = [...this.openAtStop!.sessions.values()].flatMap(({ state }) =>
      state.status === 'queued' || state.status === 'assigned' ? [state] : [],
    );
    if (open.length === 0) return { open: 0, late: [] };
    const deadlines = new Map(
      open.map((state) => [state.sessionId, millis(deadlineOf(state.lastActivityAt, timeoutSeconds))] as const),
    );
    const latest = Math.max(...deadlines.values());
    await waitFor(
      'the open sessions to end',
      async () => {
        this.facts = await this.readFacts();
        return [...deadlines.keys()].every((s) => this.facts!.sessions.get(s)?.ended !== undefined) ? true : undefined;
      },
      Math.max(0, latest - Date.now()) + slackMs + 10_000,
    ).catch(() => undefined);
    const outcomes = [...deadlines.entries()].map(([sessionId, deadline]) => {
      const ended = this.facts!.sessions.get(sessionId)?.ended;
      return { sessionId, reason: ended?.reason, lateMs: ended === undefined ? undefined : ended.at - deadline };
    });
    const late = outcomes.map((o) => o.lateMs ?? Infinity);
    process.stdout.write(
      `timeouts: ${outcomes.length} sessions open when the load stopped; ended ${Math.min(...late)} to ${Math.max(...late)} ms after their deadlines (${timeoutSeconds} s after the last message; slack ${slackMs} ms)\n`,
    );
    return {
      open: outcomes.length,
      late: outcomes.filter((o) => o.reason !== 'timeout' || o.lateMs! < 0 || o.lateMs! > slackMs),
    };
  }

  /** Once the log is quiet: sessions assigned twice, agents above capacity, sessions held by two or after their end. */
  async capacityViolations(capacity: number): Promise<{
    assignedTwice: string[];
    overCapacity: readonly string[];
    heldByTwo: readonly string[];
    stillHeld: readonly string[];
  }> {
    await this.quiet();
    const facts = this.facts!;
    const sessions = [...facts.sessions.values()];
    const assignedTwice = sessions.flatMap(({ state, assignments }) =>
      assignments > 1 && state.status !== 'none' ? [state.sessionId] : [],
    );
    process.stdout.write(
      `assignments: ${sessions.filter((s) => s.assignments === 1).length} sessions assigned once, ${assignedTwice.length} twice; ` +
        `highest loads ${JSON.stringify(Object.fromEntries(facts.peakLoad))} of capacity ${capacity}\n`,
    );
    return {
      assignedTwice,
      overCapacity: facts.overCapacity,
      heldByTwo: facts.heldByTwo,
      stillHeld: facts.stillHeld,
    };
  }

  /**
   * Once the log is quiet: every read model rebuilt from the log into `schema` and compared row by
   * row with the live one until equal (the live projectors may still apply the last events), 20 s
   * at most; answers the tables that differ (five rows each at most).
   */
  async rebuildDifferences(
    store: EventStore,
    schema = 'rebuilt',
  ): Promise<{ table: string; missing: readonly string[]; extra: readonly string[] }[]> {
    const { db } = this.options;
    await this.quiet();
    await rebuildInto(db, store, schema);
    let differences = await compareReadModels(db, schema);
    const deadline = Date.now() + 20_000;
    while (differences.some((d) => d.missing.length + d.extra.length > 0) && Date.now() < deadline) {
      await sleep(500);
      differences = await compareReadModels(db, schema);
    }
    process.stdout.write(
      `read models: ${differences.map((d) => `${d.table} ${d.rows} rows`).join(', ')}; ` +
        `${differences.reduce((n, d) => n + d.missing.length + d.extra.length, 0)} rows differ from the rebuild\n`,
    );
    return differences
      .filter((d) => d.missing.length + d.extra.length > 0)
      .map((d) => ({ table: d.table, missing: d.missing.slice(0, 5), extra: d.extra.slice(0, 5) }));
  }
}

/** The table of the rows, with the lines that say what its columns mean. */
export const faultTable = (rows: readonly Row[], title = 'Fault suite'): string => {
  const header = [
    'fault',
    'acked',
    'lost',
    'duplicates (deduped)',
    'recovery ms',
    'history ms',
    'routing ms',
    'fault took ms',
  ];
  const lines = rows.map((r) =>
    r.skipped !== undefined
      ? [r.fault, '-', '-', '-', '-', '-', '-', 'skipped']
      : [
          r.fault,
          String(r.acked),
          String(r.lostIds.length),
          String(r.duplicates),
          String(r.deliveryMs),
          String(r.historyMs),
          String(r.routingMs),
          r.tookMs === undefined ? '-' : String(r.tookMs),
        ],
  );
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const format = (cells: readonly string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [
    `${title}: per fault, the messages acknowledged from its start until the next fault. "recovery ms":`,
    'the longest a message waited for its recipient after the fault began, among those delivered before the',
    'next fault; "history ms" the same for the history (read model), "routing ms" for an assignment.',
    format(header),
    ...lines.map(format),
  ].join('\n');
};
