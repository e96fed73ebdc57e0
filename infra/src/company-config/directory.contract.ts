// The contract of the chat's directory over the configuration store, run on PGlite and on PostgreSQL: a write made
// through one store instance shows on the very next call of a directory, even one built on another store instance
// over the same database (another process), while concurrent calls share their version reads.
import { CompanyId, Id } from '@cschat/domain';
import { decodeOrThrow, valueOrThrow as value } from '../../../test-support/fixtures';
import { AgentPatch, NewAgent, NewCompany, NewGroup, NewWorkingHours, SettingsPatch } from './codecs';
import {
  companyDirectory,
  type CompanyDirectoryOptions,
  type Directory,
  type DirectorySource,
  type TokenVersions,
} from './directory';
import type { CompanyConfigStore } from './store';

export interface DirectoryFixture {
  /** The store the writes go through. */
  readonly store: CompanyConfigStore;
  /** Another store instance over the same database and schema, as in another process. */
  readonly second: CompanyConfigStore;
  /** Stops both stores and drops their schema. */
  dispose(): Promise<void>;
}

/** A fixture of two stores that `storeOn` opens over a new schema, which `dropSchema` drops afterwards. */
export const twoStores =
  (
    newSchema: () => string,
    storeOn: (schema: string) => CompanyConfigStore,
    dropSchema: (schema: string) => Promise<unknown>,
  ) =>
  async (): Promise<DirectoryFixture> => {
    const schema = newSchema();
    const store = storeOn(schema);
    const second = storeOn(schema);
    await store.start();
    await second.start();
    return {
      store,
      second,
      dispose: async () => {
        await Promise.all([store.stop(), second.stop()]);
        await dropSchema(schema);
      },
    };
  };

const ACME = decodeOrThrow(CompanyId)('acme');
const GLOBEX = decodeOrThrow(CompanyId)('globex');
const ADMIN = 'acme-admin';
const id = decodeOrThrow(Id);
const newGroup = decodeOrThrow(NewGroup);
const newAgent = decodeOrThrow(NewAgent);
const agentPatch = decodeOrThrow(AgentPatch);
const settingsPatch = decodeOrThrow(SettingsPatch);
const regular = (groupId: string, from: string) =>
  decodeOrThrow(NewWorkingHours)({
    groupId,
    type: 'regular',
    timeZone: 'UTC',
    weekly: [{ day: 'mon', from, to: '18:00' }],
  });
const agent = (username: string, groupIds: string[], capacity = 1) =>
  newAgent({ username, password: `pw-${username}`, role: 'agent', groupIds, capacity });

const DEFAULTS = { inactivityTimeoutSeconds: 900, presenceGraceSeconds: 30, offlineRequeueSeconds: 120 } as const;

/** The store as the directory reads it, counting its version reads and its loads. */
const counting = (store: CompanyConfigStore, versionRead?: (version: string) => Promise<void>) => {
  const counts = { versionReads: 0, loads: 0 };
  const load =
    <A extends unknown[], R>(f: (...args: A) => Promise<R>) =>
    (...args: A): Promise<R> => {
      counts.loads += 1;
      return f(...args);
    };
  const source: DirectorySource = {
    configVersion: async (companyId) => {
      counts.versionReads += 1;
      const version = await store.configVersion(companyId);
      await versionRead?.(version);
      return version;
    },
    getSettings: load((companyId: string) => store.getSettings(companyId)),
    hoursOfGroup: load((companyId: string, groupId: string) => store.hoursOfGroup(companyId, groupId)),
    agentById: load((companyId: string, agentId: string) => store.agentById(companyId, agentId)),
    agentsOfGroup: load((companyId: string, groupId: string) => store.agentsOfGroup(companyId, groupId)),
    getGroup: load((companyId: string, groupId: string) => store.getGroup(companyId, groupId)),
    tokenVersions: load((companyId: string) => store.tokenVersions(companyId)),
  };
  return { source, counts };
};

export const companyDirectoryContract = (open: () => Promise<DirectoryFixture>): void => {
  let fixture: DirectoryFixture;
  let store: CompanyConfigStore;
  let second: CompanyConfigStore;

  beforeEach(async () => {
    fixture = await open();
    ({ store, second } = fixture);
    for (const companyId of [ACME, GLOBEX]) {
      value(
        await store.createCompany(
          decodeOrThrow(NewCompany)({
            companyId,
            name: companyId.toUpperCase(),
            timeZone: 'UTC',
            adminUsername: 'admin',
            adminPassword: 'initial',
          }),
          { adminId: id(`${companyId}-admin`) },
        ),
      );
    }
    value(await store.createGroup(ACME, ADMIN, newGroup({ name: 'Support' }), { id: id('support') }));
    value(await store.createGroup(ACME, ADMIN, newGroup({ name: 'Sales' }), { id: id('sales') }));
    value(await store.createAgent(ACME, ADMIN, agent('alice', ['support']), { id: id('alice') }));
  });
  afterEach(() => fixture.dispose());

  it('reads the settings with their defaults, the two presence settings included', async () => {
    const directory = companyDirectory(store);
    expect(await directory.settings(ACME)).toEqual(DEFAULTS);
    expect(await directory.settings('initech')).toEqual(DEFAULTS);
    value(
      await store.updateSettings(
        ACME,
        ADMIN,
        settingsPatch({ defaultGroupId: 'support', presenceGraceSeconds: 5, offlineRequeueSeconds: 0 }),
      ),
    );
    expect(await directory.settings(ACME)).toEqual({
      inactivityTimeoutSeconds: 900,
      defaultGroupId: 'support',
      presenceGraceSeconds: 5,
      offlineRequeueSeconds: 0,
    });
    expect(await directory.settings(GLOBEX)).toEqual(DEFAULTS);
  });

  it('gives each agent its capacity, groups, role and name', async () => {
    const directory = companyDirectory(store);
    value(await store.createAgent(ACME, ADMIN, { ...agent('bob', ['sales'], 4), name: 'Bob' }, { id: id('bob') }));
    expect(await directory.agent(ACME, 'alice')).toEqual({
      agentId: 'alice',
      capacity: 1,
      groupIds: ['support'],
      role: 'agent',
      username: 'alice',
    });
    expect(await directory.agentsOfGroup(ACME, 'sales')).toEqual([
      { agentId: 'bob', capacity: 4, groupIds: ['sales'], role: 'agent', name: 'Bob', username: 'bob' },
    ]);
    expect(await directory.agent(ACME, 'nobody')).toBeUndefined();
    expect(await directory.agent(GLOBEX, 'alice')).toBeUndefined();
    expect(await directory.groupExists(ACME, 'support')).toBe(true);
    expect(await directory.groupExists(GLOBEX, 'support')).toBe(false);
  });

  it('gives the token versions of the company, and the moved ones at the next call of another process', async () => {
    const here = counting(store);
    const there = counting(second);
    const [a, b] = [companyDirectory(here.source), companyDirectory(there.source)];
    const versions = async (directory: TokenVersions) => Object.fromEntries(await directory.tokenVersions(ACME));
    expect(await versions(a)).toEqual({ 'acme-admin': 0, alice: 0 });
    expect(await versions(b)).toEqual({ 'acme-admin': 0, alice: 0 });
    // Cached under the configuration version: asking again costs a version read, not a load.
    await versions(b);
    expect(there.counts.loads).toBe(1);
    // Each revocation is written by one process and seen by the other at its next call.
    value(await store.revokeTokens(ACME, 'alice', 'alice'));
    expect(await versions(b)).toEqual({ 'acme-admin': 0, alice: 1 });
    value(await second.updateAgent(ACME, ADMIN, 'alice', agentPatch({ password: 'a new password' })));
    expect(await versions(a)).toEqual({ 'acme-admin': 0, alice: 2 });
    value(await store.deleteAgent(ACME, ADMIN, 'alice'));
    expect(await versions(b)).toEqual({ 'acme-admin': 0 });
    expect(Object.fromEntries(await a.tokenVersions(GLOBEX))).toEqual({ 'globex-admin': 0 });
  });

  it('answers the very next call after each kind of write with the new value, in this process and another', async () => {
    // Two processes: each its own store instance and directory, over one database.
    const here = companyDirectory(store);
    const there = companyDirectory(second);
    /** What both directories answer now: the same, whichever process wrote. */
    const both = async <T>(read: (directory: Directory) => Promise<T>): Promise<T> => {
      const [a, b] = [await read(here), await read(there)];
      expect(b).toEqual(a);
      return a;
    };
    const members = async (groupId: string) =>
      (await both((d) => d.agentsOfGroup(ACME, groupId))).map((a) => `${a.agentId}:${a.capacity}`);
    // Everything read once, so that each directory holds it.
    const warm = async () => {
      await both((d) => d.settings(ACME));
      await both((d) => d.agent(ACME, 'alice'));
      await both((d) => d.agent(ACME, 'bob'));
      await both((d) => d.agentsOfGroup(ACME, 'support'));
      await both((d) => d.agentsOfGroup(ACME, 'sales'));
      await both((d) => d.groupExists(ACME, 'billing'));
      await both((d) => d.hoursOfGroup(ACME, 'support'));
    };
    await warm();

    // The default group and the timeouts, written here and there.
    value(await store.updateSettings(ACME, ADMIN, settingsPatch({ defaultGroupId: 'support' })));
    expect((await both((d) => d.settings(ACME))).defaultGroupId).toBe('support');
    value(await second.updateSettings(ACME, ADMIN, settingsPatch({ defaultGroupId: 'sales' })));
    expect((await both((d) => d.settings(ACME))).defaultGroupId).toBe('sales');
    value(await store.updateSettings(ACME, ADMIN, settingsPatch({ inactivityTimeoutSeconds: 60 })));
    expect((await both((d) => d.settings(ACME))).inactivityTimeoutSeconds).toBe(60);
    value(await store.updateSettings(ACME, ADMIN, settingsPatch({ presenceGraceSeconds: 10 })));
    expect((await both((d) => d.settings(ACME))).presenceGraceSeconds).toBe(10);
    value(await second.updateSettings(ACME, ADMIN, settingsPatch({ offlineRequeueSeconds: 600 })));
    expect((await both((d) => d.settings(ACME))).offlineRequeueSeconds).toBe(600);

    // An agent's capacity, groups and role.
    await warm();
    value(await store.updateAgent(ACME, ADMIN, 'alice', agentPatch({ capacity: 3 })));
    expect((await both((d) => d.agent(ACME, 'alice')))?.capacity).toBe(3);
    expect(await members('support')).toEqual(['alice:3']);
    value(await second.updateAgent(ACME, ADMIN, 'alice', agentPatch({ groupIds: ['support', 'sales'] })));
    expect(await members('sales')).toEqual(['alice:3']);
    expect((await both((d) => d.agent(ACME, 'alice')))?.groupIds).toEqual(['sales', 'support']);
    value(await store.updateAgent(ACME, ADMIN, 'alice', agentPatch({ role: 'admin' })));
    expect((await both((d) => d.agent(ACME, 'alice')))?.role).toBe('admin');

    // An agent created and deleted (it was read as missing before).
    value(await store.createAgent(ACME, ADMIN, agent('bob', ['sales'], 2), { id: id('bob') }));
    expect((await both((d) => d.agent(ACME, 'bob')))?.capacity).toBe(2);
    expect(await members('sales')).toEqual(['alice:3', 'bob:2']);
    value(await second.deleteAgent(ACME, ADMIN, 'bob'));
    expect(await both((d) => d.agent(ACME, 'bob'))).toBeUndefined();
    expect(await members('sales')).toEqual(['alice:3']);

    // A group created and deleted.
    value(await store.createGroup(ACME, ADMIN, newGroup({ name: 'Billing' }), { id: id('billing') }));
    expect(await both((d) => d.groupExists(ACME, 'billing'))).toBe(true);
    value(await second.deleteGroup(ACME, ADMIN, 'billing'));
    expect(await both((d) => d.groupExists(ACME, 'billing'))).toBe(false);
    // A group deleted takes its members' memberships with it.
    value(await store.deleteGroup(ACME, ADMIN, 'support'));
    expect(await both((d) => d.groupExists(ACME, 'support'))).toBe(false);
    expect((await both((d) => d.agent(ACME, 'alice')))?.groupIds).toEqual(['sales']);
    value(await store.createGroup(ACME, ADMIN, newGroup({ name: 'Support' }), { id: id('support') }));

    // Working hours created, replaced and deleted.
    await warm();
    const { id: hours } = value(await store.createWorkingHours(ACME, ADMIN, regular('support', '09:00')));
    expect(await both((d) => d.hoursOfGroup(ACME, 'support'))).toEqual(await store.hoursOfGroup(ACME, 'support'));
    expect((await both((d) => d.hoursOfGroup(ACME, 'support'))).regular?.weekly[0]?.from).toBe('09:00');
    value(await second.updateWorkingHours(ACME, ADMIN, hours, regular('support', '10:00')));
    expect((await both((d) => d.hoursOfGroup(ACME, 'support'))).regular?.weekly[0]?.from).toBe('10:00');
    value(await store.deleteWorkingHours(ACME, ADMIN, hours));
    expect(await both((d) => d.hoursOfGroup(ACME, 'support'))).toEqual({});

    // None of it was the other company's.
    expect(await both((d) => d.settings(GLOBEX))).toEqual(DEFAULTS);
  });

  it('answers from what it holds while the version stays, with one version read per call', async () => {
    const { source, counts } = counting(store);
    const directory = companyDirectory(source);
    for (let i = 0; i < 3; i++) {
      expect((await directory.agent(ACME, 'alice'))?.capacity).toBe(1);
      expect(await directory.settings(ACME)).toEqual(DEFAULTS);
    }
    expect(counts).toEqual({ versionReads: 6, loads: 2 });
    // A write of another company moves only that company's version.
    value(await store.updateSettings(GLOBEX, 'globex-admin', settingsPatch({ inactivityTimeoutSeconds: 60 })));
    expect(await directory.settings(ACME)).toEqual(DEFAULTS);
    expect(counts).toEqual({ versionReads: 7, loads: 2 });
  });

  it('shares version reads among 50 concurrent calls, each seeing what was committed before it was called', async () => {
    // The first version read is held back after it read, as a slow answer would be: a write commits meanwhile.
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    let hasRead: () => void = () => undefined;
    const read = new Promise<void>((resolve) => (hasRead = resolve));
    let first = true;
    const { source, counts } = counting(store, async () => {
      if (!first) return;
      first = false;
      hasRead();
      await held;
    });
    const directory = companyDirectory(source);
    const before = Array.from({ length: 25 }, () => directory.settings(ACME));
    await read;
    value(await second.updateSettings(ACME, ADMIN, settingsPatch({ inactivityTimeoutSeconds: 60 })));
    const after = Array.from({ length: 25 }, () => directory.settings(ACME));
    release();
    // Those called before the write may see either value; those called after it, the new one only.
    for (const settings of await Promise.all(before)) expect([900, 60]).toContain(settings.inactivityTimeoutSeconds);
    expect((await Promise.all(after)).map((s) => s.inactivityTimeoutSeconds)).toEqual(Array(25).fill(60));
    // One read in flight, one shared by all who came meanwhile; one load per version.
    expect(counts.versionReads).toBe(2);
    expect(counts.loads).toBeLessThanOrEqual(2);

    // Without a write, 50 concurrent calls share at most two reads and one load.
    const quiet = counting(store);
    const fresh = companyDirectory(quiet.source);
    const answers = await Promise.all(Array.from({ length: 50 }, () => fresh.settings(ACME)));
    expect(new Set(answers.map((s) => s.inactivityTimeoutSeconds))).toEqual(new Set([60]));
    expect(quiet.counts.versionReads).toBeLessThanOrEqual(2);
    expect(quiet.counts.loads).toBe(1);
  });

  it('keeps no failed load nor failed version read', async () => {
    const { source } = counting(store);
    let failures = 1;
    let versionFailures = 1;
    const flaky: DirectorySource = {
      ...source,
      configVersion: async (companyId) => {
        if (versionFailures-- > 0) throw new Error('connection lost');
        return source.configVersion(companyId);
      },
      agentById: async (companyId, agentId) => {
        if (failures-- > 0) throw new Error('connection lost');
        return source.agentById(companyId, agentId);
      },
    };
    const directory = companyDirectory(flaky);
    await expect(directory.agent(ACME, 'alice')).rejects.toThrow('connection lost');
    await expect(directory.agent(ACME, 'alice')).rejects.toThrow('connection lost');
    expect((await directory.agent(ACME, 'alice'))?.capacity).toBe(1);
  });

  it('keeps at most the companies and values it is told, dropping the least recently used', async () => {
    const { source, counts } = counting(store);
    const options: CompanyDirectoryOptions = { maxCompanies: 2, maxValuesPerCompany: 2 };
    const directory = companyDirectory(source, options);
    await directory.settings(ACME);
    await directory.settings(GLOBEX);
    await directory.settings(ACME);
    expect(counts.loads).toBe(2);
    await directory.settings('initech');
    await directory.settings(ACME); // kept: used more recently than globex
    expect(counts.loads).toBe(3);
    await directory.settings(GLOBEX); // dropped
    expect(counts.loads).toBe(4);

    await directory.groupExists(ACME, 'support');
    await directory.groupExists(ACME, 'sales'); // settings of acme dropped: two values at most
    expect(counts.loads).toBe(6);
    await directory.groupExists(ACME, 'support');
    expect(counts.loads).toBe(6);
    await directory.settings(ACME);
    expect(counts.loads).toBe(7);
  });
};
