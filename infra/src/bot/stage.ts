// The bot stage: what the bot answers to a visitor's message while no human has the session.
// The recogniser (domain) says what the message asks for; this decides the reply and what
// follows (a transfer to a human), and keeps one built recogniser per company, rebuilt when the
// company's knowledge changed (one small query per message tells). The bot never ends a session:
// on a goodbye it asks, with a `session.end` action the visitor may take (PROTOCOL, second edition).
import type { Bot, BotReply } from '../chat/service';
import { bm25Recognizer, type Id, type IntentRecognizer, type KnowledgeEntry, type session } from '@cschat/domain';

export interface BotSettings {
  /** Below this confidence the bot did not understand. */
  readonly confidence: number;
  /** Not-understood answers in a row after which the bot offers a human. */
  readonly missesBeforeHuman: number;
  /** How many suggestions a not-understood answer carries. */
  readonly suggestionCount: number;
}

/** Where the bot's knowledge comes from (the company configuration). */
export interface KnowledgeSource {
  /** Changes whenever the company's FAQ, intents or suggested questions change. */
  version(companyId: string): Promise<string>;
  entries(companyId: string): Promise<readonly KnowledgeEntry[]>;
  settings(companyId: string): Promise<BotSettings>;
  suggestedQuestions(companyId: string): Promise<readonly string[]>;
}

/** The chat service's port this stage implements (../chat/service.ts). */
export type { BotReply } from '../chat/service';

const HAN = /\p{Script=Han}/u;

/** What a channel visitor replies to end the chat (`TEXTS.endByWord`), and the button's labels. */
const END_WORDS = new Set(['结束', '结束对话', 'end', 'end chat']);

/** A message that is nothing but an end word (case, width, spaces and punctuation around it aside). */
export const isEndWord = (text: string): boolean =>
  END_WORDS.has(
    text
      .normalize('NFKC')
      .toLowerCase()
      .replace(/^[\s\p{P}]+|[\s\p{P}]+$/gu, '')
      .replace(/\s+/gu, ' '),
  );

const TEXTS = {
  transfer: {
    zh: '好的，正在为您转接人工客服，请稍候。',
    en: 'Sure, connecting you to a human agent. One moment please.',
  },
  askEnd: {
    zh: '还有其他可以帮您的吗？如果没有，可以结束对话。',
    en: 'Is there anything else I can help you with? If not, you can end the chat.',
  },
  endLabel: { zh: '结束对话', en: 'End chat' },
  /** For a channel visitor, who has no button to press. */
  endByWord: { zh: '如需结束对话，请回复「结束」。', en: 'To end the chat, reply "end".' },
  notUnderstood: {
    zh: '抱歉，我没有理解您的问题。您可以试试下面的问题：',
    en: "Sorry, I didn't understand that. You could try one of these:",
  },
  offerHuman: {
    zh: '如需人工帮助，请回复「转人工」或点击「人工客服」。',
    en: 'If you would like a person to help, reply "human" or press "Talk to a human".',
  },
} as const;

export class BotStage implements Bot {
  private readonly built = new Map<string, { version: string; recognizer: IntentRecognizer }>();

  constructor(private readonly knowledge: KnowledgeSource) {}

  private async recognizerOf(companyId: string, confidence: number): Promise<IntentRecognizer> {
    const version = `${await this.knowledge.version(companyId)}@${confidence}`;
    const cached = this.built.get(companyId);
    if (cached?.version === version) return cached.recognizer;
    const recognizer = bm25Recognizer(await this.knowledge.entries(companyId), { threshold: confidence });
    this.built.set(companyId, { version, recognizer });
    return recognizer;
  }

  /**
   * The reply to the visitor's message `messageId` with `text`, in a session the bot still holds
   * (`channel`: where the visitor writes from; `web` has buttons, a platform only text).
   */
  async reply(
    companyId: string,
    message: { readonly messageId: string; readonly text: string },
    state: { readonly botMisses?: number; readonly channel?: session.Channel },
  ): Promise<BotReply> {
    const settings = await this.knowledge.settings(companyId);
    const recognition = (await this.recognizerOf(companyId, settings.confidence)).recognise(message.text);
    const lang = HAN.test(message.text) ? 'zh' : 'en';
    const base = { inReplyTo: message.messageId as Id, question: message.text.slice(0, 500) };
    if (recognition.kind === 'matched') {
      const { entry, confidence } = recognition;
      const found = { entryId: entry.id, entryKind: entry.kind, title: entry.title, confidence };
      switch (entry.action) {
        case 'transfer':
          return { text: TEXTS.transfer[lang], bot: { ...base, ...found, outcome: 'transfer' }, then: 'transfer' };
        case 'end': {
          // The bot offers to end and asks; only the visitor's own session.end ends (a channel
          // visitor's end word counts as one: gateways/src/channels/inbound.ts).
          const question = entry.answer ?? TEXTS.askEnd[lang];
          const byWord = state.channel !== undefined && state.channel !== 'web';
          return {
            text: byWord ? `${question}\n${TEXTS.endByWord[lang]}` : question,
            bot: {
              ...base,
              ...found,
              outcome: 'end',
              actions: [{ type: 'session.end', label: TEXTS.endLabel[lang] }],
            },
            then: 'nothing',
          };
        }
        case 'answer':
          return { text: entry.answer ?? '', bot: { ...base, ...found, outcome: 'answered' }, then: 'nothing' };
      }
    }
    const misses = (state.botMisses ?? 0) + 1;
    const offerHuman = misses >= settings.missesBeforeHuman;
    const candidates = recognition.candidates.map((c) => c.entry.title);
    const configured = await this.knowledge.suggestedQuestions(companyId);
    const suggestions = [...new Set([...candidates, ...configured])].slice(0, Math.max(1, settings.suggestionCount));
    // The widget shows the suggestions as buttons under the reply; a channel visitor has none, so
    // only they get the list in the text (twice, text and buttons, was one list too many).
    const byWord = state.channel !== undefined && state.channel !== 'web';
    const text = [
      TEXTS.notUnderstood[lang],
      ...(byWord ? suggestions.map((q) => `• ${q}`) : []),
      ...(offerHuman ? [TEXTS.offerHuman[lang]] : []),
    ].join('\n');
    return {
      text,
      bot: { ...base, outcome: 'not_understood', confidence: recognition.confidence, suggestions, offerHuman },
      then: 'nothing',
    };
  }
}
