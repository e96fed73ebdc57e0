// The OTLP/HTTP export as the service configures it: batched spans go to `<endpoint>/v1/traces`
// under the service's name, and the stop flushes what is still buffered.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inSpan, SpanKind } from './spans';
import { startTracing } from './tracing';

describe('tracing over OTLP/HTTP', () => {
  const received: { path: string; contentType: string; body: string }[] = [];
  let collector: Server;
  let endpoint: string;

  beforeAll(async () => {
    // A stand-in collector on this machine: takes each export and answers as a collector does.
    collector = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        received.push({
          path: request.url ?? '',
          contentType: request.headers['content-type'] ?? '',
          body: Buffer.concat(chunks).toString('utf8'),
        });
        response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}/`;
  });

  afterAll(() => new Promise<void>((resolve) => collector.close(() => resolve())));

  it('sends the spans to <endpoint>/v1/traces with the service name, flushed by the stop', async () => {
    const tracing = await startTracing({ serviceName: 'cschat-otlp-test', to: { otlpEndpoint: endpoint } });
    await inSpan('ws receive message.send', { kind: SpanKind.SERVER }, async () => {
      await inSpan('command PostMessage', { kind: SpanKind.INTERNAL }, async () => undefined);
    });
    // Batched: nothing needs to have gone yet; the stop sends what is buffered.
    await tracing.stop();
    const exported = received.filter((r) => r.path === '/v1/traces');
    expect(exported.length).toBeGreaterThan(0);
    const body = exported.map((r) => r.body).join('\n');
    expect(body).toContain('cschat-otlp-test');
    expect(body).toContain('ws receive message.send');
    expect(body).toContain('command PostMessage');
  });
});
