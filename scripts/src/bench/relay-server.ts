// The baseline of the socket benchmarks: a bare `ws` server, no storage, no protocol. A frame from
// the visitor of pair n (/visitor?pair=n) goes as it is to the agent of pair n (/agent?pair=n);
// any other socket is just held. Pings every --heartbeat-ms like the gateway, and cuts off a socket
// that did not answer the previous ping. Run as its own process by the benchmarks.
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import WebSocket, { WebSocketServer } from 'ws';

const { values } = parseArgs({
  options: { port: { type: 'string' }, 'heartbeat-ms': { type: 'string' } },
  strict: true,
});
const port = Number(values.port ?? '0');
const heartbeatMs = Number(values['heartbeat-ms'] ?? '30000');

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
    ws.on('message', (data: Buffer, isBinary) => agents.get(pair)?.send(data, { binary: isBinary }));
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

server.listen(port, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`relay listening on ${typeof address === 'object' && address !== null ? address.port : port}\n`);
});

process.on('SIGTERM', () => {
  clearInterval(heartbeat);
  for (const ws of wss.clients) ws.terminate();
  wss.close();
  server.close(() => process.exit(0));
});
