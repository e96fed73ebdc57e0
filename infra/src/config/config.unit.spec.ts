import { ConfigError, loadConfig } from './config';

describe('configuration from the environment', () => {
  it('defaults to embedded mode on a fresh machine', () => {
    expect(loadConfig({})).toEqual({
      mode: 'embedded',
      port: 8080,
      dataDir: './data',
      eventStore: { kind: 'pglite', dataDir: './data' },
      readModelsUrl: undefined,
      bus: { kind: 'in-process' },
      redisUrl: undefined,
      redisPrefix: 'cschat:',
      channelApiUrls: {},
      timeoutPollMs: 1000,
      slaPollMs: 1000,
      retentionPollMs: 3_600_000,
      presenceLeaseMs: 15_000,
      keyCacheMs: 2_000,
      roles: ['gateway', 'api', 'projector', 'relay', 'worker'],
      logLevel: 'info',
      tokenSecret: undefined,
      uploadMaxBytes: 10 * 1024 * 1024,
      platformAdminToken: undefined,
      metricsToken: undefined,
      trustProxy: false,
      demoPassword: 'demo',
      socketLimits: {},
      webhooks: {
        allowPrivate: false,
        retryScheduleMs: [10_000, 30_000, 120_000, 600_000, 1_800_000, 3_600_000, 7_200_000, 21_600_000],
        timeoutMs: 10_000,
      },
    });
  });

  it("takes the outbound webhooks' settings, and refuses bad ones by name", () => {
    expect(
      loadConfig({ WEBHOOKS_ALLOW_PRIVATE: '1', WEBHOOK_RETRY_SECONDS: '0.5, 2,60', WEBHOOK_TIMEOUT_MS: '3000' })
        .webhooks,
    ).toEqual({ allowPrivate: true, retryScheduleMs: [500, 2000, 60_000], timeoutMs: 3000 });
    expect(loadConfig({ WEBHOOK_RETRY_SECONDS: '' }).webhooks.retryScheduleMs).toHaveLength(8);
    expect(() => loadConfig({ WEBHOOKS_ALLOW_PRIVATE: 'yes' })).toThrow(/WEBHOOKS_ALLOW_PRIVATE/);
    expect(() => loadConfig({ WEBHOOK_RETRY_SECONDS: '10,abc' })).toThrow(/WEBHOOK_RETRY_SECONDS/);
    expect(() => loadConfig({ WEBHOOK_TIMEOUT_MS: '5' })).toThrow(/WEBHOOK_TIMEOUT_MS/);
  });

  it('takes the bound of the data keys cache, and refuses a bad one by name', () => {
    expect(loadConfig({ KEY_CACHE_MS: '500' }).keyCacheMs).toBe(500);
    expect(loadConfig({ KEY_CACHE_MS: '0' }).keyCacheMs).toBe(0);
    expect(() => loadConfig({ KEY_CACHE_MS: '-1' })).toThrow(/KEY_CACHE_MS/);
    expect(() => loadConfig({ KEY_CACHE_MS: '600000' })).toThrow(/KEY_CACHE_MS/);
  });

  it("takes the platforms' API base URLs, for fakes and proxies", () => {
    expect(
      loadConfig({ TELEGRAM_API_URL: 'http://127.0.0.1:9999/', WECHAT_API_URL: 'http://x:1' }).channelApiUrls,
    ).toEqual({
      telegram: 'http://127.0.0.1:9999',
      wechat: 'http://x:1',
    });
    expect(() => loadConfig({ WHATSAPP_API_URL: 'ftp://x' })).toThrow(/WHATSAPP_API_URL must start with http/);
  });

  it('takes the metrics token, and which proxies name the client, refusing a bad list by name', () => {
    expect(loadConfig({ METRICS_TOKEN: 'scrape-me-please' }).metricsToken).toBe('scrape-me-please');
    expect(loadConfig({ TRUST_PROXY: '1' }).trustProxy).toBe(true);
    expect(loadConfig({ TRUST_PROXY: 'false' }).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 127.0.0.1,::1,fd00::/8' }).trustProxy).toEqual([
      '10.0.0.0/8',
      '127.0.0.1',
      '::1',
      'fd00::/8',
    ]);
    expect(() => loadConfig({ TRUST_PROXY: 'yes' })).toThrow(/TRUST_PROXY/);
    expect(() => loadConfig({ TRUST_PROXY: '10.0.0.0/33' })).toThrow(/TRUST_PROXY/);
    expect(() => loadConfig({ TRUST_PROXY: 'proxy.internal' })).toThrow(/TRUST_PROXY/);
  });

  it('takes websocket connection limits', () => {
    expect(loadConfig({ WS_MAX_CONNECTIONS_PER_IP: '25000', WS_MAX_CONNECTIONS_PER_USER: '3' }).socketLimits).toEqual({
      maxConnectionsPerIp: 25000,
      maxConnectionsPerPrincipal: 3,
    });
  });

  it('takes the bound of work in hand', () => {
    expect(loadConfig({ MAX_IN_FLIGHT: '64', MAX_EVENT_LOOP_LAG_MS: '500' }).socketLimits).toEqual({
      maxInFlight: 64,
      maxEventLoopLagMs: 500,
    });
    expect(() => loadConfig({ MAX_IN_FLIGHT: '0' })).toThrow(/MAX_IN_FLIGHT must be a whole number from 1/);
  });

  it('uses the servers it is given', () => {
    const config = loadConfig({
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/cschat',
      KAFKA_BROKERS: '127.0.0.1:9092, 127.0.0.1:9094',
      REDIS_URL: 'redis://127.0.0.1:6379',
      ROLES: 'gateway,api',
      PORT: '9000',
    });
    expect(config).toMatchObject({
      mode: 'distributed',
      port: 9000,
      eventStore: { kind: 'postgres', url: 'postgres://postgres@127.0.0.1:5432/cschat' },
      bus: {
        kind: 'kafka',
        brokers: ['127.0.0.1:9092', '127.0.0.1:9094'],
        partitions: 6,
        namespace: '',
        replicationFactor: undefined,
        linkTimeoutMs: 15_000,
      },
      redisUrl: 'redis://127.0.0.1:6379',
      roles: ['gateway', 'api'],
    });
    expect(loadConfig({ KAFKA_BROKERS: 'k1:9092,k2:9092,k3:9092', KAFKA_REPLICATION_FACTOR: '3' }).bus).toEqual({
      kind: 'kafka',
      brokers: ['k1:9092', 'k2:9092', 'k3:9092'],
      partitions: 6,
      namespace: '',
      replicationFactor: 3,
      linkTimeoutMs: 15_000,
    });
    expect(loadConfig({ EVENTSTORE_URL: 'esdb://127.0.0.1:2113?tls=false' }).eventStore.kind).toBe('eventstoredb');
  });

  it("takes KAFKA_LINK_TIMEOUT_MS, a gateway's wait for its event feed, with the brokers", () => {
    const bus = loadConfig({ KAFKA_BROKERS: '127.0.0.1:9092', KAFKA_LINK_TIMEOUT_MS: '3000' }).bus;
    expect(bus).toMatchObject({ kind: 'kafka', linkTimeoutMs: 3000 });
    expect(() => loadConfig({ KAFKA_BROKERS: '127.0.0.1:9092', KAFKA_LINK_TIMEOUT_MS: '999' })).toThrow(
      'KAFKA_LINK_TIMEOUT_MS must be a whole number from 1000 to 3600000, got "999"',
    );
    expect(() => loadConfig({ KAFKA_BROKERS: '127.0.0.1:9092', KAFKA_LINK_TIMEOUT_MS: '15s' })).toThrow(
      /KAFKA_LINK_TIMEOUT_MS must be a whole number/,
    );
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ DATABASE_URL: '', KAFKA_BROKERS: ' ' }).mode).toBe('embedded');
  });

  it.each([
    [{ PORT: 'eighty' }, /PORT must be a whole number/],
    [{ UPLOAD_MAX_BYTES: '0' }, /UPLOAD_MAX_BYTES must be a whole number from 1/],
    [{ UPLOAD_MAX_BYTES: '10MB' }, /UPLOAD_MAX_BYTES must be a whole number/],
    [{ PORT: '70000' }, /PORT must be a whole number/],
    [{ DATABASE_URL: 'mysql://x' }, /DATABASE_URL must start with postgres:\/\//],
    [{ DATABASE_URL: 'not a url' }, /DATABASE_URL is not a URL/],
    [{ KAFKA_BROKERS: 'localhost' }, /KAFKA_BROKERS must be host:port/],
    [
      { KAFKA_BROKERS: 'k1:9092', KAFKA_REPLICATION_FACTOR: '0' },
      /KAFKA_REPLICATION_FACTOR must be a whole number from 1/,
    ],
    [
      { KAFKA_BROKERS: 'k1:9092', KAFKA_REPLICATION_FACTOR: 'three' },
      /KAFKA_REPLICATION_FACTOR must be a whole number/,
    ],
    [{ ROLES: 'gateway,cook' }, /ROLES lists "cook"/],
    [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent/],
    [{ TOKEN_SECRET: 'short' }, /TOKEN_SECRET must be at least 32 bytes/],
    [{ WS_MAX_CONNECTIONS_PER_IP: '0' }, /WS_MAX_CONNECTIONS_PER_IP must be a whole number/],
  ])('refuses %j with a message naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('turns tracing on with an OTLP endpoint, named after the roles unless OTEL_SERVICE_NAME says otherwise', () => {
    expect(loadConfig({}).tracing).toBeUndefined();
    expect(loadConfig({ OTEL_SERVICE_NAME: 'alone' }).tracing).toBeUndefined();
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', ROLES: 'gateway,api' }).tracing).toEqual({
      otlpEndpoint: 'http://collector:4318',
      serviceName: 'cschat-gateway-api',
    });
    expect(
      loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'https://otlp.example', OTEL_SERVICE_NAME: 'chat-edge' }).tracing,
    ).toEqual({ otlpEndpoint: 'https://otlp.example', serviceName: 'chat-edge' });
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' })).toThrow(/OTEL_EXPORTER_OTLP_ENDPOINT/);
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'grpc://collector:4317' })).toThrow(
      /OTEL_EXPORTER_OTLP_ENDPOINT must start with http:\/\/ or https:\/\//,
    );
    expect(() =>
      loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SERVICE_NAME: 'two words' }),
    ).toThrow(/OTEL_SERVICE_NAME/);
  });
});
