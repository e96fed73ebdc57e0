// The chat's view of company configuration, served by the configuration store.
import type { CompanyConfigStore } from '@cschat/infra';
import type { AgentProfile, Directory } from './chat/directory';

export const directoryOf = (config: CompanyConfigStore): Directory => {
  const profile = (account: { id: string; capacity: number; groupIds: readonly string[] }): AgentProfile => ({
    agentId: account.id,
    capacity: account.capacity,
    groupIds: account.groupIds,
  });
  return {
    settings: async (companyId) => {
      const settings = await config.getSettings(companyId);
      if (!settings.ok) return { inactivityTimeoutSeconds: 900 };
      const { inactivityTimeoutSeconds, defaultGroupId } = settings.value;
      return { inactivityTimeoutSeconds, ...(defaultGroupId == null ? {} : { defaultGroupId }) };
    },
    hoursOfGroup: (companyId, groupId) => config.hoursOfGroup(companyId, groupId),
    agent: async (companyId, agentId) => {
      const account = await config.agentById(companyId, agentId);
      return account.ok ? profile(account.value) : undefined;
    },
    agentsOfGroup: async (companyId, groupId) => (await config.agentsOfGroup(companyId, groupId)).map(profile),
    groupExists: async (companyId, groupId) => (await config.getGroup(companyId, groupId)).ok,
  };
};
