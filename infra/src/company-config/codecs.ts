// The shapes of the company configuration: the admin API's bodies (PROTOCOL.md) and what the store answers.
import * as t from 'io-ts';
import { CompanyId, Id, Schedule, TimeZone, session } from '@cschat/domain';

/** A string of at most `maxLength` characters that is not blank. */
const text = (name: string, maxLength: number): t.Type<string, string, unknown> => {
  const valid = (s: string): boolean => s.length <= maxLength && s.trim().length > 0;
  return new t.Type<string, string, unknown>(
    name,
    (u): u is string => typeof u === 'string' && valid(u),
    (u, c) =>
      typeof u === 'string' && valid(u)
        ? t.success(u)
        : t.failure(u, c, `must be 1 to ${maxLength} characters, not blank`),
    t.identity,
  );
};

const integerBetween = (name: string, min: number, max: number): t.Type<number, number, unknown> => {
  const valid = (u: unknown): u is number => typeof u === 'number' && Number.isInteger(u) && u >= min && u <= max;
  return new t.Type<number, number, unknown>(
    name,
    valid,
    (u, c) => (valid(u) ? t.success(u) : t.failure(u, c, `must be an integer from ${min} to ${max}`)),
    t.identity,
  );
};

/** A number (fractions too) from `min` to `max`, both included. */
const numberBetween = (name: string, min: number, max: number): t.Type<number, number, unknown> => {
  const valid = (u: unknown): u is number => typeof u === 'number' && Number.isFinite(u) && u >= min && u <= max;
  return new t.Type<number, number, unknown>(
    name,
    valid,
    (u, c) => (valid(u) ? t.success(u) : t.failure(u, c, `must be a number from ${min} to ${max}`)),
    t.identity,
  );
};

const listOf = <C extends t.Mixed>(item: C, name: string, maxItems: number, minItems = 0) => {
  const list = t.readonlyArray(item);
  const counted = (length: number): boolean => length >= minItems && length <= maxItems;
  return new t.Type<t.TypeOf<typeof list>, t.OutputOf<typeof list>, unknown>(
    name,
    (u): u is t.TypeOf<typeof list> => list.is(u) && counted(u.length),
    (u, c) => {
      const decoded = list.validate(u, c);
      return decoded._tag === 'Right' && !counted(decoded.right.length)
        ? t.failure(
            u,
            c,
            minItems === 0 ? `must be at most ${maxItems} items` : `must be ${minItems} to ${maxItems} items`,
          )
        : decoded;
    },
    list.encode,
  );
};

/** An object with required and optional properties whose unknown properties are dropped. */
const record = <R extends t.Props, O extends t.Props>(name: string, required: R, optional: O) =>
  t.exact(t.intersection([t.type(required), t.partial(optional)]), name);

/** Passwords longer than this many UTF-8 bytes are refused (scrypt hashes any length; this bounds the work). */
export const MAX_PASSWORD_BYTES = 1024;

export const Password = new t.Type<string, string, unknown>(
  'Password',
  (u): u is string => typeof u === 'string' && u.length > 0 && Buffer.byteLength(u, 'utf8') <= MAX_PASSWORD_BYTES,
  (u, c) =>
    typeof u === 'string' && u.length > 0 && Buffer.byteLength(u, 'utf8') <= MAX_PASSWORD_BYTES
      ? t.success(u)
      : t.failure(u, c, `must be 1 to ${MAX_PASSWORD_BYTES} bytes`),
  t.identity,
);

const USERNAME = /^[^\s\p{C}]{1,100}$/u;
/** A login name: up to 100 characters, no spaces or control characters; unique in its company. */
export const Username = new t.Type<string, string, unknown>(
  'Username',
  (u): u is string => typeof u === 'string' && USERNAME.test(u),
  (u, c) =>
    typeof u === 'string' && USERNAME.test(u)
      ? t.success(u)
      : t.failure(u, c, 'must be 1 to 100 characters without spaces or control characters'),
  t.identity,
);

export const AgentRole = t.keyof({ agent: null, supervisor: null, admin: null }, 'AgentRole');
export type AgentRole = t.TypeOf<typeof AgentRole>;

/** The social-media platforms a channel account connects: every channel but the web. */
const { web: _web, ...platforms } = session.Channel.keys;
export const Platform = t.keyof(platforms, 'Platform');
export type Platform = t.TypeOf<typeof Platform>;

export const CannedResponseScope = t.keyof({ personal: null, company: null }, 'CannedResponseScope');
export type CannedResponseScope = t.TypeOf<typeof CannedResponseScope>;

const Name = text('Name', 200);
const Capacity = integerBetween('Capacity', 0, 100);
const GroupIds = listOf(Id, 'GroupIds', 100);
const Credentials = t.UnknownRecord;
const FaqText = text('FaqText', 2000);
const FaqAnswer = text('FaqAnswer', 10_000);
const Tag = text('Tag', 100);
const Shortcut = text('Shortcut', 100);
const CannedText = text('CannedText', 10_000);
const Question = text('Question', 500);
const Greeting = text('Greeting', 2000);
/** A week: the longest inactivity timeout a company may set (what bounds the timeouts' Redis keys). */
export const LONGEST_INACTIVITY_TIMEOUT_SECONDS = 604_800;
export const InactivityTimeoutSeconds = integerBetween(
  'InactivityTimeoutSeconds',
  10,
  LONGEST_INACTIVITY_TIMEOUT_SECONDS,
);
export const SuggestionCount = integerBetween('SuggestionCount', 0, 20);
/** Below this score of its best match the bot says it did not understand. */
export const BotConfidence = numberBetween('BotConfidence', 0, 1);
/** After this many messages in a row that the bot did not understand it offers a human. */
export const BotMissesBeforeHuman = integerBetween('BotMissesBeforeHuman', 1, 10);
/** How long an agent with no open socket on any gateway stays as it was before it becomes `offline`. */
export const PresenceGraceSeconds = integerBetween('PresenceGraceSeconds', 0, 3600);
/** How long an agent stays `offline` before the sessions it holds go back to their queues. */
export const OfflineRequeueSeconds = integerBetween('OfflineRequeueSeconds', 0, 86_400);
/** How many days a visitor's personal data is kept after its last activity (ten years at most). */
export const RetentionDays = integerBetween('RetentionDays', 1, 3650);
/** A day: the longest service-level target (first response, wait) a group may set. */
export const LONGEST_SLA_TARGET_SECONDS = 86_400;
export const SlaTargetSeconds = integerBetween('SlaTargetSeconds', 1, LONGEST_SLA_TARGET_SECONDS);
const IntentName = text('IntentName', 100);
const Phrases = listOf(text('Phrase', 500), 'Phrases', 200, 1);
const IntentAnswer = text('IntentAnswer', 4000);

/** What the bot does when a message matches an intent: answer with its text, hand over to a human, or end. */
/**
 * The company's language: the one its bot and the server's own texts (infra/src/texts) speak to its
 * visitors and agents. New companies speak zh-CN, the language of the product's first users.
 */
export const CompanyLanguage = t.keyof({ 'zh-CN': null, en: null }, 'CompanyLanguage');
export type CompanyLanguage = t.TypeOf<typeof CompanyLanguage>;
export const DEFAULT_COMPANY_LANGUAGE: CompanyLanguage = 'zh-CN';
export const IntentAction = t.keyof({ answer: null, transfer: null, end: null }, 'IntentAction');
export type IntentAction = t.TypeOf<typeof IntentAction>;

// ---- bodies of the admin API ----

/** `POST /api/companies`. */
export const NewCompany = record(
  'NewCompany',
  { companyId: CompanyId, name: Name, timeZone: TimeZone, adminUsername: Username, adminPassword: Password },
  {},
);
export type NewCompany = t.TypeOf<typeof NewCompany>;

/**
 * `POST /api/admin/groups`. The service-level targets, in seconds from the visitor's request for a human: the
 * first answer of an agent, and the wait in the queue (the SLA monitor flags a session past one).
 */
export const NewGroup = record(
  'NewGroup',
  { name: Name },
  { firstResponseTargetSeconds: SlaTargetSeconds, waitTargetSeconds: SlaTargetSeconds },
);
export type NewGroup = t.TypeOf<typeof NewGroup>;
/** `PUT /api/admin/groups/:id`: any subset; `null` clears a target. */
export const GroupPatch = t.exact(
  t.partial({
    name: Name,
    firstResponseTargetSeconds: t.union([SlaTargetSeconds, t.null]),
    waitTargetSeconds: t.union([SlaTargetSeconds, t.null]),
  }),
  'GroupPatch',
);
export type GroupPatch = t.TypeOf<typeof GroupPatch>;

/** `POST /api/admin/agents`. */
export const NewAgent = record(
  'NewAgent',
  { username: Username, password: Password, role: AgentRole, groupIds: GroupIds, capacity: Capacity },
  { name: Name },
);
export type NewAgent = t.TypeOf<typeof NewAgent>;
/** `PUT /api/admin/agents/:id`: any subset; a password given replaces the old one. */
export const AgentPatch = t.exact(
  t.partial({
    username: Username,
    password: Password,
    name: Name,
    role: AgentRole,
    groupIds: GroupIds,
    capacity: Capacity,
  }),
  'AgentPatch',
);
export type AgentPatch = t.TypeOf<typeof AgentPatch>;

/** `POST /api/admin/channel-accounts`. */
export const NewChannelAccount = record(
  'NewChannelAccount',
  { platform: Platform, name: Name, groupId: Id, credentials: Credentials },
  {},
);
export type NewChannelAccount = t.TypeOf<typeof NewChannelAccount>;
/** `PUT /api/admin/channel-accounts/:id`; the platform is fixed (it is in the webhook path). */
export const ChannelAccountPatch = t.exact(
  t.partial({ name: Name, groupId: Id, credentials: Credentials, enabled: t.boolean }),
  'ChannelAccountPatch',
);
export type ChannelAccountPatch = t.TypeOf<typeof ChannelAccountPatch>;

/** `POST /api/admin/working-hours` and `PUT /api/admin/working-hours/:id`: a group's regular or irregular schedule. */
export const NewWorkingHours = t.intersection([t.strict({ groupId: Id }), Schedule], 'NewWorkingHours');
export type NewWorkingHours = t.TypeOf<typeof NewWorkingHours>;

/** `PUT /api/admin/suggested-questions`. */
export const SuggestedQuestions = t.strict({ questions: listOf(Question, 'Questions', 100) }, 'SuggestedQuestions');
export type SuggestedQuestions = t.TypeOf<typeof SuggestedQuestions>;

/** `POST /api/admin/faq`. */
export const NewFaqEntry = record(
  'NewFaqEntry',
  { question: FaqText, answer: FaqAnswer },
  { alternatives: listOf(FaqText, 'Alternatives', 100), tags: listOf(Tag, 'Tags', 50), enabled: t.boolean },
);
export type NewFaqEntry = t.TypeOf<typeof NewFaqEntry>;
export const FaqEntryPatch = t.exact(
  t.partial({
    question: FaqText,
    answer: FaqAnswer,
    alternatives: listOf(FaqText, 'Alternatives', 100),
    tags: listOf(Tag, 'Tags', 50),
    enabled: t.boolean,
  }),
  'FaqEntryPatch',
);
export type FaqEntryPatch = t.TypeOf<typeof FaqEntryPatch>;

/**
 * `POST /api/admin/faq/:id/alternatives`: one more way to ask an entry's question (the unanswered-questions report's
 * one click). A text the entry already has (case and spaces folded) is not added twice.
 */
export const NewFaqAlternative = t.strict({ text: FaqText }, 'NewFaqAlternative');
export type NewFaqAlternative = t.TypeOf<typeof NewFaqAlternative>;

/**
 * `POST /api/admin/intents`. `answer` goes with the action `answer` and with no other: the store refuses
 * (`bad_request`) an `answer` intent without one and an answer for another action.
 */
export const NewIntent = record(
  'NewIntent',
  { name: IntentName, phrases: Phrases, action: IntentAction },
  { answer: IntentAnswer, enabled: t.boolean },
);
export type NewIntent = t.TypeOf<typeof NewIntent>;
/** `PUT /api/admin/intents/:id`: any subset; a change of action to `transfer` or `end` drops the answer. */
export const IntentPatch = t.exact(
  t.partial({ name: IntentName, phrases: Phrases, action: IntentAction, answer: IntentAnswer, enabled: t.boolean }),
  'IntentPatch',
);
export type IntentPatch = t.TypeOf<typeof IntentPatch>;

/** `POST /api/admin/intents/:id/phrases`: one more training phrase, not added twice (case and spaces folded). */
export const NewIntentPhrase = t.strict({ text: text('Phrase', 500) }, 'NewIntentPhrase');
export type NewIntentPhrase = t.TypeOf<typeof NewIntentPhrase>;

/** `POST /api/admin/reports/unanswered/dismissals`: a question of the report that is noise. */
export const UnansweredDismissal = t.strict({ question: FaqText }, 'UnansweredDismissal');
export type UnansweredDismissal = t.TypeOf<typeof UnansweredDismissal>;

/** `POST /api/canned-responses`; `company` needs an admin. */
export const NewCannedResponse = record(
  'NewCannedResponse',
  { shortcut: Shortcut, text: CannedText, scope: CannedResponseScope },
  {},
);
export type NewCannedResponse = t.TypeOf<typeof NewCannedResponse>;
/** `PUT /api/canned-responses/:id`; the scope is fixed. */
export const CannedResponsePatch = t.exact(t.partial({ shortcut: Shortcut, text: CannedText }), 'CannedResponsePatch');
export type CannedResponsePatch = t.TypeOf<typeof CannedResponsePatch>;

/** `PUT /api/admin/settings`: any subset; `null` clears the greeting or the default group. */
export const SettingsPatch = t.exact(
  t.partial({
    inactivityTimeoutSeconds: InactivityTimeoutSeconds,
    greeting: t.union([Greeting, t.null]),
    suggestionCount: SuggestionCount,
    defaultGroupId: t.union([Id, t.null]),
    botConfidence: BotConfidence,
    botMissesBeforeHuman: BotMissesBeforeHuman,
    presenceGraceSeconds: PresenceGraceSeconds,
    offlineRequeueSeconds: OfflineRequeueSeconds,
    language: CompanyLanguage,
    /** `null`: kept for ever. */
    retentionDays: t.union([RetentionDays, t.null]),
  }),
  'SettingsPatch',
);
export type SettingsPatch = t.TypeOf<typeof SettingsPatch>;

// ---- what the store answers (times are ISO-8601 in UTC) ----

export const Company = t.strict({ id: t.string, name: t.string, timeZone: t.string, createdAt: t.string }, 'Company');
export type Company = t.TypeOf<typeof Company>;

/** The targets are there when the group has them. */
export const Group = record(
  'Group',
  { id: t.string, name: t.string, createdAt: t.string },
  { firstResponseTargetSeconds: t.number, waitTargetSeconds: t.number },
);
export type Group = t.TypeOf<typeof Group>;

/** An agent as the admin API shows it: never its password hash. */
export const AgentAccount = record(
  'AgentAccount',
  {
    id: t.string,
    username: t.string,
    role: AgentRole,
    capacity: t.number,
    groupIds: t.readonlyArray(t.string),
    createdAt: t.string,
  },
  { name: t.string },
);
export type AgentAccount = t.TypeOf<typeof AgentAccount>;

/**
 * What a login checks: the agent and its password hash (for `verifyPassword`, never for a client), and the token
 * version its new token carries (revoked when a delete, a role or password change or a logout moves it).
 */
export const AgentLogin = t.intersection(
  [AgentAccount, t.strict({ passwordHash: t.string, tokenVersion: t.number })],
  'AgentLogin',
);
export type AgentLogin = t.TypeOf<typeof AgentLogin>;

/** A channel account as the admin API shows it: whether it has credentials, never what they are. */
export const ChannelAccount = t.strict(
  {
    id: t.string,
    platform: Platform,
    name: t.string,
    groupId: t.string,
    enabled: t.boolean,
    hasCredentials: t.boolean,
    webhookPath: t.string,
    createdAt: t.string,
  },
  'ChannelAccount',
);
export type ChannelAccount = t.TypeOf<typeof ChannelAccount>;

/** What a channel worker needs to talk to its platform. */
export const ChannelAccountCredentials = t.strict(
  { id: t.string, platform: Platform, enabled: t.boolean, credentials: t.UnknownRecord },
  'ChannelAccountCredentials',
);
export type ChannelAccountCredentials = t.TypeOf<typeof ChannelAccountCredentials>;

export const FaqEntry = t.strict(
  {
    id: t.string,
    question: t.string,
    alternatives: t.readonlyArray(t.string),
    answer: t.string,
    tags: t.readonlyArray(t.string),
    enabled: t.boolean,
    updatedAt: t.string,
  },
  'FaqEntry',
);
export type FaqEntry = t.TypeOf<typeof FaqEntry>;

/** `answer` is there for the action `answer` only. */
export const Intent = record(
  'Intent',
  {
    id: t.string,
    name: t.string,
    phrases: t.readonlyArray(t.string),
    action: IntentAction,
    enabled: t.boolean,
    updatedAt: t.string,
  },
  { answer: t.string },
);
export type Intent = t.TypeOf<typeof Intent>;

/** `ownerAgentId` is there for personal responses only. */
export const CannedResponse = record(
  'CannedResponse',
  { id: t.string, shortcut: t.string, text: t.string, scope: CannedResponseScope, createdAt: t.string },
  { ownerAgentId: t.string },
);
export type CannedResponse = t.TypeOf<typeof CannedResponse>;

/** `GET /api/admin/settings`. */
export const Settings = record(
  'Settings',
  {
    inactivityTimeoutSeconds: t.number,
    suggestionCount: t.number,
    botConfidence: t.number,
    botMissesBeforeHuman: t.number,
    presenceGraceSeconds: t.number,
    offlineRequeueSeconds: t.number,
    language: CompanyLanguage,
  },
  /** `retentionDays` absent: visitors' data is kept for ever. */
  { greeting: t.string, defaultGroupId: t.string, retentionDays: t.number },
);
export type Settings = t.TypeOf<typeof Settings>;

export const AuditEntry = record(
  'AuditEntry',
  { id: t.string, actorId: t.string, action: t.string, entity: t.string, at: t.string, details: t.UnknownRecord },
  { entityId: t.string },
);
export type AuditEntry = t.TypeOf<typeof AuditEntry>;

/** Where a platform delivers the account's updates (PROTOCOL: `/webhooks/<platform>/<id>`). */
export const webhookPathOf = (platform: Platform, accountId: string): string => `/webhooks/${platform}/${accountId}`;
