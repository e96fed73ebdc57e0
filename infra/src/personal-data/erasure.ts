// A visitor's erasure (issue 22, PROTOCOL "Security"): its data key is deleted first, so that the
// events read `[erased]` from then on (and rebuilds, the audit replay and redeliveries with them);
// then the copies made while the key existed are wiped: read models (profile, history, search,
// sessions, reports' comments, the live board), its files, the webhook bodies of its sessions, and
// its resume tokens.
//
// A process may still hold the key for a short while (the key store's cache, KEY_CACHE_MS), and a
// projector may be writing a batch it read before: it could put a readable copy back right after
// the wipe. So the wipe is done once more after that bound: a ledger row (read models' database)
// records when, a timer of this process does it, and a process that stopped before leaves the row
// to the retention job's next pass on any worker. Every step is idempotent: a second erasure
// changes nothing and counts 0.
import type { AttachmentStore } from '../attachments/port';
import type { Logger } from '../logging';
import type { WebhookStore } from '../webhooks/store';
import type { DataSubject, ErasureReport, KeyStore } from './port';

/** Who asked: an admin's agent id, `retention` (the worker's job) or `cli` (`npm run erase`). */
export type ErasureActor = string;
export const RETENTION_ACTOR = 'retention';
export const CLI_ACTOR = 'cli';

/**
 * How long after the first wipe it is done again: past the key cache's bound (about 2 s) with room
 * for a projector's batch read before it to be written.
 */
export const DEFAULT_REDO_AFTER_MS = 5_000;

/** The read models' side of an erasure (projections' erasure.ts implements it over SQL). */
export interface VisitorReadModels {
  /** Whether the read models know the visitor (profile or sessions) in its company. */
  known(subject: DataSubject): Promise<boolean>;
  /** The visitor's sessions. */
  sessionsOf(subject: DataSubject): Promise<string[]>;
  /** Erases its personal texts in every read model (one statement per table); the rows changed. */
  erase(subject: DataSubject, sessionIds: readonly string[]): Promise<number>;
  /**
   * Records the erasure in the ledger with the time its wipe is due again. With `claim`, only when
   * the visitor is not there yet: false means another caller has it (nothing to do here).
   */
  record(
    subject: DataSubject,
    entry: { readonly at: Date; readonly actor: ErasureActor; readonly redoAt: Date; readonly claim?: boolean },
  ): Promise<boolean>;
  /** Ledger rows whose wipe is due again at `now`. */
  toRedo(now: Date, limit: number): Promise<DataSubject[]>;
  /** The redo is done. */
  redone(subject: DataSubject, now: Date): Promise<void>;
}

/** Writes the audit line of an erasure: who, which visitor, when, the counts; never the erased data. */
export type ErasureAudit = (subject: DataSubject, actor: ErasureActor, report: ErasureReport) => Promise<void>;

export interface VisitorErasureOptions {
  readonly keyStore: KeyStore;
  readonly readModels: VisitorReadModels;
  readonly attachments: Pick<AttachmentStore, 'eraseVisitorFiles'>;
  readonly webhooks: Pick<WebhookStore, 'eraseSessions'>;
  /** The visitor's resume tokens (company-config): forgotten, so that nobody continues an erased visitor. */
  readonly credentials?: { forget(companyId: string, visitorId: string): Promise<unknown> };
  readonly audit: ErasureAudit;
  readonly logger: Logger;
  /** Default DEFAULT_REDO_AFTER_MS; it should exceed the key cache's bound (KEY_CACHE_MS). */
  readonly redoAfterMs?: number;
  readonly now?: () => Date;
}

export interface EraseOptions {
  readonly actor: ErasureActor;
  /** Only when nobody erased the visitor before (the retention job): undefined when someone had. */
  readonly claim?: boolean;
}

export class VisitorErasure {
  private readonly now: () => Date;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly redoing = new Set<Promise<unknown>>();
  private stopped = false;

  constructor(private readonly options: VisitorErasureOptions) {
    this.now = options.now ?? (() => new Date());
  }

  get redoAfterMs(): number {
    return this.options.redoAfterMs ?? DEFAULT_REDO_AFTER_MS;
  }

  /** Whether there is such a visitor to erase: known to the read models, or erased already. */
  async known(subject: DataSubject): Promise<boolean> {
    return (await this.options.readModels.known(subject)) || (await this.options.keyStore.isErased(subject));
  }

  /**
   * Erases the visitor: its key, then its copies, then the audit line; the wipe is done again after
   * redoAfterMs (see the file's comment). With `claim`, undefined when another caller erased it.
   */
  async eraseVisitor(subject: DataSubject, at: Date, options: EraseOptions): Promise<ErasureReport>;
  async eraseVisitor(
    subject: DataSubject,
    at: Date,
    options: EraseOptions & { readonly claim: true },
  ): Promise<ErasureReport | undefined>;
  async eraseVisitor(subject: DataSubject, at: Date, options: EraseOptions): Promise<ErasureReport | undefined> {
    const { keyStore, readModels, logger } = this.options;
    const alreadyErased = await keyStore.isErased(subject);
    await keyStore.erase(subject, at);
    // In the ledger before the wipe: a process stopped halfway leaves its redo to another.
    const redoAt = new Date(at.getTime() + this.redoAfterMs);
    const recorded = await readModels.record(subject, {
      at,
      actor: options.actor,
      redoAt,
      ...(options.claim === true ? { claim: true } : {}),
    });
    if (!recorded) return undefined;
    const { rowsErased, filesDeleted } = await this.wipe(subject);
    const report: ErasureReport = { subject, alreadyErased, rowsErased, filesDeleted };
    await this.options.audit(subject, options.actor, report);
    logger.info(
      { companyId: subject.companyId, visitorId: subject.visitorId, actor: options.actor, rowsErased, filesDeleted },
      `erasure: visitor ${subject.visitorId} erased`,
    );
    this.redoLater();
    return report;
  }

  /** The copies' wipe alone (the key already erased): rows and files. */
  async wipe(subject: DataSubject): Promise<{ rowsErased: number; filesDeleted: number }> {
    const { readModels, attachments, webhooks, credentials } = this.options;
    await credentials?.forget(subject.companyId, subject.visitorId);
    const sessionIds = await readModels.sessionsOf(subject);
    const readModelRows = await readModels.erase(subject, sessionIds);
    const outboxRows = await webhooks.eraseSessions(subject.companyId, sessionIds);
    const filesDeleted = await attachments.eraseVisitorFiles(subject.companyId, subject.visitorId, sessionIds);
    return { rowsErased: readModelRows + outboxRows, filesDeleted };
  }

  /**
   * Does again the wipes due at `now` (any process's: the ledger is shared), the key's erasure too
   * (a process may have stopped between the two). Returns how many.
   */
  async redoDue(now: Date = this.now(), limit = 100): Promise<number> {
    const { keyStore, readModels, logger } = this.options;
    let done = 0;
    for (;;) {
      const due = await readModels.toRedo(now, limit);
      for (const subject of due) {
        await keyStore.erase(subject, now);
        const { rowsErased, filesDeleted } = await this.wipe(subject);
        await readModels.redone(subject, now);
        if (rowsErased + filesDeleted > 0)
          // What a process still holding the key had written back: the reason for the redo.
          logger.warn(
            { companyId: subject.companyId, visitorId: subject.visitorId, rowsErased, filesDeleted },
            `erasure: copies of visitor ${subject.visitorId} written after its first wipe, erased again`,
          );
        done += 1;
      }
      if (due.length < limit) return done;
    }
  }

  /** A timer of this process for the redo of the erasures it made. */
  private redoLater(): void {
    if (this.stopped) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      const run = this.redoDue()
        .catch((error: unknown) =>
          this.options.logger.error({ err: error }, 'erasure: the redo failed; the retention job will do it'),
        )
        .finally(() => this.redoing.delete(run));
      this.redoing.add(run);
    }, this.redoAfterMs + 50);
    timer.unref();
    this.timers.add(timer);
  }

  /** Waits for the redos of this process's erasures (the CLI, before it exits). */
  async settle(): Promise<void> {
    while (this.timers.size > 0 || this.redoing.size > 0) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Stops the timers: a redo not done yet stays in the ledger for the retention job. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    await Promise.all([...this.redoing]);
  }
}
