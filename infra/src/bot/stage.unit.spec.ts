import type { KnowledgeEntry } from '@cschat/domain';
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

const knowledge = (known: readonly KnowledgeEntry[]): KnowledgeSource => ({
  version: async () => 'v1',
  entries: async () => known,
  settings: async () => ({ confidence: 0.15, missesBeforeHuman: 2, suggestionCount: 3 }),
  suggestedQuestions: async () => [],
});

describe('the bot stage', () => {
  const stage = new BotStage(knowledge(entries));
  const reply = (text: string, state: Parameters<BotStage['reply']>[2] = {}) =>
    stage.reply('acme', { messageId: 'm1', text }, state);

  it('answers a goodbye with a question and the session.end action, and ends nothing itself', async () => {
    expect(await reply('bye')).toMatchObject({
      text: 'Is there anything else I can help you with? If not, you can end the chat.',
      bot: { outcome: 'end', entryId: 'bye', actions: [{ type: 'session.end', label: 'End chat' }] },
      then: 'nothing',
    });
    expect(await reply('再见')).toMatchObject({
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
    const zh = await reply('再见', { channel: 'wechat' });
    expect(zh.text).toMatch(/回复「结束」/);
    expect(isEndWord('结束')).toBe(true);
    expect((await reply('bye', { channel: 'web' })).text).not.toMatch(/reply/);
  });

  it('offers no end on anything but an end intent, nor to a visitor who is not done', async () => {
    expect((await reply('退款多久到账')).bot).not.toHaveProperty('actions');
    for (const text of ['I have a question', 'one more question', '还有一个问题', '不是再见'])
      expect((await reply(text)).bot).toMatchObject({ outcome: 'not_understood' });
  });

  it('lists the suggestions in the text only for a channel visitor; the widget shows them as buttons', async () => {
    const suggesting = new BotStage({
      ...knowledge(entries),
      suggestedQuestions: async () => ['How do I get an invoice?'],
    });
    const reply = (text: string, state: Parameters<BotStage['reply']>[2]) =>
      suggesting.reply('acme', { messageId: 'm1', text }, state);
    const web = await reply('xyzzy plugh', { channel: 'web' });
    expect(web.text).toBe("Sorry, I didn't understand that. You could try one of these:");
    expect(web.bot).toMatchObject({ outcome: 'not_understood', suggestions: ['How do I get an invoice?'] });
    expect((await reply('xyzzy plugh', {})).text).not.toMatch(/•/);
    const channel = await reply('xyzzy plugh', { channel: 'telegram' });
    expect(channel.text).toBe(
      "Sorry, I didn't understand that. You could try one of these:\n• How do I get an invoice?",
    );
    const zh = await reply('随便说点什么', { channel: 'wechat', botMisses: 1 });
    expect(zh.text.split('\n')).toEqual([
      '抱歉，我没有理解您的问题。您可以试试下面的问题：',
      '• How do I get an invoice?',
      '如需人工帮助，请回复「转人工」或点击「人工客服」。',
    ]);
  });

  it('reads an end word whole: case, width and punctuation aside, nothing more', () => {
    for (const word of ['end', ' END ', 'End chat', 'end.', '结束', '结束。', '结束对话', 'ｅｎｄ'])
      expect(isEndWord(word)).toBe(true);
    for (const text of ['the end', 'end of my order?', '结束了吗，我的订单', 'ending', 'bye'])
      expect(isEndWord(text)).toBe(false);
  });
});
