// The chat's view of company configuration, served by the configuration store.
import type { AgentProfile, ChatSettings, CompanyConfigStore, Directory } from '@cschat/infra';

/** How long a company's chat settings are reused (every chat message needs the timeout). */
export const SETTINGS_TTL_MS = 5_000;

/**
 * Remembers `load(key)` for `ttlMs` (at most `max` keys, oldest dropped first); a failed load is
 * forgotten at once. Concurrent callers share one load.
 */
export const ttlCache = <T>(
  ttlMs: number,
  load: (key: string) => Promise<T>,
  now: () => number = Date.now,
  max = 10_000,
): ((key: string) => Promise<T>) => {
  const cached = new Map<string, { readonly at: number; readonly value: Promise<T> }>();
  return (key) => {
    const hit = cached.get(key);
    if (hit !== undefined && now() - hit.at < ttlMs) return hit.value;
    const value = load(key);
    cached.delete(key);
    cached.set(key, { at: now(), value });
    value.catch(() => cached.delete(key));
    if (cached.size > max) cached.delete(cached.keys().next().value!);
    return value;
  };
};

export const directoryOf = (config: CompanyConfigStore, now: () => number = Date.now): Directory => {
  const load = async (companyId: string): Promise<ChatSettings> => {
    const settings = await config.getSettings(companyId);
    if (!settings.ok) return { inactivityTimeoutSeconds: 900, presenceGraceSeconds: 30, offlineRequeueSeconds: 120 };
    const { inactivityTimeoutSeconds, defaultGroupId } = settings.value;
    return {
      inactivityTimeoutSeconds,
      presenceGraceSeconds: 30,
      offlineRequeueSeconds: 120,
      ...(defaultGroupId == null ? {} : { defaultGroupId }),
    };
  };
  const profile = (account: { id: string; capacity: number; groupIds: readonly string[] }): AgentProfile => ({
    agentId: account.id,
    capacity: account.capacity,
    groupIds: account.groupIds,
  });
  return {
    settings: ttlCache(SETTINGS_TTL_MS, load, now),
    hoursOfGroup: (companyId, groupId) => config.hoursOfGroup(companyId, groupId),
    agent: async (companyId, agentId) => {
      const account = await config.agentById(companyId, agentId);
      return account.ok ? profile(account.value) : undefined;
    },
    agentsOfGroup: async (companyId, groupId) => (await config.agentsOfGroup(companyId, groupId)).map(profile),
    groupExists: async (companyId, groupId) => (await config.getGroup(companyId, groupId)).ok,
  };
};
