// The demo company `npm start` creates on an empty data folder (PROTOCOL.md, "Demo data").
import { isLeft } from 'fp-ts/Either';
import type * as t from 'io-ts';
import { invalidPaths, type Id } from '@cschat/domain';
import {
  NewAgent,
  NewCannedResponse,
  NewCompany,
  NewFaqEntry,
  NewGroup,
  SettingsPatch,
  type CompanyConfigStore,
  type Logger,
} from '@cschat/infra';

/** Demo data goes through the API's codecs, like anything an admin would send. */
const body = <A>(codec: t.Decoder<unknown, A>, value: unknown): A => {
  const decoded = codec.decode(value);
  if (isLeft(decoded)) throw new Error(`demo data does not decode at ${invalidPaths(decoded.left)}`);
  return decoded.right;
};

const must = <T>(result: { ok: true; value: T } | { ok: false; error: string; message: string }, what: string): T => {
  if (!result.ok) throw new Error(`demo data: ${what}: ${result.error} ${result.message}`);
  return result.value;
};

/** Creates company `demo` unless it exists; returns whether it did. */
export const ensureDemoCompany = async (
  config: CompanyConfigStore,
  password: string,
  logger: Logger,
): Promise<boolean> => {
  if ((await config.getCompany('demo')).ok) return false;
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
  if (!created.ok && created.error === 'conflict') return false;
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
      }),
    ),
    'settings',
  );
  must(
    await config.setSuggestedQuestions('demo', actor, [
      'Where is my order?',
      'How do I return an item?',
      'What are your opening hours?',
      '怎么修改收货地址？',
      'Talk to a human',
    ]),
    'suggested questions',
  );
  const faq = [
    ['Where is my order?', 'You can follow your parcel under "My orders"; it shows the carrier and tracking number.'],
    ['How do I return an item?', 'Returns are free within 30 days: open "My orders", choose the item and "Return".'],
    ['What are your opening hours?', 'Our agents answer every day, around the clock, in this demo.'],
    ['怎么修改收货地址？', '在"我的订单"中选择订单，点击"修改地址"即可（发货前）。'],
  ];
  for (const [question, answer] of faq)
    must(await config.createFaqEntry('demo', actor, body(NewFaqEntry, { question, answer })), 'faq');
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
