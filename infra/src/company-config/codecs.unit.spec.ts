import { isRight } from 'fp-ts/Either';
import type * as t from 'io-ts';
import {
  AgentPatch,
  IntentPatch,
  NewAgent,
  NewCannedResponse,
  NewChannelAccount,
  NewCompany,
  NewFaqEntry,
  NewIntent,
  NewWorkingHours,
  Platform,
  SettingsPatch,
  SuggestedQuestions,
  webhookPathOf,
} from './codecs';

const accepts = (codec: t.Decoder<unknown, unknown>, value: unknown): boolean => isRight(codec.decode(value));
const decoded = (codec: t.Decoder<unknown, unknown>, value: unknown): unknown => {
  const result = codec.decode(value);
  return isRight(result) ? result.right : 'invalid';
};

describe("the admin API's bodies (PROTOCOL.md)", () => {
  it("accepts the protocol's examples", () => {
    expect(
      accepts(NewAgent, {
        username: 'alice',
        password: 'secret',
        name: 'Alice',
        role: 'agent',
        groupIds: ['support'],
        capacity: 3,
      }),
    ).toBe(true);
    expect(
      accepts(NewWorkingHours, {
        groupId: 'support',
        type: 'regular',
        timeZone: 'Asia/Shanghai',
        weekly: [{ day: 'mon', from: '09:00', to: '18:00' }],
      }),
    ).toBe(true);
    expect(
      accepts(NewWorkingHours, {
        groupId: 'support',
        type: 'irregular',
        timeZone: 'Asia/Shanghai',
        dates: [
          { date: '2026-10-01', from: '10:00', to: '16:00' },
          { date: '2026-10-02', closed: true },
        ],
      }),
    ).toBe(true);
    expect(
      accepts(NewFaqEntry, { question: 'Q?', alternatives: ['Q2?'], answer: 'A', tags: ['t'], enabled: true }),
    ).toBe(true);
    expect(
      accepts(NewChannelAccount, {
        platform: 'telegram',
        name: 'Bot',
        groupId: 'support',
        credentials: { token: 'x' },
      }),
    ).toBe(true);
    expect(accepts(NewCannedResponse, { shortcut: 'hi', text: 'Hello', scope: 'company' })).toBe(true);
    expect(accepts(SuggestedQuestions, { questions: ['Where is my order?'] })).toBe(true);
    expect(
      accepts(NewCompany, {
        companyId: 'acme',
        name: 'ACME',
        timeZone: 'Europe/Berlin',
        adminUsername: 'admin',
        adminPassword: 'pw',
      }),
    ).toBe(true);
  });

  it('requires what the protocol requires', () => {
    expect(accepts(NewAgent, { username: 'alice', password: 'x', role: 'agent', groupIds: [] })).toBe(false);
    expect(accepts(NewChannelAccount, { platform: 'telegram', name: 'Bot', groupId: 'support' })).toBe(false);
    expect(accepts(NewCannedResponse, { shortcut: 'hi', text: 'Hello' })).toBe(false);
  });

  it('drops properties it does not know, so a body cannot smuggle a column in', () => {
    expect(decoded(AgentPatch, { capacity: 2, passwordHash: 'x', companyId: 'other' })).toEqual({ capacity: 2 });
  });

  it('bounds the settings: a timeout from 10 s to a week, 0 to 20 suggestions, whole numbers', () => {
    for (const [patch, ok] of [
      [{ inactivityTimeoutSeconds: 10 }, true],
      [{ inactivityTimeoutSeconds: 604_800 }, true],
      [{ inactivityTimeoutSeconds: 9 }, false],
      [{ inactivityTimeoutSeconds: 604_801 }, false],
      [{ inactivityTimeoutSeconds: 60.5 }, false],
      [{ suggestionCount: 0 }, true],
      [{ suggestionCount: 20 }, true],
      [{ suggestionCount: 21 }, false],
      [{ suggestionCount: -1 }, false],
      [{ greeting: null, defaultGroupId: null }, true],
      [{ defaultGroupId: 'has space' }, false],
      [{}, true],
    ] as const) {
      expect([patch, accepts(SettingsPatch, patch)]).toEqual([patch, ok]);
    }
  });

  it("bounds the bot's settings: a confidence from 0 to 1, 1 to 10 misses in a row", () => {
    for (const [patch, ok] of [
      [{ botConfidence: 0 }, true],
      [{ botConfidence: 0.35 }, true],
      [{ botConfidence: 1 }, true],
      [{ botConfidence: -0.01 }, false],
      [{ botConfidence: 1.01 }, false],
      [{ botConfidence: '0.5' }, false],
      [{ botConfidence: null }, false],
      [{ botMissesBeforeHuman: 1 }, true],
      [{ botMissesBeforeHuman: 10 }, true],
      [{ botMissesBeforeHuman: 0 }, false],
      [{ botMissesBeforeHuman: 11 }, false],
      [{ botMissesBeforeHuman: 2.5 }, false],
    ] as const) {
      expect([patch, accepts(SettingsPatch, patch)]).toEqual([patch, ok]);
    }
  });

  it('bounds the presence settings: a grace of 0 s to an hour, a requeue after 0 s to a day, whole seconds', () => {
    for (const [patch, ok] of [
      [{ presenceGraceSeconds: 0 }, true],
      [{ presenceGraceSeconds: 3600 }, true],
      [{ presenceGraceSeconds: -1 }, false],
      [{ presenceGraceSeconds: 3601 }, false],
      [{ presenceGraceSeconds: 1.5 }, false],
      [{ presenceGraceSeconds: '30' }, false],
      [{ presenceGraceSeconds: null }, false],
      [{ offlineRequeueSeconds: 0 }, true],
      [{ offlineRequeueSeconds: 86_400 }, true],
      [{ offlineRequeueSeconds: -1 }, false],
      [{ offlineRequeueSeconds: 86_401 }, false],
      [{ offlineRequeueSeconds: 0.5 }, false],
      [{ presenceGraceSeconds: 30, offlineRequeueSeconds: 120 }, true],
    ] as const) {
      expect([patch, accepts(SettingsPatch, patch)]).toEqual([patch, ok]);
    }
  });

  it("takes the company's language as zh-CN or en, nothing else", () => {
    for (const [patch, ok] of [
      [{ language: 'zh-CN' }, true],
      [{ language: 'en' }, true],
      [{ language: 'zh' }, false],
      [{ language: 'EN' }, false],
      [{ language: 'fr' }, false],
      [{ language: null }, false],
    ] as const) {
      expect([patch, accepts(SettingsPatch, patch)]).toEqual([patch, ok]);
    }
    expect(decoded(SettingsPatch, { language: 'en', other: 1 })).toEqual({ language: 'en' });
  });

  it('takes intents of 1 to 200 phrases of 1 to 500 characters, a name of up to 100, an answer of up to 4000', () => {
    const intent = { name: 'refund', phrases: ['money back'], action: 'answer', answer: '30 days' };
    expect(decoded(NewIntent, { ...intent, enabled: false, id: 'x', companyId: 'other' })).toEqual({
      ...intent,
      enabled: false,
    });
    expect(accepts(NewIntent, { name: 'human', phrases: ['a person'], action: 'transfer' })).toBe(true);
    expect(accepts(NewIntent, { name: 'bye', phrases: ['bye'], action: 'end' })).toBe(true);
    for (const [change, ok] of [
      [{ name: 'n'.repeat(100) }, true],
      [{ name: 'n'.repeat(101) }, false],
      [{ name: '  ' }, false],
      [{ phrases: [] }, false],
      [{ phrases: Array.from({ length: 200 }, (_, i) => `phrase ${i}`) }, true],
      [{ phrases: Array.from({ length: 201 }, (_, i) => `phrase ${i}`) }, false],
      [{ phrases: ['p'.repeat(500)] }, true],
      [{ phrases: ['p'.repeat(501)] }, false],
      [{ phrases: ['ok', ' '] }, false],
      [{ phrases: 'money back' }, false],
      [{ answer: 'a'.repeat(4000) }, true],
      [{ answer: 'a'.repeat(4001) }, false],
      [{ answer: '' }, false],
      [{ action: 'escalate' }, false],
      [{ enabled: 'yes' }, false],
    ] as const) {
      expect([change, accepts(NewIntent, { ...intent, ...change })]).toEqual([change, ok]);
    }
    for (const missing of ['name', 'phrases', 'action']) {
      const { [missing as keyof typeof intent]: _gone, ...rest } = intent;
      expect([missing, accepts(NewIntent, rest)]).toEqual([missing, false]);
    }
    // Whether the answer fits the action is the store's to say (it knows the stored intent on an update).
    expect(accepts(NewIntent, { name: 'refund', phrases: ['x'], action: 'answer' })).toBe(true);
    expect(decoded(IntentPatch, { phrases: ['x'], updatedAt: 'x' })).toEqual({ phrases: ['x'] });
    expect(accepts(IntentPatch, { phrases: [] })).toBe(false);
    expect(accepts(IntentPatch, {})).toBe(true);
  });

  it('refuses blank names, usernames with spaces, roles and platforms it does not know', () => {
    const agent = { username: 'alice', password: 'x', role: 'agent', groupIds: [], capacity: 1 };
    expect(accepts(NewAgent, { ...agent, username: 'al ice' })).toBe(false);
    expect(accepts(NewAgent, { ...agent, username: '' })).toBe(false);
    expect(accepts(NewAgent, { ...agent, name: '   ' })).toBe(false);
    expect(accepts(NewAgent, { ...agent, role: 'owner' })).toBe(false);
    expect(accepts(NewAgent, { ...agent, capacity: 101 })).toBe(false);
    expect(accepts(NewAgent, { ...agent, groupIds: ['a-b', 'with space'] })).toBe(false);
    expect(accepts(Platform, 'web')).toBe(false);
    expect(['telegram', 'whatsapp', 'messenger', 'instagram', 'wechat'].every((p) => accepts(Platform, p))).toBe(true);
  });

  it('takes passwords of 1 to 1024 bytes', () => {
    const agent = { username: 'alice', role: 'agent', groupIds: [], capacity: 1 };
    expect(accepts(NewAgent, { ...agent, password: '' })).toBe(false);
    expect(accepts(NewAgent, { ...agent, password: 'x'.repeat(1024) })).toBe(true);
    expect(accepts(NewAgent, { ...agent, password: 'x'.repeat(1025) })).toBe(false);
    expect(accepts(NewAgent, { ...agent, password: 'é'.repeat(513) })).toBe(false); // 1026 bytes
  });

  it('puts the webhook path where the protocol says', () => {
    expect(webhookPathOf('wechat', 'wx-1')).toBe('/webhooks/wechat/wx-1');
  });
});
