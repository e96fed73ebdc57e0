// What the chat needs of a company's configuration (settings, groups, agents, hours).
import type { GroupHours } from '@cschat/domain';

export interface ChatSettings {
  readonly inactivityTimeoutSeconds: number;
  readonly defaultGroupId?: string;
  readonly presenceGraceSeconds: number;
  readonly offlineRequeueSeconds: number;
}

export interface AgentProfile {
  readonly agentId: string;
  readonly capacity: number;
  readonly groupIds: readonly string[];
  readonly role?: string;
  readonly name?: string;
}

export interface Directory {
  settings(companyId: string): Promise<ChatSettings>;
  hoursOfGroup(companyId: string, groupId: string): Promise<GroupHours>;
  agent(companyId: string, agentId: string): Promise<AgentProfile | undefined>;
  agentsOfGroup(companyId: string, groupId: string): Promise<readonly AgentProfile[]>;
  groupExists(companyId: string, groupId: string): Promise<boolean>;
}
