// The one contract the company configuration store passes on PGlite and on PostgreSQL. Each test gets a fresh
// schema holding two companies, `acme` and `globex`, each with its first admin.
import { createHash } from 'node:crypto';
import { isLeft, left } from 'fp-ts/Either';
import { CompanyId, Id } from '@cschat/domain';
import type { Knex } from 'knex';
import { decodeOrThrow, valueOrThrow as value } from '../../../test-support/fixtures';
import {
  AgentPatch,
  CannedResponsePatch,
  ChannelAccountPatch,
  FaqEntryPatch,
  GroupPatch,
  IntentPatch,
  NewAgent,
  NewCannedResponse,
  NewChannelAccount,
  NewCompany,
  NewFaqEntry,
  NewGroup,
  NewIntent,
  NewWorkingHours,
  SettingsPatch,
} from './codecs';
import type { Logger } from '../logging';
import { companyConfigMigrations, CONSTRAINTS } from './schema';
import { CompanyConfigStore, type ConfigChange, type ConfigResult } from './store';

export interface ConfigFixture {
  readonly store: CompanyConfigStore;
  /** The store's database, to look at what the API does not show. */
  readonly knex: Knex;
  readonly schema: string;
  /** Stops the store and drops its schema. */
  dispose(): Promise<void>;
}

export interface ContractOptions {
  /** A second connection can hold a transaction open while the store writes (not on PGlite: one connection). */
  readonly concurrentConnections: boolean;
}

/** A recognisable stand-in for scrypt, so the suite runs fast and can look for the hash in answers. */
export const fakeHash = async (plain: string): Promise<string> =>
  `fake$${createHash('sha256').update(plain).digest('hex')}`;

const errorOf = (result: ConfigResult<unknown>): string => (isLeft(result) ? result.left.code : 'ok');

const id = decodeOrThrow(Id);
const newCompany = decodeOrThrow(NewCompany);
const newGroup = decodeOrThrow(NewGroup);
const newAgent = decodeOrThrow(NewAgent);
const newChannelAccount = decodeOrThrow(NewChannelAccount);
const newWorkingHours = decodeOrThrow(NewWorkingHours);
const newFaqEntry = decodeOrThrow(NewFaqEntry);
const newCannedResponse = decodeOrThrow(NewCannedResponse);
const settingsPatch = decodeOrThrow(SettingsPatch);
const newIntent = decodeOrThrow(NewIntent);
const intentPatch = decodeOrThrow(IntentPatch);

const DEFAULT_SETTINGS = {
  inactivityTimeoutSeconds: 900,
  suggestionCount: 5,
  botConfidence: 0.15,
  botMissesBeforeHuman: 2,
  presenceGraceSeconds: 30,
  offlineRequeueSeconds: 120,
  language: 'zh-CN',
} as const;

const ACME = decodeOrThrow(CompanyId)('acme');
const GLOBEX = decodeOrThrow(CompanyId)('globex');
const ACME_ADMIN = 'acme-admin';
const GLOBEX_ADMIN = 'globex-admin';
/** A third company, created by a test. */
const INITECH = newCompany({
  companyId: 'initech',
  name: 'Initech',
  timeZone: 'UTC',
  adminUsername: 'admin',
  adminPassword: 'initial',
});
const SECRET = 'bot-token-s3cr3t';

const regular = (groupId: string, from = '09:00') =>
  newWorkingHours({ groupId, type: 'regular', timeZone: 'Asia/Shanghai', weekly: [{ day: 'mon', from, to: '18:00' }] });
const irregular = (groupId: string) =>
  newWorkingHours({
    groupId,
    type: 'irregular',
    timeZone: 'Asia/Shanghai',
    dates: [
      { date: '2026-10-01', from: '10:00', to: '16:00' },
      { date: '2026-10-02', closed: true },
    ],
  });

export const companyConfigContract = (open: () => Promise<ConfigFixture>, options: ContractOptions): void => {
  let fixture: ConfigFixture;
  let store: CompanyConfigStore;

  const auditRows = async (companyId: string) => {
    const { rows } = await fixture.knex.raw<{
      rows: { actor_id: string; action: string; entity: string; entity_id: string | null; details: object }[];
    }>(
      `select actor_id, action, entity, entity_id, details from "${fixture.schema}".config_audit
       where company_id = ? order by id`,
      [companyId],
    );
    return rows;
  };
  const auditCount = async (companyId: string) => (await auditRows(companyId)).length;

  const agent = (username: string, groupIds: string[] = [], role = 'agent') =>
    newAgent({ username, password: `pw-${username}`, role, groupIds, capacity: 3 });

  beforeEach(async () => {
    fixture = await open();
    store = fixture.store;
    for (const [companyId, adminId] of [
      [ACME, ACME_ADMIN],
      [GLOBEX, GLOBEX_ADMIN],
    ] as const) {
      value(
        await store.createCompany(
          newCompany({
            companyId,
            name: companyId.toUpperCase(),
            timeZone: 'Asia/Shanghai',
            adminUsername: 'admin',
            adminPassword: 'initial',
          }),
          { adminId: id(adminId) },
        ),
      );
    }
  });
  afterEach(() => fixture.dispose());

  describe('companies', () => {
    it('creates a company with its first admin and default settings', async () => {
      expect(value(await store.getCompany(ACME))).toEqual({
        id: 'acme',
        name: 'ACME',
        timeZone: 'Asia/Shanghai',
        createdAt: expect.stringMatching(/Z$/) as unknown,
      });
      expect(await store.listAgents(ACME)).toEqual([
        {
          id: ACME_ADMIN,
          username: 'admin',
          role: 'admin',
          capacity: 0,
          groupIds: [],
          createdAt: expect.any(String) as unknown,
        },
      ]);
      expect(value(await store.getSettings(ACME))).toEqual(DEFAULT_SETTINGS);
      const login = value(await store.findAgentByUsername(ACME, 'admin'));
      expect(login.passwordHash).toBe(await fakeHash('initial'));
    });

    it('refuses an existing company id with a conflict and changes nothing', async () => {
      const again = await store.createCompany(
        newCompany({ companyId: 'acme', name: 'Other', timeZone: 'UTC', adminUsername: 'x', adminPassword: 'y' }),
      );
      expect(again).toEqual(left({ code: 'conflict', message: 'company acme exists' }));
      expect(value(await store.getCompany(ACME)).name).toBe('ACME');
      expect((await store.listAgents(ACME)).map((a) => a.username)).toEqual(['admin']);
    });

    it('answers not_found for an unknown company, on reads and on writes', async () => {
      expect(errorOf(await store.getCompany('initech'))).toBe('not_found');
      expect(errorOf(await store.getSettings('initech'))).toBe('not_found');
      expect(errorOf(await store.createGroup('initech', 'someone', newGroup({ name: 'x' })))).toBe('not_found');
      expect(errorOf(await store.setSuggestedQuestions('initech', 'someone', ['q']))).toBe('not_found');
      expect(await store.listGroups('initech')).toEqual([]);
    });

    it('records the creation by the platform operator without the password', async () => {
      const rows = await auditRows(ACME);
      expect(rows.map((r) => [r.actor_id, r.action, r.entity, r.entity_id])).toEqual([
        ['platform', 'create', 'company', 'acme'],
        ['platform', 'create', 'agent', ACME_ADMIN],
      ]);
      expect(JSON.stringify(rows)).not.toMatch(/initial|fake\$/);
    });

    it('starts and stops idempotently', async () => {
      await store.start();
      await store.start();
      expect(value(await store.getCompany(ACME)).id).toBe('acme');
    });
  });

  describe('groups', () => {
    it('creates, lists, reads, renames and deletes groups, each change audited', async () => {
      const { id: support } = value(await store.createGroup(ACME, ACME_ADMIN, newGroup({ name: 'Support' })));
      expect(support).toMatch(/^[0-9a-f-]{36}$/);
      value(await store.createGroup(ACME, ACME_ADMIN, newGroup({ name: 'Billing' }), { id: id('billing') }));
      expect((await store.listGroups(ACME)).map((g) => [g.id, g.name])).toEqual([
        ['billing', 'Billing'],
        [support, 'Support'],
      ]);
      const renamed = value(
        await store.updateGroup(ACME, ACME_ADMIN, support, decodeOrThrow(GroupPatch)({ name: 'Help' })),
      );
      expect(renamed).toMatchObject({ id: support, name: 'Help' });
      expect(value(await store.getGroup(ACME, support)).name).toBe('Help');
      value(await store.deleteGroup(ACME, ACME_ADMIN, 'billing'));
      expect(errorOf(await store.getGroup(ACME, 'billing'))).toBe('not_found');
      expect((await auditRows(ACME)).slice(2).map((r) => [r.actor_id, r.action, r.entity, r.entity_id])).toEqual([
        [ACME_ADMIN, 'create', 'group', support],
        [ACME_ADMIN, 'create', 'group', 'billing'],
        [ACME_ADMIN, 'update', 'group', support],
        [ACME_ADMIN, 'delete', 'group', 'billing'],
      ]);
    });

    it('refuses a given id that exists, and writes no audit row for a refusal', async () => {
      value(await store.createGroup(ACME, ACME_ADMIN, newGroup({ name: 'Support' }), { id: id('support') }));
      const before = await auditCount(ACME);
      expect(
        errorOf(await store.createGroup(ACME, ACME_ADMIN, newGroup({ name: 'Again' }), { id: id('support') })),
      ).toBe('conflict');
      expect(errorOf(await store.updateGroup(ACME, ACME_ADMIN, 'nope', {}))).toBe('not_found');
      expect(errorOf(await store.deleteGroup(ACME, ACME_ADMIN, 'nope'))).toBe('not_found');
      expect(await auditCount(ACME)).toBe(before);
    });

    it('refuses a name another group of the company has, trimmed and without case, naming the field', async () => {
      const support = value(await store.createGroup(ACME, ACME_ADMIN, newGroup({ name: 'Support' }))).id;
      const billing = value(await store.createGroup(ACME, ACME_ADMIN, newGroup({ name: 'Billing' }))).id;
      const before = await auditCount(ACME);
      for (const name of ['Support', '  SUPPORT ', 'support']) {
        expect(await store.createGroup(ACME, ACME_ADMIN, newGroup({ name }))).toEqual(
          left({
            code: 'conflict',
            message: `name: a group named ${JSON.stringify(name.trim())} exists`,
            field: 'name',
          }),
        );
      }
      expect(
        await store.updateGroup(ACME, ACME_ADMIN, billing, decodeOrThrow(GroupPatch)({ name: 'SUPPORT' })),
      ).toEqual(left({ code: 'conflict', message: 'name: a group named "SUPPORT" exists', field: 'name' }));
      expect(await auditCount(ACME)).toBe(before);
      // A group keeps its own name in another case; another company may use the name.
      expect(
        value(await store.updateGroup(ACME, ACME_ADMIN, support, decodeOrThrow(GroupPatch)({ name: 'SUPPORT' }))).name,
      ).toBe('SUPPORT');
      value(await store.createGroup(GLOBEX, GLOBEX_ADMIN, newGroup({ name: 'Support' })));
      // A deleted group's name is free again.
      value(await store.deleteGroup(ACME, ACME_ADMIN, billing));
      value(await store.createGroup(ACME, ACME_ADMIN, newGroup({ name: 'billing' })));
    });

    it('migration 011 renames the later groups that share a name with " (n)", then refuses duplicates', async () => {
      const s = `"${fixture.schema}"`;
      const { knex } = fixture;
      // As before the migration: no index, groups that read the same.
      await knex.raw(`drop index ${s}.${CONSTRAINTS.groupName}`);
      const groups: [string, string, string, string][] = [
        ['acme', 'g1', 'Support', '2026-01-01T00:00:00Z'],
        ['acme', 'g2', ' support ', '2026-01-02T00:00:00Z'],
        ['acme', 'g3', 'Support (2)', '2026-01-03T00:00:00Z'],
        ['acme', 'g4', 'SUPPORT', '2026-01-04T00:00:00Z'],
        ['acme', 'g5', 'Sales', '2026-01-05T00:00:00Z'],
        ['globex', 'g1', 'support', '2026-01-01T00:00:00Z'],
      ];
      for (const row of groups) {
        await knex.raw(`insert into ${s}.groups (company_id, id, name, created_at) values (?, ?, ?, ?)`, row);
      }
      const source = companyConfigMigrations(fixture.schema);
      const migration = (await source.getMigrations([])).find(
        (m) => source.getMigrationName(m) === '011_unique_group_names',
      );
      await (await source.getMigration(migration!)).up(knex);
      const { rows } = await knex.raw<{ rows: { company_id: string; id: string; name: string }[] }>(
        `select company_id, id, name from ${s}.groups order by company_id, id`,
      );
      expect(rows.map((r) => [r.company_id, r.id, r.name])).toEqual([
        ['acme', 'g1', 'Support'],
        ['acme', 'g2', 'support (3)'],
        ['acme', 'g3', 'Support (2)'],
        ['acme', 'g4', 'SUPPORT (4)'],
        ['acme', 'g5', 'Sales'],
        ['globex', 'g1', 'support'],
      ]);
      expect(errorOf(await store.createGroup(ACME, ACME_ADMIN, newGroup({ name: 'sales' })))).toBe('conflict');
    });

    it("takes its members' memberships and its schedules with it", async () => {
      value(await store.createGroup(ACME, ACME_ADMIN, newGroup({ name: 'Support' }), { id: id('support') }));
      const { id: alice } = value(await store.createAgent(ACME, ACME_ADMIN, agent('alice', ['support'])));
      value(await store.createWorkingHours(ACME, ACME_ADMIN, regular('support')));
      value(await store.deleteGroup(ACME, ACME_ADMIN, 'support'));
      expect(value(await store.agentById(ACME, alice)).groupIds).toEqual([]);
      expect(await store.listWorkingHours(ACME)).toEqual([]);
    });

    it('keeps a group that serves a channel account or is the default group', async () => {
      value(await store.createGroup(ACME, ACME_ADMIN, newGroup({ name: 'Support' }), { id: id('support') }));
      value(await store.createGroup(ACME, ACME_ADMIN, newGroup({ name: 'Web' }), { id: id('web') }));
      value(
        await store.createChannelAccount(
          ACME,
          ACME_ADMIN,
          newChannelAccount({ platform: 'telegram', name: 'TG', groupId: 'support', credentials: {} }),
          { id: id('tg') },
        ),
      );
      value(await store.updateSettings(ACME, ACME_ADMIN, settingsPatch({ defaultGroupId: 'web' })));
      expect(await store.deleteGroup(ACME, ACME_ADMIN, 'support')).toEqual(
        left({ code: 'conflict', message: 'group support serves channel accounts tg' }),
      );
      expect(errorOf(await store.deleteGroup(ACME, ACME_ADMIN, 'web'))).toBe('conflict');
      expect((await store.listGroups(ACME)).length).toBe(2);
    });
    it('saves, changes and clears the service-level targets of a group, and lists them', async () => {
      value(
        await store.createGroup(
          ACME,
          ACME_ADMIN,
          newGroup({ name: 'Support', firstResponseTargetSeconds: 60, waitTargetSeconds: 300 }),
          { id: id('support') },
        ),
      );
      value(await store.createGroup(ACME, ACME_ADMIN, newGroup({ name: 'Sales' }), { id: id('sales') }));
      expect(value(await store.getGroup(ACME, 'support'))).toMatchObject({
        firstResponseTargetSeconds: 60,
        waitTargetSeconds: 300,
      });
      const sales = value(await store.getGroup(ACME, 'sales'));
      expect(sales).not.toHaveProperty('firstResponseTargetSeconds');
      expect(sales).not.toHaveProperty('waitTargetSeconds');

      const groupPatch = decodeOrThrow(GroupPatch);
      expect(
        value(await store.updateGroup(ACME, ACME_ADMIN, 'support', groupPatch({ waitTargetSeconds: 86_400 }))),
      ).toMatchObject({ name: 'Support', firstResponseTargetSeconds: 60, waitTargetSeconds: 86_400 });
      const cleared = value(
        await store.updateGroup(ACME, ACME_ADMIN, 'support', groupPatch({ firstResponseTargetSeconds: null })),
      );
      expect(cleared).toEqual({
        id: 'support',
        name: 'Support',
        createdAt: expect.any(String) as string,
        waitTargetSeconds: 86_400,
      });
      value(await store.updateGroup(ACME, ACME_ADMIN, 'sales', groupPatch({ firstResponseTargetSeconds: 1 })));
      expect(
        (await store.listGroups(ACME)).map((g) => [g.id, g.firstResponseTargetSeconds, g.waitTargetSeconds]),
      ).toEqual([
        ['sales', 1, undefined],
        ['support', undefined, 86_400],
      ]);
      const [, audited] = (await auditRows(ACME)).slice(-3);
      expect(audited?.details).toEqual({ firstResponseTargetSeconds: null });
    });

    it('refuses targets that are not whole seconds from 1 to 86400, naming the field', () => {
      // The field that failed (the named keys of its path: intersections and unions add numbered ones) and its rule.
      const refused = (codec: typeof NewGroup | typeof GroupPatch, body: unknown): string => {
        const decoded = codec.decode(body);
        if (!isLeft(decoded)) return 'accepted';
        const named = (key: string): boolean => key !== '' && !/^\d+$/.test(key);
        const fields = new Set(
          decoded.left.map((e) =>
            e.context
              .map((c) => c.key)
              .filter(named)
              .join('.'),
          ),
        );
        expect(decoded.left.map((e) => e.message).filter(Boolean)).toContain('must be an integer from 1 to 86400');
        return [...fields].join(', ');
      };
      expect(refused(NewGroup, { name: 'S', firstResponseTargetSeconds: 0 })).toBe('firstResponseTargetSeconds');
      expect(refused(NewGroup, { name: 'S', waitTargetSeconds: 86_401 })).toBe('waitTargetSeconds');
      expect(refused(NewGroup, { name: 'S', waitTargetSeconds: 1.5 })).toBe('waitTargetSeconds');
      expect(refused(NewGroup, { name: 'S', waitTargetSeconds: null })).toBe('waitTargetSeconds');
      expect(refused(GroupPatch, { firstResponseTargetSeconds: '60' })).toBe('firstResponseTargetSeconds');
      expect(refused(GroupPatch, { firstResponseTargetSeconds: null, waitTargetSeconds: 1 })).toBe('accepted');
    });

    it('keeps a target out of range out of the table too', async () => {
      value(await store.createGroup(ACME, ACME_ADMIN, newGroup({ name: 'Support' }), { id: id('support') }));
      await expect(store.updateGroup(ACME, ACME_ADMIN, 'support', { waitTargetSeconds: 0 })).rejects.toThrow();
      expect(value(await store.getGroup(ACME, 'support'))).not.toHaveProperty('waitTargetSeconds');
    });
  });

  describe('agents', () => {
    beforeEach(async () => {
      value(await store.createGroup(ACME, ACME_ADMIN, newGroup({ name: 'Support' }), { id: id('support') }));
      value(await store.createGroup(ACME, ACME_ADMIN, newGroup({ name: 'Sales' }), { id: id('sales') }));
    });

    it('creates an agent in groups with a capacity, and lists agents without password hashes', async () => {
      const { id: alice } = value(
        await store.createAgent(
          ACME,
          ACME_ADMIN,
          newAgent({
            username: 'alice',
            password: 'wonderland',
            name: 'Alice',
            role: 'agent',
            groupIds: ['support', 'sales'],
            capacity: 2,
          }),
        ),
      );
      const expected = {
        id: alice,
        username: 'alice',
        name: 'Alice',
        role: 'agent',
        capacity: 2,
        groupIds: ['sales', 'support'],
        createdAt: expect.any(String) as unknown,
      };
      expect(value(await store.agentById(ACME, alice))).toEqual(expected);
      const listed = await store.listAgents(ACME);
      expect(listed.find((a) => a.id === alice)).toEqual(expected);
      const hash = await fakeHash('wonderland');
      expect(
        JSON.stringify([listed, await store.agentById(ACME, alice), await store.agentsOfGroup(ACME, 'support')]),
      ).not.toMatch(new RegExp(`${hash.slice(5)}|wonderland|passwordHash|password_hash`));
    });

    it('gives the login its password hash, found by username in its company only', async () => {
      value(await store.createAgent(ACME, ACME_ADMIN, agent('alice', ['support'])));
      const login = value(await store.findAgentByUsername(ACME, 'alice'));
      expect(login).toMatchObject({ username: 'alice', role: 'agent', groupIds: ['support'] });
      expect(login.passwordHash).toBe(await fakeHash('pw-alice'));
      expect(errorOf(await store.findAgentByUsername(GLOBEX, 'alice'))).toBe('not_found');
      expect(errorOf(await store.findAgentByUsername(ACME, 'ALICE'))).toBe('not_found');
    });

    it('refuses a taken username with a conflict, in its company only', async () => {
      value(await store.createAgent(ACME, ACME_ADMIN, agent('alice')));
      expect(await store.createAgent(ACME, ACME_ADMIN, agent('alice'))).toEqual(
        left({ code: 'conflict', message: 'username alice is taken' }),
      );
      value(await store.createAgent(GLOBEX, GLOBEX_ADMIN, agent('alice')));
      const { id: bob } = value(await store.createAgent(ACME, ACME_ADMIN, agent('bob')));
      expect(
        errorOf(await store.updateAgent(ACME, ACME_ADMIN, bob, decodeOrThrow(AgentPatch)({ username: 'alice' }))),
      ).toBe('conflict');
    });

    it('refuses groups that are not the company’s', async () => {
      value(await store.createGroup(GLOBEX, GLOBEX_ADMIN, newGroup({ name: 'Theirs' }), { id: id('theirs') }));
      expect(await store.createAgent(ACME, ACME_ADMIN, agent('alice', ['support', 'theirs', 'nope']))).toEqual(
        left({ code: 'unknown_group', message: 'no group theirs, nope in company acme' }),
      );
      expect(await store.agentsOfGroup(GLOBEX, 'theirs')).toEqual([]);
    });

    it('updates any subset of the fields, replacing memberships and the password hash', async () => {
      const { id: alice } = value(await store.createAgent(ACME, ACME_ADMIN, agent('alice', ['support'])));
      const patch = decodeOrThrow(AgentPatch);
      const updated = value(
        await store.updateAgent(ACME, ACME_ADMIN, alice, patch({ capacity: 5, groupIds: ['sales'] })),
      );
      expect(updated).toMatchObject({ username: 'alice', capacity: 5, groupIds: ['sales'] });
      expect(value(await store.findAgentByUsername(ACME, 'alice')).passwordHash).toBe(await fakeHash('pw-alice'));
      value(await store.updateAgent(ACME, ACME_ADMIN, alice, patch({ password: 'new secret', name: 'Al' })));
      const login = value(await store.findAgentByUsername(ACME, 'alice'));
      expect(login).toMatchObject({ name: 'Al', capacity: 5 });
      expect(login.passwordHash).toBe(await fakeHash('new secret'));
      expect((await store.agentsOfGroup(ACME, 'sales')).map((a) => a.id)).toEqual([alice]);
      expect(await store.agentsOfGroup(ACME, 'support')).toEqual([]);
      expect(errorOf(await store.updateAgent(ACME, ACME_ADMIN, alice, patch({ groupIds: ['nope'] })))).toBe(
        'unknown_group',
      );
      expect(errorOf(await store.updateAgent(ACME, ACME_ADMIN, 'nobody', patch({ capacity: 1 })))).toBe('not_found');
    });

    it('audits agent changes without passwords or hashes', async () => {
      const { id: alice } = value(await store.createAgent(ACME, ACME_ADMIN, agent('alice', ['support'])));
      value(await store.updateAgent(ACME, ACME_ADMIN, alice, decodeOrThrow(AgentPatch)({ password: 'changed-pw' })));
      const rows = (await auditRows(ACME)).filter((r) => r.entity === 'agent' && r.entity_id === alice);
      expect(rows.map((r) => [r.actor_id, r.action])).toEqual([
        [ACME_ADMIN, 'create'],
        [ACME_ADMIN, 'update'],
      ]);
      expect(rows[0]?.details).toEqual({ username: 'alice', role: 'agent', groupIds: ['support'], capacity: 3 });
      expect(rows[1]?.details).toEqual({ passwordChanged: true });
      expect(JSON.stringify(await auditRows(ACME))).not.toMatch(/pw-alice|changed-pw|fake\$/);
    });

    it('deletes an agent with its memberships and personal canned responses', async () => {
      const { id: alice } = value(await store.createAgent(ACME, ACME_ADMIN, agent('alice', ['support'])));
      value(
        await store.createCannedResponse(
          ACME,
          alice,
          newCannedResponse({ shortcut: 'hi', text: 'Hello!', scope: 'personal' }),
        ),
      );
      value(await store.deleteAgent(ACME, ACME_ADMIN, alice));
      expect(errorOf(await store.agentById(ACME, alice))).toBe('not_found');
      expect(await store.agentsOfGroup(ACME, 'support')).toEqual([]);
      const { rows } = await fixture.knex.raw<{ rows: unknown[] }>(
        `select * from "${fixture.schema}".canned_responses where owner_agent_id = ?`,
        [alice],
      );
      expect(rows).toEqual([]);
      expect(errorOf(await store.deleteAgent(ACME, ACME_ADMIN, alice))).toBe('not_found');
    });

    it('keeps the last admin of a company', async () => {
      const patch = decodeOrThrow(AgentPatch);
      expect(errorOf(await store.deleteAgent(ACME, ACME_ADMIN, ACME_ADMIN))).toBe('conflict');
      expect(errorOf(await store.updateAgent(ACME, ACME_ADMIN, ACME_ADMIN, patch({ role: 'agent' })))).toBe('conflict');
      const { id: second } = value(await store.createAgent(ACME, ACME_ADMIN, agent('boss', [], 'admin')));
      value(await store.updateAgent(ACME, ACME_ADMIN, ACME_ADMIN, patch({ role: 'agent' })));
      expect(errorOf(await store.deleteAgent(ACME, ACME_ADMIN, second))).toBe('conflict');
      value(await store.updateAgent(ACME, second, ACME_ADMIN, patch({ role: 'admin' })));
      value(await store.deleteAgent(ACME, ACME_ADMIN, second));
    });

    it('stores supervisors, and no more keeps the last admin by demoting it to one', async () => {
      const patch = decodeOrThrow(AgentPatch);
      const { id: sue } = value(await store.createAgent(ACME, ACME_ADMIN, agent('sue', [], 'supervisor')));
      expect((await store.listAgents(ACME)).find((a) => a.id === sue)?.role).toBe('supervisor');
      expect(errorOf(await store.updateAgent(ACME, ACME_ADMIN, ACME_ADMIN, patch({ role: 'supervisor' })))).toBe(
        'conflict',
      );
      value(await store.updateAgent(ACME, ACME_ADMIN, sue, patch({ role: 'agent' })));
    });

    describe('token versions', () => {
      const patch = decodeOrThrow(AgentPatch);
      const versionOf = async (agentId: string) => (await store.tokenVersions(ACME)).get(agentId);
      const loginVersion = async (username: string) =>
        value(await store.findAgentByUsername(ACME, username)).tokenVersion;

      it('starts every agent, supervisor and admin at 0, per company, and the login gives it', async () => {
        const { id: alice } = value(await store.createAgent(ACME, ACME_ADMIN, agent('alice', ['support'])));
        const { id: sue } = value(await store.createAgent(ACME, ACME_ADMIN, agent('sue', [], 'supervisor')));
        expect(Object.fromEntries(await store.tokenVersions(ACME))).toEqual({ [ACME_ADMIN]: 0, [alice]: 0, [sue]: 0 });
        expect(Object.fromEntries(await store.tokenVersions(GLOBEX))).toEqual({ [GLOBEX_ADMIN]: 0 });
        expect(await loginVersion('alice')).toBe(0);
        expect(await store.tokenVersions('initech')).toEqual(new Map());
      });

      it('moves with a role or password change and a logout, each an audited write moving the configuration version', async () => {
        const { id: alice } = value(await store.createAgent(ACME, ACME_ADMIN, agent('alice', ['support'])));
        const moves = async (write: () => Promise<unknown>, by: number) => {
          const [version, config] = [await versionOf(alice), await store.configVersion(ACME)];
          await write();
          expect(await versionOf(alice)).toBe((version ?? 0) + by);
          expect(await store.configVersion(ACME)).not.toBe(config);
        };
        await moves(
          async () => value(await store.updateAgent(ACME, ACME_ADMIN, alice, patch({ role: 'supervisor' }))),
          1,
        );
        await moves(
          async () => value(await store.updateAgent(ACME, ACME_ADMIN, alice, patch({ password: 'another pw' }))),
          1,
        );
        await moves(async () => value(await store.revokeTokens(ACME, alice, alice)), 1);
        // A role set to the one it has, and any other field, keep the tokens (an admin form saving a capacity).
        await moves(
          async () => value(await store.updateAgent(ACME, ACME_ADMIN, alice, patch({ role: 'supervisor' }))),
          0,
        );
        await moves(
          async () =>
            value(await store.updateAgent(ACME, ACME_ADMIN, alice, patch({ capacity: 4, name: 'Al', groupIds: [] }))),
          0,
        );
        // Role and password at once: one move.
        await moves(
          async () =>
            value(await store.updateAgent(ACME, ACME_ADMIN, alice, patch({ role: 'agent', password: 'third pw!' }))),
          1,
        );
        expect(await loginVersion('alice')).toBe(4);
        const rows = (await auditRows(ACME)).filter((r) => r.entity === 'agent' && r.entity_id === alice);
        expect(
          rows.filter((r) => JSON.stringify(r.details) === '{"tokensRevoked":true}').map((r) => r.actor_id),
        ).toEqual([alice]);
      });

      it('has none for a deleted agent, so that every token of it is refused', async () => {
        const { id: alice } = value(await store.createAgent(ACME, ACME_ADMIN, agent('alice', ['support'])));
        value(await store.revokeTokens(ACME, alice, alice));
        value(await store.deleteAgent(ACME, ACME_ADMIN, alice));
        expect(await versionOf(alice)).toBeUndefined();
        expect((await store.tokenVersions(ACME)).has(ACME_ADMIN)).toBe(true);
      });

      it('refuses a logout of an unknown agent or company, writing nothing', async () => {
        const before = await auditCount(ACME);
        const config = await store.configVersion(ACME);
        expect(errorOf(await store.revokeTokens(ACME, 'nobody', 'nobody'))).toBe('not_found');
        expect(errorOf(await store.revokeTokens('initech', 'x', 'x'))).toBe('not_found');
        expect(await auditCount(ACME)).toBe(before);
        expect(await store.configVersion(ACME)).toBe(config);
      });

      it('refuses a role change that would leave no admin without moving the version', async () => {
        expect(errorOf(await store.updateAgent(ACME, ACME_ADMIN, ACME_ADMIN, patch({ role: 'agent' })))).toBe(
          'conflict',
        );
        expect(await versionOf(ACME_ADMIN)).toBe(0);
      });
    });
  });

  describe('channel accounts', () => {
    beforeEach(async () => {
      value(await store.createGroup(ACME, ACME_ADMIN, newGroup({ name: 'Support' }), { id: id('support') }));
      value(await store.createGroup(ACME, ACME_ADMIN, newGroup({ name: 'China' }), { id: id('china') }));
    });
    const telegram = (credentials: Record<string, unknown> = { botToken: SECRET }) =>
      newChannelAccount({ platform: 'telegram', name: 'Telegram bot', groupId: 'support', credentials });

    it('answers the id and the webhook path, and never shows the credentials', async () => {
      const created = value(await store.createChannelAccount(ACME, ACME_ADMIN, telegram()));
      expect(created.webhookPath).toBe(`/webhooks/telegram/${created.id}`);
      const expected = {
        id: created.id,
        platform: 'telegram',
        name: 'Telegram bot',
        groupId: 'support',
        enabled: true,
        hasCredentials: true,
        webhookPath: created.webhookPath,
        createdAt: expect.any(String) as unknown,
      };
      expect(value(await store.getChannelAccount(ACME, created.id))).toEqual(expected);
      expect(await store.listChannelAccounts(ACME)).toEqual([expected]);
      expect(JSON.stringify([await store.listChannelAccounts(ACME), await auditRows(ACME)])).not.toContain(SECRET);
    });

    it('gives the workers the credentials, of their company only', async () => {
      const { id: tg } = value(await store.createChannelAccount(ACME, ACME_ADMIN, telegram()));
      expect(value(await store.channelAccountCredentials(ACME, tg))).toEqual({
        id: tg,
        platform: 'telegram',
        enabled: true,
        credentials: { botToken: SECRET },
      });
      expect(errorOf(await store.channelAccountCredentials(GLOBEX, tg))).toBe('not_found');
    });

    it('finds the account a webhook path names, with its company and group, by id alone', async () => {
      const { id: tg } = value(await store.createChannelAccount(ACME, ACME_ADMIN, telegram()));
      expect(value(await store.channelAccountById(tg))).toEqual({
        companyId: ACME,
        id: tg,
        platform: 'telegram',
        enabled: true,
        groupId: 'support',
        credentials: { botToken: SECRET },
      });
      expect(errorOf(await store.channelAccountById('no-such-account'))).toBe('not_found');
    });

    it('updates name, group, credentials and enabled, and refuses an unknown group', async () => {
      const { id: tg } = value(await store.createChannelAccount(ACME, ACME_ADMIN, telegram({})));
      expect(value(await store.getChannelAccount(ACME, tg)).hasCredentials).toBe(false);
      const patch = decodeOrThrow(ChannelAccountPatch);
      const updated = value(
        await store.updateChannelAccount(
          ACME,
          ACME_ADMIN,
          tg,
          patch({ groupId: 'china', credentials: { token: 'x' } }),
        ),
      );
      expect(updated).toMatchObject({ groupId: 'china', hasCredentials: true, enabled: true, name: 'Telegram bot' });
      expect(value(await store.channelAccountCredentials(ACME, tg)).credentials).toEqual({ token: 'x' });
      expect(value(await store.updateChannelAccount(ACME, ACME_ADMIN, tg, patch({ enabled: false }))).enabled).toBe(
        false,
      );
      expect(errorOf(await store.updateChannelAccount(ACME, ACME_ADMIN, tg, patch({ groupId: 'nope' })))).toBe(
        'unknown_group',
      );
      expect(errorOf(await store.createChannelAccount(ACME, ACME_ADMIN, { ...telegram(), groupId: id('nope') }))).toBe(
        'unknown_group',
      );
      const audited = (await auditRows(ACME)).filter((r) => r.entity === 'channel_account');
      expect(audited.map((r) => r.details)).toEqual([
        { platform: 'telegram', name: 'Telegram bot', groupId: 'support', hasCredentials: false },
        { groupId: 'china', credentialsChanged: true },
        { enabled: false },
      ]);
    });

    it('routes enabled accounts to their groups and web visitors to the default group', async () => {
      expect(await store.channelRouting(ACME)).toEqual({ accountGroups: {} });
      const { id: tg } = value(await store.createChannelAccount(ACME, ACME_ADMIN, telegram()));
      const { id: wx } = value(
        await store.createChannelAccount(
          ACME,
          ACME_ADMIN,
          newChannelAccount({ platform: 'wechat', name: 'WeChat', groupId: 'china', credentials: {} }),
        ),
      );
      value(await store.updateSettings(ACME, ACME_ADMIN, settingsPatch({ defaultGroupId: 'support' })));
      expect(await store.channelRouting(ACME)).toEqual({
        defaultGroupId: 'support',
        accountGroups: { [tg]: 'support', [wx]: 'china' },
      });
      value(
        await store.updateChannelAccount(ACME, ACME_ADMIN, wx, decodeOrThrow(ChannelAccountPatch)({ enabled: false })),
      );
      expect(await store.channelRouting(ACME)).toEqual({
        defaultGroupId: 'support',
        accountGroups: { [tg]: 'support' },
      });
      expect(await store.channelRouting(GLOBEX)).toEqual({ accountGroups: {} });
      value(await store.deleteChannelAccount(ACME, ACME_ADMIN, tg));
      expect(errorOf(await store.getChannelAccount(ACME, tg))).toBe('not_found');
    });
  });

  describe('working hours', () => {
    beforeEach(async () => {
      value(await store.createGroup(ACME, ACME_ADMIN, newGroup({ name: 'Support' }), { id: id('support') }));
      value(await store.createGroup(ACME, ACME_ADMIN, newGroup({ name: 'Sales' }), { id: id('sales') }));
    });

    it('stores a regular and an irregular schedule of a group and gives the calendar both', async () => {
      const { id: r } = value(await store.createWorkingHours(ACME, ACME_ADMIN, regular('support')));
      const { id: i } = value(await store.createWorkingHours(ACME, ACME_ADMIN, irregular('support')));
      expect(value(await store.getWorkingHours(ACME, r))).toEqual({ id: r, companyId: 'acme', ...regular('support') });
      expect(await store.hoursOfGroup(ACME, 'support')).toEqual({
        regular: { id: r, companyId: 'acme', ...regular('support') },
        irregular: { id: i, companyId: 'acme', ...irregular('support') },
      });
      expect(await store.hoursOfGroup(ACME, 'sales')).toEqual({});
      expect((await store.listWorkingHours(ACME)).map((w) => w.id)).toEqual([i, r]);
      expect((await auditRows(ACME)).filter((a) => a.entity === 'working_hours').map((a) => a.entity_id)).toEqual([
        r,
        i,
      ]);
    });

    it('refuses a second schedule of the same group and type with working_hours_exists', async () => {
      value(await store.createWorkingHours(ACME, ACME_ADMIN, regular('support')));
      const before = await auditCount(ACME);
      expect(await store.createWorkingHours(ACME, ACME_ADMIN, regular('support', '10:00'))).toEqual(
        left({ code: 'working_hours_exists', message: 'group support already has its regular schedule' }),
      );
      expect(await auditCount(ACME)).toBe(before);
      value(await store.createWorkingHours(ACME, ACME_ADMIN, regular('sales')));
      expect(errorOf(await store.createWorkingHours(ACME, ACME_ADMIN, regular('nope')))).toBe('unknown_group');
    });

    it('replaces a schedule, and refuses to make it a type its group has', async () => {
      const { id: r } = value(await store.createWorkingHours(ACME, ACME_ADMIN, regular('support')));
      const { id: i } = value(await store.createWorkingHours(ACME, ACME_ADMIN, irregular('support')));
      const replaced = value(await store.updateWorkingHours(ACME, ACME_ADMIN, r, regular('support', '08:00')));
      expect(replaced).toEqual({ id: r, companyId: 'acme', ...regular('support', '08:00') });
      expect(await store.updateWorkingHours(ACME, ACME_ADMIN, i, regular('support'))).toEqual(
        left({ code: 'working_hours_exists', message: 'group support already has its regular schedule' }),
      );
      value(await store.updateWorkingHours(ACME, ACME_ADMIN, i, irregular('sales')));
      expect(await store.hoursOfGroup(ACME, 'sales')).toEqual({
        irregular: { id: i, companyId: 'acme', ...irregular('sales') },
      });
      expect(errorOf(await store.updateWorkingHours(ACME, ACME_ADMIN, 'nope', regular('sales')))).toBe('not_found');
      value(await store.deleteWorkingHours(ACME, ACME_ADMIN, r));
      expect(await store.hoursOfGroup(ACME, 'support')).toEqual({});
      expect(errorOf(await store.deleteWorkingHours(ACME, ACME_ADMIN, r))).toBe('not_found');
    });

    it('lets exactly one of several concurrent schedules of one group and type in', async () => {
      const results = await Promise.all(
        ['08:00', '09:00', '10:00', '11:00'].map((from) =>
          store.createWorkingHours(ACME, ACME_ADMIN, regular('support', from)),
        ),
      );
      expect(results.map(errorOf).sort()).toEqual([
        'ok',
        'working_hours_exists',
        'working_hours_exists',
        'working_hours_exists',
      ]);
      expect((await store.listWorkingHours(ACME, 'support')).length).toBe(1);
      expect((await auditRows(ACME)).filter((a) => a.entity === 'working_hours').length).toBe(1);
    });

    // Needs two connections at once: PGlite has one, so the test exists for PostgreSQL only.
    if (options.concurrentConnections)
      it('turns the unique violation of a schedule committed meanwhile into working_hours_exists', async () => {
        // Another transaction adds the group's regular schedule and holds it uncommitted: the store reads no
        // schedule, so the domain rule lets its insert through, which then waits on the unique index.
        const other = await fixture.knex.transaction();
        try {
          await other.raw(
            `insert into "${fixture.schema}".working_hours (company_id, id, group_id, type, time_zone, spec)
             values ('acme', 'racer', 'support', 'regular', 'UTC', '[]')`,
          );
          const pending = store.createWorkingHours(ACME, ACME_ADMIN, regular('support'));
          await waitForLockWait(fixture.knex, `"${fixture.schema}".working_hours`);
          await other.commit();
          expect(await pending).toEqual(
            left({ code: 'working_hours_exists', message: 'group support already has its regular schedule' }),
          );
        } finally {
          if (!other.isCompleted()) await other.rollback();
        }
        expect((await store.listWorkingHours(ACME)).map((w) => w.id)).toEqual(['racer']);
      });
  });

  describe('suggested questions', () => {
    it('keeps the configured list in its order and replaces it whole', async () => {
      expect(await store.getSuggestedQuestions(ACME)).toEqual([]);
      expect(
        value(await store.setSuggestedQuestions(ACME, ACME_ADMIN, ['Where is my order?', 'Opening hours?'])),
      ).toEqual(['Where is my order?', 'Opening hours?']);
      expect(await store.getSuggestedQuestions(ACME)).toEqual(['Where is my order?', 'Opening hours?']);
      value(await store.setSuggestedQuestions(ACME, ACME_ADMIN, ['Refunds?']));
      expect(await store.getSuggestedQuestions(ACME)).toEqual(['Refunds?']);
      expect(await store.getSuggestedQuestions(GLOBEX)).toEqual([]);
      value(await store.setSuggestedQuestions(ACME, ACME_ADMIN, []));
      expect(await store.getSuggestedQuestions(ACME)).toEqual([]);
      expect((await auditRows(ACME)).filter((a) => a.entity === 'suggested_questions').length).toBe(3);
    });
  });

  describe('FAQ', () => {
    it('creates entries with defaults, updates, lists enabled ones, deletes', async () => {
      const { id: faq } = value(
        await store.createFaqEntry(ACME, ACME_ADMIN, newFaqEntry({ question: 'Opening hours?', answer: '9 to 6' })),
      );
      const { id: off } = value(
        await store.createFaqEntry(
          ACME,
          ACME_ADMIN,
          newFaqEntry({
            question: 'Refunds?',
            alternatives: ['Money back?'],
            answer: '30 days',
            tags: ['billing'],
            enabled: false,
          }),
        ),
      );
      expect(value(await store.getFaqEntry(ACME, faq))).toEqual({
        id: faq,
        question: 'Opening hours?',
        alternatives: [],
        answer: '9 to 6',
        tags: [],
        enabled: true,
        updatedAt: expect.any(String) as unknown,
      });
      expect((await store.listFaqEntries(ACME)).map((e) => e.id)).toEqual([faq, off]);
      expect((await store.listFaqEntries(ACME, { enabledOnly: true })).map((e) => e.id)).toEqual([faq]);
      const updated = value(
        await store.updateFaqEntry(
          ACME,
          ACME_ADMIN,
          off,
          decodeOrThrow(FaqEntryPatch)({ enabled: true, tags: ['money'] }),
        ),
      );
      expect(updated).toMatchObject({
        question: 'Refunds?',
        alternatives: ['Money back?'],
        tags: ['money'],
        enabled: true,
      });
      value(await store.deleteFaqEntry(ACME, ACME_ADMIN, faq));
      expect((await store.listFaqEntries(ACME)).map((e) => e.id)).toEqual([off]);
      expect(errorOf(await store.updateFaqEntry(ACME, ACME_ADMIN, faq, {}))).toBe('not_found');
      expect((await auditRows(ACME)).filter((a) => a.entity === 'faq_entry').map((a) => a.action)).toEqual([
        'create',
        'create',
        'update',
        'delete',
      ]);
    });
  });

  describe("the unanswered-questions report's one click and dismissals", () => {
    it('adds one alternative to an FAQ entry, once whatever its case and spaces, audited, moving the knowledge version', async () => {
      const { id: faq } = value(
        await store.createFaqEntry(ACME, ACME_ADMIN, newFaqEntry({ question: 'Refunds?', answer: '30 days' })),
      );
      const before = value(await store.getFaqEntry(ACME, faq));
      const version = await store.knowledgeVersion(ACME);
      const added = value(await store.addFaqAlternative(ACME, ACME_ADMIN, faq, '  Money back?  '));
      expect(added).toMatchObject({ question: 'Refunds?', alternatives: ['Money back?'], answer: '30 days' });
      expect(added.updatedAt >= before.updatedAt).toBe(true);
      expect(await store.knowledgeVersion(ACME)).not.toBe(version);
      // The same text again, or the entry's own question, changes nothing and is not audited.
      const audits = (await auditRows(ACME)).length;
      expect(value(await store.addFaqAlternative(ACME, ACME_ADMIN, faq, 'money   BACK?'))).toEqual(added);
      expect(value(await store.addFaqAlternative(ACME, ACME_ADMIN, faq, 'refunds?'))).toEqual(added);
      expect((await auditRows(ACME)).length).toBe(audits);
      expect((await auditRows(ACME)).filter((a) => a.entity === 'faq_entry').at(-1)?.details).toEqual({
        addedAlternative: 'Money back?',
      });
      expect(errorOf(await store.addFaqAlternative(ACME, ACME_ADMIN, 'nope', 'x'))).toBe('not_found');
      expect(errorOf(await store.addFaqAlternative(GLOBEX, GLOBEX_ADMIN, faq, 'x'))).toBe('not_found');
    });

    it('refuses an alternative beyond the 100 an entry may have', async () => {
      const alternatives = Array.from({ length: 100 }, (_, i) => `way ${i}`);
      const { id: faq } = value(
        await store.createFaqEntry(ACME, ACME_ADMIN, newFaqEntry({ question: 'Full?', answer: 'yes', alternatives })),
      );
      expect(errorOf(await store.addFaqAlternative(ACME, ACME_ADMIN, faq, 'one more'))).toBe('bad_request');
      expect(value(await store.addFaqAlternative(ACME, ACME_ADMIN, faq, 'WAY 7')).alternatives).toHaveLength(100);
    });

    it('adds one phrase to an intent, once whatever its case and spaces, audited', async () => {
      const { id: intent } = value(
        await store.createIntent(
          ACME,
          ACME_ADMIN,
          newIntent({ name: 'refund', phrases: ['refund please'], action: 'answer', answer: '30 days' }),
        ),
      );
      const added = value(await store.addIntentPhrase(ACME, ACME_ADMIN, intent, 'I want my money back'));
      expect(added).toMatchObject({ phrases: ['refund please', 'I want my money back'], answer: '30 days' });
      const audits = (await auditRows(ACME)).length;
      expect(value(await store.addIntentPhrase(ACME, ACME_ADMIN, intent, ' REFUND  please'))).toEqual(added);
      expect((await auditRows(ACME)).length).toBe(audits);
      expect(errorOf(await store.addIntentPhrase(ACME, ACME_ADMIN, 'nope', 'x'))).toBe('not_found');
      expect(errorOf(await store.addIntentPhrase(GLOBEX, GLOBEX_ADMIN, intent, 'x'))).toBe('not_found');
    });

    it('keeps the dismissed questions folded, per company, a second dismissal moving the time', async () => {
      const first = value(await store.dismissUnansweredQuestion(ACME, ACME_ADMIN, '  ASDF   qwer '));
      expect(first.question).toBe('asdf qwer');
      const again = value(await store.dismissUnansweredQuestion(ACME, ACME_ADMIN, 'asdf qwer'));
      expect(again.dismissedAt >= first.dismissedAt).toBe(true);
      expect(await store.listUnansweredDismissals(ACME)).toEqual([again]);
      expect(await store.listUnansweredDismissals(GLOBEX)).toEqual([]);
      expect((await auditRows(ACME)).filter((a) => a.entity === 'unanswered_question')).toHaveLength(2);
    });
  });

  describe('intents', () => {
    const refund = () =>
      newIntent({
        name: 'refund',
        phrases: ['I want my money back', 'refund please'],
        action: 'answer',
        answer: '30 days',
      });

    it('creates intents with defaults, lists them by name, updates and deletes them, each change audited', async () => {
      const { id: refundId } = value(await store.createIntent(ACME, ACME_ADMIN, refund()));
      const { id: human } = value(
        await store.createIntent(
          ACME,
          ACME_ADMIN,
          newIntent({ name: 'human', phrases: ['talk to a person'], action: 'transfer', enabled: false }),
        ),
      );
      const { id: bye } = value(
        await store.createIntent(ACME, ACME_ADMIN, newIntent({ name: 'bye', phrases: ['goodbye'], action: 'end' }), {
          id: id('bye'),
        }),
      );
      expect(bye).toBe('bye');
      expect(value(await store.getIntent(ACME, refundId))).toEqual({
        id: refundId,
        name: 'refund',
        phrases: ['I want my money back', 'refund please'],
        action: 'answer',
        answer: '30 days',
        enabled: true,
        updatedAt: expect.stringMatching(/Z$/) as unknown,
      });
      expect(await store.listIntents(ACME)).toEqual([
        {
          id: bye,
          name: 'bye',
          phrases: ['goodbye'],
          action: 'end',
          enabled: true,
          updatedAt: expect.any(String) as unknown,
        },
        expect.objectContaining({ id: human, name: 'human', action: 'transfer', enabled: false }),
        expect.objectContaining({ id: refundId, name: 'refund' }),
      ]);
      expect((await store.listIntents(ACME, { enabledOnly: true })).map((i) => i.id)).toEqual([bye, refundId]);
      expect(await store.listIntents(GLOBEX)).toEqual([]);

      const before = value(await store.getIntent(ACME, human)).updatedAt;
      await new Promise((resolve) => setTimeout(resolve, 5));
      const updated = value(
        await store.updateIntent(
          ACME,
          ACME_ADMIN,
          human,
          intentPatch({ name: 'agent', phrases: ['a human please', 'operator'], enabled: true }),
        ),
      );
      expect(updated).toEqual({
        id: human,
        name: 'agent',
        phrases: ['a human please', 'operator'],
        action: 'transfer',
        enabled: true,
        updatedAt: expect.any(String) as unknown,
      });
      expect(Date.parse(updated.updatedAt)).toBeGreaterThan(Date.parse(before));
      expect(value(await store.updateIntent(ACME, ACME_ADMIN, refundId, intentPatch({})))).toMatchObject({
        name: 'refund',
        answer: '30 days',
      });
      expect((await store.listIntents(ACME)).map((i) => i.name)).toEqual(['agent', 'bye', 'refund']);

      value(await store.deleteIntent(ACME, ACME_ADMIN, bye));
      expect((await store.listIntents(ACME)).map((i) => i.id)).toEqual([human, refundId]);
      expect(errorOf(await store.getIntent(ACME, bye))).toBe('not_found');
      expect(errorOf(await store.updateIntent(ACME, ACME_ADMIN, bye, intentPatch({ enabled: false })))).toBe(
        'not_found',
      );
      expect(await store.deleteIntent(ACME, ACME_ADMIN, bye)).toEqual(
        left({ code: 'not_found', message: 'intent bye not found' }),
      );
      expect(errorOf(await store.createIntent('initech', 'x', refund()))).toBe('not_found');
      expect(
        (await auditRows(ACME)).filter((a) => a.entity === 'intent').map((a) => [a.action, a.entity_id, a.actor_id]),
      ).toEqual([
        ['create', refundId, ACME_ADMIN],
        ['create', human, ACME_ADMIN],
        ['create', bye, ACME_ADMIN],
        ['update', human, ACME_ADMIN],
        ['update', refundId, ACME_ADMIN],
        ['delete', bye, ACME_ADMIN],
      ]);
      expect((await auditRows(ACME)).find((a) => a.entity === 'intent')?.details).toEqual({
        name: 'refund',
        phrases: ['I want my money back', 'refund please'],
        action: 'answer',
        answer: '30 days',
      });
    });

    it('wants an answer with the action answer, takes a farewell with end, and refuses one with transfer', async () => {
      const audited = await auditCount(ACME);
      expect(
        await store.createIntent(
          ACME,
          ACME_ADMIN,
          newIntent({ name: 'refund', phrases: ['refund'], action: 'answer' }),
        ),
      ).toEqual(left({ code: 'bad_request', message: 'an intent whose action is answer needs an answer' }));
      expect(
        await store.createIntent(
          ACME,
          ACME_ADMIN,
          newIntent({ name: 'human', phrases: ['human'], action: 'transfer', answer: 'One moment' }),
        ),
      ).toEqual(left({ code: 'bad_request', message: 'an intent whose action is transfer has no answer' }));
      expect(await store.listIntents(ACME)).toEqual([]);
      expect(await auditCount(ACME)).toBe(audited);

      const { id: human } = value(
        await store.createIntent(
          ACME,
          ACME_ADMIN,
          newIntent({ name: 'human', phrases: ['human'], action: 'transfer' }),
        ),
      );
      const { id: refundId } = value(await store.createIntent(ACME, ACME_ADMIN, refund()));
      // Turning a transfer into an answer needs the answer in the same patch.
      expect(errorOf(await store.updateIntent(ACME, ACME_ADMIN, human, intentPatch({ action: 'answer' })))).toBe(
        'bad_request',
      );
      expect(errorOf(await store.updateIntent(ACME, ACME_ADMIN, human, intentPatch({ answer: 'Hello' })))).toBe(
        'bad_request',
      );
      expect(
        errorOf(
          await store.updateIntent(ACME, ACME_ADMIN, refundId, intentPatch({ action: 'transfer', answer: 'Hi' })),
        ),
      ).toBe('bad_request');
      expect(value(await store.getIntent(ACME, human))).not.toHaveProperty('answer');
      expect(
        value(await store.updateIntent(ACME, ACME_ADMIN, human, intentPatch({ action: 'answer', answer: 'Hello' }))),
      ).toMatchObject({ action: 'answer', answer: 'Hello' });
      // An answer intent keeps its answer through other changes, and may change it alone.
      expect(
        value(await store.updateIntent(ACME, ACME_ADMIN, refundId, intentPatch({ answer: '60 days' }))),
      ).toMatchObject({ action: 'answer', answer: '60 days' });
      // An end keeps it as its farewell; a transfer drops it.
      const ended = value(await store.updateIntent(ACME, ACME_ADMIN, refundId, intentPatch({ action: 'end' })));
      expect(ended).toMatchObject({ action: 'end', answer: '60 days' });
      const transferred = value(
        await store.updateIntent(ACME, ACME_ADMIN, refundId, intentPatch({ action: 'transfer' })),
      );
      expect(transferred.action).toBe('transfer');
      expect(transferred).not.toHaveProperty('answer');
      expect(value(await store.getIntent(ACME, refundId))).not.toHaveProperty('answer');
    });

    it('refuses a name taken in the company with a conflict, and not one of another company', async () => {
      const { id: first } = value(await store.createIntent(ACME, ACME_ADMIN, refund()));
      const audited = await auditCount(ACME);
      expect(await store.createIntent(ACME, ACME_ADMIN, refund())).toEqual(
        left({ code: 'conflict', message: 'an intent named refund exists' }),
      );
      expect(errorOf(await store.createIntent(ACME, ACME_ADMIN, refund(), { id: id(first) }))).toBe('conflict');
      value(await store.createIntent(GLOBEX, GLOBEX_ADMIN, refund()));
      const { id: other } = value(
        await store.createIntent(ACME, ACME_ADMIN, newIntent({ name: 'bye', phrases: ['bye'], action: 'end' })),
      );
      expect(await store.updateIntent(ACME, ACME_ADMIN, other, intentPatch({ name: 'refund' }))).toEqual(
        left({ code: 'conflict', message: 'an intent named refund exists' }),
      );
      // Its own name is no conflict.
      value(await store.updateIntent(ACME, ACME_ADMIN, first, intentPatch({ name: 'refund' })));
      expect((await store.listIntents(ACME)).map((i) => i.name)).toEqual(['bye', 'refund']);
      expect((await auditRows(ACME)).slice(audited).map((a) => [a.action, a.entity_id])).toEqual([
        ['create', other],
        ['update', first],
      ]);
    });
  });

  describe('knowledge version', () => {
    it('changes with every write of FAQ entries, intents and suggested questions, deletes included', async () => {
      const seen: string[] = [await store.knowledgeVersion(ACME)];
      const globex = await store.knowledgeVersion(GLOBEX);
      /** The version after a write: one never seen before. */
      const changed = async () => {
        const version = await store.knowledgeVersion(ACME);
        expect(seen).not.toContain(version);
        seen.push(version);
      };
      const unchanged = async () => expect(await store.knowledgeVersion(ACME)).toBe(seen.at(-1));

      const { id: faq } = value(
        await store.createFaqEntry(ACME, ACME_ADMIN, newFaqEntry({ question: 'Opening hours?', answer: '9 to 6' })),
      );
      await changed();
      value(await store.updateFaqEntry(ACME, ACME_ADMIN, faq, decodeOrThrow(FaqEntryPatch)({ enabled: false })));
      await changed();
      value(await store.deleteFaqEntry(ACME, ACME_ADMIN, faq));
      await changed();
      const { id: intent } = value(
        await store.createIntent(ACME, ACME_ADMIN, newIntent({ name: 'bye', phrases: ['bye'], action: 'end' })),
      );
      await changed();
      value(await store.updateIntent(ACME, ACME_ADMIN, intent, intentPatch({ phrases: ['bye', 'ciao'] })));
      await changed();
      value(await store.deleteIntent(ACME, ACME_ADMIN, intent));
      await changed();
      value(await store.setSuggestedQuestions(ACME, ACME_ADMIN, ['Opening hours?']));
      await changed();
      value(await store.setSuggestedQuestions(ACME, ACME_ADMIN, []));
      await changed();

      // Refusals change nothing, nor do other parts of the configuration.
      expect(errorOf(await store.deleteFaqEntry(ACME, ACME_ADMIN, faq))).toBe('not_found');
      expect(errorOf(await store.deleteIntent(ACME, ACME_ADMIN, intent))).toBe('not_found');
      expect(
        errorOf(await store.createIntent(ACME, ACME_ADMIN, newIntent({ name: 'x', phrases: ['x'], action: 'answer' }))),
      ).toBe('bad_request');
      value(await store.createGroup(ACME, ACME_ADMIN, newGroup({ name: 'Support' })));
      value(await store.updateSettings(ACME, ACME_ADMIN, settingsPatch({ botConfidence: 0.9 })));
      value(
        await store.createCannedResponse(
          ACME,
          ACME_ADMIN,
          newCannedResponse({ shortcut: 'hi', text: 'Hello', scope: 'company' }),
        ),
      );
      await unchanged();

      // Each company has its own.
      expect(await store.knowledgeVersion(GLOBEX)).toBe(globex);
      value(await store.setSuggestedQuestions(GLOBEX, GLOBEX_ADMIN, ['Hi?']));
      expect(await store.knowledgeVersion(GLOBEX)).not.toBe(globex);
      await unchanged();
      expect(await store.knowledgeVersion('initech')).toEqual(expect.any(String));
    });

    it('is a string the bot can compare, the same on every read while nothing changes', async () => {
      const version = await store.knowledgeVersion(ACME);
      expect(typeof version).toBe('string');
      expect(await store.knowledgeVersion(ACME)).toBe(version);
      value(await store.createIntent(ACME, ACME_ADMIN, newIntent({ name: 'bye', phrases: ['bye'], action: 'end' })));
      const after = await store.knowledgeVersion(ACME);
      expect(after).not.toBe(version);
      expect(await store.knowledgeVersion(ACME)).toBe(after);
    });
  });

  describe('config version', () => {
    it('moves with every audited write of any entity, never back to an earlier value', async () => {
      const seen: string[] = [await store.configVersion(ACME)];
      /** After a write: a version greater than every one seen before. */
      const moved = async (what: string): Promise<void> => {
        const version = await store.configVersion(ACME);
        expect({ what, greater: seen.every((earlier) => BigInt(version) > BigInt(earlier)) }).toEqual({
          what,
          greater: true,
        });
        seen.push(version);
      };
      const agentPatch = decodeOrThrow(AgentPatch);

      const group = value(await store.createGroup(ACME, ACME_ADMIN, newGroup({ name: 'Support' }))).id;
      await moved('group created');
      const other = value(await store.createGroup(ACME, ACME_ADMIN, newGroup({ name: 'Sales' }))).id;
      value(await store.updateGroup(ACME, ACME_ADMIN, group, decodeOrThrow(GroupPatch)({ name: 'Help' })));
      await moved('group renamed');
      const alice = value(await store.createAgent(ACME, ACME_ADMIN, agent('alice', [group]))).id;
      await moved('agent created');
      value(await store.updateAgent(ACME, ACME_ADMIN, alice, agentPatch({ capacity: 5 })));
      await moved('capacity');
      value(await store.updateAgent(ACME, ACME_ADMIN, alice, agentPatch({ groupIds: [group, other] })));
      await moved("agent's groups");
      value(await store.updateAgent(ACME, ACME_ADMIN, alice, agentPatch({ role: 'admin' })));
      await moved('role');
      value(await store.updateSettings(ACME, ACME_ADMIN, settingsPatch({ defaultGroupId: group })));
      await moved('default group');
      value(await store.updateSettings(ACME, ACME_ADMIN, settingsPatch({ inactivityTimeoutSeconds: 60 })));
      await moved('timeout');
      const account = value(
        await store.createChannelAccount(
          ACME,
          ACME_ADMIN,
          newChannelAccount({ platform: 'telegram', name: 'TG', groupId: group, credentials: {} }),
        ),
      ).id;
      await moved('channel account created');
      const accountPatch = decodeOrThrow(ChannelAccountPatch)({ enabled: false });
      value(await store.updateChannelAccount(ACME, ACME_ADMIN, account, accountPatch));
      await moved('channel account updated');
      value(await store.deleteChannelAccount(ACME, ACME_ADMIN, account));
      await moved('channel account deleted');
      const hours = value(await store.createWorkingHours(ACME, ACME_ADMIN, regular(group))).id;
      await moved('working hours created');
      value(await store.updateWorkingHours(ACME, ACME_ADMIN, hours, regular(group, '10:00')));
      await moved('working hours updated');
      value(await store.deleteWorkingHours(ACME, ACME_ADMIN, hours));
      await moved('working hours deleted');
      value(await store.setSuggestedQuestions(ACME, ACME_ADMIN, ['Q?']));
      await moved('suggested questions');
      const faq = value(await store.createFaqEntry(ACME, ACME_ADMIN, newFaqEntry({ question: 'Q?', answer: 'A' }))).id;
      await moved('FAQ entry created');
      value(await store.updateFaqEntry(ACME, ACME_ADMIN, faq, decodeOrThrow(FaqEntryPatch)({ answer: 'B' })));
      await moved('FAQ entry updated');
      value(await store.deleteFaqEntry(ACME, ACME_ADMIN, faq));
      await moved('FAQ entry deleted');
      const bye = newIntent({ name: 'bye', phrases: ['bye'], action: 'end' });
      const intent = value(await store.createIntent(ACME, ACME_ADMIN, bye)).id;
      await moved('intent created');
      value(await store.updateIntent(ACME, ACME_ADMIN, intent, intentPatch({ phrases: ['ciao'] })));
      await moved('intent updated');
      value(await store.deleteIntent(ACME, ACME_ADMIN, intent));
      await moved('intent deleted');
      const hello = newCannedResponse({ shortcut: 'hi', text: 'Hello', scope: 'company' });
      const canned = value(await store.createCannedResponse(ACME, ACME_ADMIN, hello)).id;
      await moved('canned response created');
      const cannedPatch = decodeOrThrow(CannedResponsePatch)({ text: 'Hi' });
      value(await store.updateCannedResponse(ACME, ACME_ADMIN, canned, cannedPatch));
      await moved('canned response updated');
      value(await store.deleteCannedResponse(ACME, ACME_ADMIN, canned));
      await moved('canned response deleted');
      value(await store.updateSettings(ACME, ACME_ADMIN, settingsPatch({ defaultGroupId: null })));
      await moved('default group cleared');
      value(await store.deleteGroup(ACME, ACME_ADMIN, other));
      await moved('group deleted');
      value(await store.deleteAgent(ACME, ACME_ADMIN, alice));
      await moved('agent deleted');
      expect(await store.configVersion(ACME)).toBe(seen.at(-1));
    });

    it('stays where it was after a refused or rolled-back write', async () => {
      value(await store.createGroup(ACME, ACME_ADMIN, newGroup({ name: 'Support' }), { id: id('support') }));
      const alice = value(await store.createAgent(ACME, ACME_ADMIN, agent('alice', ['support']))).id;
      const before = await store.configVersion(ACME);
      const refused = [
        await store.createGroup(ACME, ACME_ADMIN, newGroup({ name: 'Again' }), { id: id('support') }),
        await store.updateGroup(ACME, ACME_ADMIN, 'nope', decodeOrThrow(GroupPatch)({ name: 'x' })),
        await store.createAgent(ACME, ACME_ADMIN, agent('alice')),
        await store.updateAgent(ACME, ACME_ADMIN, alice, decodeOrThrow(AgentPatch)({ groupIds: ['nope'] })),
        await store.updateAgent(ACME, ACME_ADMIN, ACME_ADMIN, decodeOrThrow(AgentPatch)({ role: 'agent' })),
        await store.deleteAgent(ACME, ACME_ADMIN, 'nope'),
        await store.updateSettings(ACME, ACME_ADMIN, settingsPatch({ defaultGroupId: 'nope' })),
        await store.createWorkingHours(ACME, ACME_ADMIN, regular('nope')),
        await store.createIntent(ACME, ACME_ADMIN, newIntent({ name: 'x', phrases: ['x'], action: 'answer' })),
        await store.createCannedResponse(
          ACME,
          alice,
          newCannedResponse({ shortcut: 'x', text: 'y', scope: 'company' }),
        ),
        await store.deleteGroup(GLOBEX, GLOBEX_ADMIN, 'support'),
      ];
      expect(refused.map(errorOf)).toEqual([
        'conflict',
        'not_found',
        'conflict',
        'unknown_group',
        'conflict',
        'not_found',
        'unknown_group',
        'unknown_group',
        'bad_request',
        'forbidden',
        'not_found',
      ]);
      // A change the database refuses (the codec bypassed) rolls back with its version.
      await expect(store.updateSettings(ACME, ACME_ADMIN, { botConfidence: 2 })).rejects.toThrow();
      expect(await store.configVersion(ACME)).toBe(before);
    });

    it("is each company's own, '0' before any write, and one string on every read while nothing changes", async () => {
      const acme = await store.configVersion(ACME);
      const globex = await store.configVersion(GLOBEX);
      expect(acme).toMatch(/^[1-9][0-9]*$/);
      expect(await store.configVersion(ACME)).toBe(acme);
      value(await store.createGroup(ACME, ACME_ADMIN, newGroup({ name: 'Support' })));
      expect(await store.configVersion(ACME)).not.toBe(acme);
      expect(await store.configVersion(GLOBEX)).toBe(globex);
      value(await store.createGroup(GLOBEX, GLOBEX_ADMIN, newGroup({ name: 'Theirs' })));
      expect(await store.configVersion(GLOBEX)).not.toBe(globex);
      expect(await store.configVersion('initech')).toBe('0');
      value(await store.createCompany(INITECH));
      expect(await store.configVersion('initech')).not.toBe('0');
    });

    // Needs two connections at once: PGlite has one, so the test exists for PostgreSQL only.
    if (options.concurrentConnections)
      it('commits a greater version than a concurrent writer that held the row first', async () => {
        // Another transaction locks the company's version row as a writer of the store does, and takes its version
        // only then; a write of the store waiting on it must not commit the smaller value it could have drawn first.
        const versions = `"${fixture.schema}".config_versions`;
        const other = await fixture.knex.transaction();
        try {
          await other.raw(`select 1 from ${versions} where company_id = 'acme' for update`);
          const pending = store.createGroup(ACME, ACME_ADMIN, newGroup({ name: 'Support' }));
          await waitForLockWait(fixture.knex, versions);
          const { rows } = await other.raw<{ rows: { version: string }[] }>(
            `update ${versions} set version = nextval('"${fixture.schema}".config_version_seq')
             where company_id = 'acme' returning version::text`,
          );
          await other.commit();
          const committedFirst = rows[0]!.version;
          value(await pending);
          expect(BigInt(await store.configVersion(ACME))).toBeGreaterThan(BigInt(committedFirst));
        } finally {
          if (!other.isCompleted()) await other.rollback();
        }
      });
  });

  describe('changes told once committed', () => {
    /** A second store over the fixture's database, with the hook; what its hook saw and what it logged. */
    const hooked = (onCommitted: (change: ConfigChange) => void) => {
      const logged: string[] = [];
      const logger = { error: (_fields: unknown, message: string) => logged.push(message) } as unknown as Logger;
      const hookedStore = new CompanyConfigStore({
        knex: fixture.knex,
        ownsKnex: false,
        schema: fixture.schema,
        hashPassword: fakeHash,
        onCommitted,
        logger,
      });
      return { hookedStore, logged };
    };

    it('tells onCommitted of each audited write after its commit, and of none refused or rolled back', async () => {
      const told: ConfigChange[] = [];
      /** The audit rows of the company as another connection reads them when the hook runs. */
      const seenFromOutside: Promise<number>[] = [];
      const { hookedStore, logged } = hooked((change) => {
        told.push(change);
        seenFromOutside.push(auditCount(change.companyId));
      });
      const group = value(await hookedStore.createGroup(ACME, ACME_ADMIN, newGroup({ name: 'Support' }))).id;
      expect(told).toEqual([{ companyId: ACME, entity: 'group', action: 'create', entityId: group }]);
      const alice = value(await hookedStore.createAgent(ACME, ACME_ADMIN, agent('alice', [group]))).id;
      value(await hookedStore.updateAgent(ACME, ACME_ADMIN, alice, decodeOrThrow(AgentPatch)({ capacity: 5 })));
      value(await hookedStore.updateSettings(ACME, ACME_ADMIN, settingsPatch({ presenceGraceSeconds: 10 })));
      value(await hookedStore.deleteAgent(ACME, ACME_ADMIN, alice));
      value(await hookedStore.createCompany(INITECH, { adminId: id('initech-admin') }));
      const refusedFrom = told.length;
      expect(errorOf(await hookedStore.createAgent(ACME, ACME_ADMIN, agent('bob', ['nope'])))).toBe('unknown_group');
      expect(errorOf(await hookedStore.deleteGroup(ACME, ACME_ADMIN, 'nope'))).toBe('not_found');
      await expect(hookedStore.updateSettings(ACME, ACME_ADMIN, { presenceGraceSeconds: -1 })).rejects.toThrow();
      expect(told.slice(refusedFrom)).toEqual([]);

      expect(told).toEqual([
        { companyId: ACME, entity: 'group', action: 'create', entityId: group },
        { companyId: ACME, entity: 'agent', action: 'create', entityId: alice },
        { companyId: ACME, entity: 'agent', action: 'update', entityId: alice },
        { companyId: ACME, entity: 'settings', action: 'update', entityId: ACME },
        { companyId: ACME, entity: 'agent', action: 'delete', entityId: alice },
        { companyId: 'initech', entity: 'company', action: 'create', entityId: 'initech' },
        { companyId: 'initech', entity: 'agent', action: 'create', entityId: 'initech-admin' },
      ]);
      // Another connection asked from the hook already sees the change: it came after the commit.
      expect(await Promise.all(seenFromOutside)).toEqual([3, 4, 5, 6, 7, 2, 2]);
      expect(logged).toEqual([]);
    });

    it('keeps the write when the hook throws or its promise rejects, and logs it', async () => {
      let calls = 0;
      const { hookedStore, logged } = hooked((change) => {
        calls += 1;
        if (change.entity === 'group') throw new Error('router down');
        return Promise.reject(new Error('router down')) as unknown as void;
      });
      const group = value(await hookedStore.createGroup(ACME, ACME_ADMIN, newGroup({ name: 'Support' }))).id;
      value(await hookedStore.updateSettings(ACME, ACME_ADMIN, settingsPatch({ defaultGroupId: group })));
      await new Promise((resolve) => setImmediate(resolve));
      expect(calls).toBe(2);
      expect(value(await store.getSettings(ACME)).defaultGroupId).toBe(group);
      expect(logged).toEqual([
        'onCommitted failed for the group change of acme',
        'onCommitted failed for the settings change of acme',
      ]);
    });
  });

  describe('canned responses', () => {
    let alice: string;
    let bob: string;
    beforeEach(async () => {
      alice = value(await store.createAgent(ACME, ACME_ADMIN, agent('alice'))).id;
      bob = value(await store.createAgent(ACME, ACME_ADMIN, agent('bob'))).id;
    });
    const canned = (shortcut: string, text: string, scope: 'personal' | 'company') =>
      newCannedResponse({ shortcut, text, scope });

    it("lists the company's responses and the agent's own, searching shortcut and text whatever the case", async () => {
      const { id: greet } = value(
        await store.createCannedResponse(ACME, ACME_ADMIN, canned('greet', 'Hello, how can I help?', 'company')),
      );
      const { id: mine } = value(
        await store.createCannedResponse(ACME, alice, canned('bye', 'Goodbye and 100% thanks', 'personal')),
      );
      const { id: bobs } = value(
        await store.createCannedResponse(ACME, bob, canned('refund', 'Refunds take 5 days', 'personal')),
      );
      const shortcuts = async (agentId: string, query?: string) =>
        (await store.listCannedResponses(ACME, agentId, query)).map((r) => r.id);
      expect(await shortcuts(alice)).toEqual([mine, greet]);
      expect(await shortcuts(bob)).toEqual([greet, bobs]);
      expect(await shortcuts(alice, 'HELLO')).toEqual([greet]);
      expect(await shortcuts(alice, 'By')).toEqual([mine]);
      expect(await shortcuts(alice, 'refund')).toEqual([]);
      expect(await shortcuts(alice, '%')).toEqual([mine]);
      expect(await shortcuts(alice, '_')).toEqual([]);
      expect(await store.listCannedResponses(GLOBEX, alice)).toEqual([]);
      expect((await store.listCannedResponses(ACME, alice)).find((r) => r.id === mine)).toEqual({
        id: mine,
        shortcut: 'bye',
        text: 'Goodbye and 100% thanks',
        scope: 'personal',
        ownerAgentId: alice,
        createdAt: expect.any(String) as unknown,
      });
    });

    it('lets only an admin write company-wide responses', async () => {
      expect(await store.createCannedResponse(ACME, alice, canned('greet', 'Hi', 'company'))).toEqual(
        left({ code: 'forbidden', message: 'only an admin writes company-wide canned responses' }),
      );
      expect(errorOf(await store.createCannedResponse(ACME, GLOBEX_ADMIN, canned('greet', 'Hi', 'company')))).toBe(
        'forbidden',
      );
      expect(await store.listCannedResponses(ACME, ACME_ADMIN)).toEqual([]);
    });

    it('lets an agent change only its personal responses and an admin the company ones', async () => {
      const patch = decodeOrThrow(CannedResponsePatch);
      const { id: company } = value(
        await store.createCannedResponse(ACME, ACME_ADMIN, canned('greet', 'Hi', 'company')),
      );
      const { id: alices } = value(await store.createCannedResponse(ACME, alice, canned('bye', 'Bye', 'personal')));
      expect(value(await store.updateCannedResponse(ACME, alice, alices, patch({ text: 'Bye now' }))).text).toBe(
        'Bye now',
      );
      expect(errorOf(await store.updateCannedResponse(ACME, bob, alices, patch({ text: 'x' })))).toBe('not_found');
      expect(errorOf(await store.updateCannedResponse(ACME, ACME_ADMIN, alices, patch({ text: 'x' })))).toBe(
        'not_found',
      );
      expect(errorOf(await store.updateCannedResponse(ACME, alice, company, patch({ text: 'x' })))).toBe('forbidden');
      expect(
        value(await store.updateCannedResponse(ACME, ACME_ADMIN, company, patch({ shortcut: 'hello' }))).shortcut,
      ).toBe('hello');
      expect(errorOf(await store.deleteCannedResponse(ACME, bob, alices))).toBe('not_found');
      expect(errorOf(await store.deleteCannedResponse(ACME, alice, company))).toBe('forbidden');
      value(await store.deleteCannedResponse(ACME, alice, alices));
      value(await store.deleteCannedResponse(ACME, ACME_ADMIN, company));
      expect(await store.listCannedResponses(ACME, alice)).toEqual([]);
      expect(errorOf(await store.deleteCannedResponse(ACME, alice, alices))).toBe('not_found');
    });

    it('follows the role stored now, not the one a token may still claim', async () => {
      value(await store.updateAgent(ACME, ACME_ADMIN, alice, decodeOrThrow(AgentPatch)({ role: 'admin' })));
      value(await store.createCannedResponse(ACME, alice, canned('greet', 'Hi', 'company')));
      value(await store.updateAgent(ACME, ACME_ADMIN, alice, decodeOrThrow(AgentPatch)({ role: 'agent' })));
      expect(errorOf(await store.createCannedResponse(ACME, alice, canned('greet2', 'Hi', 'company')))).toBe(
        'forbidden',
      );
    });
  });

  describe('settings', () => {
    it('reads defaults, updates any subset, and clears with null', async () => {
      value(await store.createGroup(ACME, ACME_ADMIN, newGroup({ name: 'Support' }), { id: id('support') }));
      expect(
        value(
          await store.updateSettings(
            ACME,
            ACME_ADMIN,
            settingsPatch({ inactivityTimeoutSeconds: 60, greeting: 'Welcome!', defaultGroupId: 'support' }),
          ),
        ),
      ).toEqual({
        ...DEFAULT_SETTINGS,
        inactivityTimeoutSeconds: 60,
        greeting: 'Welcome!',
        defaultGroupId: 'support',
      });
      value(await store.updateSettings(ACME, ACME_ADMIN, settingsPatch({ suggestionCount: 0 })));
      expect(value(await store.getSettings(ACME))).toEqual({
        ...DEFAULT_SETTINGS,
        inactivityTimeoutSeconds: 60,
        greeting: 'Welcome!',
        suggestionCount: 0,
        defaultGroupId: 'support',
      });
      value(await store.updateSettings(ACME, ACME_ADMIN, settingsPatch({ greeting: null, defaultGroupId: null })));
      expect(value(await store.getSettings(ACME))).toEqual({
        ...DEFAULT_SETTINGS,
        inactivityTimeoutSeconds: 60,
        suggestionCount: 0,
      });
      expect(value(await store.getSettings(GLOBEX))).toEqual(DEFAULT_SETTINGS);
      expect((await auditRows(ACME)).filter((a) => a.entity === 'settings').map((a) => a.details)).toEqual([
        { inactivityTimeoutSeconds: 60, greeting: 'Welcome!', defaultGroupId: 'support' },
        { suggestionCount: 0 },
        { greeting: null, defaultGroupId: null },
      ]);
    });

    it('speaks zh-CN until the company chooses en, and back', async () => {
      expect(value(await store.updateSettings(ACME, ACME_ADMIN, settingsPatch({ language: 'en' })))).toEqual({
        ...DEFAULT_SETTINGS,
        language: 'en',
      });
      expect(value(await store.getSettings(ACME)).language).toBe('en');
      expect(value(await store.getSettings(GLOBEX)).language).toBe('zh-CN');
      value(await store.updateSettings(ACME, ACME_ADMIN, settingsPatch({ language: 'zh-CN' })));
      expect(value(await store.getSettings(ACME))).toEqual(DEFAULT_SETTINGS);
      await expect(store.updateSettings(ACME, ACME_ADMIN, { language: 'fr' } as never)).rejects.toThrow();
    });

    it('refuses a default group that is not the company’s', async () => {
      value(await store.createGroup(GLOBEX, GLOBEX_ADMIN, newGroup({ name: 'Theirs' }), { id: id('theirs') }));
      expect(errorOf(await store.updateSettings(ACME, ACME_ADMIN, settingsPatch({ defaultGroupId: 'theirs' })))).toBe(
        'unknown_group',
      );
      expect(value(await store.getSettings(ACME))).toEqual(DEFAULT_SETTINGS);
    });

    const pairs = [
      {
        name: "the bot's confidence and misses before a human",
        set: { botConfidence: 0.35, botMissesBeforeHuman: 5 },
        bounds: [
          { botConfidence: 0, botMissesBeforeHuman: 1 },
          { botConfidence: 1, botMissesBeforeHuman: 10 },
        ],
      },
      {
        name: 'the presence settings',
        set: { presenceGraceSeconds: 45, offlineRequeueSeconds: 600 },
        bounds: [
          { presenceGraceSeconds: 0, offlineRequeueSeconds: 0 },
          { presenceGraceSeconds: 3600, offlineRequeueSeconds: 86_400 },
        ],
      },
    ] as const;
    for (const { name, set, bounds } of pairs)
      it(`keeps ${name}, from their defaults to their bounds, the other settings untouched`, async () => {
        expect(value(await store.updateSettings(ACME, ACME_ADMIN, settingsPatch(set)))).toEqual({
          ...DEFAULT_SETTINGS,
          ...set,
        });
        value(await store.updateSettings(ACME, ACME_ADMIN, settingsPatch({ inactivityTimeoutSeconds: 60 })));
        expect(value(await store.getSettings(ACME))).toEqual({
          ...DEFAULT_SETTINGS,
          inactivityTimeoutSeconds: 60,
          ...set,
        });
        for (const bound of bounds) {
          const patch = settingsPatch(bound);
          expect(value(await store.updateSettings(ACME, ACME_ADMIN, patch))).toMatchObject(patch);
        }
        expect(value(await store.getSettings(GLOBEX))).toEqual(DEFAULT_SETTINGS);
        expect((await auditRows(ACME)).filter((a) => a.entity === 'settings').map((a) => a.details)).toEqual([
          set,
          { inactivityTimeoutSeconds: 60 },
          ...bounds,
        ]);
      });

    it('keeps a retention period from 1 to 3650 days, and null keeps data for ever again', async () => {
      expect(value(await store.getSettings(ACME)).retentionDays).toBeUndefined();
      expect(value(await store.updateSettings(ACME, ACME_ADMIN, settingsPatch({ retentionDays: 30 })))).toEqual({
        ...DEFAULT_SETTINGS,
        retentionDays: 30,
      });
      expect(value(await store.getSettings(GLOBEX)).retentionDays).toBeUndefined();
      for (const days of [1, 3650]) {
        expect(
          value(await store.updateSettings(ACME, ACME_ADMIN, settingsPatch({ retentionDays: days }))).retentionDays,
        ).toBe(days);
      }
      for (const days of [0, 3651, 1.5, '30']) expect(isLeft(SettingsPatch.decode({ retentionDays: days }))).toBe(true);
      // The column's check is the last line behind the codec.
      await expect(store.updateSettings(ACME, ACME_ADMIN, { retentionDays: 0 })).rejects.toThrow();
      expect(value(await store.updateSettings(ACME, ACME_ADMIN, settingsPatch({ retentionDays: null })))).toEqual(
        DEFAULT_SETTINGS,
      );
    });

    it('changes one presence setting without the other', async () => {
      value(await store.updateSettings(ACME, ACME_ADMIN, settingsPatch({ presenceGraceSeconds: 45 })));
      value(await store.updateSettings(ACME, ACME_ADMIN, settingsPatch({ offlineRequeueSeconds: 90 })));
      expect(value(await store.getSettings(ACME))).toEqual({
        ...DEFAULT_SETTINGS,
        presenceGraceSeconds: 45,
        offlineRequeueSeconds: 90,
      });
    });

    it('reads the defaults of a company whose settings row is missing', async () => {
      await fixture.knex.raw(`delete from "${fixture.schema}".settings where company_id = 'acme'`);
      expect(value(await store.getSettings(ACME))).toEqual(DEFAULT_SETTINGS);
    });

    it('has the database refuse bot and presence settings out of bounds even when the codec is bypassed', async () => {
      // The codec bounds them at the edge; the columns' checks are the last line.
      const outOfBounds: SettingsPatch[] = [
        { botConfidence: 1.01 },
        { botConfidence: -0.1 },
        { botMissesBeforeHuman: 0 },
        { botMissesBeforeHuman: 11 },
        { presenceGraceSeconds: -1 },
        { presenceGraceSeconds: 3601 },
        { offlineRequeueSeconds: -1 },
        { offlineRequeueSeconds: 86_401 },
      ];
      for (const patch of outOfBounds) {
        await expect(store.updateSettings(ACME, ACME_ADMIN, patch)).rejects.toThrow();
      }
      expect(value(await store.getSettings(ACME))).toEqual(DEFAULT_SETTINGS);
      expect((await auditRows(ACME)).filter((a) => a.entity === 'settings')).toEqual([]);
    });
  });

  describe('audit trail', () => {
    it('lists a company’s changes newest first, with the acting agent', async () => {
      value(await store.createGroup(ACME, ACME_ADMIN, newGroup({ name: 'Support' }), { id: id('support') }));
      value(await store.createGroup(GLOBEX, GLOBEX_ADMIN, newGroup({ name: 'Theirs' })));
      const trail = await store.auditTrail(ACME, { limit: 2 });
      expect(trail).toEqual([
        {
          id: expect.any(String) as unknown,
          actorId: ACME_ADMIN,
          action: 'create',
          entity: 'group',
          entityId: 'support',
          at: expect.stringMatching(/Z$/) as unknown,
          details: { name: 'Support' },
        },
        expect.objectContaining({ actorId: 'platform', entity: 'agent', entityId: ACME_ADMIN }),
      ]);
    });

    it("records a visitor's erasure with who, which visitor and the counts, for a known company only", async () => {
      value(await store.recordVisitorErasure(ACME, 'retention', 'v-7', { rowsErased: 12, filesDeleted: 1 }));
      expect((await store.auditTrail(ACME, { limit: 1 }))[0]).toEqual({
        id: expect.any(String) as unknown,
        actorId: 'retention',
        action: 'delete',
        entity: 'visitor',
        entityId: 'v-7',
        at: expect.stringMatching(/Z$/) as unknown,
        details: { rowsErased: 12, filesDeleted: 1 },
      });
      expect(errorOf(await store.recordVisitorErasure(decodeOrThrow(CompanyId)('nowhere'), 'cli', 'v-7', {}))).toBe(
        'not_found',
      );
    });
  });

  describe('tenant isolation', () => {
    // Company A's rows, which company B's admin then tries to read, change and delete by id.
    interface Rows {
      group: string;
      agent: string;
      account: string;
      hours: string;
      faq: string;
      intent: string;
      canned: string;
    }
    const seedAcme = async (): Promise<Rows> => {
      const group = value(
        await store.createGroup(ACME, ACME_ADMIN, newGroup({ name: 'Support' }), { id: id('support') }),
      ).id;
      const agentId = value(await store.createAgent(ACME, ACME_ADMIN, agent('alice', [group]))).id;
      const account = value(
        await store.createChannelAccount(
          ACME,
          ACME_ADMIN,
          newChannelAccount({ platform: 'whatsapp', name: 'WA', groupId: group, credentials: { key: SECRET } }),
        ),
      ).id;
      const hours = value(await store.createWorkingHours(ACME, ACME_ADMIN, regular(group))).id;
      const faq = value(await store.createFaqEntry(ACME, ACME_ADMIN, newFaqEntry({ question: 'Q?', answer: 'A' }))).id;
      const intent = value(
        await store.createIntent(
          ACME,
          ACME_ADMIN,
          newIntent({ name: 'hi', phrases: ['hi'], action: 'answer', answer: 'A' }),
        ),
      ).id;
      const canned = value(
        await store.createCannedResponse(
          ACME,
          ACME_ADMIN,
          newCannedResponse({ shortcut: 's', text: 't', scope: 'company' }),
        ),
      ).id;
      value(await store.setSuggestedQuestions(ACME, ACME_ADMIN, ['Q?']));
      return { group, agent: agentId, account, hours, faq, intent, canned };
    };

    it("never reads another company's rows by id", async () => {
      const a = await seedAcme();
      const reads = [
        await store.getGroup(GLOBEX, a.group),
        await store.agentById(GLOBEX, a.agent),
        await store.findAgentByUsername(GLOBEX, 'alice'),
        await store.getChannelAccount(GLOBEX, a.account),
        await store.channelAccountCredentials(GLOBEX, a.account),
        await store.getWorkingHours(GLOBEX, a.hours),
        await store.getFaqEntry(GLOBEX, a.faq),
        await store.getIntent(GLOBEX, a.intent),
      ];
      expect(reads.map(errorOf)).toEqual(Array<string>(reads.length).fill('not_found'));
      expect(await store.listGroups(GLOBEX)).toEqual([]);
      expect((await store.listAgents(GLOBEX)).map((x) => x.id)).toEqual([GLOBEX_ADMIN]);
      expect(await store.agentsOfGroup(GLOBEX, a.group)).toEqual([]);
      expect(await store.listChannelAccounts(GLOBEX)).toEqual([]);
      expect(await store.listWorkingHours(GLOBEX)).toEqual([]);
      expect(await store.hoursOfGroup(GLOBEX, a.group)).toEqual({});
      expect(await store.listFaqEntries(GLOBEX)).toEqual([]);
      expect(await store.listIntents(GLOBEX)).toEqual([]);
      expect(await store.knowledgeVersion(GLOBEX)).toBe('0');
      expect(await store.listCannedResponses(GLOBEX, GLOBEX_ADMIN)).toEqual([]);
      expect(await store.getSuggestedQuestions(GLOBEX)).toEqual([]);
      expect(await store.channelRouting(GLOBEX)).toEqual({ accountGroups: {} });
      expect(await store.auditTrail(GLOBEX)).toHaveLength(2);
    });

    it("never changes or deletes another company's rows by id", async () => {
      const a = await seedAcme();
      const before = await auditCount(ACME);
      const globexAudit = await auditCount(GLOBEX);
      const acmeKnowledge = await store.knowledgeVersion(ACME);
      const b = (f: (companyId: string, actorId: string) => Promise<ConfigResult<unknown>>) => f(GLOBEX, GLOBEX_ADMIN);
      const changes = [
        await b((c, actor) => store.updateGroup(c, actor, a.group, decodeOrThrow(GroupPatch)({ name: 'Mine' }))),
        await b((c, actor) => store.updateAgent(c, actor, a.agent, decodeOrThrow(AgentPatch)({ password: 'hijack' }))),
        await b((c, actor) =>
          store.updateChannelAccount(c, actor, a.account, decodeOrThrow(ChannelAccountPatch)({ enabled: false })),
        ),
        await b((c, actor) => store.updateWorkingHours(c, actor, a.hours, regular(a.group))),
        await b((c, actor) => store.updateFaqEntry(c, actor, a.faq, decodeOrThrow(FaqEntryPatch)({ answer: 'B' }))),
        await b((c, actor) => store.updateIntent(c, actor, a.intent, intentPatch({ answer: 'B' }))),
        await b((c, actor) =>
          store.updateCannedResponse(c, actor, a.canned, decodeOrThrow(CannedResponsePatch)({ text: 'B' })),
        ),
        await b((c, actor) => store.deleteGroup(c, actor, a.group)),
        await b((c, actor) => store.deleteAgent(c, actor, a.agent)),
        await b((c, actor) => store.deleteChannelAccount(c, actor, a.account)),
        await b((c, actor) => store.deleteWorkingHours(c, actor, a.hours)),
        await b((c, actor) => store.deleteFaqEntry(c, actor, a.faq)),
        await b((c, actor) => store.deleteIntent(c, actor, a.intent)),
        await b((c, actor) => store.deleteCannedResponse(c, actor, a.canned)),
      ];
      expect(changes.map(errorOf)).toEqual([
        'not_found',
        'not_found',
        'not_found',
        // Working hours name their group: company B has none of that id.
        'not_found',
        'not_found',
        'not_found',
        'not_found',
        'not_found',
        'not_found',
        'not_found',
        'not_found',
        'not_found',
        'not_found',
        'not_found',
      ]);
      // B cannot point its own rows at A's group either.
      expect(errorOf(await b((c, actor) => store.createAgent(c, actor, agent('mallory', [a.group]))))).toBe(
        'unknown_group',
      );
      expect(errorOf(await b((c, actor) => store.createWorkingHours(c, actor, regular(a.group))))).toBe(
        'unknown_group',
      );
      expect(
        errorOf(await b((c, actor) => store.updateSettings(c, actor, settingsPatch({ defaultGroupId: a.group })))),
      ).toBe('unknown_group');
      // An agent of B is nobody in A.
      expect(
        errorOf(
          await store.createCannedResponse(
            ACME,
            GLOBEX_ADMIN,
            newCannedResponse({ shortcut: 'x', text: 'y', scope: 'personal' }),
          ),
        ),
      ).toBe('forbidden');

      expect(value(await store.getGroup(ACME, a.group)).name).toBe('Support');
      expect(value(await store.findAgentByUsername(ACME, 'alice')).passwordHash).toBe(await fakeHash('pw-alice'));
      expect(value(await store.getChannelAccount(ACME, a.account)).enabled).toBe(true);
      expect(value(await store.getFaqEntry(ACME, a.faq)).answer).toBe('A');
      expect(value(await store.getIntent(ACME, a.intent)).answer).toBe('A');
      expect((await store.listCannedResponses(ACME, ACME_ADMIN)).map((r) => r.text)).toEqual(['t']);
      expect((await store.listWorkingHours(ACME)).map((w) => w.id)).toEqual([a.hours]);
      expect(await auditCount(ACME)).toBe(before);
      expect(await auditCount(GLOBEX)).toBe(globexAudit);
      expect(await store.knowledgeVersion(ACME)).toBe(acmeKnowledge);
    });
  });
};

/** Waits until a statement on `table` (`"schema".name`) waits for a lock (another transaction's row). */
const waitForLockWait = async (knex: Knex, table: string): Promise<void> => {
  for (let attempt = 0; attempt < 200; attempt++) {
    const { rows } = await knex.raw<{ rows: unknown[] }>(
      `select 1 from pg_stat_activity
       where datname = current_database() and wait_event_type = 'Lock' and query like ?`,
      [`%${table}%`],
    );
    if (rows.length > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error('the store never waited for the other transaction');
};
