// Counts the commands an ioredis client sends (pipelined and scripted ones each count), for the
// benchmarks' "Redis commands per message": counted at the client, so that other users of the
// same Redis server do not show up in the figure.
import type { Redis } from 'ioredis';

export interface CommandCounter {
  readonly total: () => number;
  readonly byName: () => Record<string, number>;
}

export const countCommands = (redis: Redis): CommandCounter => {
  const counts = new Map<string, number>();
  const original = redis.sendCommand.bind(redis);
  redis.sendCommand = (command: { name: string }, ...rest: unknown[]) => {
    counts.set(command.name, (counts.get(command.name) ?? 0) + 1);
    return (original as (...args: unknown[]) => unknown)(command, ...rest);
  };
  return {
    total: () => [...counts.values()].reduce((a, b) => a + b, 0),
    byName: () => Object.fromEntries(counts),
  };
};
