import { presenceContract } from './contract';
import { InMemoryPresence } from './memory';

describe('presence in memory', () => {
  presenceContract(async () => {
    let presence = new InMemoryPresence();
    // One process holds one presence: the "other gateway" is the same object.
    return {
      get presence() {
        return presence;
      },
      get other() {
        return presence;
      },
      flush: async () => {
        presence = new InMemoryPresence();
      },
      dispose: async () => undefined,
    };
  });
});
