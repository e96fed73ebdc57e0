// The demo company `npm start` creates on an empty data folder (PROTOCOL.md, "Demo data").
import { isLeft, isRight, type Either } from 'fp-ts/Either';
import type * as t from 'io-ts';
import { invalidPaths, type DomainError, type Id } from '@cschat/domain';
import {
  NewAgent,
  NewCannedResponse,
  NewCompany,
  NewFaqEntry,
  NewGroup,
  NewIntent,
  SettingsPatch,
  type CompanyConfigStore,
  type Logger,
} from '@cschat/infra';

import { DEMO_FAQ, DEMO_INTENTS, DEMO_SUGGESTED_QUESTIONS } from './demo-knowledge';

/** Demo data goes through the API's codecs, like anything an admin would send. */
const body = <A>(codec: t.Decoder<unknown, A>, value: unknown): A => {
  const decoded = codec.decode(value);
  if (isLeft(decoded)) throw new Error(`demo data does not decode at ${invalidPaths(decoded.left)}`);
  return decoded.right;
};

const must = <T>(result: Either<DomainError, T>, what: string): T => {
  if (isLeft(result)) throw new Error(`demo data: ${what}: ${result.left.code} ${result.left.message}`);
  return result.right;
};

/** Creates company `demo` unless it exists; returns whether it did. */
export const ensureDemoCompany = async (
  config: CompanyConfigStore,
  password: string,
  logger: Logger,
): Promise<boolean> => {
  if (isRight(await config.getCompany('demo'))) return false;
  const created = await config.createCompany(
    body(NewCompany, {
      companyId: 'demo',
      name: 'Demo Ltd',
      timeZone: 'Asia/Shanghai',
      adminUsername: 'admin',
      adminPassword: password,
    }),
    { adminId: 'admin' as Id },
  );
  // Another process of the same deployment made it at the same moment.
  if (isLeft(created) && created.left.code === 'conflict') return false;
  must(created, 'company');
  const actor = 'admin';
  must(await config.createGroup('demo', actor, body(NewGroup, { name: 'Support' }), { id: 'support' as Id }), 'group');
  for (const username of ['alice', 'bob']) {
    must(
      await config.createAgent(
        'demo',
        actor,
        body(NewAgent, {
          username,
          password,
          name: username[0]!.toUpperCase() + username.slice(1),
          role: 'agent',
          groupIds: ['support'],
          capacity: 2,
        }),
        { id: username as Id },
      ),
      username,
    );
  }
  must(
    await config.updateSettings(
      'demo',
      actor,
      body(SettingsPatch, {
        defaultGroupId: 'support',
        greeting: 'Hi! I am the demo bot. Ask me anything, or ask for a human. 你好，有什么可以帮您？',
        suggestionCount: 5,
        // Its greeting and canned responses lead with English, and so did its bot's own texts: they stay
        // English (a new company speaks zh-CN; the admin pages' "Company language" changes it).
        language: 'en',
      }),
    ),
    'settings',
  );
  must(await config.setSuggestedQuestions('demo', actor, [...DEMO_SUGGESTED_QUESTIONS]), 'suggested questions');
  for (const entry of DEMO_FAQ) {
    const { question, alternatives, answer, tags } = entry;
    must(
      await config.createFaqEntry('demo', actor, body(NewFaqEntry, { question, alternatives, answer, tags })),
      entry.key,
    );
  }
  for (const intent of DEMO_INTENTS)
    must(await config.createIntent('demo', actor, body(NewIntent, intent)), `intent ${intent.name}`);
  for (const [shortcut, text] of [
    ['hello', 'Hello, this is the support team. How can I help you today?'],
    ['thanks', 'Thank you for contacting us. Have a nice day!'],
    ['wait', 'One moment please, I am looking into it.'],
  ]) {
    must(
      await config.createCannedResponse('demo', actor, body(NewCannedResponse, { shortcut, text, scope: 'company' })),
      'canned response',
    );
  }
  logger.info({ companyId: 'demo' }, 'created the demo company');
  return true;
};
