// The retention job (worker role): every RETENTION_POLL_MS, the visitors of companies with a
// retention period (`retentionDays`) who were last active longer ago than that, with no open
// session, are erased as an admin's DELETE would, in batches, each with its audit line (actor
// `retention`). Each visitor is claimed in the erasure ledger first, so two workers running at once
// erase and count it once. A pass also does the erasures' redos left by a process that stopped.
import type { Logger } from '../logging';
import { Periodic } from '../periodic';
import { RETENTION_ACTOR, type VisitorErasure } from './erasure';
import type { DataSubject } from './port';

export const DEFAULT_RETENTION_POLL_MS = 3_600_000;
export const RETENTION_BATCH = 100;

export interface RetentionJobOptions {
  readonly erasure: VisitorErasure;
  /** Up to `limit` visitors past their company's retention at `now`, not erased yet, oldest first. */
  readonly candidates: (now: Date, limit: number) => Promise<readonly DataSubject[]>;
  readonly logger: Logger;
  /** Between passes (default DEFAULT_RETENTION_POLL_MS). */
  readonly intervalMs?: number;
  readonly batch?: number;
  readonly now?: () => Date;
  /** Told of each visitor this job erased (metrics, tests). */
  readonly onErased?: (subject: DataSubject) => void;
}

export class RetentionJob {
  private readonly now: () => Date;
  private readonly loop: Periodic;

  constructor(private readonly options: RetentionJobOptions) {
    this.now = options.now ?? (() => new Date());
    this.loop = new Periodic('retention', options.intervalMs ?? DEFAULT_RETENTION_POLL_MS, options.logger, () =>
      this.pass(),
    );
  }

  start(): void {
    this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  /** One look at every company: the visitors this pass erased (those another worker took are not). */
  async pass(): Promise<DataSubject[]> {
    const { erasure, candidates, logger } = this.options;
    const batch = this.options.batch ?? RETENTION_BATCH;
    const now = this.now();
    await erasure.redoDue(now);
    const erased: DataSubject[] = [];
    for (;;) {
      const found = await candidates(now, batch);
      let claimed = 0;
      for (const subject of found) {
        if (this.loop.halted) return erased;
        const report = await erasure.eraseVisitor(subject, now, { actor: RETENTION_ACTOR, claim: true });
        if (report === undefined) continue;
        claimed += 1;
        erased.push(subject);
        this.options.onErased?.(subject);
      }
      // Claimed visitors leave the candidates: a short batch was the last (and one of others' claims only, too).
      if (found.length < batch || claimed === 0) break;
    }
    if (erased.length > 0) logger.info({ erased: erased.length }, `retention: ${erased.length} visitor(s) erased`);
    return erased;
  }
}
