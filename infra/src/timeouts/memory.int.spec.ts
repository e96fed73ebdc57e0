import { timeoutContract } from './contract';
import { InMemorySessionActivity, InMemoryTimeoutSchedule } from './memory';

describe('timeouts in memory', () => {
  timeoutContract(async () => {
    let schedule = new InMemoryTimeoutSchedule();
    let activity = new InMemorySessionActivity();
    // One process holds one schedule: the "other worker" is the same object.
    const fixture = {
      get schedule() {
        return schedule;
      },
      get other() {
        return schedule;
      },
      get activity() {
        return activity;
      },
      flush: async () => {
        schedule = new InMemoryTimeoutSchedule();
        activity = new InMemorySessionActivity();
      },
      dispose: async () => undefined,
    };
    return fixture;
  });
});
