// The overload step's /healthz poller: answers and timeouts counted, and stopping it never waits
// longer than the polls still out.
import { createServer, type Server } from 'node:http';
import { pollHealth } from './overload';

describe("the overload step's /healthz poller", () => {
  jest.setTimeout(30_000);
  let server: Server;
  let base: string;

  beforeAll(async () => {
    // /healthz answers; /stuck never does, as a process whose event loop is starved; others 503.
    server = createServer((request, response) => {
      if (request.url === '/healthz') response.writeHead(200).end('{"status":"ok"}');
      else if (request.url !== '/stuck') response.writeHead(503).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const pollFor = async (path: string, ms: number) => {
    const poller = pollHealth(`${base}${path}`);
    await new Promise((resolve) => setTimeout(resolve, ms));
    return poller.stop();
  };

  it('records the answer time of each poll answered 200', async () => {
    const answers = await pollFor('/healthz', 350);
    expect(answers.polls).toBeGreaterThanOrEqual(1);
    expect([answers.answeredMs.length, answers.timeouts, answers.failures]).toEqual([answers.polls, 0, 0]);
  });

  it('counts a poll left unanswered as a timeout, and stop() returns once the polls out have timed out', async () => {
    const answers = await pollFor('/stuck', 350);
    expect(answers.polls).toBeGreaterThanOrEqual(1);
    expect([answers.answeredMs.length, answers.timeouts, answers.failures]).toEqual([0, answers.polls, 0]);
  });

  it('counts an answer other than 200, and a refused connection, as failures', async () => {
    const answers = await pollFor('/other', 250);
    expect(answers.failures).toBe(answers.polls);
    server.closeAllConnections();
    const refused = pollHealth('http://127.0.0.1:1/healthz');
    await new Promise((resolve) => setTimeout(resolve, 150));
    const none = await refused.stop();
    expect([none.answeredMs.length, none.timeouts, none.failures]).toEqual([0, 0, none.polls]);
  });
});
