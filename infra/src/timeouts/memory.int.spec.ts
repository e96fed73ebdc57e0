import { timeoutContract } from './contract';
import { InMemoryDeadlines, InMemoryTimeoutSchedule } from './memory';

describe('timeouts in memory', () => {
  timeoutContract(async () => {
    let schedule = new InMemoryTimeoutSchedule();
    let deadlines = new InMemoryDeadlines();
    // One process holds one schedule: the "other worker" is the same object.
    const fixture = {
      get schedule() {
        return schedule;
      },
      get other() {
        return schedule;
      },
      get deadlines() {
        return deadlines;
      },
      flush: async () => {
        schedule = new InMemoryTimeoutSchedule();
        deadlines = new InMemoryDeadlines();
      },
      dispose: async () => undefined,
    };
    return fixture;
  });
});
