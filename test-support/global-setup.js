// Says once, before the run, which server-backed suites will be skipped and why.
const HOW = 'bash .ci/run starts the servers; see README';
const SERVERS = {
  PostgreSQL: ['DATABASE_URL', true, HOW],
  Redis: ['REDIS_URL', true, HOW],
  Kafka: ['KAFKA_BROKERS', true, HOW],
  EventStoreDB: [
    'EVENTSTORE_URL',
    false,
    'the in-repo gRPC test server stands in for it; point this at a real one to run against it too',
  ],
};

module.exports = async () => {
  const required = process.env.REQUIRE_INFRA === '1';
  const missing = Object.entries(SERVERS).filter(([, [variable]]) => !process.env[variable]);
  for (const [name, [variable, requiredInCi, how]] of missing) {
    const what = required && requiredInCi ? 'FAILING (REQUIRE_INFRA=1)' : 'skipping';
    process.stdout.write(`\n${what} the tests that need ${name}: ${variable} is not set (${how})`);
  }
  if (missing.length > 0) process.stdout.write('\n');
};
