// Transfer: an agent hands a session to a colleague or to a group. To a colleague, the colleague's
// slot is taken first (`SessionAttached` for a transfer, the first step, refused when it has no
// room); then the session is transferred, or, when it cannot be any more (it ended, or its holder
// changed), the slot is given back. Once transferred, the previous holder's slot goes; a session
// transferred to a group joins that group's queue. A takeover is the same with the roles turned: a
// supervisor's slot is taken for a session a colleague holds, then the session goes to the supervisor.
import type * as agent from '../agent';
import type * as session from '../session';
import type { DomainEvent, UntimedCommand } from '../messages';
import { sessionInstance, type CommandRefused, type Workflow } from '../shared/workflow';

type SlotTaken = agent.AgentEvent & { type: 'SessionAttached'; for: 'transfer' | 'takeover'; fromAgentId: string };
type SessionTransferred = session.SessionEvent & { type: 'SessionTransferred' };
export type TransferInput = SlotTaken | SessionTransferred;

export interface TransferState {
  /** The transfers done, by handover number (so that a slot taken for one is not used twice). */
  readonly done: readonly number[];
}

const isTransfer = (
  refused: CommandRefused,
): refused is CommandRefused & { command: session.SessionCommand & { type: 'TransferSession' } } =>
  refused.command.type === 'TransferSession';

export const transfer: Workflow<TransferInput, TransferState> = {
  name: 'transfer',
  initialState: { done: [] },

  inputOf: (event: DomainEvent) =>
    event.type === 'SessionTransferred'
      ? event
      : event.type === 'SessionAttached' &&
          (event.for === 'transfer' || event.for === 'takeover') &&
          event.fromAgentId !== undefined
        ? (event as SlotTaken)
        : undefined,

  instanceOf: sessionInstance,

  evolve: (state, input) =>
    input.type === 'SessionTransferred' && input.handover !== undefined
      ? { done: [...state.done, input.handover] }
      : state,

  decide: (input, state): readonly UntimedCommand[] => {
    switch (input.type) {
      case 'SessionAttached': {
        const { companyId, sessionId, agentId, handover, fromAgentId } = input;
        if (handover !== undefined && state.done.includes(handover)) return [];
        // Only staff are given a slot for a takeover (the chat service checks the role first).
        if (input.for === 'takeover')
          return [
            {
              type: 'TransferSession',
              companyId,
              sessionId,
              byAgentId: agentId,
              to: { agentId },
              role: 'supervisor',
              ...(handover === undefined ? {} : { handover }),
            },
          ];
        return [
          {
            type: 'TransferSession',
            companyId,
            sessionId,
            byAgentId: fromAgentId,
            to: { agentId },
            ...(handover === undefined ? {} : { handover }),
          },
        ];
      }
      case 'SessionTransferred': {
        const { companyId, sessionId, fromAgentId, to, handover } = input;
        // The previous holder's slot is the one it took at the handover before this one.
        const detach: UntimedCommand = {
          type: 'DetachSession',
          companyId,
          agentId: fromAgentId,
          sessionId,
          reason: 'transferred',
          ...(handover === undefined ? {} : { handover: handover - 1 }),
        };
        return 'groupId' in to ? [detach, { type: 'JoinQueue', companyId, groupId: to.groupId, sessionId }] : [detach];
      }
      case 'CommandRefused': {
        if (!isTransfer(input) || !('agentId' in input.command.to)) return [];
        const { companyId, sessionId, handover } = input.command;
        return [
          {
            type: 'DetachSession',
            companyId,
            agentId: input.command.to.agentId,
            sessionId,
            reason: 'released',
            ...(handover === undefined ? {} : { handover }),
          },
        ];
      }
    }
  },
};
