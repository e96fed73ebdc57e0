// A key store in memory: the port's semantics (one key per subject, created on first use, erased
// for ever with a tombstone) without durability. For unit tests and the encryption micro-benchmark; the
// service uses the SQL key store (key-store.ts).
import { randomBytes, randomUUID } from 'node:crypto';
import type { DataKey, DataSubject, KeyStore } from './port';

const keyOf = (subject: DataSubject): string => JSON.stringify([subject.companyId, subject.visitorId]);

export class InMemoryKeyStore implements KeyStore {
  private readonly keys = new Map<string, DataKey>();
  private readonly byId = new Map<string, DataKey>();
  private readonly tombstones = new Map<string, Date>();

  async start(): Promise<void> {}
  async stop(): Promise<void> {}

  async keyFor(subject: DataSubject): Promise<DataKey | 'erased'> {
    const k = keyOf(subject);
    if (this.tombstones.has(k)) return 'erased';
    let key = this.keys.get(k);
    if (key === undefined) {
      key = { keyId: randomUUID(), key: randomBytes(32) };
      this.keys.set(k, key);
      this.byId.set(key.keyId, key);
    }
    return key;
  }

  async keyById(keyId: string): Promise<DataKey | undefined> {
    return this.byId.get(keyId);
  }

  async erase(subject: DataSubject, at: Date): Promise<void> {
    const k = keyOf(subject);
    const key = this.keys.get(k);
    if (key !== undefined) this.byId.delete(key.keyId);
    this.keys.delete(k);
    if (!this.tombstones.has(k)) this.tombstones.set(k, at);
  }

  async isErased(subject: DataSubject): Promise<boolean> {
    return this.tombstones.has(keyOf(subject));
  }
}
