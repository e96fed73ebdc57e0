import { feedPeersContract } from './contract';
import { InMemoryFeedPeers } from './memory';

describe('feed peers in memory', () => {
  feedPeersContract(async () => {
    // One process holds one store: the "other gateway" is the same object.
    const peers = new InMemoryFeedPeers();
    return { peers, other: peers, dispose: async () => undefined };
  });
});
