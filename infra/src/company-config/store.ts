// The company configuration in PostgreSQL (PGlite in embedded mode): groups, agents, channel accounts, working
// hours, FAQ, intents, canned responses and settings, each change recorded in `config_audit` in its own transaction.
//
// Every method takes the company and reads or writes that company's rows only: another company's id answers
// `not_found`, as an unknown one does. Bodies come decoded with the codecs of ./codecs (validation is at the edge);
// what the database alone can tell (a taken username, a group that does not exist, a second schedule) comes back
// as the Left of a `ConfigResult` (a `DomainError`), never as an exception.
import { randomUUID } from 'node:crypto';
import { isLeft, left, right, type Either } from 'fp-ts/Either';
import type { Knex } from 'knex';
import {
  addSchedule,
  domainError,
  hoursOfGroup as groupHoursOf,
  invalidPaths,
  replaceSchedule,
  WorkingHours,
  type ChannelRouting,
  type DomainError,
  type DomainErrorCode,
  type GroupHours,
  type Id,
} from '@cschat/domain';
import { ensureSchema } from '../event-store/sql-schema';
import { createLogger, type Logger } from '../logging';
import {
  webhookPathOf,
  type AgentAccount,
  type AgentLogin,
  type AgentPatch,
  type AgentRole,
  type AuditEntry,
  type CannedResponse,
  type CannedResponsePatch,
  type ChannelAccount,
  type ChannelAccountCredentials,
  type ChannelAccountPatch,
  type Company,
  type FaqEntry,
  type CompanyLanguage,
  type FaqEntryPatch,
  type Group,
  type GroupPatch,
  type Intent,
  type IntentAction,
  type IntentPatch,
  type NewAgent,
  type NewCannedResponse,
  type NewChannelAccount,
  type NewCompany,
  type NewFaqEntry,
  type NewGroup,
  type NewIntent,
  type NewWorkingHours,
  type Platform,
  type Settings,
  type SettingsPatch,
} from './codecs';
import { VisitorCredentials } from './visitor-credentials';
import { companyConfigMigrations, CONSTRAINTS } from './schema';

/** What every method answers: the chat's one result type, a `DomainError` (a code and a message) or the value. */
export type ConfigResult<T> = Either<DomainError, T>;

/** A stored row that no longer decodes: a bug or a hand-made change, never a client's mistake. */
export class UndecodableConfigError extends Error {
  override readonly name = 'UndecodableConfigError';
  constructor(
    readonly entity: string,
    readonly id: string,
    readonly paths: string,
  ) {
    super(`stored ${entity} ${id} does not decode at ${paths}`);
  }
}

export interface CompanyConfigStoreOptions {
  readonly knex: Knex;
  /** Whether stop() destroys the knex pool (false when it is shared, as with PGlite in embedded mode). */
  readonly ownsKnex: boolean;
  /** PostgreSQL schema of the tables; default `config`. */
  readonly schema?: string;
  /** Turns a password into what is stored (`hashPassword` of gateways/auth); never called inside a transaction. */
  readonly hashPassword: (plain: string) => Promise<string>;
  /** New ids when the caller gives none; default `crypto.randomUUID`. */
  readonly newId?: () => string;
  /**
   * Told of each audited change once its transaction committed (never of a refused or rolled-back one), in the
   * order of the writes, before the write answers: to route the queues an agent's new capacity or group concerns.
   * It must not block; what it throws, or a promise it returns rejects with, is logged, never the write's failure.
   */
  readonly onCommitted?: (change: ConfigChange) => void;
  /** Where a failing `onCommitted` is told; default a logger of the store's own. */
  readonly logger?: Logger;
  /**
   * No other process writes this database (embedded mode: PGlite is one process, and its data folder is locked):
   * the versions then change only by this store's own writes, so they are kept in memory once read, and checking
   * one costs no query (a chat message checks the configuration version).
   */
  readonly soleWriter?: boolean;
}

/** One audited change of a company's configuration, as `onCommitted` is told of it. */
export interface ConfigChange {
  readonly companyId: string;
  readonly entity: AuditedEntity;
  readonly action: AuditAction;
  /** The id of what changed; the company's for its settings and its suggested questions. */
  readonly entityId: string;
}

/** An id the caller chooses instead of a generated one (demo data, imports). */
export interface WithId {
  readonly id?: Id;
}

export const DEFAULT_COMPANY_CONFIG_SCHEMA = 'config';

/** What the platform operator is called in the audit when it creates a company. */
export const PLATFORM_ACTOR = 'platform';

type Db = Knex | Knex.Transaction;
export type AuditAction = 'create' | 'update' | 'delete';
export type AuditedEntity =
  | 'company'
  | 'group'
  | 'agent'
  | 'channel_account'
  | 'working_hours'
  | 'suggested_questions'
  | 'faq_entry'
  | 'intent'
  | 'canned_response'
  | 'settings'
  | 'unanswered_question'
  /** A visitor's erasure (issue 22): its details are counts, never the erased data. */
  | 'visitor';

/** What the bot answers from: a change of any of these moves the company's `knowledgeVersion`. */
const KNOWLEDGE: ReadonlySet<AuditedEntity> = new Set(['faq_entry', 'intent', 'suggested_questions']);

interface Change {
  readonly trx: Knex.Transaction;
  /** Records the change in `config_audit`; `details` must never hold a secret or a password hash. */
  readonly audit: (
    action: AuditAction,
    entity: AuditedEntity,
    entityId: string,
    details?: Record<string, unknown>,
  ) => Promise<void>;
}

type Failure = ConfigResult<never>;

/** Thrown inside a change's transaction to roll it back and answer its `error` as a failure. */
class Refusal extends Error {
  constructor(readonly error: DomainError) {
    super(error.message);
  }
}

const failure = (code: DomainErrorCode, message: string, field?: string): Failure =>
  left(domainError(code, message, undefined, field));
const refuse = (code: DomainErrorCode, message: string): never => {
  throw new Refusal(domainError(code, message));
};
/** The value of `result`, or a refusal with its error. */
const orRefuse = <T>(result: ConfigResult<T>): T => {
  if (isLeft(result)) throw new Refusal(result.left);
  return result.right;
};
const ok = <T>(value: T): ConfigResult<T> => right(value);

/** The constraint a unique or foreign-key violation names, if that is what `error` is. */
/** A group name another group of the company has, compared trimmed and without case (migration 011). */
const groupNameTaken = (name: string): Failure =>
  failure('conflict', `name: a group named ${JSON.stringify(name.trim())} exists`, 'name');

const violatedConstraint = (error: unknown): string | undefined => {
  const { code, constraint } = error as { code?: unknown; constraint?: unknown };
  return (code === '23505' || code === '23503') && typeof constraint === 'string' ? constraint : undefined;
};

const iso = (value: Date | string): string => (value instanceof Date ? value : new Date(value)).toISOString();

/** The values the patch sets, as `column = ?` (a `false` entry is a field the patch leaves alone). */
const assignments = (
  entries: readonly (readonly [string, Knex.RawBinding] | false)[],
): { sql: string; bindings: Knex.RawBinding[] } => {
  const present = entries.filter((entry): entry is readonly [string, Knex.RawBinding] => entry !== false);
  return {
    // An empty patch still locks and returns the row.
    sql: present.length === 0 ? 'company_id = company_id' : present.map(([column]) => `${column} = ?`).join(', '),
    bindings: present.map(([, value]) => value),
  };
};

const json = (value: unknown): string => JSON.stringify(value);
/**
 * A question or phrase with its case and runs of spaces folded, as the unanswered-questions report groups them
 * (projections/src/queries.ts): what makes a phrase "the same" for the one-click additions and the dismissals.
 */
export const foldText = (text: string): string => text.trim().replace(/\s+/g, ' ').toLowerCase();
/** The bounds of the Alternatives and Phrases lists in ./codecs. */
const MAX_FAQ_ALTERNATIVES = 100;
const MAX_INTENT_PHRASES = 200;

/** `%` and `_` in a search are letters, not wildcards. */
const containing = (query: string): string => `%${query.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,40}$/;

interface CompanyRow {
  id: string;
  name: string;
  time_zone: string;
  created_at: Date;
}
interface GroupRow {
  id: string;
  name: string;
  created_at: Date;
  first_response_target_seconds: number | null;
  wait_target_seconds: number | null;
}
const GROUP_COLUMNS = 'id, name, created_at, first_response_target_seconds, wait_target_seconds';
interface AgentRow {
  id: string;
  username: string;
  name: string | null;
  role: AgentRole;
  capacity: number;
  created_at: Date;
  group_ids: string[];
  password_hash?: string;
}
interface ChannelAccountRow {
  id: string;
  platform: Platform;
  name: string;
  group_id: string;
  enabled: boolean;
  has_credentials: boolean;
  created_at: Date;
}
interface WorkingHoursRow {
  id: string;
  company_id: string;
  group_id: string;
  type: string;
  time_zone: string;
  spec: unknown;
}
interface FaqRow {
  id: string;
  question: string;
  alternatives: string[];
  answer: string;
  tags: string[];
  enabled: boolean;
  updated_at: Date;
}
interface IntentRow {
  id: string;
  name: string;
  phrases: string[];
  action: IntentAction;
  answer: string | null;
  enabled: boolean;
  updated_at: Date;
}
interface CannedRow {
  id: string;
  owner_agent_id: string | null;
  shortcut: string;
  text: string;
  created_at: Date;
}
interface SettingsRow {
  inactivity_timeout_seconds: number;
  greeting: string | null;
  suggestion_count: number;
  default_group_id: string | null;
  bot_confidence: number;
  bot_misses_before_human: number;
  presence_grace_seconds: number;
  offline_requeue_seconds: number;
  language: CompanyLanguage;
  retention_days: number | null;
}
interface AuditRow {
  id: string;
  actor_id: string;
  action: string;
  entity: string;
  entity_id: string | null;
  at: Date;
  details: Record<string, unknown>;
}

const companyOf = (r: CompanyRow): Company => ({
  id: r.id,
  name: r.name,
  timeZone: r.time_zone,
  createdAt: iso(r.created_at),
});
const groupOf = (r: GroupRow): Group => ({
  id: r.id,
  name: r.name,
  createdAt: iso(r.created_at),
  ...(r.first_response_target_seconds === null ? {} : { firstResponseTargetSeconds: r.first_response_target_seconds }),
  ...(r.wait_target_seconds === null ? {} : { waitTargetSeconds: r.wait_target_seconds }),
});
const agentOf = (r: AgentRow): AgentAccount => ({
  id: r.id,
  username: r.username,
  ...(r.name === null ? {} : { name: r.name }),
  role: r.role,
  capacity: r.capacity,
  groupIds: r.group_ids,
  createdAt: iso(r.created_at),
});
const channelAccountOf = (r: ChannelAccountRow): ChannelAccount => ({
  id: r.id,
  platform: r.platform,
  name: r.name,
  groupId: r.group_id,
  enabled: r.enabled,
  hasCredentials: r.has_credentials,
  webhookPath: webhookPathOf(r.platform, r.id),
  createdAt: iso(r.created_at),
});
const workingHoursOf = (r: WorkingHoursRow): WorkingHours => {
  const stored = {
    id: r.id,
    companyId: r.company_id,
    groupId: r.group_id,
    type: r.type,
    timeZone: r.time_zone,
    ...(r.type === 'regular' ? { weekly: r.spec } : { dates: r.spec }),
  };
  const decoded = WorkingHours.decode(stored);
  if (isLeft(decoded)) throw new UndecodableConfigError('working hours', r.id, invalidPaths(decoded.left));
  return decoded.right;
};
const faqEntryOf = (r: FaqRow): FaqEntry => ({
  id: r.id,
  question: r.question,
  alternatives: r.alternatives,
  answer: r.answer,
  tags: r.tags,
  enabled: r.enabled,
  updatedAt: iso(r.updated_at),
});
const intentOf = (r: IntentRow): Intent => ({
  id: r.id,
  name: r.name,
  phrases: r.phrases,
  action: r.action,
  ...(r.answer === null ? {} : { answer: r.answer }),
  enabled: r.enabled,
  updatedAt: iso(r.updated_at),
});
const cannedResponseOf = (r: CannedRow): CannedResponse => ({
  id: r.id,
  shortcut: r.shortcut,
  text: r.text,
  scope: r.owner_agent_id === null ? 'company' : 'personal',
  ...(r.owner_agent_id === null ? {} : { ownerAgentId: r.owner_agent_id }),
  createdAt: iso(r.created_at),
});
const settingsOf = (r: SettingsRow): Settings => ({
  inactivityTimeoutSeconds: r.inactivity_timeout_seconds,
  ...(r.greeting === null ? {} : { greeting: r.greeting }),
  suggestionCount: r.suggestion_count,
  ...(r.default_group_id === null ? {} : { defaultGroupId: r.default_group_id }),
  botConfidence: Number(r.bot_confidence),
  botMissesBeforeHuman: r.bot_misses_before_human,
  presenceGraceSeconds: r.presence_grace_seconds,
  offlineRequeueSeconds: r.offline_requeue_seconds,
  language: r.language,
  ...(r.retention_days === null ? {} : { retentionDays: r.retention_days }),
});
const auditEntryOf = (r: AuditRow): AuditEntry => ({
  id: String(r.id),
  actorId: r.actor_id,
  action: r.action,
  entity: r.entity,
  ...(r.entity_id === null ? {} : { entityId: r.entity_id }),
  at: iso(r.at),
  details: r.details,
});

/**
 * The answer an intent keeps with `action`: the one given, else the stored one. `answer` needs one; `end` may have
 * one (the bot's farewell); `transfer` has none (the bot says it connects). Refuses (`bad_request`) an `answer`
 * intent left without one and an answer given for `transfer`. Only inside a change.
 */
const intentAnswer = (action: IntentAction, given: string | undefined, stored: string | null): string | null => {
  if (action === 'transfer') {
    if (given !== undefined) refuse('bad_request', 'an intent whose action is transfer has no answer');
    return null;
  }
  if (action === 'end') return given ?? stored;
  return given ?? stored ?? refuse('bad_request', 'an intent whose action is answer needs an answer');
};

/** A patch's fields for the audit, without the password (only that it changed). */
const auditedAgentPatch = ({ password, ...rest }: AgentPatch): Record<string, unknown> =>
  password === undefined ? rest : { ...rest, passwordChanged: true };

export class CompanyConfigStore {
  private readonly knex: Knex;
  private readonly schema: string;
  private readonly newId: () => string;
  private logger: Logger | undefined;
  /** With `soleWriter`: the versions read, per table and company, until this store writes the company again. */
  private readonly versions = new Map<string, Promise<string>>();
  private starting: Promise<void> | undefined;
  private stopped = false;
  /** Web visitors' resume tokens (visitor-credentials.ts): in this database, shared by every process. */
  readonly visitorCredentials: VisitorCredentials;

  constructor(private readonly options: CompanyConfigStoreOptions) {
    const schema = options.schema ?? DEFAULT_COMPANY_CONFIG_SCHEMA;
    if (!IDENTIFIER.test(schema)) {
      throw new Error(`company configuration schema must match ${String(IDENTIFIER)}, got "${schema}"`);
    }
    this.knex = options.knex;
    this.schema = schema;
    this.newId = options.newId ?? randomUUID;
    this.logger = options.logger;
    this.visitorCredentials = new VisitorCredentials(this.knex, this.schema);
  }

  /** Creates the schema and its tables, or brings them up to date. */
  start(): Promise<void> {
    this.starting ??= (async () => {
      await ensureSchema(this.knex, this.schema);
      await this.knex.migrate.latest({
        migrationSource: companyConfigMigrations(this.schema),
        schemaName: this.schema,
        tableName: 'migrations',
      });
    })();
    return this.starting;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.options.ownsKnex) await this.knex.destroy();
  }

  private table(name: string): string {
    return `"${this.schema}".${name}`;
  }

  private async rows<R>(db: Db, sql: string, bindings: readonly Knex.RawBinding[] = []): Promise<R[]> {
    const { rows } = await db.raw<{ rows: R[] }>(sql, bindings);
    return rows;
  }

  /**
   * Runs `work` in a transaction with the audit at hand, and once it committed tells `onCommitted` of each change
   * the audit recorded.
   */
  private async audited<T>(companyId: string, actorId: string, work: (change: Change) => Promise<T>): Promise<T> {
    const changes: ConfigChange[] = [];
    const value = await this.knex.transaction((trx) =>
      work({
        trx,
        audit: async (action, entity, entityId, details) => {
          await this.audit(trx, companyId, actorId, action, entity, entityId, details);
          changes.push({ companyId, entity, action, entityId });
        },
      }),
    );
    if (changes.length > 0) this.forgetVersions(companyId);
    for (const change of changes) this.tell(change);
    return value;
  }

  private tell(change: ConfigChange): void {
    const { onCommitted } = this.options;
    if (onCommitted === undefined) return;
    const failed = (error: unknown): void => {
      this.logger ??= createLogger({ name: 'company-config' });
      this.logger.error(
        { err: error, ...change },
        `onCommitted failed for the ${change.entity} change of ${change.companyId}`,
      );
    };
    try {
      const returned: unknown = onCommitted(change);
      if (returned instanceof Promise) returned.catch(failed);
    } catch (error) {
      failed(error);
    }
  }

  /**
   * Runs `work` in a transaction of the company's, with the audit at hand. A `refuse` inside rolls back and
   * answers its failure; a violation of one of `constraints` (by name) rolls back and answers its failure.
   */
  private async change<T>(
    companyId: string,
    actorId: string,
    work: (change: Change) => Promise<T>,
    constraints: Readonly<Record<string, Failure>> = {},
  ): Promise<ConfigResult<T>> {
    try {
      const value = await this.audited(companyId, actorId, async (change) => {
        const company = await this.rows(change.trx, `select 1 from ${this.table('companies')} where id = ?`, [
          companyId,
        ]);
        if (company.length === 0) refuse('not_found', `company ${companyId} not found`);
        return work(change);
      });
      return ok(value);
    } catch (error) {
      if (error instanceof Refusal) return left(error.error);
      const meaning = constraints[violatedConstraint(error) ?? ''];
      if (meaning !== undefined) return meaning;
      throw error;
    }
  }

  private async audit(
    trx: Knex.Transaction,
    companyId: string,
    actorId: string,
    action: AuditAction,
    entity: AuditedEntity,
    entityId: string,
    details: Record<string, unknown> = {},
  ): Promise<void> {
    await trx.raw(
      `insert into ${this.table('config_audit')} (company_id, actor_id, action, entity, entity_id, details)
       values (?, ?, ?, ?, ?, ?::jsonb)`,
      [companyId, actorId, action, entity, entityId, json(details)],
    );
    // Here rather than in each writer, so that no change can forget to tell the caches.
    await this.bumpVersion(trx, 'config_versions', 'config_version_seq', companyId);
    if (KNOWLEDGE.has(entity)) await this.bumpVersion(trx, 'knowledge_versions', 'knowledge_version_seq', companyId);
  }

  /**
   * Sets the company's version in `table` to the next value of `sequence`. The update takes its value once it holds
   * the row's lock, that is after any concurrent writer of the company committed: a version committed later is
   * always greater, so a reader never sees one come back to an earlier value.
   */
  private async bumpVersion(
    trx: Knex.Transaction,
    table: 'config_versions' | 'knowledge_versions',
    sequence: 'config_version_seq' | 'knowledge_version_seq',
    companyId: string,
  ): Promise<void> {
    const next = `nextval('${this.table(sequence)}')`;
    await trx.raw(
      `insert into ${this.table(table)} (company_id, version) values (?, ${next})
       on conflict (company_id) do update set version = ${next}`,
      [companyId],
    );
  }

  /** Refuses when one of `groupIds` is not a group of the company. */
  private async groupsMustExist(db: Db, companyId: string, groupIds: readonly string[]): Promise<void> {
    const wanted = [...new Set(groupIds)];
    if (wanted.length === 0) return;
    const found = await this.rows<{ id: string }>(
      db,
      `select id from ${this.table('groups')} where company_id = ? and id in (${wanted.map(() => '?').join(', ')})`,
      [companyId, ...wanted],
    );
    const known = new Set(found.map((row) => row.id));
    const missing = wanted.filter((id) => !known.has(id));
    if (missing.length > 0) refuse('unknown_group', `no group ${missing.join(', ')} in company ${companyId}`);
  }

  // ---- companies ----

  /** `POST /api/companies`: the company, its first admin and default settings; an existing id is a `conflict`. */
  async createCompany(
    company: NewCompany,
    options: { readonly actorId?: string; readonly adminId?: Id } = {},
  ): Promise<ConfigResult<{ companyId: string; adminId: string }>> {
    const passwordHash = await this.options.hashPassword(company.adminPassword);
    const adminId = options.adminId ?? this.newId();
    const actorId = options.actorId ?? PLATFORM_ACTOR;
    try {
      return ok(
        await this.audited(company.companyId, actorId, async ({ trx, audit }) => {
          const created = await this.rows(
            trx,
            `insert into ${this.table('companies')} (id, name, time_zone) values (?, ?, ?)
             on conflict (id) do nothing returning id`,
            [company.companyId, company.name, company.timeZone],
          );
          if (created.length === 0) refuse('conflict', `company ${company.companyId} exists`);
          // The first admin takes no chats until it is given groups and a capacity.
          await trx.raw(
            `insert into ${this.table('agents')} (company_id, id, username, role, password_hash, capacity)
             values (?, ?, ?, 'admin', ?, 0)`,
            [company.companyId, adminId, company.adminUsername, passwordHash],
          );
          await trx.raw(`insert into ${this.table('settings')} (company_id) values (?)`, [company.companyId]);
          await audit('create', 'company', company.companyId, { name: company.name, timeZone: company.timeZone });
          await audit('create', 'agent', adminId, {
            username: company.adminUsername,
            role: 'admin',
            capacity: 0,
            groupIds: [],
          });
          return { companyId: company.companyId, adminId };
        }),
      );
    } catch (error) {
      if (error instanceof Refusal) return left(error.error);
      // Two creations of one id at once: the second waits for the first and then finds its key taken.
      if (violatedConstraint(error) === 'companies_pkey')
        return failure('conflict', `company ${company.companyId} exists`);
      throw error;
    }
  }

  async getCompany(companyId: string): Promise<ConfigResult<Company>> {
    const [row] = await this.rows<CompanyRow>(
      this.knex,
      `select id, name, time_zone, created_at from ${this.table('companies')} where id = ?`,
      [companyId],
    );
    return row === undefined ? failure('not_found', `company ${companyId} not found`) : ok(companyOf(row));
  }

  // ---- groups ----

  async listGroups(companyId: string): Promise<Group[]> {
    const rows = await this.rows<GroupRow>(
      this.knex,
      `select ${GROUP_COLUMNS} from ${this.table('groups')} where company_id = ? order by name, id`,
      [companyId],
    );
    return rows.map(groupOf);
  }

  async getGroup(companyId: string, groupId: string): Promise<ConfigResult<Group>> {
    const [row] = await this.rows<GroupRow>(
      this.knex,
      `select ${GROUP_COLUMNS} from ${this.table('groups')} where company_id = ? and id = ?`,
      [companyId, groupId],
    );
    return row === undefined ? failure('not_found', `group ${groupId} not found`) : ok(groupOf(row));
  }

  async createGroup(
    companyId: string,
    actorId: string,
    group: NewGroup,
    options: WithId = {},
  ): Promise<ConfigResult<{ id: string }>> {
    const id = options.id ?? this.newId();
    return this.change(
      companyId,
      actorId,
      async ({ trx, audit }) => {
        await trx.raw(
          `insert into ${this.table('groups')} (company_id, id, name, first_response_target_seconds, wait_target_seconds)
           values (?, ?, ?, ?, ?)`,
          [companyId, id, group.name, group.firstResponseTargetSeconds ?? null, group.waitTargetSeconds ?? null],
        );
        await audit('create', 'group', id, group);
        return { id };
      },
      {
        groups_pkey: failure('conflict', `group ${id} exists`),
        [CONSTRAINTS.groupName]: groupNameTaken(group.name),
      },
    );
  }

  async updateGroup(
    companyId: string,
    actorId: string,
    groupId: string,
    patch: GroupPatch,
  ): Promise<ConfigResult<Group>> {
    return this.change(
      companyId,
      actorId,
      async ({ trx, audit }) => {
        const set = assignments([
          patch.name !== undefined && ['name', patch.name],
          patch.firstResponseTargetSeconds !== undefined && [
            'first_response_target_seconds',
            patch.firstResponseTargetSeconds,
          ],
          patch.waitTargetSeconds !== undefined && ['wait_target_seconds', patch.waitTargetSeconds],
        ]);
        const [row] = await this.rows<GroupRow>(
          trx,
          `update ${this.table('groups')} set ${set.sql} where company_id = ? and id = ? returning ${GROUP_COLUMNS}`,
          [...set.bindings, companyId, groupId],
        );
        if (row === undefined) return refuse('not_found', `group ${groupId} not found`);
        await audit('update', 'group', groupId, patch);
        return groupOf(row);
      },
      { [CONSTRAINTS.groupName]: groupNameTaken(patch.name ?? '') },
    );
  }

  /**
   * Deletes a group with its schedules and memberships. A group that serves a channel account or is the
   * default group stays (`conflict`): conversations would otherwise route nowhere.
   */
  async deleteGroup(companyId: string, actorId: string, groupId: string): Promise<ConfigResult<void>> {
    const inUse = failure('conflict', `group ${groupId} serves channel accounts or is the default group`);
    return this.change(
      companyId,
      actorId,
      async ({ trx, audit }) => {
        const accounts = await this.rows<{ id: string }>(
          trx,
          `select id from ${this.table('channel_accounts')} where company_id = ? and group_id = ? order by id`,
          [companyId, groupId],
        );
        if (accounts.length > 0) {
          refuse('conflict', `group ${groupId} serves channel accounts ${accounts.map((a) => a.id).join(', ')}`);
        }
        const defaults = await this.rows(
          trx,
          `select 1 from ${this.table('settings')} where company_id = ? and default_group_id = ?`,
          [companyId, groupId],
        );
        if (defaults.length > 0) refuse('conflict', `group ${groupId} is the default group`);
        const deleted = await this.rows(
          trx,
          `delete from ${this.table('groups')} where company_id = ? and id = ? returning id`,
          [companyId, groupId],
        );
        if (deleted.length === 0) refuse('not_found', `group ${groupId} not found`);
        await audit('delete', 'group', groupId);
      },
      // A channel account or the default setting that arrived meanwhile.
      { [CONSTRAINTS.channelAccountsGroup]: inUse, [CONSTRAINTS.settingsDefaultGroup]: inUse },
    );
  }

  // ---- agents ----

  private agentsSelect(where: string): string {
    return `select a.id, a.username, a.name, a.role, a.capacity, a.created_at,
              coalesce(jsonb_agg(g.group_id order by g.group_id) filter (where g.group_id is not null), '[]'::jsonb)
                as group_ids
            from ${this.table('agents')} a
            left join ${this.table('agent_groups')} g on g.company_id = a.company_id and g.agent_id = a.id
            where a.company_id = ? ${where}
            group by a.company_id, a.id
            order by a.username`;
  }

  /** The company's agents, never with their password hashes. */
  async listAgents(companyId: string): Promise<AgentAccount[]> {
    return (await this.rows<AgentRow>(this.knex, this.agentsSelect(''), [companyId])).map(agentOf);
  }

  async agentById(companyId: string, agentId: string): Promise<ConfigResult<AgentAccount>> {
    return this.agentWithin(this.knex, companyId, agentId);
  }

  private async agentWithin(db: Db, companyId: string, agentId: string): Promise<ConfigResult<AgentAccount>> {
    const [row] = await this.rows<AgentRow>(db, this.agentsSelect('and a.id = ?'), [companyId, agentId]);
    return row === undefined ? failure('not_found', `agent ${agentId} not found`) : ok(agentOf(row));
  }

  /** The agents of one group, with capacity, for routing. */
  async agentsOfGroup(companyId: string, groupId: string): Promise<AgentAccount[]> {
    const rows = await this.rows<AgentRow>(
      this.knex,
      this.agentsSelect(
        `and exists (select 1 from ${this.table('agent_groups')} m
                     where m.company_id = a.company_id and m.agent_id = a.id and m.group_id = ?)`,
      ),
      [companyId, groupId],
    );
    return rows.map(agentOf);
  }

  /** For `POST /api/agents/login` only: the agent with its password hash, to check with `verifyPassword`. */
  async findAgentByUsername(companyId: string, username: string): Promise<ConfigResult<AgentLogin>> {
    const [row] = await this.rows<AgentRow & { password_hash: string; token_version: number }>(
      this.knex,
      `select a.id, a.username, a.name, a.role, a.capacity, a.created_at, a.password_hash, a.token_version,
         coalesce((select jsonb_agg(g.group_id order by g.group_id) from ${this.table('agent_groups')} g
                   where g.company_id = a.company_id and g.agent_id = a.id), '[]'::jsonb) as group_ids
       from ${this.table('agents')} a where a.company_id = ? and a.username = ?`,
      [companyId, username],
    );
    return row === undefined
      ? failure('not_found', `no agent ${username} in company ${companyId}`)
      : ok({ ...agentOf(row), passwordHash: row.password_hash, tokenVersion: row.token_version });
  }

  /**
   * The token version of each of the company's agents (supervisors and admins included), by id: a staff token
   * naming another version, or an agent not in the map, is revoked. One read of the agents' ids.
   */
  async tokenVersions(companyId: string): Promise<Map<string, number>> {
    const rows = await this.rows<{ id: string; token_version: number }>(
      this.knex,
      `select id, token_version from ${this.table('agents')} where company_id = ?`,
      [companyId],
    );
    return new Map(rows.map((row) => [row.id, row.token_version]));
  }

  /**
   * `POST /api/agents/logout`: ends every token of the agent (all its devices) by moving its token version, as an
   * audited write so that every process's configuration cache sees it. An unknown agent is `not_found`.
   */
  async revokeTokens(companyId: string, actorId: string, agentId: string): Promise<ConfigResult<void>> {
    return this.change(companyId, actorId, async ({ trx, audit }) => {
      const updated = await this.rows(
        trx,
        `update ${this.table('agents')} set token_version = token_version + 1
         where company_id = ? and id = ? returning id`,
        [companyId, agentId],
      );
      if (updated.length === 0) refuse('not_found', `agent ${agentId} not found`);
      await audit('update', 'agent', agentId, { tokensRevoked: true });
    });
  }

  /** A taken username or id is a `conflict`; a group that is not the company's is `unknown_group`. */
  async createAgent(
    companyId: string,
    actorId: string,
    agent: NewAgent,
    options: WithId = {},
  ): Promise<ConfigResult<{ id: string }>> {
    const id = options.id ?? this.newId();
    const passwordHash = await this.options.hashPassword(agent.password);
    return this.change(
      companyId,
      actorId,
      async ({ trx, audit }) => {
        await this.groupsMustExist(trx, companyId, agent.groupIds);
        await trx.raw(
          `insert into ${this.table('agents')} (company_id, id, username, name, role, password_hash, capacity)
           values (?, ?, ?, ?, ?, ?, ?)`,
          [companyId, id, agent.username, agent.name ?? null, agent.role, passwordHash, agent.capacity],
        );
        await this.setAgentGroups(trx, companyId, id, agent.groupIds);
        const { password: _password, ...details } = agent;
        await audit('create', 'agent', id, details);
        return { id };
      },
      this.agentConstraints(id, agent.username),
    );
  }

  private agentConstraints(agentId: string, username: string | undefined): Record<string, Failure> {
    return {
      agents_pkey: failure('conflict', `agent ${agentId} exists`),
      [CONSTRAINTS.agentUsername]: failure('conflict', `username ${username ?? ''} is taken`),
      [CONSTRAINTS.agentGroupsGroup]: failure('unknown_group', 'a group of the agent was deleted meanwhile'),
    };
  }

  private async setAgentGroups(
    trx: Knex.Transaction,
    companyId: string,
    agentId: string,
    groupIds: readonly string[],
  ): Promise<void> {
    await trx.raw(`delete from ${this.table('agent_groups')} where company_id = ? and agent_id = ?`, [
      companyId,
      agentId,
    ]);
    const groups = [...new Set(groupIds)];
    if (groups.length === 0) return;
    await trx.raw(
      `insert into ${this.table('agent_groups')} (company_id, agent_id, group_id)
       values ${groups.map(() => '(?, ?, ?)').join(', ')}`,
      groups.flatMap((groupId) => [companyId, agentId, groupId]),
    );
  }

  /**
   * Locks the company's admins (in id order, so that two such changes cannot deadlock) and refuses when
   * `agentId` is the last of them: a company must keep someone who can administer it.
   */
  private async keepAnAdmin(trx: Knex.Transaction, companyId: string, agentId: string): Promise<void> {
    const admins = await this.rows<{ id: string }>(
      trx,
      `select id from ${this.table('agents')} where company_id = ? and role = 'admin' order by id for update`,
      [companyId],
    );
    if (admins.length === 1 && admins[0]?.id === agentId) {
      refuse('conflict', `agent ${agentId} is the last admin of company ${companyId}`);
    }
  }

  /** Any subset of the fields; a password given replaces the old one, `groupIds` replaces the memberships. */
  async updateAgent(
    companyId: string,
    actorId: string,
    agentId: string,
    patch: AgentPatch,
  ): Promise<ConfigResult<AgentAccount>> {
    const passwordHash = patch.password === undefined ? undefined : await this.options.hashPassword(patch.password);
    return this.change(
      companyId,
      actorId,
      async ({ trx, audit }) => {
        if (patch.role !== undefined && patch.role !== 'admin') await this.keepAnAdmin(trx, companyId, agentId);
        const set = assignments([
          patch.username !== undefined && ['username', patch.username],
          patch.name !== undefined && ['name', patch.name],
          patch.role !== undefined && ['role', patch.role],
          patch.capacity !== undefined && ['capacity', patch.capacity],
          passwordHash !== undefined && ['password_hash', passwordHash],
        ]);
        // A new role or password ends the agent's tokens: the token version moves (the right-hand side reads the
        // row as it was, so a role set to the one it has keeps them, as does an edit of the capacity alone).
        const revoke =
          passwordHash !== undefined
            ? { sql: ', token_version = token_version + 1', bindings: [] }
            : patch.role !== undefined
              ? {
                  sql: ', token_version = token_version + (case when role <> ? then 1 else 0 end)',
                  bindings: [patch.role],
                }
              : { sql: '', bindings: [] };
        const updated = await this.rows(
          trx,
          `update ${this.table('agents')} set ${set.sql}${revoke.sql} where company_id = ? and id = ? returning id`,
          [...set.bindings, ...revoke.bindings, companyId, agentId],
        );
        if (updated.length === 0) refuse('not_found', `agent ${agentId} not found`);
        if (patch.groupIds !== undefined) {
          await this.groupsMustExist(trx, companyId, patch.groupIds);
          await this.setAgentGroups(trx, companyId, agentId, patch.groupIds);
        }
        await audit('update', 'agent', agentId, auditedAgentPatch(patch));
        return orRefuse(await this.agentWithin(trx, companyId, agentId));
      },
      this.agentConstraints(agentId, patch.username),
    );
  }

  /**
   * Deletes the agent with its memberships and personal canned responses; never the last admin. Its tokens end with
   * its row: an agent without a token version has no valid token (`tokenVersions`).
   */
  async deleteAgent(companyId: string, actorId: string, agentId: string): Promise<ConfigResult<void>> {
    return this.change(companyId, actorId, async ({ trx, audit }) => {
      await this.keepAnAdmin(trx, companyId, agentId);
      const deleted = await this.rows(
        trx,
        `delete from ${this.table('agents')} where company_id = ? and id = ? returning id`,
        [companyId, agentId],
      );
      if (deleted.length === 0) refuse('not_found', `agent ${agentId} not found`);
      await audit('delete', 'agent', agentId);
    });
  }

  // ---- channel accounts ----

  private channelAccountsSelect(where: string): string {
    return `select id, platform, name, group_id, enabled, credentials <> '{}'::jsonb as has_credentials, created_at
            from ${this.table('channel_accounts')} where company_id = ? ${where}`;
  }

  /** The company's channel accounts, saying whether they have credentials but never what they are. */
  async listChannelAccounts(companyId: string): Promise<ChannelAccount[]> {
    const rows = await this.rows<ChannelAccountRow>(this.knex, `${this.channelAccountsSelect('')} order by name, id`, [
      companyId,
    ]);
    return rows.map(channelAccountOf);
  }

  async getChannelAccount(companyId: string, accountId: string): Promise<ConfigResult<ChannelAccount>> {
    return this.channelAccountWithin(this.knex, companyId, accountId);
  }

  private async channelAccountWithin(
    db: Db,
    companyId: string,
    accountId: string,
  ): Promise<ConfigResult<ChannelAccount>> {
    const [row] = await this.rows<ChannelAccountRow>(db, this.channelAccountsSelect('and id = ?'), [
      companyId,
      accountId,
    ]);
    return row === undefined
      ? failure('not_found', `channel account ${accountId} not found`)
      : ok(channelAccountOf(row));
  }

  /** For the channel workers that call the platform: never for an HTTP answer. */
  async channelAccountCredentials(
    companyId: string,
    accountId: string,
  ): Promise<ConfigResult<ChannelAccountCredentials>> {
    const [row] = await this.rows<{
      id: string;
      platform: Platform;
      enabled: boolean;
      credentials: Record<string, unknown>;
    }>(
      this.knex,
      `select id, platform, enabled, credentials from ${this.table('channel_accounts')} where company_id = ? and id = ?`,
      [companyId, accountId],
    );
    return row === undefined
      ? failure('not_found', `channel account ${accountId} not found`)
      : ok({ id: row.id, platform: row.platform, enabled: row.enabled, credentials: row.credentials });
  }

  /**
   * The account a webhook path names (`/webhooks/<platform>/<id>`, no company in it), with its
   * company, group and credentials: for the webhook receiver and the channel sender only.
   */
  async channelAccountById(accountId: string): Promise<
    ConfigResult<{
      companyId: string;
      id: string;
      platform: Platform;
      enabled: boolean;
      groupId: string;
      credentials: Record<string, unknown>;
    }>
  > {
    const rows = await this.rows<{
      company_id: string;
      id: string;
      platform: Platform;
      enabled: boolean;
      group_id: string;
      credentials: Record<string, unknown>;
    }>(
      this.knex,
      `select company_id, id, platform, enabled, group_id, credentials from ${this.table('channel_accounts')} where id = ?`,
      [accountId],
    );
    const [row] = rows;
    // Ids are made unique here; two companies holding one id (imported by hand) answer to nobody.
    if (row === undefined || rows.length > 1) return failure('not_found', `channel account ${accountId} not found`);
    return ok({
      companyId: row.company_id,
      id: row.id,
      platform: row.platform,
      enabled: row.enabled,
      groupId: row.group_id,
      credentials: row.credentials,
    });
  }

  /** The answer of `POST /api/admin/channel-accounts`: the id and the path the platform calls. */
  async createChannelAccount(
    companyId: string,
    actorId: string,
    account: NewChannelAccount,
    options: WithId = {},
  ): Promise<ConfigResult<{ id: string; webhookPath: string }>> {
    const id = options.id ?? this.newId();
    return this.change(
      companyId,
      actorId,
      async ({ trx, audit }) => {
        await this.groupsMustExist(trx, companyId, [account.groupId]);
        await trx.raw(
          `insert into ${this.table('channel_accounts')} (company_id, id, platform, name, group_id, credentials)
           values (?, ?, ?, ?, ?, ?::jsonb)`,
          [companyId, id, account.platform, account.name, account.groupId, json(account.credentials)],
        );
        const { credentials, ...details } = account;
        await audit('create', 'channel_account', id, {
          ...details,
          hasCredentials: Object.keys(credentials).length > 0,
        });
        return { id, webhookPath: webhookPathOf(account.platform, id) };
      },
      {
        channel_accounts_pkey: failure('conflict', `channel account ${id} exists`),
        [CONSTRAINTS.channelAccountsGroup]: failure('unknown_group', `group ${account.groupId} was deleted meanwhile`),
      },
    );
  }

  /** Credentials given replace the old ones whole. */
  async updateChannelAccount(
    companyId: string,
    actorId: string,
    accountId: string,
    patch: ChannelAccountPatch,
  ): Promise<ConfigResult<ChannelAccount>> {
    return this.change(
      companyId,
      actorId,
      async ({ trx, audit }) => {
        if (patch.groupId !== undefined) await this.groupsMustExist(trx, companyId, [patch.groupId]);
        const set = assignments([
          patch.name !== undefined && ['name', patch.name],
          patch.groupId !== undefined && ['group_id', patch.groupId],
          patch.enabled !== undefined && ['enabled', patch.enabled],
        ]);
        // jsonb needs its cast, which `assignments` does not write.
        const credentials = patch.credentials === undefined ? '' : `, credentials = ?::jsonb`;
        const updated = await this.rows(
          trx,
          `update ${this.table('channel_accounts')} set ${set.sql}${credentials}
           where company_id = ? and id = ? returning id`,
          [
            ...set.bindings,
            ...(patch.credentials === undefined ? [] : [json(patch.credentials)]),
            companyId,
            accountId,
          ],
        );
        if (updated.length === 0) refuse('not_found', `channel account ${accountId} not found`);
        const { credentials: given, ...details } = patch;
        await audit('update', 'channel_account', accountId, {
          ...details,
          ...(given === undefined ? {} : { credentialsChanged: true }),
        });
        return orRefuse(await this.channelAccountWithin(trx, companyId, accountId));
      },
      {
        [CONSTRAINTS.channelAccountsGroup]: failure(
          'unknown_group',
          `group ${patch.groupId ?? ''} was deleted meanwhile`,
        ),
      },
    );
  }

  async deleteChannelAccount(companyId: string, actorId: string, accountId: string): Promise<ConfigResult<void>> {
    return this.change(companyId, actorId, async ({ trx, audit }) => {
      const deleted = await this.rows(
        trx,
        `delete from ${this.table('channel_accounts')} where company_id = ? and id = ? returning id`,
        [companyId, accountId],
      );
      if (deleted.length === 0) refuse('not_found', `channel account ${accountId} not found`);
      await audit('delete', 'channel_account', accountId);
    });
  }

  /** Which group serves web visitors and each enabled channel account (the domain's `groupFor` reads it). */
  async channelRouting(companyId: string): Promise<ChannelRouting> {
    const [settings] = await this.rows<{ default_group_id: string | null }>(
      this.knex,
      `select default_group_id from ${this.table('settings')} where company_id = ?`,
      [companyId],
    );
    const accounts = await this.rows<{ id: string; group_id: string }>(
      this.knex,
      `select id, group_id from ${this.table('channel_accounts')} where company_id = ? and enabled`,
      [companyId],
    );
    const defaultGroupId = settings?.default_group_id ?? null;
    return {
      ...(defaultGroupId === null ? {} : { defaultGroupId }),
      accountGroups: Object.fromEntries(accounts.map((a) => [a.id, a.group_id])),
    };
  }

  // ---- working hours ----

  private workingHoursSelect(where: string): string {
    return `select id, company_id, group_id, type, time_zone, spec
            from ${this.table('working_hours')} where company_id = ? ${where}`;
  }

  async listWorkingHours(companyId: string, groupId?: string): Promise<WorkingHours[]> {
    const rows = await this.rows<WorkingHoursRow>(
      this.knex,
      `${this.workingHoursSelect(groupId === undefined ? '' : 'and group_id = ?')} order by group_id, type, id`,
      groupId === undefined ? [companyId] : [companyId, groupId],
    );
    return rows.map(workingHoursOf);
  }

  async getWorkingHours(companyId: string, id: string): Promise<ConfigResult<WorkingHours>> {
    const [row] = await this.rows<WorkingHoursRow>(this.knex, this.workingHoursSelect('and id = ?'), [companyId, id]);
    return row === undefined ? failure('not_found', `working hours ${id} not found`) : ok(workingHoursOf(row));
  }

  /** What the calendar reads for one group (no schedule at all: always open). */
  async hoursOfGroup(companyId: string, groupId: string): Promise<GroupHours> {
    const schedules = await this.listWorkingHours(companyId, groupId);
    return schedules[0] === undefined ? {} : groupHoursOf(schedules, schedules[0].companyId, schedules[0].groupId);
  }

  private workingHoursConstraints(hours: NewWorkingHours, id: string): Record<string, Failure> {
    return {
      // The unique index catches the schedule a concurrent transaction added after this one read the group's.
      [CONSTRAINTS.workingHoursPerType]: failure(
        'working_hours_exists',
        `group ${hours.groupId} already has its ${hours.type} schedule`,
      ),
      working_hours_pkey: failure('conflict', `working hours ${id} exist`),
      [CONSTRAINTS.workingHoursGroup]: failure('unknown_group', `group ${hours.groupId} was deleted meanwhile`),
    };
  }

  private async schedulesOfGroup(trx: Knex.Transaction, companyId: string, groupId: string): Promise<WorkingHours[]> {
    const rows = await this.rows<WorkingHoursRow>(trx, this.workingHoursSelect('and group_id = ?'), [
      companyId,
      groupId,
    ]);
    return rows.map(workingHoursOf);
  }

  private async writeSchedule(trx: Knex.Transaction, schedule: WorkingHours, insert: boolean): Promise<void> {
    const spec = json(schedule.type === 'regular' ? schedule.weekly : schedule.dates);
    await trx.raw(
      insert
        ? `insert into ${this.table('working_hours')} (group_id, type, time_zone, spec, company_id, id)
           values (?, ?, ?, ?::jsonb, ?, ?)`
        : `update ${this.table('working_hours')} set group_id = ?, type = ?, time_zone = ?, spec = ?::jsonb
           where company_id = ? and id = ?`,
      [schedule.groupId, schedule.type, schedule.timeZone, spec, schedule.companyId, schedule.id],
    );
  }

  /** A group's regular or irregular schedule; a second of the same type is `working_hours_exists`. */
  async createWorkingHours(
    companyId: string,
    actorId: string,
    hours: NewWorkingHours,
    options: WithId = {},
  ): Promise<ConfigResult<{ id: string }>> {
    const id = options.id ?? this.newId();
    return this.change(
      companyId,
      actorId,
      async ({ trx, audit }) => {
        await this.groupsMustExist(trx, companyId, [hours.groupId]);
        const schedule = this.scheduleOf(companyId, id, hours);
        const added = addSchedule(await this.schedulesOfGroup(trx, companyId, hours.groupId), schedule);
        if (isLeft(added)) refuse('working_hours_exists', added.left.message);
        await this.writeSchedule(trx, schedule, true);
        await audit('create', 'working_hours', id, hours);
        return { id };
      },
      this.workingHoursConstraints(hours, id),
    );
  }

  /** Replaces the schedule with this id whole (it may move to another group or type, under the same rule). */
  async updateWorkingHours(
    companyId: string,
    actorId: string,
    id: string,
    hours: NewWorkingHours,
  ): Promise<ConfigResult<WorkingHours>> {
    return this.change(
      companyId,
      actorId,
      async ({ trx, audit }) => {
        const current = await this.rows(
          trx,
          `select 1 from ${this.table('working_hours')} where company_id = ? and id = ? for update`,
          [companyId, id],
        );
        if (current.length === 0) refuse('not_found', `working hours ${id} not found`);
        await this.groupsMustExist(trx, companyId, [hours.groupId]);
        const schedule = this.scheduleOf(companyId, id, hours);
        const replaced = replaceSchedule(await this.schedulesOfGroup(trx, companyId, hours.groupId), schedule);
        if (isLeft(replaced)) refuse('working_hours_exists', replaced.left.message);
        await this.writeSchedule(trx, schedule, false);
        await audit('update', 'working_hours', id, hours);
        return schedule;
      },
      this.workingHoursConstraints(hours, id),
    );
  }

  private scheduleOf(companyId: string, id: string, hours: NewWorkingHours): WorkingHours {
    // The body's codec checked the schedule; the id and the company (which exists, so is valid) complete it.
    const decoded = WorkingHours.decode({ ...hours, id, companyId });
    if (isLeft(decoded)) throw new UndecodableConfigError('working hours', id, invalidPaths(decoded.left));
    return decoded.right;
  }

  async deleteWorkingHours(companyId: string, actorId: string, id: string): Promise<ConfigResult<void>> {
    return this.change(companyId, actorId, async ({ trx, audit }) => {
      const deleted = await this.rows(
        trx,
        `delete from ${this.table('working_hours')} where company_id = ? and id = ? returning id`,
        [companyId, id],
      );
      if (deleted.length === 0) refuse('not_found', `working hours ${id} not found`);
      await audit('delete', 'working_hours', id);
    });
  }

  // ---- suggested questions ----

  /** The configured questions in their order (sent to a visitor after login). */
  async getSuggestedQuestions(companyId: string): Promise<string[]> {
    const rows = await this.rows<{ question: string }>(
      this.knex,
      `select question from ${this.table('suggested_questions')} where company_id = ? order by position`,
      [companyId],
    );
    return rows.map((row) => row.question);
  }

  /** Replaces the list whole. */
  async setSuggestedQuestions(
    companyId: string,
    actorId: string,
    questions: readonly string[],
  ): Promise<ConfigResult<string[]>> {
    return this.change(companyId, actorId, async ({ trx, audit }) => {
      await trx.raw(`delete from ${this.table('suggested_questions')} where company_id = ?`, [companyId]);
      if (questions.length > 0) {
        await trx.raw(
          `insert into ${this.table('suggested_questions')} (company_id, position, question)
           values ${questions.map(() => '(?, ?, ?)').join(', ')}`,
          questions.flatMap((question, position) => [companyId, position, question]),
        );
      }
      await audit('update', 'suggested_questions', companyId, { questions });
      return [...questions];
    });
  }

  // ---- FAQ ----

  private faqSelect(where: string): string {
    return `select id, question, alternatives, answer, tags, enabled, updated_at
            from ${this.table('faq_entries')} where company_id = ? ${where}`;
  }

  /** `enabledOnly` for the bot, which answers from enabled entries only. */
  async listFaqEntries(companyId: string, options: { readonly enabledOnly?: boolean } = {}): Promise<FaqEntry[]> {
    const rows = await this.rows<FaqRow>(
      this.knex,
      `${this.faqSelect(options.enabledOnly === true ? 'and enabled' : '')} order by question, id`,
      [companyId],
    );
    return rows.map(faqEntryOf);
  }

  async getFaqEntry(companyId: string, id: string): Promise<ConfigResult<FaqEntry>> {
    const [row] = await this.rows<FaqRow>(this.knex, this.faqSelect('and id = ?'), [companyId, id]);
    return row === undefined ? failure('not_found', `FAQ entry ${id} not found`) : ok(faqEntryOf(row));
  }

  async createFaqEntry(
    companyId: string,
    actorId: string,
    entry: NewFaqEntry,
    options: WithId = {},
  ): Promise<ConfigResult<{ id: string }>> {
    const id = options.id ?? this.newId();
    return this.change(
      companyId,
      actorId,
      async ({ trx, audit }) => {
        await trx.raw(
          `insert into ${this.table('faq_entries')} (company_id, id, question, alternatives, answer, tags, enabled)
           values (?, ?, ?, ?::jsonb, ?, ?::jsonb, ?)`,
          [
            companyId,
            id,
            entry.question,
            json(entry.alternatives ?? []),
            entry.answer,
            json(entry.tags ?? []),
            entry.enabled ?? true,
          ],
        );
        await audit('create', 'faq_entry', id, entry);
        return { id };
      },
      { faq_entries_pkey: failure('conflict', `FAQ entry ${id} exists`) },
    );
  }

  async updateFaqEntry(
    companyId: string,
    actorId: string,
    id: string,
    patch: FaqEntryPatch,
  ): Promise<ConfigResult<FaqEntry>> {
    return this.change(companyId, actorId, async ({ trx, audit }) => {
      const set = assignments([
        patch.question !== undefined && ['question', patch.question],
        patch.answer !== undefined && ['answer', patch.answer],
        patch.enabled !== undefined && ['enabled', patch.enabled],
      ]);
      const lists = [
        ...(patch.alternatives === undefined ? [] : ['alternatives = ?::jsonb']),
        ...(patch.tags === undefined ? [] : ['tags = ?::jsonb']),
      ];
      const [row] = await this.rows<FaqRow>(
        trx,
        `update ${this.table('faq_entries')} set ${[set.sql, ...lists].join(', ')}, updated_at = now()
         where company_id = ? and id = ?
         returning id, question, alternatives, answer, tags, enabled, updated_at`,
        [
          ...set.bindings,
          ...(patch.alternatives === undefined ? [] : [json(patch.alternatives)]),
          ...(patch.tags === undefined ? [] : [json(patch.tags)]),
          companyId,
          id,
        ],
      );
      if (row === undefined) return refuse('not_found', `FAQ entry ${id} not found`);
      await audit('update', 'faq_entry', id, patch);
      return faqEntryOf(row);
    });
  }

  async deleteFaqEntry(companyId: string, actorId: string, id: string): Promise<ConfigResult<void>> {
    return this.change(companyId, actorId, async ({ trx, audit }) => {
      const deleted = await this.rows(
        trx,
        `delete from ${this.table('faq_entries')} where company_id = ? and id = ? returning id`,
        [companyId, id],
      );
      if (deleted.length === 0) refuse('not_found', `FAQ entry ${id} not found`);
      await audit('delete', 'faq_entry', id);
    });
  }

  /**
   * Adds `text` to the entry's alternatives in one transaction (the row locked: no lost update of a concurrent edit).
   * A text the entry already asks (its question or an alternative, case and spaces folded) changes nothing and is not
   * audited; an entry with its 100 alternatives refuses another (`bad_request`).
   */
  async addFaqAlternative(
    companyId: string,
    actorId: string,
    id: string,
    text: string,
  ): Promise<ConfigResult<FaqEntry>> {
    return this.change(companyId, actorId, async ({ trx, audit }) => {
      const [row] = await this.rows<FaqRow>(trx, `${this.faqSelect('and id = ?')} for update`, [companyId, id]);
      if (row === undefined) return refuse('not_found', `FAQ entry ${id} not found`);
      const entry = faqEntryOf(row);
      const wanted = text.trim();
      if ([entry.question, ...entry.alternatives].some((known) => foldText(known) === foldText(wanted))) return entry;
      if (entry.alternatives.length >= MAX_FAQ_ALTERNATIVES) {
        return refuse('bad_request', `alternatives: at most ${MAX_FAQ_ALTERNATIVES} items; FAQ entry ${id} is full`);
      }
      const [updated] = await this.rows<FaqRow>(
        trx,
        `update ${this.table('faq_entries')} set alternatives = ?::jsonb, updated_at = now()
         where company_id = ? and id = ?
         returning id, question, alternatives, answer, tags, enabled, updated_at`,
        [json([...entry.alternatives, wanted]), companyId, id],
      );
      await audit('update', 'faq_entry', id, { addedAlternative: wanted });
      return faqEntryOf(updated!);
    });
  }

  // ---- intents ----

  private intentsSelect(where: string): string {
    return `select id, name, phrases, action, answer, enabled, updated_at
            from ${this.table('intents')} where company_id = ? ${where}`;
  }

  /** In the order of their names; `enabledOnly` for the bot, which matches enabled intents only. */
  async listIntents(companyId: string, options: { readonly enabledOnly?: boolean } = {}): Promise<Intent[]> {
    const rows = await this.rows<IntentRow>(
      this.knex,
      `${this.intentsSelect(options.enabledOnly === true ? 'and enabled' : '')} order by name, id`,
      [companyId],
    );
    return rows.map(intentOf);
  }

  async getIntent(companyId: string, id: string): Promise<ConfigResult<Intent>> {
    const [row] = await this.rows<IntentRow>(this.knex, this.intentsSelect('and id = ?'), [companyId, id]);
    return row === undefined ? failure('not_found', `intent ${id} not found`) : ok(intentOf(row));
  }

  private intentConstraints(id: string, name: string | undefined): Record<string, Failure> {
    return {
      intents_pkey: failure('conflict', `intent ${id} exists`),
      [CONSTRAINTS.intentName]: failure('conflict', `an intent named ${name ?? ''} exists`),
    };
  }

  /**
   * A name taken in the company is a `conflict`; an `answer` intent without an answer, or an answer for another
   * action, is `bad_request`.
   */
  async createIntent(
    companyId: string,
    actorId: string,
    intent: NewIntent,
    options: WithId = {},
  ): Promise<ConfigResult<{ id: string }>> {
    const id = options.id ?? this.newId();
    return this.change(
      companyId,
      actorId,
      async ({ trx, audit }) => {
        const answer = intentAnswer(intent.action, intent.answer, null);
        await trx.raw(
          `insert into ${this.table('intents')} (company_id, id, name, phrases, action, answer, enabled)
           values (?, ?, ?, ?::jsonb, ?, ?, ?)`,
          [companyId, id, intent.name, json(intent.phrases), intent.action, answer, intent.enabled ?? true],
        );
        await audit('create', 'intent', id, intent);
        return { id };
      },
      this.intentConstraints(id, intent.name),
    );
  }

  /**
   * Any subset. The action and the answer must agree afterwards (else `bad_request`); a change of action to
   * `transfer` or `end` drops the stored answer.
   */
  async updateIntent(
    companyId: string,
    actorId: string,
    id: string,
    patch: IntentPatch,
  ): Promise<ConfigResult<Intent>> {
    return this.change(
      companyId,
      actorId,
      async ({ trx, audit }) => {
        const [current] = await this.rows<{ action: IntentAction; answer: string | null }>(
          trx,
          `select action, answer from ${this.table('intents')} where company_id = ? and id = ? for update`,
          [companyId, id],
        );
        if (current === undefined) return refuse('not_found', `intent ${id} not found`);
        const answer = intentAnswer(patch.action ?? current.action, patch.answer, current.answer);
        const set = assignments([
          patch.name !== undefined && ['name', patch.name],
          patch.action !== undefined && ['action', patch.action],
          ['answer', answer],
          patch.enabled !== undefined && ['enabled', patch.enabled],
        ]);
        // jsonb needs its cast, which `assignments` does not write.
        const phrases = patch.phrases === undefined ? '' : ', phrases = ?::jsonb';
        const [row] = await this.rows<IntentRow>(
          trx,
          `update ${this.table('intents')} set ${set.sql}${phrases}, updated_at = now()
           where company_id = ? and id = ?
           returning id, name, phrases, action, answer, enabled, updated_at`,
          [...set.bindings, ...(patch.phrases === undefined ? [] : [json(patch.phrases)]), companyId, id],
        );
        if (row === undefined) return refuse('not_found', `intent ${id} not found`);
        await audit('update', 'intent', id, patch);
        return intentOf(row);
      },
      this.intentConstraints(id, patch.name),
    );
  }

  async deleteIntent(companyId: string, actorId: string, id: string): Promise<ConfigResult<void>> {
    return this.change(companyId, actorId, async ({ trx, audit }) => {
      const deleted = await this.rows(
        trx,
        `delete from ${this.table('intents')} where company_id = ? and id = ? returning id`,
        [companyId, id],
      );
      if (deleted.length === 0) refuse('not_found', `intent ${id} not found`);
      await audit('delete', 'intent', id);
    });
  }

  /**
   * Adds `text` to the intent's phrases in one transaction (the row locked). A phrase it already has (case and spaces
   * folded) changes nothing and is not audited; an intent with its 200 phrases refuses another (`bad_request`).
   */
  async addIntentPhrase(companyId: string, actorId: string, id: string, text: string): Promise<ConfigResult<Intent>> {
    return this.change(companyId, actorId, async ({ trx, audit }) => {
      const [row] = await this.rows<IntentRow>(trx, `${this.intentsSelect('and id = ?')} for update`, [companyId, id]);
      if (row === undefined) return refuse('not_found', `intent ${id} not found`);
      const intent = intentOf(row);
      const wanted = text.trim();
      if (intent.phrases.some((known) => foldText(known) === foldText(wanted))) return intent;
      if (intent.phrases.length >= MAX_INTENT_PHRASES) {
        return refuse('bad_request', `phrases: at most ${MAX_INTENT_PHRASES} items; intent ${id} is full`);
      }
      const [updated] = await this.rows<IntentRow>(
        trx,
        `update ${this.table('intents')} set phrases = ?::jsonb, updated_at = now()
         where company_id = ? and id = ?
         returning id, name, phrases, action, answer, enabled, updated_at`,
        [json([...intent.phrases, wanted]), companyId, id],
      );
      await audit('update', 'intent', id, { addedPhrase: wanted });
      return intentOf(updated!);
    });
  }

  // ---- the unanswered-questions report's dismissals ----

  /**
   * Marks a question of the unanswered-questions report as noise, by its folded text (case and spaces folded, as the
   * report groups them): the report then counts only the times it is asked afterwards. Dismissing again moves the
   * mark to now.
   */
  async dismissUnansweredQuestion(
    companyId: string,
    actorId: string,
    question: string,
  ): Promise<ConfigResult<{ question: string; dismissedAt: string }>> {
    return this.change(companyId, actorId, async ({ trx, audit }) => {
      const folded = foldText(question);
      const [row] = await this.rows<{ dismissed_at: Date | string }>(
        trx,
        `insert into ${this.table('unanswered_dismissals')} (company_id, question) values (?, ?)
         on conflict (company_id, question) do update set dismissed_at = now()
         returning dismissed_at`,
        [companyId, folded],
      );
      await audit('update', 'unanswered_question', folded, { dismissed: true });
      return { question: folded, dismissedAt: iso(row!.dismissed_at) };
    });
  }

  /** The company's dismissed questions (folded) and when each was last dismissed. */
  async listUnansweredDismissals(companyId: string): Promise<{ question: string; dismissedAt: string }[]> {
    const rows = await this.rows<{ question: string; dismissed_at: Date | string }>(
      this.knex,
      `select question, dismissed_at from ${this.table('unanswered_dismissals')} where company_id = ? order by question`,
      [companyId],
    );
    return rows.map((r) => ({ question: r.question, dismissedAt: iso(r.dismissed_at) }));
  }

  // ---- the bot's knowledge ----

  /**
   * A token that changes with every committed write of the company's FAQ entries, intents or suggested questions
   * (deletes too) and never comes back to an earlier value: one primary-key read, for a bot that caches what it
   * built from them. `'0'` until the first such write. Read it before loading what it versions: a write between
   * the two then costs one more reload, never a stale cache.
   */
  knowledgeVersion(companyId: string): Promise<string> {
    return this.version('knowledge_versions', companyId);
  }

  /** Forgets the kept versions of a company this store has just written (see `soleWriter`). */
  private forgetVersions(companyId: string): void {
    this.versions.delete(`config_versions:${companyId}`);
    this.versions.delete(`knowledge_versions:${companyId}`);
  }

  private version(table: 'config_versions' | 'knowledge_versions', companyId: string): Promise<string> {
    if (this.options.soleWriter !== true) return this.readVersion(table, companyId);
    const key = `${table}:${companyId}`;
    const kept = this.versions.get(key);
    if (kept !== undefined) return kept;
    const reading = this.readVersion(table, companyId);
    this.versions.set(key, reading);
    // A write of the company while this read was in flight forgot it already; a failed read is not kept.
    reading.catch(() => {
      if (this.versions.get(key) === reading) this.versions.delete(key);
    });
    return reading;
  }

  private async readVersion(table: 'config_versions' | 'knowledge_versions', companyId: string): Promise<string> {
    if (table === 'config_versions') {
      const [row] = await this.rows<{ version: string }>(
        this.knex,
        `select version::text from ${this.table('config_versions')} where company_id = ?`,
        [companyId],
      );
      return row?.version ?? '0';
    }
    const [row] = await this.rows<{ version: string }>(
      this.knex,
      `select coalesce((select version::text from ${this.table('knowledge_versions')} where company_id = ?), '0')
         as version`,
      [companyId],
    );
    return row?.version ?? '0';
  }

  // ---- the whole configuration ----

  /**
   * A token that changes with every committed audited write of the company (any entity, deletes too) and never
   * comes back to an earlier value: one primary-key read, for the caches of every process to check before each
   * use. `'0'` until the first write. Read it before loading what it versions: a write between the two then
   * costs one more reload, never a stale cache.
   */
  configVersion(companyId: string): Promise<string> {
    return this.version('config_versions', companyId);
  }

  // ---- canned responses ----

  /**
   * The company-wide responses and the agent's personal ones; `query` keeps those whose shortcut or text
   * contains it, whatever the case.
   */
  async listCannedResponses(companyId: string, agentId: string, query?: string): Promise<CannedResponse[]> {
    const pattern = query === undefined || query === '' ? undefined : containing(query);
    const rows = await this.rows<CannedRow>(
      this.knex,
      `select id, owner_agent_id, shortcut, text, created_at from ${this.table('canned_responses')}
       where company_id = ? and (owner_agent_id is null or owner_agent_id = ?)
       ${pattern === undefined ? '' : `and (shortcut ilike ? escape '\\' or text ilike ? escape '\\')`}
       order by shortcut, id`,
      pattern === undefined ? [companyId, agentId] : [companyId, agentId, pattern, pattern],
    );
    return rows.map(cannedResponseOf);
  }

  /** The acting agent's role as stored now (a token may be older than a change of role). */
  private async roleOf(trx: Knex.Transaction, companyId: string, agentId: string): Promise<AgentRole> {
    const [row] = await this.rows<{ role: AgentRole }>(
      trx,
      `select role from ${this.table('agents')} where company_id = ? and id = ?`,
      [companyId, agentId],
    );
    return row?.role ?? refuse('forbidden', `agent ${agentId} is not an agent of company ${companyId}`);
  }

  /** Anyone may own personal responses; only an admin writes company-wide ones (`forbidden`). */
  async createCannedResponse(
    companyId: string,
    actorId: string,
    response: NewCannedResponse,
    options: WithId = {},
  ): Promise<ConfigResult<{ id: string }>> {
    const id = options.id ?? this.newId();
    return this.change(
      companyId,
      actorId,
      async ({ trx, audit }) => {
        const role = await this.roleOf(trx, companyId, actorId);
        if (response.scope === 'company' && role !== 'admin') {
          refuse('forbidden', 'only an admin writes company-wide canned responses');
        }
        await trx.raw(
          `insert into ${this.table('canned_responses')} (company_id, id, owner_agent_id, shortcut, text)
           values (?, ?, ?, ?, ?)`,
          [companyId, id, response.scope === 'personal' ? actorId : null, response.shortcut, response.text],
        );
        await audit('create', 'canned_response', id, response);
        return { id };
      },
      { canned_responses_pkey: failure('conflict', `canned response ${id} exists`) },
    );
  }

  /**
   * The ownership rule of updates and deletes: a personal response is its owner's alone (to anyone else it does
   * not exist: `not_found`); a company-wide one is an admin's (`forbidden` to an agent).
   */
  private async mayChangeCannedResponse(
    trx: Knex.Transaction,
    companyId: string,
    actorId: string,
    id: string,
  ): Promise<void> {
    const role = await this.roleOf(trx, companyId, actorId);
    const [row] = await this.rows<{ owner_agent_id: string | null }>(
      trx,
      `select owner_agent_id from ${this.table('canned_responses')} where company_id = ? and id = ? for update`,
      [companyId, id],
    );
    if (row === undefined || (row.owner_agent_id !== null && row.owner_agent_id !== actorId)) {
      refuse('not_found', `canned response ${id} not found`);
    }
    if (row?.owner_agent_id === null && role !== 'admin') {
      refuse('forbidden', 'only an admin changes company-wide canned responses');
    }
  }

  async updateCannedResponse(
    companyId: string,
    actorId: string,
    id: string,
    patch: CannedResponsePatch,
  ): Promise<ConfigResult<CannedResponse>> {
    return this.change(companyId, actorId, async ({ trx, audit }) => {
      await this.mayChangeCannedResponse(trx, companyId, actorId, id);
      const set = assignments([
        patch.shortcut !== undefined && ['shortcut', patch.shortcut],
        patch.text !== undefined && ['text', patch.text],
      ]);
      const [row] = await this.rows<CannedRow>(
        trx,
        `update ${this.table('canned_responses')} set ${set.sql} where company_id = ? and id = ?
         returning id, owner_agent_id, shortcut, text, created_at`,
        [...set.bindings, companyId, id],
      );
      if (row === undefined) return refuse('not_found', `canned response ${id} not found`);
      await audit('update', 'canned_response', id, patch);
      return cannedResponseOf(row);
    });
  }

  async deleteCannedResponse(companyId: string, actorId: string, id: string): Promise<ConfigResult<void>> {
    return this.change(companyId, actorId, async ({ trx, audit }) => {
      await this.mayChangeCannedResponse(trx, companyId, actorId, id);
      await trx.raw(`delete from ${this.table('canned_responses')} where company_id = ? and id = ?`, [companyId, id]);
      await audit('delete', 'canned_response', id);
    });
  }

  // ---- settings ----

  /** The company's settings, with the defaults for what was never set. */
  async getSettings(companyId: string): Promise<ConfigResult<Settings>> {
    return this.settingsWithin(this.knex, companyId);
  }

  private async settingsWithin(db: Db, companyId: string): Promise<ConfigResult<Settings>> {
    // A company whose settings row is missing reads the columns' defaults.
    const [row] = await this.rows<SettingsRow & { company: string | null }>(
      db,
      `select c.id as company,
              coalesce(s.inactivity_timeout_seconds, 900) as inactivity_timeout_seconds,
              s.greeting,
              coalesce(s.suggestion_count, 5) as suggestion_count,
              s.default_group_id,
              coalesce(s.bot_confidence, 0.15) as bot_confidence,
              coalesce(s.bot_misses_before_human, 2) as bot_misses_before_human,
              coalesce(s.presence_grace_seconds, 30) as presence_grace_seconds,
              coalesce(s.offline_requeue_seconds, 120) as offline_requeue_seconds,
              coalesce(s.language, 'zh-CN') as language,
              s.retention_days
       from ${this.table('companies')} c left join ${this.table('settings')} s on s.company_id = c.id
       where c.id = ?`,
      [companyId],
    );
    return row === undefined ? failure('not_found', `company ${companyId} not found`) : ok(settingsOf(row));
  }

  /** Any subset; `null` clears the greeting or the default group, which must be a group of the company. */
  async updateSettings(companyId: string, actorId: string, patch: SettingsPatch): Promise<ConfigResult<Settings>> {
    return this.change(
      companyId,
      actorId,
      async ({ trx, audit }) => {
        if (typeof patch.defaultGroupId === 'string')
          await this.groupsMustExist(trx, companyId, [patch.defaultGroupId]);
        await trx.raw(`insert into ${this.table('settings')} (company_id) values (?) on conflict do nothing`, [
          companyId,
        ]);
        const set = assignments([
          patch.inactivityTimeoutSeconds !== undefined && [
            'inactivity_timeout_seconds',
            patch.inactivityTimeoutSeconds,
          ],
          patch.greeting !== undefined && ['greeting', patch.greeting],
          patch.suggestionCount !== undefined && ['suggestion_count', patch.suggestionCount],
          patch.defaultGroupId !== undefined && ['default_group_id', patch.defaultGroupId],
          patch.botConfidence !== undefined && ['bot_confidence', patch.botConfidence],
          patch.botMissesBeforeHuman !== undefined && ['bot_misses_before_human', patch.botMissesBeforeHuman],
          patch.presenceGraceSeconds !== undefined && ['presence_grace_seconds', patch.presenceGraceSeconds],
          patch.offlineRequeueSeconds !== undefined && ['offline_requeue_seconds', patch.offlineRequeueSeconds],
          patch.language !== undefined && ['language', patch.language],
          patch.retentionDays !== undefined && ['retention_days', patch.retentionDays],
        ]);
        await trx.raw(`update ${this.table('settings')} set ${set.sql} where company_id = ?`, [
          ...set.bindings,
          companyId,
        ]);
        await audit('update', 'settings', companyId, patch);
        return orRefuse(await this.settingsWithin(trx, companyId));
      },
      {
        [CONSTRAINTS.settingsDefaultGroup]: failure(
          'unknown_group',
          `group ${patch.defaultGroupId ?? ''} was deleted meanwhile`,
        ),
      },
    );
  }

  // ---- audit ----

  /**
   * Records a visitor's erasure in the audit: who (an admin's id, `retention` or `cli`), which visitor, when (the
   * entry's time) and `details` (counts only: never the erased data). `not_found` for an unknown company.
   */
  async recordVisitorErasure(
    companyId: string,
    actorId: string,
    visitorId: string,
    details: Readonly<Record<string, number | boolean | string>>,
  ): Promise<ConfigResult<void>> {
    return this.change(companyId, actorId, async ({ audit }) => {
      await audit('delete', 'visitor', visitorId, { ...details });
    });
  }

  /** The company's recorded changes, newest first. */
  async auditTrail(companyId: string, options: { readonly limit?: number } = {}): Promise<AuditEntry[]> {
    const rows = await this.rows<AuditRow>(
      this.knex,
      // Ordered by the column, not by the text it is selected as (`'36' < '5'`).
      `select a.id::text, actor_id, action, entity, entity_id, at, details from ${this.table('config_audit')} a
       where company_id = ? order by a.id desc limit ?`,
      [companyId, options.limit ?? 100],
    );
    return rows.map(auditEntryOf);
  }
}
