// The bot's knowledge, read from the company configuration: enabled FAQ entries and intents,
// the bot settings, the suggested questions, and the version that says when to rebuild.
import { isRight } from 'fp-ts/Either';
import type { KnowledgeEntry } from '@cschat/domain';
import { DEFAULT_COMPANY_LANGUAGE } from '../company-config/codecs';
import type { CompanyConfigStore } from '../company-config/store';
import type { KnowledgeSource } from './stage';

export const knowledgeOf = (config: CompanyConfigStore): KnowledgeSource => ({
  version: (companyId) => config.knowledgeVersion(companyId),
  entries: async (companyId) => {
    const [faq, intents] = await Promise.all([
      config.listFaqEntries(companyId, { enabledOnly: true }),
      config.listIntents(companyId, { enabledOnly: true }),
    ]);
    return [
      ...faq.map((f): KnowledgeEntry => ({
        id: f.id,
        kind: 'faq',
        title: f.question,
        phrasings: [f.question, ...f.alternatives],
        action: 'answer',
        answer: f.answer,
      })),
      ...intents.map((i): KnowledgeEntry => ({
        id: i.id,
        kind: 'intent',
        title: i.name,
        phrasings: i.phrases,
        action: i.action,
        ...(i.answer === undefined ? {} : { answer: i.answer }),
      })),
    ];
  },
  settings: async (companyId) => {
    const settings = await config.getSettings(companyId);
    return isRight(settings)
      ? {
          confidence: settings.right.botConfidence,
          missesBeforeHuman: settings.right.botMissesBeforeHuman,
          suggestionCount: settings.right.suggestionCount,
          language: settings.right.language,
        }
      : { confidence: 0.15, missesBeforeHuman: 2, suggestionCount: 5, language: DEFAULT_COMPANY_LANGUAGE };
  },
  suggestedQuestions: (companyId) => config.getSuggestedQuestions(companyId),
});
