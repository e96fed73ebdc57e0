// The baselines of the socket benchmarks: a bare `ws` server, no protocol. A frame from a visitor
// of pair n (/visitor?pair=n&session=s) goes as it is to the agent of pair n (/agent?pair=n); any
// other socket is just held. With --database-url it is the durable relay, what a plain CRUD chat server
// costs: each message INSERTed into PostgreSQL (autocommit, a pg pool) before it is forwarded.
// Pings every --heartbeat-ms like the gateway, and cuts off a socket that did not answer the
// previous ping. Run as its own process by the benchmarks.
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { Pool } from 'pg';
import WebSocket, { WebSocketServer } from 'ws';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    'heartbeat-ms': { type: 'string' },
    'database-url': { type: 'string' },
    pool: { type: 'string' },
  },
  strict: true,
});
const port = Number(values.port ?? '0');
const heartbeatMs = Number(values['heartbeat-ms'] ?? '30000');

const pool =
  values['database-url'] === undefined
    ? undefined
    : new Pool({ connectionString: values['database-url'], max: Number(values.pool ?? '10') });

/** The table of a plain chat server: a row a message, and the index its history is read by. */
const createTable = async (db: Pool): Promise<void> => {
  await db.query(`create table if not exists chat_messages (
    id bigserial primary key,
    session_id text not null,
    client_msg_id text not null,
    text text not null,
    created_at timestamptz not null default now())`);
  await db.query('create index if not exists chat_messages_session on chat_messages (session_id, id)');
};

const store = async (db: Pool, session: string, data: Buffer): Promise<void> => {
  const frame = JSON.parse(data.toString()) as { clientMsgId?: unknown; text?: unknown };
  await db.query('insert into chat_messages (session_id, client_msg_id, text) values ($1, $2, $3)', [
    session,
    String(frame.clientMsgId),
    String(frame.text),
  ]);
};

const agents = new Map<string, WebSocket>();
const alive = new WeakMap<WebSocket, boolean>();
const server = createServer((_request, response) => response.writeHead(200).end('ok'));
const wss = new WebSocketServer({ server, perMessageDeflate: false });

wss.on('connection', (ws, request) => {
  alive.set(ws, true);
  ws.on('pong', () => alive.set(ws, true));
  ws.on('error', () => undefined);
  const url = new URL(request.url ?? '/', 'http://relay');
  const pair = url.searchParams.get('pair');
  if (pair === null) return;
  if (url.pathname === '/agent') {
    agents.set(pair, ws);
    ws.on('close', () => agents.get(pair) === ws && agents.delete(pair));
  } else if (url.pathname === '/visitor') {
    const forward = (data: Buffer, isBinary: boolean): void => void agents.get(pair)?.send(data, { binary: isBinary });
    if (pool === undefined) {
      ws.on('message', forward);
      return;
    }
    const session = url.searchParams.get('session') ?? pair;
    // One message of a socket at a time, in order, as the gateway handles a socket's frames; the
    // sockets run side by side on the pool. A message that could not be stored is not forwarded.
    let tail = Promise.resolve();
    ws.on('message', (data: Buffer, isBinary) => {
      tail = tail
        .then(() => store(pool, session, data))
        .then(
          () => forward(data, isBinary),
          (error: unknown) => void process.stderr.write(`relay: pair ${pair}: not stored: ${String(error)}\n`),
        );
    });
  }
});

const heartbeat = setInterval(() => {
  for (const ws of wss.clients) {
    if (alive.get(ws) === false) {
      ws.terminate();
      continue;
    }
    alive.set(ws, false);
    ws.ping();
  }
}, heartbeatMs);

const listen = (): void => {
  server.listen(port, '127.0.0.1', () => {
    const address = server.address();
    process.stdout.write(
      `relay listening on ${typeof address === 'object' && address !== null ? address.port : port}\n`,
    );
  });
};

if (pool === undefined) listen();
else
  createTable(pool).then(listen, (error: unknown) => {
    process.stderr.write(`relay: cannot create its table: ${String(error)}\n`);
    process.exit(1);
  });

process.on('SIGTERM', () => {
  clearInterval(heartbeat);
  for (const ws of wss.clients) ws.terminate();
  wss.close();
  server.close(() => void (pool?.end() ?? Promise.resolve()).finally(() => process.exit(0)));
});
