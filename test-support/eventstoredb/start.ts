// Starts the EventStoreDB TEST DOUBLE of ./server.ts on 127.0.0.1, on a port the system picks.
// For tests only: production code never imports test-support.
import * as grpc from '@grpc/grpc-js';
import { createTestEventStoreServer, type TestEventStoreServerOptions } from './server';

export interface TestEventStore {
  /** e.g. esdb://127.0.0.1:41234?tls=false, for EventStoreDBClient.connectionString */
  readonly url: string;
  /** Closes every connection and call at once and forgets the events. */
  stop(): Promise<void>;
}

export const startTestEventStore = async (options: TestEventStoreServerOptions = {}): Promise<TestEventStore> => {
  const server = createTestEventStoreServer(options);
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) =>
      error === null ? resolve(bound) : reject(error),
    );
  });
  return {
    url: `esdb://127.0.0.1:${port}?tls=false`,
    stop: async () => server.forceShutdown(),
  };
};
