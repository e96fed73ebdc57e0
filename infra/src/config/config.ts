// The process configuration: one io-ts codec over the environment, read once at start. The
// defaults make `npm start` work on a fresh machine (embedded mode); a bad value names its variable.
import { isIP } from 'node:net';
import { isLeft } from 'fp-ts/Either';
import * as t from 'io-ts';
import { violationsOf } from '@cschat/domain';
import { DEFAULT_KEY_CACHE_MS } from '../personal-data/key-store';

const ROLES = ['gateway', 'api', 'projector', 'relay', 'worker'] as const;
export type Role = (typeof ROLES)[number];

const Environment = t.partial({
  PORT: t.string,
  DATA_DIR: t.string,
  DATABASE_URL: t.string,
  EVENTSTORE_URL: t.string,
  KAFKA_BROKERS: t.string,
  KAFKA_PARTITIONS: t.string,
  KAFKA_NAMESPACE: t.string,
  KAFKA_REPLICATION_FACTOR: t.string,
  KAFKA_LINK_TIMEOUT_MS: t.string,
  REDIS_URL: t.string,
  REDIS_PREFIX: t.string,
  TELEGRAM_API_URL: t.string,
  WHATSAPP_API_URL: t.string,
  MESSENGER_API_URL: t.string,
  INSTAGRAM_API_URL: t.string,
  WECHAT_API_URL: t.string,
  TIMEOUT_POLL_MS: t.string,
  SLA_POLL_MS: t.string,
  RETENTION_POLL_MS: t.string,
  PRESENCE_LEASE_MS: t.string,
  KEY_CACHE_MS: t.string,
  ROLES: t.string,
  TOKEN_SECRET: t.string,
  PLATFORM_ADMIN_TOKEN: t.string,
  METRICS_TOKEN: t.string,
  TRUST_PROXY: t.string,
  DEMO_PASSWORD: t.string,
  WS_MAX_CONNECTIONS_PER_IP: t.string,
  WS_MAX_CONNECTIONS_PER_USER: t.string,
  MAX_IN_FLIGHT: t.string,
  MAX_EVENT_LOOP_LAG_MS: t.string,
  UPLOAD_MAX_BYTES: t.string,
  WEBHOOKS_ALLOW_PRIVATE: t.string,
  WEBHOOK_RETRY_SECONDS: t.string,
  WEBHOOK_TIMEOUT_MS: t.string,
  OTEL_EXPORTER_OTLP_ENDPOINT: t.string,
  OTEL_SERVICE_NAME: t.string,
  LOG_LEVEL: t.keyof({ fatal: null, error: null, warn: null, info: null, debug: null, trace: null, silent: null }),
});

/** Every variable the configuration reads: `npm start -- --help` and the README name each (a test checks). */
export const ENVIRONMENT_VARIABLES: readonly string[] = Object.keys(Environment.props);

export type EventStoreConfig =
  | { readonly kind: 'pglite'; readonly dataDir: string }
  | { readonly kind: 'postgres'; readonly url: string }
  | { readonly kind: 'eventstoredb'; readonly url: string };

export type BusConfig =
  | { readonly kind: 'in-process' }
  | {
      readonly kind: 'kafka';
      readonly brokers: readonly string[];
      readonly partitions: number;
      readonly namespace: string;
      /** Replicas of each partition of the topics the service creates; undefined: the brokers' default. */
      readonly replicationFactor: number | undefined;
      /**
       * How long a gateway's delivery consumers may hear nothing from Kafka before the gateway
       * counts its event feed as lost (KAFKA_LINK_TIMEOUT_MS): while another gateway's feed works,
       * /readyz 503 and its sockets closed with 1013 (gateways/src/feed-watchdog.ts).
       */
      readonly linkTimeoutMs: number;
    };

export interface Config {
  readonly mode: 'embedded' | 'distributed';
  readonly port: number;
  readonly dataDir: string;
  readonly eventStore: EventStoreConfig;
  /** PostgreSQL of the read models (DATABASE_URL); absent: embedded PGlite under dataDir. */
  readonly readModelsUrl: string | undefined;
  readonly bus: BusConfig;
  readonly redisUrl: string | undefined;
  /** Prefix of every Redis key of this deployment (default `cschat:`). */
  readonly redisPrefix: string;
  /** Base URLs of the platforms' APIs where they differ from the real ones (tests, proxies). */
  readonly channelApiUrls: Partial<Record<'telegram' | 'whatsapp' | 'messenger' | 'instagram' | 'wechat', string>>;
  /** The timeout worker's longest sleep when nothing is due sooner. */
  readonly timeoutPollMs: number;
  /** Between the SLA monitor's passes (its targets are whole seconds). */
  readonly slaPollMs: number;
  /** Between the retention job's passes (worker role): visitors past their company's retention are erased. */
  readonly retentionPollMs: number;
  /** How long an agent socket's lease lasts unless its gateway renews it (a third of it apart). */
  readonly presenceLeaseMs: number;
  /**
   * How long a process keeps a visitor's data key without reading it again (KEY_CACHE_MS, default
   * 2 s): an erasure made by another process is seen here at the latest this long after it.
   */
  readonly keyCacheMs: number;
  readonly roles: readonly Role[];
  readonly logLevel: string;
  /** Signs tokens (32 bytes or more); absent: a secret kept in dataDir. */
  readonly tokenSecret: string | undefined;
  readonly platformAdminToken: string | undefined;
  /** `GET /metrics` needs `Authorization: Bearer <this>` when set. */
  readonly metricsToken: string | undefined;
  /**
   * Which proxies' `X-Forwarded-For` names the client (the address logins are throttled by): true for any,
   * or their addresses and CIDR ranges; false (default): the connection's own address.
   */
  readonly trustProxy: boolean | readonly string[];
  readonly demoPassword: string;
  /** The largest file `POST /api/uploads` takes (and a platform's media the service fetches). */
  readonly uploadMaxBytes: number;
  /** Outbound webhooks: send to private and loopback addresses too, the waits between attempts, the timeout of one. */
  readonly webhooks: {
    readonly allowPrivate: boolean;
    readonly retryScheduleMs: readonly number[];
    readonly timeoutMs: number;
  };
  /**
   * Websocket limits an operator may change (the gateway's defaults otherwise); the last two bound
   * the work in hand of the whole process, API requests included.
   */
  /**
   * Tracing (OpenTelemetry): spans sent over OTLP/HTTP to `otlpEndpoint` (OTEL_EXPORTER_OTLP_ENDPOINT),
   * as service `serviceName` (OTEL_SERVICE_NAME, default `cschat-<roles>`); undefined: off.
   */
  readonly tracing: { readonly otlpEndpoint: string; readonly serviceName: string } | undefined;
  readonly socketLimits: {
    readonly maxConnectionsPerIp?: number;
    readonly maxConnectionsPerPrincipal?: number;
    readonly maxInFlight?: number;
    readonly maxEventLoopLagMs?: number;
  };
}

/**
 * KAFKA_LINK_TIMEOUT_MS's default: well above what a working consumer is ever silent (its idle
 * fetch is answered every half second; a rebalance waits at most 3 s, a re-created consumer 1 s).
 */
export const DEFAULT_KAFKA_LINK_TIMEOUT_MS = 15_000;

/** 10 MiB. */
export const DEFAULT_UPLOAD_MAX_BYTES = 10 * 1024 * 1024;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

const blankToUndefined = (value: string | undefined): string | undefined =>
  value === undefined || value.trim() === '' ? undefined : value.trim();

const flag = (name: string, value: string | undefined): boolean => {
  if (value === undefined) return false;
  if (['1', 'true'].includes(value)) return true;
  if (['0', 'false'].includes(value)) return false;
  throw new ConfigError(`${name} must be 1, true, 0 or false, got "${value}"`);
};

/** The outbound webhooks' waits before the 2nd, 3rd, ... attempt, in seconds (9 attempts in about 10 hours). */
export const DEFAULT_WEBHOOK_RETRY_SECONDS: readonly number[] = [10, 30, 120, 600, 1800, 3600, 7200, 21600];

/** Comma-separated waits in seconds (fractions allowed), 0 to 20 of them, each up to a day; in milliseconds. */
const secondsList = (name: string, value: string | undefined, fallback: readonly number[]): readonly number[] => {
  const seconds =
    value === undefined
      ? fallback
      : value
          .split(',')
          .filter((part) => part.trim() !== '')
          .map(Number);
  if (seconds.length > 20 || seconds.some((n) => !Number.isFinite(n) || n < 0.01 || n > 86_400))
    throw new ConfigError(
      `${name} must be up to 20 comma-separated waits in seconds from 0.01 to 86400, got "${value}"`,
    );
  return seconds.map((n) => Math.round(n * 1000));
};

/** 1/true, 0/false, or comma-separated IP addresses and CIDR ranges (`10.0.0.0/8`, `::1`). */
const trustProxyOf = (value: string | undefined): boolean | readonly string[] => {
  if (value === undefined || ['0', 'false'].includes(value)) return false;
  if (['1', 'true'].includes(value)) return true;
  const entries = value
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  const valid = (entry: string): boolean => {
    const [address = '', bits, ...rest] = entry.split('/');
    const family = isIP(address);
    if (family === 0 || rest.length > 0) return false;
    if (bits === undefined) return true;
    const n = Number(bits);
    return /^\d{1,3}$/.test(bits) && n <= (family === 4 ? 32 : 128);
  };
  if (entries.length === 0 || !entries.every(valid))
    throw new ConfigError(
      `TRUST_PROXY must be 1, true, 0, false or comma-separated IP addresses or CIDR ranges, got "${value}"`,
    );
  return entries;
};

const integer = (name: string, value: string | undefined, fallback: number, min: number, max: number): number => {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(`${name} must be a whole number from ${min} to ${max}, got "${value}"`);
  }
  return n;
};

const url = (name: string, value: string | undefined, protocols: readonly string[]): string | undefined => {
  if (value === undefined) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new ConfigError(`${name} is not a URL: "${value}"`);
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(`${name} must start with ${protocols.map((p) => `${p}//`).join(' or ')}, got "${value}"`);
  }
  return value;
};

/** Reads the configuration from an environment (process.env by default); throws ConfigError. */
export const loadConfig = (env: Record<string, string | undefined> = process.env): Config => {
  const cleaned: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    const kept = blankToUndefined(value);
    if (kept !== undefined) cleaned[name] = kept;
  }
  const decoded = Environment.decode(cleaned);
  if (isLeft(decoded)) {
    throw new ConfigError(`invalid environment variable(s): ${violationsOf(decoded.left, 'environment').join('; ')}`);
  }
  const e = decoded.right;
  const databaseUrl = url('DATABASE_URL', e.DATABASE_URL, ['postgres:', 'postgresql:']);
  const eventStoreUrl = url('EVENTSTORE_URL', e.EVENTSTORE_URL, ['esdb:', 'esdb+discover:']);
  const redisUrl = url('REDIS_URL', e.REDIS_URL, ['redis:', 'rediss:']);
  const brokers = e.KAFKA_BROKERS?.split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  for (const broker of brokers ?? []) {
    if (!/^[A-Za-z0-9.\-[\]:]+:\d{1,5}$/.test(broker)) {
      throw new ConfigError(`KAFKA_BROKERS must be host:port[,host:port...], got "${e.KAFKA_BROKERS}"`);
    }
  }
  if (e.TOKEN_SECRET !== undefined && Buffer.byteLength(e.TOKEN_SECRET) < 32) {
    throw new ConfigError('TOKEN_SECRET must be at least 32 bytes long');
  }
  const roles = (e.ROLES ?? ROLES.join(',')).split(',').map((r) => r.trim());
  for (const role of roles) {
    if (!(ROLES as readonly string[]).includes(role)) {
      throw new ConfigError(`ROLES lists "${role}"; known roles: ${ROLES.join(', ')}`);
    }
  }
  const otlpEndpoint = url('OTEL_EXPORTER_OTLP_ENDPOINT', e.OTEL_EXPORTER_OTLP_ENDPOINT, ['http:', 'https:']);
  // A resource attribute's value: printable ASCII, as OTLP backends index it.
  if (e.OTEL_SERVICE_NAME !== undefined && !/^[\x21-\x7e]{1,255}$/.test(e.OTEL_SERVICE_NAME)) {
    throw new ConfigError(
      `OTEL_SERVICE_NAME must be 1-255 printable ASCII characters without spaces, got "${e.OTEL_SERVICE_NAME}"`,
    );
  }
  const dataDir = e.DATA_DIR ?? './data';
  const eventStore: EventStoreConfig =
    eventStoreUrl !== undefined
      ? { kind: 'eventstoredb', url: eventStoreUrl }
      : databaseUrl !== undefined
        ? { kind: 'postgres', url: databaseUrl }
        : { kind: 'pglite', dataDir };
  const bus: BusConfig =
    brokers !== undefined && brokers.length > 0
      ? {
          kind: 'kafka',
          brokers,
          partitions: integer('KAFKA_PARTITIONS', e.KAFKA_PARTITIONS, 6, 1, 1000),
          namespace: e.KAFKA_NAMESPACE ?? '',
          // Kafka counts replicas in 16 bits; a factor above the number of brokers is refused by them.
          replicationFactor:
            e.KAFKA_REPLICATION_FACTOR === undefined
              ? undefined
              : integer('KAFKA_REPLICATION_FACTOR', e.KAFKA_REPLICATION_FACTOR, 1, 1, 32767),
          linkTimeoutMs: integer(
            'KAFKA_LINK_TIMEOUT_MS',
            e.KAFKA_LINK_TIMEOUT_MS,
            DEFAULT_KAFKA_LINK_TIMEOUT_MS,
            1_000,
            3_600_000,
          ),
        }
      : { kind: 'in-process' };
  return {
    mode: eventStore.kind === 'pglite' && bus.kind === 'in-process' ? 'embedded' : 'distributed',
    port: integer('PORT', e.PORT, 8080, 0, 65535),
    dataDir,
    eventStore,
    readModelsUrl: databaseUrl,
    bus,
    redisUrl,
    redisPrefix: e.REDIS_PREFIX ?? 'cschat:',
    channelApiUrls: Object.fromEntries(
      (
        [
          ['telegram', 'TELEGRAM_API_URL', e.TELEGRAM_API_URL],
          ['whatsapp', 'WHATSAPP_API_URL', e.WHATSAPP_API_URL],
          ['messenger', 'MESSENGER_API_URL', e.MESSENGER_API_URL],
          ['instagram', 'INSTAGRAM_API_URL', e.INSTAGRAM_API_URL],
          ['wechat', 'WECHAT_API_URL', e.WECHAT_API_URL],
        ] as const
      )
        .filter(([, , value]) => value !== undefined)
        .map(([platform, name, value]) => [platform, url(name, value, ['http:', 'https:'])!.replace(/\/+$/, '')]),
    ),
    timeoutPollMs: integer('TIMEOUT_POLL_MS', e.TIMEOUT_POLL_MS, 1000, 10, 60_000),
    slaPollMs: integer('SLA_POLL_MS', e.SLA_POLL_MS, 1000, 100, 60_000),
    retentionPollMs: integer('RETENTION_POLL_MS', e.RETENTION_POLL_MS, 3_600_000, 1000, 86_400_000),
    presenceLeaseMs: integer('PRESENCE_LEASE_MS', e.PRESENCE_LEASE_MS, 15_000, 300, 600_000),
    keyCacheMs: integer('KEY_CACHE_MS', e.KEY_CACHE_MS, DEFAULT_KEY_CACHE_MS, 0, 60_000),
    roles: roles as Role[],
    logLevel: e.LOG_LEVEL ?? 'info',
    tokenSecret: e.TOKEN_SECRET,
    platformAdminToken: e.PLATFORM_ADMIN_TOKEN,
    metricsToken: e.METRICS_TOKEN,
    trustProxy: trustProxyOf(e.TRUST_PROXY),
    demoPassword: e.DEMO_PASSWORD ?? 'demo',
    uploadMaxBytes: integer('UPLOAD_MAX_BYTES', e.UPLOAD_MAX_BYTES, DEFAULT_UPLOAD_MAX_BYTES, 1, 1024 * 1024 * 1024),
    webhooks: {
      allowPrivate: flag('WEBHOOKS_ALLOW_PRIVATE', e.WEBHOOKS_ALLOW_PRIVATE),
      retryScheduleMs: secondsList('WEBHOOK_RETRY_SECONDS', e.WEBHOOK_RETRY_SECONDS, DEFAULT_WEBHOOK_RETRY_SECONDS),
      timeoutMs: integer('WEBHOOK_TIMEOUT_MS', e.WEBHOOK_TIMEOUT_MS, 10_000, 100, 120_000),
    },
    tracing:
      otlpEndpoint === undefined
        ? undefined
        : { otlpEndpoint, serviceName: e.OTEL_SERVICE_NAME ?? `cschat-${roles.join('-')}` },
    socketLimits: {
      ...(e.WS_MAX_CONNECTIONS_PER_IP === undefined
        ? {}
        : { maxConnectionsPerIp: integer('WS_MAX_CONNECTIONS_PER_IP', e.WS_MAX_CONNECTIONS_PER_IP, 0, 1, 10_000_000) }),
      ...(e.WS_MAX_CONNECTIONS_PER_USER === undefined
        ? {}
        : {
            maxConnectionsPerPrincipal: integer(
              'WS_MAX_CONNECTIONS_PER_USER',
              e.WS_MAX_CONNECTIONS_PER_USER,
              0,
              1,
              10_000,
            ),
          }),
      ...(e.MAX_IN_FLIGHT === undefined
        ? {}
        : { maxInFlight: integer('MAX_IN_FLIGHT', e.MAX_IN_FLIGHT, 0, 1, 1_000_000) }),
      ...(e.MAX_EVENT_LOOP_LAG_MS === undefined
        ? {}
        : { maxEventLoopLagMs: integer('MAX_EVENT_LOOP_LAG_MS', e.MAX_EVENT_LOOP_LAG_MS, 0, 10, 600_000) }),
    },
  };
};
