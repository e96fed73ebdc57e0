// The text of `npm start -- --help`: every variable of infra/src/config (a unit test checks).
export const HELP = `Usage: npm start [-- --no-demo] [-- --help]

Runs the customer-service chat backend. With no servers configured it runs in embedded
mode: events in an embedded PostgreSQL (PGlite) under ./data, an in-process bus.

Options:
  --no-demo       do not create the demo company on an empty data folder
  -h, --help      this text

Environment (empty counts as unset):
  PORT              port for the gateway and HTTP API (default 8080)
  DATA_DIR          folder for embedded data (default ./data); whoever uses it holds
                    DATA_DIR/pglite.lock (its pid), and others refuse the folder meanwhile
  DATABASE_URL      PostgreSQL server for events and read models (postgres://...)
  EVENTSTORE_URL    EventStoreDB for events instead (esdb://host:2113?tls=false)
  KAFKA_BROKERS     Kafka brokers for the bus (host:port,host:port)
  KAFKA_PARTITIONS  partitions of the topics the service creates (default 6)
  KAFKA_NAMESPACE   prefix of this deployment's Kafka topics and consumer groups (default none)
  KAFKA_REPLICATION_FACTOR  replicas of each partition of the topics the service creates
                    (default: the brokers' default.replication.factor)
  KAFKA_LINK_TIMEOUT_MS  a gateway hearing nothing from Kafka this long, while another gateway
                    does, is not ready and closes its sockets with 1013 until it hears from it
                    again; when no gateway hears, all keep their sockets (default 15000)
  REDIS_URL         Redis for deadlines and the schedule (redis://host:6379)
  REDIS_PREFIX      prefix of this deployment's Redis keys (default cschat:)
  TIMEOUT_POLL_MS   longest sleep of the timeout worker when nothing is due sooner (default 1000)
  SLA_POLL_MS       between the SLA monitor's looks for sessions past their group's targets (default 1000)
  RETENTION_POLL_MS between the retention job's looks for visitors past their company's retention (default 3600000)
  PRESENCE_LEASE_MS how long an agent socket counts as open without its gateway's heartbeat (default 15000)
  KEY_CACHE_MS      how long a visitor's data key is kept in memory: an erasure elsewhere applies within it (default 2000)
  TELEGRAM_API_URL, WHATSAPP_API_URL, MESSENGER_API_URL, INSTAGRAM_API_URL, WECHAT_API_URL
                    the platforms' API base URLs (default: the real ones)
  ROLES             roles of this process: gateway,api,projector,relay,worker (default all)
  LOG_LEVEL         fatal, error, warn, info (default), debug, trace, silent
  TOKEN_SECRET      secret that signs login tokens, 32 bytes or more (default: one kept in DATA_DIR)
  PLATFORM_ADMIN_TOKEN         enables POST /api/companies for the platform operator
  METRICS_TOKEN                GET /metrics then needs Authorization: Bearer <token> (default: open)
  TRUST_PROXY                  1, or proxies' addresses/CIDRs: client address from X-Forwarded-For (default 0)
  DEMO_PASSWORD                password of the demo users alice, bob and admin (default demo)
  WS_MAX_CONNECTIONS_PER_IP    sockets from one address (default 1000; raise behind a proxy)
  WS_MAX_CONNECTIONS_PER_USER  sockets of one visitor or agent (default 20)
  MAX_IN_FLIGHT                frames and API requests in hand; more are refused overloaded (default 64)
  MAX_EVENT_LOOP_LAG_MS        refuse new work while the event loop is this late (default 500)
  UPLOAD_MAX_BYTES             largest uploaded file; larger ones get 413 (default 10485760, 10 MiB)
  WEBHOOKS_ALLOW_PRIVATE       1: outbound webhooks may go to private and loopback addresses (default 0)
  WEBHOOK_RETRY_SECONDS        waits between webhook attempts (default 10,30,120,600,1800,3600,7200,21600)
  WEBHOOK_TIMEOUT_MS           time a webhook receiver has to answer one attempt (default 10000)
  OTEL_EXPORTER_OTLP_ENDPOINT  OTLP/HTTP collector for traces (http://host:4318); unset: tracing off
  OTEL_SERVICE_NAME            service.name of this process's spans (default cschat-<roles>)
`;
