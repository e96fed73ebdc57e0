// Tables of the company configuration, as knex migrations in code (no files to ship).
//
// Every table but the audit is keyed by company first, and every reference between tables
// carries the company too, so that no row can point at another company's group or agent.
import type { Knex } from 'knex';

interface Migration {
  readonly name: string;
  up(knex: Knex, schema: string): Promise<void>;
}

/** Names of the constraints the store turns into answers (a taken username, a second schedule, ...). */
export const CONSTRAINTS = {
  agentUsername: 'agents_username',
  workingHoursPerType: 'working_hours_one_per_type',
  agentGroupsGroup: 'agent_groups_group_fk',
  channelAccountsGroup: 'channel_accounts_group_fk',
  workingHoursGroup: 'working_hours_group_fk',
  settingsDefaultGroup: 'settings_default_group_fk',
  intentName: 'intents_name',
  groupName: 'groups_name_unique',
} as const;

const migrations: readonly Migration[] = [
  {
    name: '001_company_config',
    up: async (knex, schema) => {
      const s = `"${schema}"`;
      const company = `company_id text not null references ${s}.companies (id) on delete cascade`;
      // One statement at a time: PGlite's extended-protocol queries take a single statement.
      const statements = [
        `create table ${s}.companies (
          id text primary key,
          name text not null,
          time_zone text not null,
          created_at timestamptz not null default now()
        )`,
        `create table ${s}.groups (
          ${company},
          id text not null,
          name text not null,
          created_at timestamptz not null default now(),
          primary key (company_id, id)
        )`,
        `create table ${s}.agents (
          ${company},
          id text not null,
          username text not null,
          name text,
          role text not null check (role in ('agent', 'admin')),
          password_hash text not null,
          capacity int not null check (capacity >= 0),
          created_at timestamptz not null default now(),
          primary key (company_id, id),
          constraint ${CONSTRAINTS.agentUsername} unique (company_id, username)
        )`,
        `create table ${s}.agent_groups (
          company_id text not null,
          agent_id text not null,
          group_id text not null,
          primary key (company_id, agent_id, group_id),
          constraint agent_groups_agent_fk foreign key (company_id, agent_id)
            references ${s}.agents (company_id, id) on delete cascade,
          constraint ${CONSTRAINTS.agentGroupsGroup} foreign key (company_id, group_id)
            references ${s}.groups (company_id, id) on delete cascade
        )`,
        `create index agent_groups_by_group on ${s}.agent_groups (company_id, group_id)`,
        // A group that serves a channel account cannot be deleted (no cascade): the account would route nowhere.
        `create table ${s}.channel_accounts (
          ${company},
          id text not null,
          platform text not null check (platform in ('telegram', 'whatsapp', 'messenger', 'instagram', 'wechat')),
          name text not null,
          group_id text not null,
          credentials jsonb not null default '{}',
          enabled boolean not null default true,
          created_at timestamptz not null default now(),
          primary key (company_id, id),
          constraint ${CONSTRAINTS.channelAccountsGroup} foreign key (company_id, group_id)
            references ${s}.groups (company_id, id)
        )`,
        // The unique constraint backs the domain's one-schedule-per-type rule against concurrent inserts.
        `create table ${s}.working_hours (
          company_id text not null,
          id text not null,
          group_id text not null,
          type text not null check (type in ('regular', 'irregular')),
          time_zone text not null,
          spec jsonb not null,
          primary key (company_id, id),
          constraint ${CONSTRAINTS.workingHoursPerType} unique (company_id, group_id, type),
          constraint ${CONSTRAINTS.workingHoursGroup} foreign key (company_id, group_id)
            references ${s}.groups (company_id, id) on delete cascade
        )`,
        `create table ${s}.suggested_questions (
          ${company},
          position int not null,
          question text not null,
          primary key (company_id, position)
        )`,
        `create table ${s}.faq_entries (
          ${company},
          id text not null,
          question text not null,
          alternatives jsonb not null default '[]',
          answer text not null,
          tags jsonb not null default '[]',
          enabled boolean not null default true,
          updated_at timestamptz not null default now(),
          primary key (company_id, id)
        )`,
        // No owner: a company-wide response. A personal one goes with its agent.
        `create table ${s}.canned_responses (
          ${company},
          id text not null,
          owner_agent_id text,
          shortcut text not null,
          text text not null,
          created_at timestamptz not null default now(),
          primary key (company_id, id),
          constraint canned_responses_owner_fk foreign key (company_id, owner_agent_id)
            references ${s}.agents (company_id, id) on delete cascade
        )`,
        `create index canned_responses_by_owner on ${s}.canned_responses (company_id, owner_agent_id)`,
        `create table ${s}.settings (
          company_id text primary key references ${s}.companies (id) on delete cascade,
          inactivity_timeout_seconds int not null default 900
            check (inactivity_timeout_seconds between 10 and 604800),
          greeting text,
          suggestion_count int not null default 5 check (suggestion_count between 0 and 20),
          default_group_id text,
          constraint ${CONSTRAINTS.settingsDefaultGroup} foreign key (company_id, default_group_id)
            references ${s}.groups (company_id, id)
        )`,
        // No foreign key: the record of changes outlives what it describes.
        `create table ${s}.config_audit (
          id bigserial primary key,
          company_id text not null,
          actor_id text not null,
          action text not null,
          entity text not null,
          entity_id text,
          at timestamptz not null default now(),
          details jsonb not null default '{}'
        )`,
        `create index config_audit_by_company on ${s}.config_audit (company_id, id)`,
      ];
      for (const statement of statements) await knex.raw(statement);
    },
  },
  {
    // Intents, the bot's two settings, and the version of what the bot knows (FAQ, intents, suggested questions).
    name: '002_intents_bot_settings',
    up: async (knex, schema) => {
      const s = `"${schema}"`;
      const statements = [
        `create table ${s}.intents (
          company_id text not null references ${s}.companies (id) on delete cascade,
          id text not null,
          name text not null,
          phrases jsonb not null,
          action text not null check (action in ('answer', 'transfer', 'end')),
          answer text,
          enabled boolean not null default true,
          updated_at timestamptz not null default now(),
          primary key (company_id, id),
          constraint ${CONSTRAINTS.intentName} unique (company_id, name),
          constraint intents_answer_of_action check (
            (action <> 'answer' or answer is not null) and (action <> 'transfer' or answer is null))
        )`,
        `alter table ${s}.settings
           add column bot_confidence double precision not null default 0.15
             check (bot_confidence between 0 and 1),
           add column bot_misses_before_human int not null default 2
             check (bot_misses_before_human between 1 and 10)`,
        // Every write of a company's knowledge sets its version to the next value of one sequence: a version is
        // never seen twice, not even after concurrent writes or a company deleted and created again.
        `create sequence ${s}.knowledge_version_seq`,
        `create table ${s}.knowledge_versions (
          company_id text primary key references ${s}.companies (id) on delete cascade,
          version bigint not null
        )`,
      ];
      for (const statement of statements) await knex.raw(statement);
    },
  },
  {
    // The version of the whole configuration, which the caches of every process check before each use, and the
    // presence settings.
    name: '003_config_version_presence_settings',
    up: async (knex, schema) => {
      const s = `"${schema}"`;
      const statements = [
        // As the knowledge version: the next value of one sequence on every audited write, never seen twice.
        `create sequence ${s}.config_version_seq`,
        `create table ${s}.config_versions (
          company_id text primary key references ${s}.companies (id) on delete cascade,
          version bigint not null
        )`,
        `alter table ${s}.settings
           add column presence_grace_seconds int not null default 30
             check (presence_grace_seconds between 0 and 3600),
           add column offline_requeue_seconds int not null default 120
             check (offline_requeue_seconds between 0 and 86400)`,
      ];
      for (const statement of statements) await knex.raw(statement);
    },
  },
  {
    // The company's language (issue 20): what its bot and the server's own texts speak. Existing companies
    // get the default of new ones, zh-CN.
    name: '004_settings_language',
    up: async (knex, schema) => {
      await knex.raw(
        `alter table "${schema}".settings
           add column language text not null default 'zh-CN' check (language in ('zh-CN', 'en'))`,
      );
    },
  },
  {
    // The questions of the unanswered-questions report an admin dismissed as noise, by their folded text (the
    // report's own): the report counts only what was asked after the dismissal.
    name: '005_unanswered_dismissals',
    up: async (knex, schema) => {
      const s = `"${schema}"`;
      await knex.raw(
        `create table ${s}.unanswered_dismissals (
          company_id text not null references ${s}.companies (id) on delete cascade,
          question text not null,
          dismissed_at timestamptz not null default now(),
          primary key (company_id, question)
        )`,
      );
    },
  },
  {
    // Each group's service-level targets (issue 4), in seconds; none by default. The SLA monitor reads the groups
    // that have one every second, across companies: the partial index holds only those.
    name: '006_group_sla_targets',
    up: async (knex, schema) => {
      const s = `"${schema}"`;
      const statements = [
        `alter table ${s}.groups
           add column first_response_target_seconds int check (first_response_target_seconds between 1 and 86400),
           add column wait_target_seconds int check (wait_target_seconds between 1 and 86400)`,
        `create index groups_with_sla_targets on ${s}.groups (company_id, id)
           where first_response_target_seconds is not null or wait_target_seconds is not null`,
      ];
      for (const statement of statements) await knex.raw(statement);
    },
  },
  {
    // Supervisors (issue 4): agents who also see and step into the whole floor, without configuration rights.
    name: '007_supervisor_role',
    up: async (knex, schema) => {
      const s = `"${schema}"`;
      await knex.raw(`alter table ${s}.agents drop constraint if exists agents_role_check`);
      await knex.raw(
        `alter table ${s}.agents add constraint agents_role_check check (role in ('agent', 'supervisor', 'admin'))`,
      );
    },
  },
  {
    // Revocable tokens (issue 22): every staff token carries the version its agent had when it was issued, and is
    // refused once the version moved. A delete, a role or password change and a logout add one, in the transaction
    // of their audited write, so the configuration version moves with it and every process's cache sees it.
    name: '008_agent_token_version',
    up: async (knex, schema) => {
      await knex.raw(
        `alter table "${schema}".agents add column token_version int not null default 0 check (token_version >= 0)`,
      );
    },
  },
  {
    // Web visitors' resume tokens (issue 22): a visitor id alone no longer continues a visitor. Only SHA-256 hashes
    // (hex) of the random tokens are kept, newest first and at most five per visitor (visitor-credentials.ts says
    // why five), in one row per visitor so that claiming a new id and rotating a token are each one atomic statement.
    // Not audited and not part of any configuration version: a visitor's login must not invalidate caches.
    name: '009_visitor_resume_tokens',
    up: async (knex, schema) => {
      const s = `"${schema}"`;
      await knex.raw(
        `create table ${s}.visitor_resume_tokens (
          company_id text not null references ${s}.companies (id) on delete cascade,
          visitor_id text not null,
          token_hashes text[] not null check (cardinality(token_hashes) between 1 and 5),
          updated_at timestamptz not null default now(),
          primary key (company_id, visitor_id)
        )`,
      );
    },
  },
  {
    // How long a company keeps its visitors' personal data (issue 22): visitors inactive for longer are erased by
    // the worker's retention job. Null (every existing company): kept for ever.
    name: '010_retention',
    up: async (knex, schema) => {
      await knex.raw(
        `alter table "${schema}".settings
           add column retention_days int check (retention_days between 1 and 3650)`,
      );
      // The retention job reads the companies that have one, across companies.
      await knex.raw(
        `create index settings_with_retention on "${schema}".settings (company_id) where retention_days is not null`,
      );
    },
  },
  {
    // Group names are unique in their company, compared trimmed and without case (issue 22): two groups that
    // read the same cannot be told apart in a transfer list. Groups that already share a name keep the first
    // one (the oldest, then the smallest id); each later one is renamed with the first free suffix " (2)",
    // " (3)", ... rather than refusing to migrate a running installation. The index then backs the rule
    // against concurrent writers, whose 23505 the store answers `conflict` naming the field `name`.
    name: '011_unique_group_names',
    up: async (knex, schema) => {
      const s = `"${schema}"`;
      const { rows } = await knex.raw<{ rows: { company_id: string; id: string; name: string }[] }>(
        `select company_id, id, name from ${s}.groups order by company_id, created_at, id`,
      );
      const key = (companyId: string, name: string): string => `${companyId}\u0000${name.trim().toLowerCase()}`;
      const taken = new Set(rows.map((row) => key(row.company_id, row.name)));
      const kept = new Set<string>();
      for (const row of rows) {
        const own = key(row.company_id, row.name);
        if (!kept.has(own)) {
          kept.add(own);
          continue;
        }
        let n = 2;
        while (taken.has(key(row.company_id, `${row.name.trim()} (${n})`))) n++;
        const renamed = `${row.name.trim()} (${n})`;
        taken.add(key(row.company_id, renamed));
        kept.add(key(row.company_id, renamed));
        await knex.raw(`update ${s}.groups set name = ? where company_id = ? and id = ?`, [
          renamed,
          row.company_id,
          row.id,
        ]);
      }
      await knex.raw(`create unique index ${CONSTRAINTS.groupName} on ${s}.groups (company_id, lower(btrim(name)))`);
    },
  },
];

export const companyConfigMigrations = (schema: string): Knex.MigrationSource<Migration> => ({
  getMigrations: async () => [...migrations],
  getMigrationName: (migration) => migration.name,
  getMigration: async (migration) => ({
    up: (knex: Knex) => migration.up(knex, schema),
    down: async () => {
      throw new Error('company configuration migrations are forward-only');
    },
  }),
});
