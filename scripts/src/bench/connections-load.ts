// The sockets of `npm run bench -- connections`, as a process of its own (one process may not
// open more files than its limit): opens --count idle sockets, prints "open <n>", and holds them
// (answering the server's pings) until SIGTERM. --secret: visitor tokens signed with it, for the
// service; without it, plain sockets for the bare ws server.
import { parseArgs } from 'node:util';
import { issueToken } from '@cschat/gateways';
import type { CompanyId, Id } from '@cschat/domain';
import { ChatSocket } from './chat';

const { values } = parseArgs({
  options: {
    base: { type: 'string' },
    count: { type: 'string' },
    first: { type: 'string' },
    company: { type: 'string' },
    secret: { type: 'string' },
  },
  strict: true,
});
const ws = values.base!.replace(/^http/, 'ws');
const count = Number(values.count);
const first = Number(values.first ?? '0');

const urlOf = async (i: number): Promise<string> =>
  values.secret === undefined
    ? `${ws}/hold?n=${i}`
    : `${ws}/ws/visitor?token=${await issueToken(
        { company: values.company as CompanyId, role: 'visitor', sub: `v-bench-${i}` as Id },
        { secret: values.secret },
      )}`;

const main = async (): Promise<void> => {
  const sockets: ChatSocket[] = [];
  let next = first;
  const one = async (): Promise<void> => {
    for (let i = next++; i < first + count; i = next++) {
      const socket = await ChatSocket.open(await urlOf(i));
      socket.keepFrames = false;
      sockets.push(socket);
    }
  };
  await Promise.all(Array.from({ length: 100 }, one));
  process.stdout.write(`open ${sockets.length}\n`);
  setInterval(() => {
    const closed = sockets.filter((s) => !s.open).length;
    if (closed > 0) process.stdout.write(`closed ${closed}\n`);
  }, 5000);
  process.on('SIGTERM', () => {
    for (const socket of sockets) socket.terminate();
    process.exit(0);
  });
};

main().catch((error: unknown) => {
  process.stderr.write(`connections-load: ${(error as Error).message}\n`);
  process.exit(1);
});
