// What the chat needs to know of a company's configuration (groups, agents, hours, settings).
// The configuration store implements it; tests use a map.
import type { GroupHours } from '@cschat/domain';

export interface ChatSettings {
  readonly inactivityTimeoutSeconds: number;
  readonly defaultGroupId?: string;
}

export interface AgentProfile {
  readonly agentId: string;
  readonly capacity: number;
  readonly groupIds: readonly string[];
}

export interface Directory {
  settings(companyId: string): Promise<ChatSettings>;
  hoursOfGroup(companyId: string, groupId: string): Promise<GroupHours>;
  agent(companyId: string, agentId: string): Promise<AgentProfile | undefined>;
  agentsOfGroup(companyId: string, groupId: string): Promise<readonly AgentProfile[]>;
  groupExists(companyId: string, groupId: string): Promise<boolean>;
}
