// The presence monitor (worker role): every second, for the agents that are not offline or still
// hold sessions, asks the presence store whether they have a socket, loads their state and runs
// the domain's presence policy: no socket for the company's grace -> offline (`disconnected`);
// offline for the requeue time -> their sessions back to the front of their queues (the requeue
// workflow does the rest); a socket while the status was lost to a disconnection -> it comes
// back. Every command is idempotent, so several workers may run it (they do the same work).
import { isLeft } from 'fp-ts/Either';
import { agent, presenceDecision, type CompanyId, type Id, type UntimedCommand } from '@cschat/domain';
import { loadAggregate } from '../command-handler/handler';
import type { Commands } from '../command-handler/commands';
import type { Directory } from '../company-config/directory';
import type { EventStore } from '../event-store/port';
import type { Logger } from '../logging';
import { agentKeyOf, type AgentRef, type Presence } from './port';

export interface PresenceMonitorOptions {
  readonly presence: Presence;
  readonly store: EventStore;
  readonly commands: Commands;
  readonly directory: Directory;
  /**
   * The agents that may need something done: not offline, or holding sessions, with the status
   * a read model last saw (only a hint: the decision is made on the agent's own events).
   */
  readonly candidates: () => Promise<readonly (AgentRef & { readonly status?: string })[]>;
  readonly logger: Logger;
  /** Epoch ms; the command handler's clock must be the same. */
  readonly now?: () => number;
  /** Between passes (default 1 s). */
  readonly intervalMs?: number;
  /** Called with each command the monitor ran that changed something (metrics, tests). */
  readonly onChanged?: (command: UntimedCommand) => void;
}

export class PresenceMonitor {
  private readonly now: () => number;
  /** When this monitor first saw each agent (an agent never seen by the store counts from then). */
  private readonly watchedSince = new Map<string, number>();
  private readonly startedAt: number;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;

  constructor(private readonly options: PresenceMonitorOptions) {
    this.now = options.now ?? Date.now;
    this.startedAt = this.now();
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    const tick = (): void => {
      if (this.stopped) return;
      this.running = this.pass()
        .catch((error: unknown) => this.options.logger.error({ err: error }, 'presence: pass failed; trying again'))
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(tick, this.options.intervalMs ?? 1000);
        });
    };
    tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** One look at every candidate; resolves when what it decided has run. */
  async pass(): Promise<void> {
    const { presence, candidates, directory, store } = this.options;
    const agents = await candidates();
    if (agents.length === 0) return;
    const now = this.now();
    const seen = await presence.seen(agents, now);
    for (const [index, candidate] of agents.entries()) {
      const ref = { companyId: candidate.companyId, agentId: candidate.agentId };
      const key = agentKeyOf(ref);
      if (!this.watchedSince.has(key)) this.watchedSince.set(key, Math.max(this.startedAt, now - 1));
      // The usual case, an agent at work with its console open, needs no look at its events.
      if (seen[index]!.connected && candidate.status !== undefined && candidate.status !== 'offline') continue;
      const { state } = await loadAggregate(store, agent.agentAggregate, agent.agentStream(ref.companyId, ref.agentId));
      const settings = await directory.settings(ref.companyId);
      const commands = presenceDecision(
        {
          companyId: ref.companyId as CompanyId,
          agentId: ref.agentId as Id,
          state,
          seen: seen[index]!,
          now,
          watchedSince: this.watchedSince.get(key)!,
        },
        settings,
      );
      for (const command of commands) await this.run(command, ref);
    }
  }

  private async run(command: UntimedCommand, ref: AgentRef): Promise<void> {
    const { commands, presence, logger } = this.options;
    const result = await commands.execute(commands.stamp(command));
    if (isLeft(result)) {
      logger.warn({ ...ref, command: command.type, code: result.left.code }, 'presence: command refused');
      return;
    }
    if (result.right.events.length === 0) return;
    logger.info({ ...ref, command: command.type }, 'presence: agent status follows its connections');
    this.options.onChanged?.(command);
    // A socket that opened while this was decided (its gateway's resume came first): back at once.
    if (command.type === 'MarkAgentDisconnected') {
      const [again] = await presence.seen([ref], this.now());
      if (again?.connected === true)
        await this.run({ type: 'ResumeAgentStatus', companyId: command.companyId, agentId: command.agentId }, ref);
    }
  }
}
