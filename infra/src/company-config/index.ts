import knexFactory, { type Knex } from 'knex';
import { createPgliteKnex } from '../event-store';
import { CompanyConfigStore, DEFAULT_COMPANY_CONFIG_SCHEMA, type CompanyConfigStoreOptions } from './store';

export * from './codecs';
export * from './directory';
export * from './visitor-credentials';
export {
  companyDirectory,
  type AgentProfile,
  type ChatSettings,
  type CompanyDirectoryOptions,
  type Directory,
  type DirectorySource,
} from './directory';
export {
  CompanyConfigStore,
  DEFAULT_COMPANY_CONFIG_SCHEMA,
  PLATFORM_ACTOR,
  UndecodableConfigError,
  type AuditAction,
  type AuditedEntity,
  type CompanyConfigStoreOptions,
  type ConfigChange,
  type ConfigResult,
  type WithId,
} from './store';

export interface PostgresCompanyConfigOptions extends Pick<CompanyConfigStoreOptions, 'onCommitted' | 'logger'> {
  readonly url: string;
  readonly schema?: string;
  readonly poolSize?: number;
  readonly hashPassword: (plain: string) => Promise<string>;
}

/** What both factories pass on as they are given. */
const passedOn = (options: Pick<CompanyConfigStoreOptions, 'onCommitted' | 'logger'>) => ({
  ...(options.onCommitted === undefined ? {} : { onCommitted: options.onCommitted }),
  ...(options.logger === undefined ? {} : { logger: options.logger }),
});

/** The configuration on a PostgreSQL server, with a pool of its own. */
export const createPostgresCompanyConfigStore = (options: PostgresCompanyConfigOptions): CompanyConfigStore =>
  new CompanyConfigStore({
    knex: knexFactory({ client: 'pg', connection: options.url, pool: { min: 0, max: options.poolSize ?? 5 } }),
    ownsKnex: true,
    schema: options.schema ?? DEFAULT_COMPANY_CONFIG_SCHEMA,
    hashPassword: options.hashPassword,
    ...passedOn(options),
  });

export interface PgliteCompanyConfigOptions extends Pick<
  CompanyConfigStoreOptions,
  'onCommitted' | 'logger' | 'soleWriter'
> {
  /** The embedded database shared with the events and read models (PGlite has one connection); the caller closes it. */
  readonly knex?: Knex;
  /** A folder for a database of its own when no knex is given; absent: in memory. */
  readonly dataDir?: string;
  readonly schema?: string;
  readonly hashPassword: (plain: string) => Promise<string>;
}

/** The configuration in embedded PGlite. */
export const createPgliteCompanyConfigStore = (options: PgliteCompanyConfigOptions): CompanyConfigStore =>
  new CompanyConfigStore({
    knex: options.knex ?? createPgliteKnex(options.dataDir),
    ownsKnex: options.knex === undefined,
    schema: options.schema ?? DEFAULT_COMPANY_CONFIG_SCHEMA,
    hashPassword: options.hashPassword,
    ...passedOn(options),
    ...(options.soleWriter === undefined ? {} : { soleWriter: options.soleWriter }),
  });
