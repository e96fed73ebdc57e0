// The API's share of the process's work in hand (load-shedding.ts): requests past it are answered
// 503 at once, the operations endpoints never are.
import type { FastifyInstance } from 'fastify';
import type { Knex } from 'knex';
import type { CompanyConfigStore, Logger, Metrics } from '@cschat/infra';
import { waitFor } from '../../../test-support/wait';
import { LoadShedder } from '../load-shedding';
import { buildHttpApi } from './server';

const appWith = (load: LoadShedder) =>
  buildHttpApi({
    // The login below stops at its body; the stubs are never reached.
    config: {} as CompanyConfigStore,
    readModels: {} as Knex,
    readModelSchema: 'read_models',
    tokenSecret: 'a test secret of at least thirty-two bytes',
    metrics: {} as Metrics,
    logger: { error: () => undefined } as unknown as Logger,
    ready: async () => true,
    webhooks: async () => ({ status: 200, contentType: 'text/plain', body: 'ok' }),
    load,
  });

const apps: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

/** The app listening on loopback; a function for its requests. */
const serve = async (load: LoadShedder) => {
  const app = appWith(load);
  apps.push(app);
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  return (method: string, url: string) =>
    fetch(`${base}${url}`, {
      method,
      ...(method === 'POST' ? { headers: { 'content-type': 'application/json' }, body: '{}' } : {}),
    });
};

describe('the HTTP API under load', () => {
  it('answers 503 overloaded with retry-after when the work in hand is at its bound; not /healthz nor /readyz', async () => {
    const load = new LoadShedder({ maxInFlight: 1, maxEventLoopLagMs: 200 });
    const request = await serve(load);
    const held = load.admit();
    for (const url of ['/api/visitors/login', '/webhooks/telegram/a1']) {
      const refused = await request('POST', url);
      expect([url, refused.status, refused.headers.get('retry-after'), await refused.json()]).toEqual([
        url,
        503,
        '1',
        { error: { code: 'overloaded', message: 'the service is overloaded: try again later' } },
      ]);
    }
    expect((await request('GET', '/healthz')).status).toBe(200);
    expect((await request('GET', '/readyz')).status).toBe(200);
    held?.();
    expect((await request('POST', '/api/visitors/login')).status).toBe(400);
    // Its slot was given back when it was answered.
    await waitFor('the slot given back', async () => (load.inFlight === 0 ? true : undefined), 2_000);
  });

  it('gives the slot back when a request fails', async () => {
    const load = new LoadShedder({ maxInFlight: 1, maxEventLoopLagMs: 200 });
    const request = await serve(load);
    for (let i = 0; i < 3; i += 1) {
      expect((await request('GET', '/api/sessions')).status).toBe(401);
      await waitFor('the slot given back', async () => (load.inFlight === 0 ? true : undefined), 2_000);
    }
  });
});
