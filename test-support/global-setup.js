// Says once, before the run, which server-backed suites will be skipped and why.
const SERVERS = {
  PostgreSQL: ['DATABASE_URL', true],
  Redis: ['REDIS_URL', true],
  Kafka: ['KAFKA_BROKERS', true],
  EventStoreDB: ['EVENTSTORE_URL', false],
};

module.exports = async () => {
  const required = process.env.REQUIRE_INFRA === '1';
  const missing = Object.entries(SERVERS).filter(([, [variable]]) => !process.env[variable]);
  for (const [name, [variable, requiredInCi]] of missing) {
    const what = required && requiredInCi ? 'FAILING (REQUIRE_INFRA=1)' : 'skipping';
    process.stdout.write(
      `\n${what} the tests that need ${name}: ${variable} is not set (bash .ci/run starts the servers; see README)`,
    );
  }
  if (missing.length > 0) process.stdout.write('\n');
};
