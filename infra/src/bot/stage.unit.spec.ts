import type { KnowledgeEntry } from '@cschat/domain';
import type { CompanyLanguage } from '../company-config/codecs';
import { BotStage, isEndWord, type KnowledgeSource } from './stage';

const entries: KnowledgeEntry[] = [
  { id: 'bye', kind: 'intent', title: 'goodbye', phrasings: ['bye', '再见', 'no more questions'], action: 'end' },
  {
    id: 'refund',
    kind: 'faq',
    title: 'When will I get my refund?',
    phrasings: ['When will I get my refund?', '退款多久到账'],
    action: 'answer',
    answer: 'Within 3 days.',
  },
];

const knowledge = (
  known: readonly KnowledgeEntry[],
  language: CompanyLanguage = 'en',
  suggested: readonly string[] = [],
): KnowledgeSource => ({
  version: async () => 'v1',
  entries: async () => known,
  settings: async () => ({ confidence: 0.15, missesBeforeHuman: 2, suggestionCount: 3, language }),
  suggestedQuestions: async () => suggested,
});

describe('the bot stage', () => {
  const stage = new BotStage(knowledge(entries));
  const zhStage = new BotStage(knowledge(entries, 'zh-CN'));
  const reply = (text: string, state: Parameters<BotStage['reply']>[2] = {}) =>
    stage.reply('acme', { messageId: 'm1', text }, state);
  const zhReply = (text: string, state: Parameters<BotStage['reply']>[2] = {}) =>
    zhStage.reply('acme', { messageId: 'm1', text }, state);

  it('answers a goodbye with a question and the session.end action, and ends nothing itself', async () => {
    expect(await reply('bye')).toMatchObject({
      text: 'Is there anything else I can help you with? If not, you can end the chat.',
      bot: { outcome: 'end', entryId: 'bye', actions: [{ type: 'session.end', label: 'End chat' }] },
      then: 'nothing',
    });
    expect(await zhReply('bye')).toMatchObject({
      text: '还有其他可以帮您的吗？如果没有，可以结束对话。',
      bot: { actions: [{ type: 'session.end', label: '结束对话' }] },
      then: 'nothing',
    });
  });

  it("asks with the intent's own answer when it has one", async () => {
    const own = new BotStage(knowledge([{ ...entries[0]!, answer: 'Anything else before you go?' }]));
    expect(await own.reply('acme', { messageId: 'm1', text: 'bye' }, {})).toMatchObject({
      text: 'Anything else before you go?',
      bot: { outcome: 'end', actions: [{ type: 'session.end' }] },
    });
  });

  it('tells a channel visitor, who has no button, which word ends the chat', async () => {
    const en = await reply('bye', { channel: 'telegram' });
    expect(en.text).toMatch(/reply "end"/);
    expect(isEndWord('end')).toBe(true);
    const zh = await zhReply('再见', { channel: 'wechat' });
    expect(zh.text).toMatch(/回复「结束」/);
    expect(isEndWord('结束')).toBe(true);
    expect((await reply('bye', { channel: 'web' })).text).not.toMatch(/reply/);
  });

  it('offers no end on anything but an end intent, nor to a visitor who is not done', async () => {
    expect((await reply('退款多久到账')).bot).not.toHaveProperty('actions');
    for (const text of ['I have a question', 'one more question', '还有一个问题', '不是再见'])
      expect((await reply(text)).bot).toMatchObject({ outcome: 'not_understood' });
  });

  it('reads an end word whole: case, width and punctuation aside, nothing more', () => {
    for (const word of ['end', ' END ', 'End chat', 'end.', '结束', '结束。', '结束对话', 'ｅｎｄ'])
      expect(isEndWord(word)).toBe(true);
    for (const text of ['the end', 'end of my order?', '结束了吗，我的订单', 'ending', 'bye'])
      expect(isEndWord(text)).toBe(false);
  });

  it("speaks the company's language, whatever the visitor writes in", async () => {
    expect((await reply('再见')).text).toBe(
      'Is there anything else I can help you with? If not, you can end the chat.',
    );
    expect((await zhReply('bye')).bot).toMatchObject({ actions: [{ label: '结束对话' }] });
    expect((await zhReply('I have a question')).text).toMatch(/^抱歉，我没有理解您的问题/);
    expect((await zhReply('qwzx plorb', { botMisses: 5 })).text).toMatch(/请点击「人工客服」。$/);
    expect((await zhReply('转人工')).text).toBe('好的，正在为您转接人工客服，请稍候。');
  });

  describe('when it did not understand', () => {
    const withSuggestions = new BotStage(knowledge(entries, 'en', ['How do I cancel my order?', '怎么退货？']));
    const lost = (state: Parameters<BotStage['reply']>[2]) =>
      withSuggestions.reply('acme', { messageId: 'm1', text: 'qwzx plorb' }, state);

    it('leaves the suggestions out of the text for a web visitor, who gets them as buttons', async () => {
      for (const state of [{ channel: 'web' as const }, {}]) {
        const answer = await lost(state);
        expect(answer.bot).toMatchObject({ outcome: 'not_understood' });
        const suggestions = (answer.bot as { suggestions: string[] }).suggestions;
        expect(suggestions).toEqual(expect.arrayContaining(['How do I cancel my order?', '怎么退货？']));
        for (const question of suggestions) expect(answer.text).not.toContain(question);
        expect(answer.text).toBe("Sorry, I didn't understand that. You could try one of the suggestions below.");
      }
    });

    it('lists them as lines for a channel visitor, who has no buttons, and says the word for a human', async () => {
      const answer = await lost({ channel: 'telegram', botMisses: 1 });
      const suggestions = (answer.bot as { suggestions: string[] }).suggestions;
      expect(answer.text.split('\n')).toEqual([
        "Sorry, I didn't understand that. You could try one of these:",
        ...suggestions.map((q) => `• ${q}`),
        'If you would like a person to help, reply "human".',
      ]);
    });

    it('asks to put it another way when it has nothing to suggest', async () => {
      const bare = new BotStage(knowledge([], 'zh-CN'));
      const answer = await bare.reply('acme', { messageId: 'm1', text: 'qwzx' }, { channel: 'wechat' });
      expect(answer.text).toBe('抱歉，我没有理解您的问题，可以换个说法吗？');
    });
  });
});
