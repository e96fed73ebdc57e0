// Tests that need a real server declare it here. With the server's URL set they run; without
// it they are skipped (a newcomer's `npm test`), unless REQUIRE_INFRA=1 (CI), where a missing
// server fails the suite. Suite titles start with `[server]` so the reporter can count them.
export const SERVERS = {
  postgres: { variable: 'DATABASE_URL', required: true },
  redis: { variable: 'REDIS_URL', required: true },
  kafka: { variable: 'KAFKA_BROKERS', required: true },
  // EventStoreDB cannot be installed on the machines CI runs on: its suites always run against the
  // in-repo gRPC test server (test-support/eventstoredb), and against a real one when its URL is set.
  eventstore: { variable: 'EVENTSTORE_URL', required: false },
} as const;

export type Server = keyof typeof SERVERS;

export const infraRequired = (): boolean => process.env['REQUIRE_INFRA'] === '1';

export const serverUrl = (server: Server): string | undefined => {
  const value = process.env[SERVERS[server].variable];
  return value === undefined || value === '' ? undefined : value;
};

export const describeWithServer = (server: Server, title: string, suite: (url: string) => void): void => {
  const url = serverUrl(server);
  const name = `[${server}] ${title}`;
  if (url !== undefined) {
    describe(name, () => suite(url));
  } else if (infraRequired() && SERVERS[server].required) {
    describe(name, () => {
      it(`needs ${SERVERS[server].variable}`, () => {
        throw new Error(
          `REQUIRE_INFRA=1 but ${SERVERS[server].variable} is not set: start the servers with scripts/infra/up.sh`,
        );
      });
    });
  } else {
    describe.skip(name, () => suite(''));
  }
};
