// What the chat needs to know of a company's configuration (settings, groups, agents, hours), and the cache that
// serves it from the configuration store without ever answering from a stale value.
//
// Every call first reads the company's configuration version (one primary-key read, bumped in the transaction of
// every audited write, whichever process made it) and drops what it had cached for the company when the version
// moved: a change takes effect on the next frame of every process.
import { isLeft, isRight } from 'fp-ts/Either';
import type { GroupHours } from '@cschat/domain';
import type { AgentRole } from './codecs';
import type { CompanyConfigStore } from './store';

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
  readonly role: AgentRole;
  readonly name?: string;
  /** What it signs in with; the name people see when it has no display name. */
  readonly username?: string;
}

/** The name people see of an agent: its display name, else its username, else its id. */
export const displayName = (profile: AgentProfile): string => profile.name ?? profile.username ?? profile.agentId;

/** The configuration store implements it through `companyDirectory`; tests use a map. */
export interface Directory {
  settings(companyId: string): Promise<ChatSettings>;
  hoursOfGroup(companyId: string, groupId: string): Promise<GroupHours>;
  agent(companyId: string, agentId: string): Promise<AgentProfile | undefined>;
  agentsOfGroup(companyId: string, groupId: string): Promise<readonly AgentProfile[]>;
  groupExists(companyId: string, groupId: string): Promise<boolean>;
}

/**
 * The token versions of a company's staff (agents, supervisors, admins), through the same cache: a staff token is
 * valid only while its agent exists and has the version the token names. A revocation is an audited write, so the
 * configuration version moves with it and the next call of every process reads the new versions.
 */
export interface TokenVersions {
  /** The version of each agent of the company, by id; an agent not in it no longer exists. */
  tokenVersions(companyId: string): Promise<ReadonlyMap<string, number>>;
}

/** What the directory reads of the store. */
export type DirectorySource = Pick<
  CompanyConfigStore,
  'configVersion' | 'getSettings' | 'hoursOfGroup' | 'agentById' | 'agentsOfGroup' | 'getGroup' | 'tokenVersions'
>;

export interface CompanyDirectoryOptions {
  /** Companies whose values are kept; the least recently used goes first. Default 1,000. */
  readonly maxCompanies?: number;
  /** Values kept per company (an agent, a group's hours, ...); the least recently used goes first. Default 1,000. */
  readonly maxValuesPerCompany?: number;
}

/** The settings of a company the store does not know (the columns' defaults). */
const UNKNOWN_COMPANY_SETTINGS: ChatSettings = {
  inactivityTimeoutSeconds: 900,
  presenceGraceSeconds: 30,
  offlineRequeueSeconds: 120,
};

interface Deferred<T> {
  readonly promise: Promise<T>;
  readonly resolve: (value: T) => void;
  readonly reject: (error: unknown) => void;
}

const deferred = <T>(): Deferred<T> => {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((yes, no) => {
    resolve = yes;
    reject = no;
  });
  return { promise, resolve, reject };
};

/** One company's cache: its values under the version they were read at, and its version reads. */
interface CompanyEntry {
  /** The version `values` were read at; undefined before the first read. */
  version: string | undefined;
  values: Map<string, Promise<unknown>>;
  /** The version read in flight, if any. */
  reading: Promise<string> | undefined;
  /** The read that starts when `reading` ends, shared by every call that arrived while it was in flight. */
  next: Deferred<string> | undefined;
}

/** Moves `key` to the end of `map` (the most recently used). */
const touch = <K, V>(map: Map<K, V>, key: K, value: V): void => {
  map.delete(key);
  map.set(key, value);
};

/** Drops the least recently used entries of `map` beyond `max`. */
const trim = <K, V>(map: Map<K, V>, max: number): void => {
  for (const key of map.keys()) {
    if (map.size <= max) return;
    map.delete(key);
  }
};

const profileOf = (account: {
  id: string;
  capacity: number;
  groupIds: readonly string[];
  role: AgentRole;
  name?: string;
  username?: string;
}): AgentProfile => ({
  agentId: account.id,
  capacity: account.capacity,
  groupIds: account.groupIds,
  role: account.role,
  ...(account.name === undefined ? {} : { name: account.name }),
  ...(account.username === undefined ? {} : { username: account.username }),
});

/**
 * The chat's directory over the configuration store, cached per company under the configuration version.
 *
 * A call is never answered from a version read that began before the call did (a frame right after a committed
 * write would otherwise still see the old value), yet concurrent calls share reads: per company at most one version
 * read is in flight, and every call that arrives meanwhile shares the one read that starts when it ends. A failed
 * load or version read is not cached.
 */
export const companyDirectory = (
  source: DirectorySource,
  options: CompanyDirectoryOptions = {},
): Directory & TokenVersions => {
  const maxCompanies = options.maxCompanies ?? 1_000;
  const maxValues = options.maxValuesPerCompany ?? 1_000;
  const companies = new Map<string, CompanyEntry>();

  const entryOf = (companyId: string): CompanyEntry => {
    const entry = companies.get(companyId) ?? {
      version: undefined,
      values: new Map(),
      reading: undefined,
      next: undefined,
    };
    touch(companies, companyId, entry);
    trim(companies, maxCompanies);
    return entry;
  };

  const readVersion = (companyId: string, entry: CompanyEntry): Promise<string> => {
    const reading = source.configVersion(companyId);
    entry.reading = reading;
    // The first reaction to the read: no call can join it after it ended and before `next` starts.
    const ended = (): void => {
      entry.reading = undefined;
      const next = entry.next;
      entry.next = undefined;
      if (next !== undefined) readVersion(companyId, entry).then(next.resolve, next.reject);
    };
    reading.then(ended, ended);
    return reading;
  };

  /** The company's version as read after this call began. */
  const versionNow = (companyId: string, entry: CompanyEntry): Promise<string> => {
    if (entry.reading === undefined) return readVersion(companyId, entry);
    entry.next ??= deferred();
    return entry.next.promise;
  };

  const cached = async <T>(companyId: string, key: string, load: () => Promise<T>): Promise<T> => {
    const entry = entryOf(companyId);
    const version = await versionNow(companyId, entry);
    // Version reads of one entry end in the order they began, so a later one never brings back an older version.
    if (entry.version !== version) {
      entry.version = version;
      entry.values = new Map();
    }
    const values = entry.values;
    const hit = values.get(key) as Promise<T> | undefined;
    if (hit !== undefined) {
      touch(values, key, hit);
      return hit;
    }
    // Loaded after the version was read: a write between the two makes the next call reload, never a stale hit.
    const value = load();
    values.set(key, value);
    trim(values, maxValues);
    value.catch(() => {
      if (values.get(key) === value) values.delete(key);
    });
    return value;
  };

  return {
    settings: (companyId) =>
      cached(companyId, 'settings', async (): Promise<ChatSettings> => {
        const settings = await source.getSettings(companyId);
        if (isLeft(settings)) return UNKNOWN_COMPANY_SETTINGS;
        const { inactivityTimeoutSeconds, defaultGroupId, presenceGraceSeconds, offlineRequeueSeconds } =
          settings.right;
        return {
          inactivityTimeoutSeconds,
          ...(defaultGroupId === undefined ? {} : { defaultGroupId }),
          presenceGraceSeconds,
          offlineRequeueSeconds,
        };
      }),
    hoursOfGroup: (companyId, groupId) =>
      cached(companyId, `hours:${groupId}`, () => source.hoursOfGroup(companyId, groupId)),
    agent: (companyId, agentId) =>
      cached(companyId, `agent:${agentId}`, async () => {
        const account = await source.agentById(companyId, agentId);
        return isRight(account) ? profileOf(account.right) : undefined;
      }),
    agentsOfGroup: (companyId, groupId) =>
      cached(companyId, `members:${groupId}`, async () =>
        (await source.agentsOfGroup(companyId, groupId)).map(profileOf),
      ),
    groupExists: (companyId, groupId) =>
      cached(companyId, `group:${groupId}`, async () => isRight(await source.getGroup(companyId, groupId))),
    // One map for the whole company, so that a gateway checks all its sockets of a company with one call.
    tokenVersions: (companyId) => cached(companyId, 'token-versions', () => source.tokenVersions(companyId)),
  };
};
