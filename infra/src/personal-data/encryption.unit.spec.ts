// The sealing and opening of personal fields, over a key store kept in a Map (the SQL key stores
// pass their own contract suite; this is about what the decorator does with their keys).
import { randomBytes, randomUUID } from 'node:crypto';
import { isRight } from 'fp-ts/Either';
import { decodeStreamEvent } from '@cschat/domain';
import type { NewEvent, RecordedEvent } from '../event-store/port';
import { isEnvelope, open, seal, type Envelope } from './cipher';
import { PersonalData, PersonalDataError } from './encryption';
import { ERASED, type DataKey, type DataSubject, type KeyStore } from './port';

const mapKeyStore = (): KeyStore => {
  const bySubject = new Map<string, DataKey | 'erased'>();
  const name = (s: DataSubject) => `${s.companyId}/${s.visitorId}`;
  return {
    start: async () => {},
    stop: async () => {},
    keyFor: async (s) => {
      let key = bySubject.get(name(s));
      if (key === undefined) {
        key = { keyId: randomUUID(), key: randomBytes(32) };
        bySubject.set(name(s), key);
      }
      return key;
    },
    keyById: async (keyId) => [...bySubject.values()].find((k): k is DataKey => k !== 'erased' && k.keyId === keyId),
    erase: async (s) => {
      bySubject.set(name(s), 'erased');
    },
    isErased: async (s) => bySubject.get(name(s)) === 'erased',
  };
};

const at = '2026-12-05T10:00:00.000Z';
const stream = 'session-acme-s1';
const started = {
  type: 'SessionStarted',
  data: {
    v: 1,
    companyId: 'acme',
    sessionId: 's1',
    at,
    visitorId: 'v1',
    channel: 'web',
    groupId: 'g1',
    visitorName: 'Ann Marker',
  },
};
const message = (text: string): NewEvent => ({
  type: 'MessagePosted',
  data: {
    v: 1,
    companyId: 'acme',
    sessionId: 's1',
    at,
    messageId: randomUUID(),
    from: { role: 'visitor', id: 'v1' },
    text,
    attachments: [{ kind: 'file', mediaId: 'm1', name: 'passport-marker.pdf' }],
  },
});
const recorded = (streamId: string, event: NewEvent, revision = 0n): RecordedEvent => ({
  streamId,
  revision,
  position: { commit: 1n, prepare: revision },
  eventId: randomUUID(),
  type: event.type,
  data: event.data,
  metadata: {},
  recordedAt: new Date(at),
});

const subject = { companyId: 'acme', visitorId: 'v1' };

describe('personal data sealed in events', () => {
  let keys: KeyStore;
  let personal: PersonalData;
  let firstEvents: Map<string, RecordedEvent>;
  beforeEach(() => {
    keys = mapKeyStore();
    firstEvents = new Map([[stream, recorded(stream, started)]]);
    personal = new PersonalData(keys, { firstEvent: async (id) => firstEvents.get(id) });
  });

  it('seals each personal field and opens it back, other fields as they were', async () => {
    const event = message('hello MARKER-1');
    const sealed = await personal.sealEvent(stream, event, [event]);
    expect(JSON.stringify(sealed)).not.toContain('MARKER-1');
    expect(JSON.stringify(sealed)).not.toContain('passport-marker');
    expect(isEnvelope(sealed.data['text'])).toBe(true);
    expect(sealed.data['messageId']).toBe(event.data['messageId']);
    const opened = await personal.openEvent(recorded(stream, sealed, 1n));
    expect(opened.data).toEqual(event.data);
  });

  it('finds a session event’s visitor in the batch, or in the stream’s first event', async () => {
    const inBatch = await personal.sealEvent('session-acme-s2', message('x'), [
      { ...started, data: { ...started.data, sessionId: 's2', visitorId: 'v2' } },
    ]);
    const v2 = await keys.keyFor({ companyId: 'acme', visitorId: 'v2' });
    expect((inBatch.data['text'] as Envelope).k).toBe((v2 as DataKey).keyId);
    const fromStream = await personal.sealEvent(stream, message('y'), []);
    const v1 = await keys.keyFor(subject);
    expect((fromStream.data['text'] as Envelope).k).toBe((v1 as DataKey).keyId);
  });

  it('refuses to write personal data of a visitor it cannot find (fails closed)', async () => {
    await expect(personal.sealEvent('session-acme-unknown', message('z'), [])).rejects.toThrow(PersonalDataError);
  });

  it('uses a new IV for every value: one text sealed twice gives two ciphertexts', async () => {
    const a = await personal.sealEvent(stream, message('same'), []);
    const b = await personal.sealEvent(stream, message('same'), []);
    const ea = a.data['text'] as Envelope;
    const eb = b.data['text'] as Envelope;
    expect(ea.iv).not.toBe(eb.iv);
    expect(ea.ct).not.toBe(eb.ct);
  });

  it('detects tampering: a changed ciphertext, tag, or a value moved to another field does not open', async () => {
    const sealed = await personal.sealEvent(stream, message('secret'), []);
    const env = sealed.data['text'] as Envelope;
    const flip = (b64: string) => {
      const bytes = Buffer.from(b64, 'base64');
      bytes[0] = bytes[0]! ^ 1;
      return bytes.toString('base64');
    };
    for (const bad of [
      { ...env, ct: flip(env.ct) },
      { ...env, tag: flip(env.tag) },
      { ...env, iv: flip(env.iv) },
    ]) {
      await expect(
        personal.openEvent(recorded(stream, { ...sealed, data: { ...sealed.data, text: bad } }, 1n)),
      ).rejects.toThrow(PersonalDataError);
    }
    // The text's envelope put in place of a file name: bound to its path, it does not open there.
    const moved = { ...sealed.data, attachments: [{ kind: 'file', mediaId: 'm1', name: env }] };
    await expect(personal.openEvent(recorded(stream, { ...sealed, data: moved }, 1n))).rejects.toThrow(
      /attachments\[\]\.name/,
    );
  });

  it('fails closed with a wrong key: never a plaintext', () => {
    const key = { keyId: 'k1', key: randomBytes(32) };
    const env = seal(key, 'text', 'secret');
    expect(() => open({ keyId: 'k1', key: randomBytes(32) }, 'text', env)).toThrow(PersonalDataError);
    expect(() => open({ keyId: 'k2', key: key.key }, 'text', env)).toThrow(PersonalDataError);
    expect(open(key, 'text', env)).toBe('secret');
  });

  it('reads ERASED once the key is gone, and the event still decodes with the domain codecs', async () => {
    const event = message('gone MARKER-2');
    const sealed = await personal.sealEvent(stream, event, []);
    await keys.erase(subject, new Date());
    const opened = await personal.openEvent(recorded(stream, sealed, 1n));
    expect(opened.data['text']).toBe(ERASED);
    expect((opened.data['attachments'] as { name: string }[])[0]!.name).toBe(ERASED);
    expect(isRight(decodeStreamEvent(stream, opened.type, opened.data)!)).toBe(true);
  });

  it('writes ERASED, not ciphertext, for a subject already erased', async () => {
    await keys.erase(subject, new Date());
    const sealed = await personal.sealEvent(stream, message('late MARKER-3'), []);
    expect(sealed.data['text']).toBe(ERASED);
  });

  it('reads an erased visitor profile as codec-valid: name ERASED, attributes {}, email and phone left out', async () => {
    const visitorStream = 'visitor-acme-v1';
    const event: NewEvent = {
      type: 'VisitorProfileUpdated',
      data: {
        v: 1,
        companyId: 'acme',
        visitorId: 'v1',
        at,
        changed: {
          name: 'Ann MARKER',
          email: 'ann@marker.example',
          phone: '+33 1 23 45',
          attributes: { plan: 'MARKER' },
        },
      },
    };
    const sealed = await personal.sealEvent(visitorStream, event, [event]);
    expect(JSON.stringify(sealed)).not.toMatch(/MARKER|marker/);
    expect((await personal.openEvent(recorded(visitorStream, sealed))).data).toEqual(event.data);
    await keys.erase(subject, new Date());
    const opened = await personal.openEvent(recorded(visitorStream, sealed));
    expect(opened.data['changed']).toEqual({ name: ERASED, attributes: {} });
    expect(isRight(decodeStreamEvent(visitorStream, opened.type, opened.data)!)).toBe(true);
  });

  it('reads events written before encryption as they are, and as ERASED once their visitor is erased', async () => {
    const legacy = recorded(stream, message('old MARKER-4'), 3n);
    expect((await personal.openEvent(legacy)).data['text']).toBe('old MARKER-4');
    await keys.erase(subject, new Date());
    const opened = await personal.openEvent(legacy);
    expect(opened.data['text']).toBe(ERASED);
    expect(isRight(decodeStreamEvent(stream, opened.type, opened.data)!)).toBe(true);
    const legacyStart = await personal.openEvent(recorded(stream, started));
    expect(legacyStart.data['visitorName']).toBe(ERASED);
  });

  it('seals the input and the refused commands a workflow step records', async () => {
    const input = message('copied MARKER-5');
    const step: NewEvent = {
      type: 'WorkflowStepRecorded',
      data: {
        v: 1,
        input: { streamId: stream, revision: '1', type: input.type, data: input.data },
        commands: 1,
        refusals: [
          {
            command: {
              type: 'PostMessage',
              companyId: 'acme',
              sessionId: 's1',
              at,
              messageId: 'm',
              from: { role: 'bot' },
              text: 'MARKER-6',
            },
            code: 'conflict',
            message: 'no',
          },
        ],
      },
    };
    const sealed = await personal.sealEvent('workflow-w-i', step, [step]);
    expect(JSON.stringify(sealed)).not.toMatch(/MARKER/);
    const opened = await personal.openEvent(recorded('workflow-w-i', sealed));
    expect(opened.data).toEqual(step.data);
  });

  it('leaves events without personal fields, and streams of no aggregate, untouched', async () => {
    const tags: NewEvent = {
      type: 'SessionTagsChanged',
      data: { v: 1, companyId: 'acme', sessionId: 's1', at, agentId: 'a', added: ['x'], removed: [], tags: ['x'] },
    };
    expect(await personal.sealEvent(stream, tags, [])).toBe(tags);
    const other: NewEvent = { type: 'Something', data: { text: 'plain' } };
    expect(await personal.sealEvent('other-1', other, [])).toBe(other);
  });
});
