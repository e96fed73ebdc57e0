// The admin's Bot section in a real browser (Debian's Chromium driven by playwright-core), on the embedded app
// with a fresh data folder: a question the bot did not understand shows with its count; one click adds it to an
// FAQ entry (the next visitor gets that answer and the question leaves the list), another to an intent, another
// dismisses one; the intents are created, edited and deleted; the bot's settings are checked and saved. In
// English and in Chinese, with axe-core, and the screenshots docs/screenshots/admin-bot.{en,zh-CN}.png.
// Without the browser the suite is skipped, unless REQUIRE_INFRA=1 (CI).
import { copyFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { Client, http, type Frame } from '../../../test-support/clients';
import { accessibilityProblems, describeInBrowser, PHONE, SCREEN, SHOTS } from '../../../test-support/browser';
import { waitFor } from '../../../test-support/wait';

const DOCS_SHOTS = path.resolve(__dirname, '../../../docs/screenshots');

interface FaqEntry {
  id: string;
  question: string;
  alternatives: string[];
  answer: string;
}
interface Intent {
  id: string;
  name: string;
  phrases: string[];
  action: string;
  answer?: string;
  enabled: boolean;
}

describeInBrowser('[browser] the admin Bot section', (ui) => {
  const { open, errors } = ui;
  let sent = 0;

  const tokenOf = async (username: string): Promise<string> => {
    const { status, body } = await http(ui.base).post('/api/agents/login', {
      companyId: 'demo',
      username,
      password: 'demo',
    });
    expect(status).toBe(200);
    return String(body['token']);
  };
  const read = async <T>(token: string, url: string): Promise<T> => {
    const response = await fetch(`${ui.base}${url}`, { headers: { authorization: `Bearer ${token}` } });
    expect([url, response.status]).toEqual([url, 200]);
    return (await response.json()) as T;
  };
  /** A new web visitor asks `text`: the bot's reply. */
  const ask = async (text: string): Promise<Frame> => {
    const login = await http(ui.base).post('/api/visitors/login', { companyId: 'demo' });
    const client = await Client.open(
      `${ui.base.replace('http', 'ws')}/ws/visitor?token=${String(login.body['token'])}`,
    );
    try {
      await client.request({ type: 'message.send', text, clientMsgId: `b-${++sent}` });
      return await client.next(
        (f) => f.type === 'message' && (f['from'] as { role: string }).role === 'bot',
        `the bot's reply to ${text}`,
      );
    } finally {
      client.close();
    }
  };
  /** Until the report (its read model) counts `question` `count` times. */
  const reported = (token: string, question: string, count: number) =>
    waitFor(`"${question}" reported ${count} times`, async () => {
      const { questions } = await read<{ questions: { question: string; count: number }[] }>(
        token,
        '/api/admin/reports/unanswered?days=1&limit=200',
      );
      return questions.some((q) => q.question === question && q.count === count) ? true : undefined;
    });

  const signIn = async (page: Page, zh = false): Promise<void> => {
    const login = page.locator('#login');
    await login.getByLabel(zh ? '用户名' : 'Username').fill('admin');
    await login.getByLabel(zh ? '密码' : 'Password').fill('demo');
    await login.getByRole('button', { name: zh ? '登录' : 'Sign in' }).click();
    await page.locator('body[data-loaded="true"]').waitFor({ state: 'attached' });
  };
  const botSection = async (page: Page, tab: string): Promise<Locator> => {
    await page.getByRole('tab', { name: tab, exact: true }).click();
    const panel = page.locator('#panel-bot');
    await panel.waitFor({ state: 'visible' });
    return panel;
  };
  const row = (panel: Locator, question: string) => panel.locator(`#bot-unanswered tr[data-question="${question}"]`);

  it('adds a question to an FAQ entry in one click: the next visitor gets its answer, and the list drops it', async () => {
    const token = await tokenOf('admin');
    const question = 'zorblax wibble frumious';
    await ask(question);
    await ask('Zorblax  wibble frumious');
    await reported(token, question, 2);

    const page = await open('/admin.html', SCREEN, undefined, { locale: 'en-US' });
    await signIn(page);
    const panel = await botSection(page, 'Bot');
    const line = row(panel, question);
    expect(await line.locator('td').nth(1).textContent()).toBe('2');
    const { faq } = await read<{ faq: FaqEntry[] }>(token, '/api/admin/faq');
    const entry = faq[0]!;
    await line.getByLabel(`Where to add “${question}”`).selectOption(`faq:${entry.id}`);
    await line.getByRole('button', { name: `Add “${question}” to the chosen entry` }).click();
    await panel
      .locator('#bot-unanswered-status')
      .filter({ hasText: `Added “${question}” to the FAQ entry “${entry.question}”.` })
      .waitFor();
    await line.waitFor({ state: 'detached' });
    const after = (await read<{ faq: FaqEntry[] }>(token, '/api/admin/faq')).faq.find((f) => f.id === entry.id)!;
    expect(after.alternatives).toEqual([...entry.alternatives, question]);
    expect((await ask(question))['text']).toBe(entry.answer);
    // The FAQ section shows the new way to ask too.
    await page.getByRole('tab', { name: 'FAQ', exact: true }).click();
    await page.locator('#faq tr').filter({ hasText: question }).waitFor();
    expect(errors).toEqual([]);
  }, 120_000);

  it('manages intents, adds a question to one in one click, dismisses noise, and saves the settings', async () => {
    const token = await tokenOf('admin');
    const page = await open('/admin.html', SCREEN, undefined, { locale: 'en-US' });
    await signIn(page);
    const panel = await botSection(page, 'Bot');

    // ---- an intent: a missing answer is refused on the page, then created, edited, and shown.
    const form = panel.locator('#intent-form');
    await form.getByLabel('Name', { exact: true }).fill('loyalty');
    await form.getByLabel('Training phrases, one per line').fill('loyalty points balance\nhow many points');
    await form.getByRole('button', { name: 'Add intent' }).click();
    await form.locator('#intent-error').filter({ hasText: 'an intent that answers needs its answer' }).waitFor();
    await form.getByLabel('Answer', { exact: true }).fill('You have 120 points.');
    await form.getByRole('button', { name: 'Add intent' }).click();
    await panel.locator('#intents tr[data-name="loyalty"]').waitFor();
    let { intents } = await read<{ intents: Intent[] }>(token, '/api/admin/intents');
    const loyalty = intents.find((i) => i.name === 'loyalty')!;
    expect(loyalty).toMatchObject({
      phrases: ['loyalty points balance', 'how many points'],
      action: 'answer',
      answer: 'You have 120 points.',
      enabled: true,
    });
    // A handover hides the answer; the API stores none.
    await form.getByLabel('Name', { exact: true }).fill('agent please');
    await form.getByLabel('Training phrases, one per line').fill('put me through to staff');
    await form.getByLabel('Action').selectOption('transfer');
    expect(await panel.locator('#intent-answer-field').isHidden()).toBe(true);
    await form.getByRole('button', { name: 'Add intent' }).click();
    await panel.locator('#intents tr[data-name="agent please"]').waitFor();
    await panel.getByRole('button', { name: 'Edit intent agent please' }).click();
    expect(await panel.locator('#intent-form-title').textContent()).toBe('Edit intent “agent please”');
    await form.getByLabel('Enabled').uncheck();
    await form.getByRole('button', { name: 'Save intent' }).click();
    await panel.locator('#intents tr[data-name="agent please"] td').nth(3).filter({ hasText: 'No' }).waitFor();
    ({ intents } = await read<{ intents: Intent[] }>(token, '/api/admin/intents'));
    expect(intents.find((i) => i.name === 'agent please')).toMatchObject({ action: 'transfer', enabled: false });
    expect(intents.find((i) => i.name === 'agent please')?.answer).toBeUndefined();
    page.once('dialog', (dialog) => void dialog.accept());
    await panel.getByRole('button', { name: 'Delete intent agent please' }).click();
    await panel.locator('#intents tr[data-name="agent please"]').waitFor({ state: 'detached' });

    // ---- one click adds a question to the intent; another dismisses noise.
    const question = 'glimmer snark plover';
    const noise = 'qqq vvv xxx';
    await ask(question);
    await ask(noise);
    await reported(token, question, 1);
    await reported(token, noise, 1);
    await panel.getByLabel('Period').selectOption('7');
    const line = row(panel, question);
    await line.getByLabel(`Where to add “${question}”`).selectOption(`intent:${loyalty.id}`);
    await line.getByRole('button', { name: `Add “${question}” to the chosen entry` }).click();
    await panel
      .locator('#bot-unanswered-status')
      .filter({ hasText: `Added “${question}” to the intent “loyalty”.` })
      .waitFor();
    await line.waitFor({ state: 'detached' });
    await panel.locator('#intents tr[data-name="loyalty"]').filter({ hasText: question }).waitFor();
    expect((await ask(question))['text']).toBe('You have 120 points.');
    await row(panel, noise)
      .getByRole('button', { name: `Dismiss “${noise}”` })
      .click();
    await row(panel, noise).waitFor({ state: 'detached' });
    const { questions } = await read<{ questions: { question: string }[] }>(
      token,
      '/api/admin/reports/unanswered?days=1',
    );
    expect(questions.map((q) => q.question)).not.toContain(noise);

    // ---- a new FAQ entry from a question.
    const asked = 'wibbly wobbly timey';
    await ask(asked);
    await reported(token, asked, 1);
    await panel.getByLabel('Period').selectOption('1');
    await row(panel, asked)
      .getByRole('button', { name: `New FAQ entry from “${asked}”` })
      .click();
    const newFaq = panel.locator('#bot-faq-form');
    await newFaq.getByLabel('Question').fill('Time travel?');
    await newFaq.getByLabel('Answer').fill('We do not sell time machines.');
    await newFaq.getByRole('button', { name: 'Create FAQ entry' }).click();
    await row(panel, asked).waitFor({ state: 'detached' });
    const { faq } = await read<{ faq: FaqEntry[] }>(token, '/api/admin/faq');
    expect(faq.find((f) => f.question === 'Time travel?')).toMatchObject({ alternatives: [asked] });
    expect((await ask(asked))['text']).toBe('We do not sell time machines.');

    // ---- the settings: out of bounds refused on the page, then saved.
    const settings = panel.locator('#bot-settings-form');
    expect(await settings.getByLabel('Confidence threshold (0 to 1)').inputValue()).toBe('0.15');
    await settings.getByLabel('Confidence threshold (0 to 1)').fill('1.5');
    await settings.getByRole('button', { name: 'Save bot settings' }).click();
    await settings.locator('#bot-settings-error').filter({ hasText: 'a number from 0 to 1' }).waitFor();
    await settings.getByLabel('Confidence threshold (0 to 1)').fill('0.3');
    await settings.getByLabel('Misses before offering a human').fill('2.5');
    await settings.getByRole('button', { name: 'Save bot settings' }).click();
    await settings.locator('#bot-settings-error').filter({ hasText: 'a whole number from 1 to 10' }).waitFor();
    await settings.getByLabel('Misses before offering a human').fill('3');
    await settings.getByRole('button', { name: 'Save bot settings' }).click();
    await settings.locator('#bot-settings-status').filter({ hasText: 'from a confidence of 0.3' }).waitFor();
    expect(await read<Record<string, unknown>>(token, '/api/admin/settings')).toMatchObject({
      botConfidence: 0.3,
      botMissesBeforeHuman: 3,
    });
    await page.reload();
    await page.locator('body[data-loaded="true"]').waitFor({ state: 'attached' });
    expect(await page.locator('#bot-misses').inputValue()).toBe('3');
    // Back to the defaults, for the screenshots.
    await page.locator('#bot-confidence').fill('0.15');
    await page.locator('#bot-misses').fill('2');
    await page.getByRole('button', { name: 'Save bot settings' }).click();
    await page.locator('#bot-settings-status').filter({ hasText: 'from a confidence of 0.15' }).waitFor();
    expect(errors).toEqual([]);
  }, 180_000);

  it('passes axe-core in English and in Chinese, fits a phone, and takes the screenshots', async () => {
    const token = await tokenOf('admin');
    for (const question of ['flumph quiddity?', 'blorf zzyq', 'flumph quiddity?']) await ask(question);
    await reported(token, 'flumph quiddity?', 2);

    const page = await open('/admin.html', SCREEN, undefined, { locale: 'en-US' });
    await signIn(page);
    let panel = await botSection(page, 'Bot');
    await row(panel, 'flumph quiddity?').waitFor();
    expect(await accessibilityProblems(page)).toEqual([]);
    await page.screenshot({ path: path.join(SHOTS, 'admin-bot.en.png'), fullPage: true });

    await page.locator('.admin-header').getByLabel('Language').selectOption('zh-CN');
    panel = await botSection(page, '机器人');
    await panel.locator('h2').first().filter({ hasText: '机器人训练' }).waitFor();
    await row(panel, 'flumph quiddity?').getByRole('button', { name: '忽略“flumph quiddity?”' }).waitFor();
    await panel.locator('#intent-form-title').filter({ hasText: '新建意图' }).waitFor();
    expect(await panel.getByLabel('置信度阈值（0 到 1）').inputValue()).toBe('0.15');
    expect(await accessibilityProblems(page)).toEqual([]);
    await page.screenshot({ path: path.join(SHOTS, 'admin-bot.zh-CN.png'), fullPage: true });
    for (const lang of ['en', 'zh-CN']) {
      copyFileSync(path.join(SHOTS, `admin-bot.${lang}.png`), path.join(DOCS_SHOTS, `admin-bot.${lang}.png`));
    }
    await page.locator('.admin-header').getByLabel('语言').selectOption('en');

    const phone = await open('/admin.html', PHONE, undefined, { locale: 'en-US' });
    await signIn(phone);
    await botSection(phone, 'Bot');
    expect(await phone.evaluate('document.documentElement.scrollWidth')).toBe(PHONE.width);
    expect(errors).toEqual([]);
  }, 180_000);
});
