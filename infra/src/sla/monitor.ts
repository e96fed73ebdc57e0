// The SLA monitor (worker role): every second, the open sessions past a service-level target of
// their group (`firstResponse`: no agent has answered since the visitor asked for a human; `wait`:
// still in the queue) get `FlagSlaBreach`. The session decides again on its own events and records
// `SlaBreached` once per target, so a monitor that reads a lagging read model, runs twice, or runs
// beside another worker's changes nothing more.
import { isLeft } from 'fp-ts/Either';
import type { session } from '@cschat/domain';
import type { Commands } from '../command-handler/commands';
import type { Logger } from '../logging';
import { Periodic } from '../periodic';

/** A session that seems past a target of its group, with the target's seconds. */
export interface SlaCandidate {
  readonly companyId: string;
  readonly sessionId: string;
  readonly target: session.SlaTarget;
  readonly targetSeconds: number;
}

export interface SlaMonitorOptions {
  readonly commands: Commands;
  /** The sessions of every company that seem past a target at `now` and were not flagged for it yet. */
  readonly candidates: (now: Date) => Promise<readonly SlaCandidate[]>;
  readonly logger: Logger;
  /** Between passes (default 1 s). */
  readonly intervalMs?: number;
  /** Commands in flight at once within a pass (default 8). */
  readonly concurrency?: number;
  /** The time a pass looks at; the command handler stamps its commands with its own clock (the same one). */
  readonly now?: () => Date;
  /** Told of each breach this monitor recorded (metrics, tests). */
  readonly onBreached?: (candidate: SlaCandidate) => void;
}

export class SlaMonitor {
  private readonly now: () => Date;
  private readonly loop: Periodic;

  constructor(private readonly options: SlaMonitorOptions) {
    this.now = options.now ?? (() => new Date());
    this.loop = new Periodic('sla', options.intervalMs ?? 1000, options.logger, () => this.pass());
  }

  start(): void {
    this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  /** One look at every candidate; resolves with the breaches it recorded once they are. */
  async pass(): Promise<SlaCandidate[]> {
    const candidates = [...(await this.options.candidates(this.now()))];
    const recorded: SlaCandidate[] = [];
    const worker = async (): Promise<void> => {
      for (let candidate = candidates.shift(); candidate !== undefined; candidate = candidates.shift()) {
        if (this.loop.halted) return;
        if (await this.flag(candidate)) recorded.push(candidate);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, this.options.concurrency ?? 8) }, worker));
    return recorded;
  }

  /** Whether the session recorded the breach now (false: it had, or it is not past the target). */
  private async flag(candidate: SlaCandidate): Promise<boolean> {
    const { commands, logger } = this.options;
    const { companyId, sessionId, target, targetSeconds } = candidate;
    const result = await commands.onSession(companyId, sessionId, { type: 'FlagSlaBreach', target, targetSeconds });
    if (isLeft(result)) {
      logger.warn({ companyId, sessionId, target, code: result.left.code }, 'sla: flag refused');
      return false;
    }
    if (result.right.events.length === 0) return false;
    logger.info(
      { companyId, sessionId, target, targetSeconds },
      `sla: session ${sessionId} passed its ${target} target`,
    );
    this.options.onBreached?.(candidate);
    return true;
  }
}
