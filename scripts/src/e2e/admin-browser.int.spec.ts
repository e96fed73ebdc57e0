// The admin pages in a real browser (Debian's Chromium driven by playwright-core), on the embedded app with a
// fresh data folder: the demo admin configures the company section by section, and each change is checked
// through the HTTP API and after a reload. Without the browser the suite is skipped, unless REQUIRE_INFRA=1 (CI).
import * as path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { Client, http } from '../../../test-support/clients';
import { valueOrThrow } from '../../../test-support/fixtures';
import { accessibilityProblems, describeInBrowser, PHONE, SCREEN, SHOTS } from '../../../test-support/browser';

const TITLE = '[browser] the admin pages';

interface Group {
  id: string;
  name: string;
}
interface Agent {
  id: string;
  username: string;
  name?: string;
  role: string;
  capacity: number;
  groupIds: string[];
}
interface Schedule {
  id: string;
  groupId: string;
  type: 'regular' | 'irregular';
  timeZone: string;
  weekly?: unknown[];
  dates?: unknown[];
}

describeInBrowser(TITLE, (ui) => {
  const { open, errors } = ui;

  const tokenOf = async (username: string, password = 'demo'): Promise<string> => {
    const { status, body } = await http(ui.base).post('/api/agents/login', { companyId: 'demo', username, password });
    expect([username, status]).toEqual([username, 200]);
    return String(body['token']);
  };

  /** What the API stores now, read with the admin's token. */
  const read = async <T>(token: string, url: string): Promise<T> => {
    const response = await fetch(`${ui.base}${url}`, { headers: { authorization: `Bearer ${token}` } });
    expect([url, response.status]).toEqual([url, 200]);
    return (await response.json()) as T;
  };

  const signIn = async (page: Page, username: string, password = 'demo'): Promise<void> => {
    const login = page.locator('#login');
    await login.getByLabel('Username').fill(username);
    await login.getByLabel('Password').fill(password);
    await login.getByRole('button', { name: 'Sign in' }).click();
  };

  /** Waits until every section has loaded. */
  const loaded = (page: Page) => page.locator('body[data-loaded="true"]').waitFor({ state: 'attached' });

  const section = async (page: Page, tab: string, id: string): Promise<Locator> => {
    await page.getByRole('tab', { name: tab, exact: true }).click();
    const panel = page.locator(`#panel-${id}`);
    await panel.waitFor({ state: 'visible' });
    return panel;
  };

  /** Reloads the page; the tab keeps its sign-in and its section. */
  const reload = async (page: Page, id: string): Promise<Locator> => {
    await page.reload();
    await loaded(page);
    const panel = page.locator(`#panel-${id}`);
    await panel.waitFor({ state: 'visible' });
    return panel;
  };

  it('serves the admin files with their content types, linked from the index', async () => {
    for (const [url, type] of [
      ['/admin.html', 'text/html'],
      ['/admin.js', 'text/javascript'],
      ['/admin.css', 'text/css'],
    ] as const) {
      const response = await fetch(`${ui.base}${url}`);
      expect([url, response.status]).toEqual([url, 200]);
      expect(response.headers.get('content-type')).toContain(type);
    }
    expect(await (await fetch(`${ui.base}/`)).text()).toContain('href="/admin.html"');
  });

  it('refuses an agent who is not an admin, with a clear message', async () => {
    const page = await open('/admin.html', SCREEN);
    await signIn(page, 'alice');
    const alert = page.locator('#login-error[role="alert"]');
    await alert.filter({ hasText: 'Only company admins can use this page' }).waitFor();
    expect(await alert.textContent()).toContain('“alice” is signed in with the role “agent”');
    expect(await page.locator('#app').isHidden()).toBe(true);
    expect(await page.evaluate("sessionStorage.getItem('cschat.admin.token')")).toBeNull();

    // A wrong password is told apart.
    await signIn(page, 'admin', 'wrong');
    await alert.filter({ hasText: 'Wrong company, username or password.' }).waitFor();
    expect(errors).toEqual([]);
  });

  it('lets the admin configure the company; each change is stored and still shown after a reload', async () => {
    const token = await tokenOf('admin');
    const page = await open('/admin.html', SCREEN);
    await signIn(page, 'admin');
    await page.locator('#app').waitFor({ state: 'visible' });
    await loaded(page);
    expect(await page.locator('#who').textContent()).toContain('admin');

    // The sections are tabs that the arrow keys move between.
    const groupsTab = page.getByRole('tab', { name: 'Groups', exact: true });
    expect(await groupsTab.getAttribute('aria-selected')).toBe('true');
    await groupsTab.focus();
    await page.keyboard.press('ArrowDown');
    expect(await page.getByRole('tab', { name: 'Agents', exact: true }).getAttribute('aria-selected')).toBe('true');
    await page.locator('#panel-agents').waitFor({ state: 'visible' });
    expect(await page.locator('#panel-groups').isHidden()).toBe(true);

    // ---- groups: a bad input shows the API's error next to the form; then a group is created and renamed.
    let panel = await section(page, 'Groups', 'groups');
    await panel.getByRole('button', { name: 'Create group' }).click();
    // The API names the field and the rule (PROTOCOL "Security").
    await panel
      .locator('#group-error[role="alert"]')
      .filter({ hasText: /^Not saved: name: must be 1 to 200 characters, not blank \(bad_request\)$/ })
      .waitFor();
    const before = await read<{ groups: Group[] }>(token, '/api/admin/groups');
    expect(before.groups.map((g) => g.name)).toEqual(['Support']);

    await panel.getByLabel('Group name').fill('Sales');
    await panel.getByRole('button', { name: 'Create group' }).click();
    await panel.locator('#groups tr').filter({ hasText: 'Sales' }).waitFor();
    expect(await panel.locator('#group-error').textContent()).toBe('');
    await panel.getByRole('button', { name: 'Edit group Sales' }).click();
    await panel.getByLabel('Group name').fill('Sales team');
    await panel.getByRole('button', { name: 'Save group' }).click();
    await panel.locator('#groups tr').filter({ hasText: 'Sales team' }).waitFor();
    const { groups } = await read<{ groups: Group[] }>(token, '/api/admin/groups');
    const sales = groups.find((g) => g.name === 'Sales team')!;
    expect(sales).toBeDefined();
    expect(groups).toHaveLength(2);
    panel = await reload(page, 'groups');
    await panel.locator(`#groups tr[data-id="${sales.id}"]`).filter({ hasText: 'Sales team' }).waitFor();

    // ---- agents: one in the new group, who can sign in with the password given; then a new capacity.
    panel = await section(page, 'Agents', 'agents');
    await panel.getByLabel('Username').fill('carol');
    await panel.getByLabel('Display name').fill('Carol');
    await panel.getByLabel('Password').fill('carols-password');
    await panel.getByLabel('Role').selectOption('agent');
    await panel.getByLabel('Capacity (sessions at once)').fill('4');
    await panel.locator('#agent-groups').getByLabel('Sales team').check();
    await panel.getByRole('button', { name: 'Create agent' }).click();
    await panel.locator('#agents tr[data-username="carol"]').filter({ hasText: 'Sales team' }).waitFor();
    let carol = (await read<{ agents: Agent[] }>(token, '/api/admin/agents')).agents.find(
      (a) => a.username === 'carol',
    );
    expect(carol).toMatchObject({ name: 'Carol', role: 'agent', capacity: 4, groupIds: [sales.id] });
    await tokenOf('carol', 'carols-password');

    await panel.getByRole('button', { name: 'Edit agent carol' }).click();
    await panel.getByLabel('Capacity (sessions at once)').fill('5');
    await panel.getByRole('button', { name: 'Save agent' }).click();
    await panel.locator('#agents tr[data-username="carol"] td:nth-child(5)').filter({ hasText: '5' }).waitFor();
    carol = (await read<{ agents: Agent[] }>(token, '/api/admin/agents')).agents.find((a) => a.username === 'carol');
    expect(carol).toMatchObject({ capacity: 5, groupIds: [sales.id] });
    await tokenOf('carol', 'carols-password'); // an edit without a password keeps it
    panel = await reload(page, 'agents');
    await panel.locator('#agents tr[data-username="carol"]').filter({ hasText: 'Sales team' }).waitFor();

    // ---- working hours: Monday's hours and two holiday-duty dates for the new group.
    panel = await section(page, 'Working hours', 'hours');
    await panel.getByLabel('Group', { exact: true }).selectOption(sales.id);
    await panel.locator('#hours-status').filter({ hasText: 'open at all times' }).waitFor();
    await panel.getByLabel('Time zone (weekly hours)').fill('Asia/Shanghai');
    await panel.getByRole('button', { name: 'Add hours on Monday' }).click();
    await panel.getByLabel('Monday opens at').fill('08:30');
    await panel.getByLabel('Monday closes at').fill('17:00');
    await panel.getByRole('button', { name: 'Save weekly hours' }).click();
    await panel.locator('#hours-status').filter({ hasText: 'Weekly hours saved.' }).waitFor();

    await panel.getByLabel('Time zone (holiday duty)').fill('Asia/Shanghai');
    await panel.getByRole('button', { name: 'Add a date' }).click();
    await panel.getByLabel('Holiday duty 1 date').fill('2026-10-01');
    await panel.getByLabel('Holiday duty 1 opens at').fill('10:00');
    await panel.getByLabel('Holiday duty 1 closes at').fill('16:00');
    await panel.getByRole('button', { name: 'Add a date' }).click();
    await panel.getByLabel('Holiday duty 2 date').fill('2026-10-02');
    await panel.getByLabel('Holiday duty 2', { exact: true }).selectOption('closed');
    await panel.getByRole('button', { name: 'Save holiday duty' }).click();
    await panel.locator('#hours-status').filter({ hasText: 'Holiday duty saved.' }).waitFor();
    expect(await panel.locator('#weekly-error').textContent()).toBe('');
    expect(await panel.locator('#duty-error').textContent()).toBe('');

    const { workingHours } = await read<{ workingHours: Schedule[] }>(token, '/api/admin/working-hours');
    expect(workingHours.filter((s) => s.groupId === sales.id).sort((a, b) => a.type.localeCompare(b.type))).toEqual([
      {
        id: expect.any(String) as string,
        companyId: 'demo',
        groupId: sales.id,
        type: 'irregular',
        timeZone: 'Asia/Shanghai',
        dates: [
          { date: '2026-10-01', from: '10:00', to: '16:00' },
          { date: '2026-10-02', closed: true },
        ],
      },
      {
        id: expect.any(String) as string,
        companyId: 'demo',
        groupId: sales.id,
        type: 'regular',
        timeZone: 'Asia/Shanghai',
        weekly: [{ day: 'mon', from: '08:30', to: '17:00' }],
      },
    ]);
    panel = await reload(page, 'hours');
    await panel.getByLabel('Group', { exact: true }).selectOption(sales.id);
    expect(await panel.getByLabel('Monday opens at').inputValue()).toBe('08:30');
    expect(await panel.getByLabel('Monday closes at').inputValue()).toBe('17:00');
    expect(await panel.locator('.day-ranges[data-day="tue"]').textContent()).toContain('Closed');
    expect(await panel.getByLabel('Holiday duty 1 date').inputValue()).toBe('2026-10-01');
    expect(await panel.getByLabel('Holiday duty 2', { exact: true }).inputValue()).toBe('closed');
    expect(await panel.getByLabel('Time zone (weekly hours)').inputValue()).toBe('Asia/Shanghai');
    await page.screenshot({ path: path.join(SHOTS, 'admin.png'), fullPage: true });

    // ---- canned responses: a company-wide one, which an agent then finds too.
    panel = await section(page, 'Canned responses', 'canned');
    await panel.locator('#canned tr[data-shortcut="hello"]').waitFor(); // the demo's
    await panel.getByLabel('Shortcut').fill('refund');
    await panel.getByLabel('Text').fill('Refunds take 3 to 5 working days.');
    await panel.getByRole('button', { name: 'Add response' }).click();
    await panel.locator('#canned tr[data-shortcut="refund"]').waitFor();
    const alice = await tokenOf('alice');
    const { cannedResponses } = await read<{ cannedResponses: { shortcut: string; scope: string; text: string }[] }>(
      alice,
      '/api/canned-responses?q=refund',
    );
    expect(cannedResponses).toEqual([
      expect.objectContaining({ shortcut: 'refund', scope: 'company', text: 'Refunds take 3 to 5 working days.' }),
    ]);
    panel = await reload(page, 'canned');
    await panel.locator('#canned tr[data-shortcut="refund"]').filter({ hasText: '3 to 5 working days' }).waitFor();

    // ---- suggested questions: one more, at the end of the list.
    panel = await section(page, 'Suggested questions', 'suggested');
    const box = panel.getByLabel('Suggested questions, one per line', { exact: false });
    const shown = await box.inputValue();
    const demoQuestions = (await read<{ questions: string[] }>(token, '/api/admin/suggested-questions')).questions;
    expect(shown).toBe(demoQuestions.join('\n'));
    await box.fill(`${shown}\n\n  How do I get a refund?  \n`);
    await panel.getByRole('button', { name: 'Save suggested questions' }).click();
    await panel.locator('#suggested-status').filter({ hasText: 'Saved' }).waitFor();
    const { questions } = await read<{ questions: string[] }>(token, '/api/admin/suggested-questions');
    expect(questions).toEqual([...demoQuestions, 'How do I get a refund?']);
    panel = await reload(page, 'suggested');
    expect(await panel.getByLabel('Suggested questions, one per line', { exact: false }).inputValue()).toBe(
      questions.join('\n'),
    );

    // ---- FAQ: a new entry with another way to ask and two tags.
    panel = await section(page, 'FAQ', 'faq');
    await panel.getByLabel('Question', { exact: true }).fill('How long does a refund take?');
    await panel.getByLabel('Other ways to ask, one per line').fill('refund time\nwhen is my money back');
    await panel.getByLabel('Answer', { exact: true }).fill('Three to five working days after we get the parcel.');
    await panel.getByLabel('Tags, separated by commas').fill('billing, refunds');
    await panel.getByRole('button', { name: 'Add FAQ entry' }).click();
    await panel.locator('#faq tr').filter({ hasText: 'How long does a refund take?' }).waitFor();
    const { faq } = await read<{ faq: { question: string }[] }>(token, '/api/admin/faq');
    expect(faq.find((e) => e.question === 'How long does a refund take?')).toMatchObject({
      alternatives: ['refund time', 'when is my money back'],
      answer: 'Three to five working days after we get the parcel.',
      tags: ['billing', 'refunds'],
      enabled: true,
    });
    panel = await reload(page, 'faq');
    await panel.locator('#faq tr').filter({ hasText: 'How long does a refund take?' }).waitFor();

    // ---- channel accounts: the secrets go in and never come back out.
    const botToken = '123456:secret-bot-token-XYZ';
    const secretToken = 'webhook-secret-QRS';
    panel = await section(page, 'Channel accounts', 'channels');
    await panel.getByLabel('Platform').selectOption('telegram');
    await panel.getByLabel('Account name').fill('Sales bot');
    await panel.getByLabel('Group', { exact: true }).selectOption(sales.id);
    await panel.getByLabel('Bot token').fill(botToken);
    await panel.getByLabel('Webhook secret token').fill(secretToken);
    expect(await panel.getByLabel('Bot token').getAttribute('type')).toBe('password');
    await panel.getByRole('button', { name: 'Add channel account' }).click();
    await panel.locator('#channel-status').filter({ hasText: '/webhooks/telegram/' }).waitFor();
    const row = panel.locator('#channels tr').filter({ hasText: 'Sales bot' });
    await row.waitFor();
    expect(await row.textContent()).toContain('••••••••');
    const { channelAccounts } = await read<{ channelAccounts: Record<string, unknown>[] }>(
      token,
      '/api/admin/channel-accounts',
    );
    const account = channelAccounts.find((a) => a['name'] === 'Sales bot')!;
    expect(account).toMatchObject({ platform: 'telegram', groupId: sales.id, hasCredentials: true, enabled: true });
    expect(JSON.stringify(channelAccounts)).not.toContain(botToken);
    const stored = await ui.app.config.channelAccountCredentials('demo', String(account['id']));
    expect(valueOrThrow(stored).credentials).toEqual({ botToken, secretToken });
    const onPage = async (): Promise<string> =>
      page.evaluate(
        "document.documentElement.outerHTML + [...document.querySelectorAll('input, textarea')].map((e) => e.value).join('\\n')",
      );
    expect(await onPage()).not.toContain(botToken);
    expect(await onPage()).not.toContain(secretToken);
    panel = await reload(page, 'channels');
    await panel.locator('#channels tr').filter({ hasText: 'Sales bot' }).filter({ hasText: '••••••••' }).waitFor();
    expect(await onPage()).not.toContain(botToken);

    // A WeChat account: a malformed EncodingAESKey is refused on the page; a good one is stored, never shown.
    const aesKey = 'kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR';
    await panel.getByLabel('Platform').selectOption('wechat');
    await panel.getByLabel('Account name').fill('Official account');
    await panel.getByLabel('Group', { exact: true }).selectOption(sales.id);
    await panel.getByLabel('App id').fill('wx1234567890abcdef');
    await panel.getByLabel('App secret').fill('wechat-app-secret');
    await panel.getByLabel('Token', { exact: true }).fill('wechatToken1');
    const keyInput = panel.getByLabel('EncodingAESKey (optional)');
    expect(await keyInput.getAttribute('type')).toBe('password');
    await keyInput.fill(`${aesKey}=`);
    await panel.getByRole('button', { name: 'Add channel account' }).click();
    await panel.locator('#channel-error').filter({ hasText: 'exactly 43 characters' }).waitFor();
    await keyInput.fill(aesKey);
    await panel.getByRole('button', { name: 'Add channel account' }).click();
    await panel.locator('#channel-status').filter({ hasText: '/webhooks/wechat/' }).waitFor();
    await panel.locator('#channels tr').filter({ hasText: 'Official account' }).waitFor();
    const wechat = (
      await read<{ channelAccounts: Record<string, unknown>[] }>(token, '/api/admin/channel-accounts')
    ).channelAccounts.find((a) => a['name'] === 'Official account')!;
    const wechatStored = await ui.app.config.channelAccountCredentials('demo', String(wechat['id']));
    expect(valueOrThrow(wechatStored).credentials).toMatchObject({ encodingAesKey: aesKey });
    expect(await onPage()).not.toContain(aesKey);

    // ---- the inactivity timeout: minutes on the page, seconds in the API; out of bounds is refused.
    panel = await section(page, 'Timeouts', 'timeout');
    const minutes = panel.getByLabel('Inactivity timeout (minutes)');
    await minutes.fill('0');
    await panel.getByRole('button', { name: 'Save timeout' }).click();
    await panel.locator('#timeout-error[role="alert"]').filter({ hasText: 'from 10 seconds' }).waitFor();
    await minutes.fill('15');
    await panel.getByRole('button', { name: 'Save timeout' }).click();
    await panel.locator('#timeout-status').filter({ hasText: 'after 15 minutes' }).waitFor();
    expect(await panel.locator('#timeout-error').textContent()).toBe('');
    const settings = await read<{ inactivityTimeoutSeconds: number }>(token, '/api/admin/settings');
    expect(settings.inactivityTimeoutSeconds).toBe(900);
    panel = await reload(page, 'timeout');
    expect(await panel.getByLabel('Inactivity timeout (minutes)').inputValue()).toBe('15');

    // ---- the agents' presence: whole seconds, shown with their defaults, out of bounds refused.
    const grace = panel.getByLabel('Grace before offline (seconds)');
    const requeue = panel.getByLabel('Requeue after offline (seconds)');
    expect([await grace.inputValue(), await requeue.inputValue()]).toEqual(['30', '120']);
    expect(await grace.getAttribute('aria-describedby')).toBe('presence-grace-hint');
    await grace.fill('3601');
    await panel.getByRole('button', { name: 'Save presence' }).click();
    await panel.locator('#presence-error[role="alert"]').filter({ hasText: 'from 0 to 3600' }).waitFor();
    await grace.fill('45');
    await requeue.fill('600');
    await panel.getByRole('button', { name: 'Save presence' }).click();
    await panel.locator('#presence-status').filter({ hasText: 'offline after 45 s' }).waitFor();
    expect(await panel.locator('#presence-error').textContent()).toBe('');
    expect(await read<Record<string, unknown>>(token, '/api/admin/settings')).toMatchObject({
      inactivityTimeoutSeconds: 900,
      presenceGraceSeconds: 45,
      offlineRequeueSeconds: 600,
    });
    panel = await reload(page, 'timeout');
    expect(await panel.getByLabel('Grace before offline (seconds)').inputValue()).toBe('45');
    expect(await panel.getByLabel('Requeue after offline (seconds)').inputValue()).toBe('600');

    // ---- deletes: the API's refusal (a group that serves a channel account) shows next to the list.
    page.on('dialog', (dialog) => void dialog.accept());
    panel = await section(page, 'Groups', 'groups');
    await panel.getByRole('button', { name: 'Delete group Sales team' }).click();
    await panel.locator('#groups-error[role="alert"]').filter({ hasText: 'Not deleted' }).waitFor();
    expect(await panel.locator('#groups-error').textContent()).toContain('(conflict)');
    panel = await section(page, 'Canned responses', 'canned');
    await panel.getByRole('button', { name: 'Delete canned response refund' }).click();
    await panel.locator('#canned tr[data-shortcut="refund"]').waitFor({ state: 'detached' });
    const left = await read<{ cannedResponses: { shortcut: string }[] }>(token, '/api/canned-responses');
    expect(left.cannedResponses.map((c) => c.shortcut)).not.toContain('refund');

    // Signing out forgets the token: a reload asks to sign in again.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.reload();
    await page.locator('#login').waitFor({ state: 'visible' });
    expect(await page.locator('#app').isHidden()).toBe(true);

    expect(errors).toEqual([]);
  }, 120_000);

  it('fits a phone-sized screen', async () => {
    const page = await open('/admin.html', PHONE);
    await signIn(page, 'admin');
    await loaded(page);
    for (const [tab, id] of [
      ['Agents', 'agents'],
      ['Working hours', 'hours'],
      ['Channel accounts', 'channels'],
    ] as const) {
      await section(page, tab, id);
      const width = await page.evaluate('document.documentElement.scrollWidth');
      expect([tab, width]).toEqual([tab, PHONE.width]);
    }
    expect(errors).toEqual([]);
  }, 60_000);

  it('passes the WCAG 2 A/AA checks of axe-core in every section', async () => {
    const page = await open('/admin.html', SCREEN);
    expect(['sign-in', await accessibilityProblems(page)]).toEqual(['sign-in', []]);
    await signIn(page, 'admin');
    await loaded(page);
    for (const [tab, id] of [
      ['Groups', 'groups'],
      ['Agents', 'agents'],
      ['Working hours', 'hours'],
      ['Canned responses', 'canned'],
      ['Suggested questions', 'suggested'],
      ['FAQ', 'faq'],
      ['Channel accounts', 'channels'],
      ['Timeouts', 'timeout'],
    ] as const) {
      await section(page, tab, id);
      expect([tab, await accessibilityProblems(page)]).toEqual([tab, []]);
    }
    expect(errors).toEqual([]);
  }, 120_000);

  // ---- Chinese and English (issue 20) ----

  /** Every section's tab, id and heading in zh-CN. */
  const ZH_SECTIONS = [
    ['客服组', 'groups'],
    ['客服', 'agents'],
    ['工作时间', 'hours'],
    ['快捷回复', 'canned'],
    ['推荐问题', 'suggested'],
    ['常见问题', 'faq'],
    ['渠道账号', 'channels'],
    ['超时设置', 'timeout'],
    ['公司语言', 'language'],
  ] as const;
  const EN_SECTIONS = [
    ['Groups', 'groups'],
    ['Agents', 'agents'],
    ['Working hours', 'hours'],
    ['Canned responses', 'canned'],
    ['Suggested questions', 'suggested'],
    ['FAQ', 'faq'],
    ['Channel accounts', 'channels'],
    ['Timeouts', 'timeout'],
    ['Company language', 'language'],
  ] as const;

  const signInZh = async (page: Page, username: string, password = 'demo'): Promise<void> => {
    const login = page.locator('#login');
    await login.getByLabel('用户名').fill(username);
    await login.getByLabel('密码').fill(password);
    await login.getByRole('button', { name: '登录' }).click();
  };

  it('speaks Chinese to a Chinese browser, passing axe-core in every section, with names not ids', async () => {
    const page = await open('/admin.html', SCREEN, undefined, { locale: 'zh-CN' });
    await page.locator('#login h1').filter({ hasText: '管理员登录' }).waitFor();
    expect(await page.evaluate('document.documentElement.lang')).toBe('zh-CN');
    expect(await page.locator('#login-language').inputValue()).toBe('zh-CN');
    expect(['sign-in', await accessibilityProblems(page)]).toEqual(['sign-in', []]);
    await page.screenshot({ path: path.join(SHOTS, 'admin-sign-in.zh-CN.png') });

    // A refusal and a wrong password, in Chinese too.
    await signInZh(page, 'alice');
    const alert = page.locator('#login-error[role="alert"]');
    await alert.filter({ hasText: '只有公司管理员才能使用此页面' }).waitFor();
    expect(await alert.textContent()).toContain('“alice”当前的角色是“客服”');
    await signInZh(page, 'admin', 'wrong');
    await alert.filter({ hasText: '公司、用户名或密码错误。' }).waitFor();

    await signInZh(page, 'admin');
    await loaded(page);
    expect(await page.title()).toBe('管理后台：demo');
    expect(await page.locator('#who').textContent()).toBe('admin · 公司 demo');
    for (const [tab, id] of ZH_SECTIONS) {
      const panel = await section(page, tab, id);
      expect(await panel.locator('h2').textContent()).toBe(tab === '常见问题' ? '常见问题' : tab);
      expect([tab, await accessibilityProblems(page)]).toEqual([tab, []]);
      await page.screenshot({ path: path.join(SHOTS, `admin-${id}.zh-CN.png`), fullPage: true });
    }

    // What the code draws is Chinese too, and a person's groups show by name.
    let panel = await section(page, '客服', 'agents');
    const alice = panel.locator('#agents tr[data-username="alice"]');
    expect(await alice.locator('td').nth(2).textContent()).toBe('客服');
    expect(await alice.locator('td').nth(3).textContent()).toBe('Support');
    await panel.getByRole('button', { name: '编辑客服 alice' }).waitFor();
    expect(await panel.locator('#agent-form-title').textContent()).toBe('新建客服');
    await panel.getByLabel('密码', { exact: true }).waitFor();
    await panel.getByRole('button', { name: '编辑客服 alice' }).click();
    expect(await panel.locator('#agent-form-title').textContent()).toBe('编辑客服“alice”');
    await panel.getByLabel('新密码（留空则保留原密码）').waitFor();
    await panel.getByRole('button', { name: '取消' }).click();
    await panel.getByLabel('密码', { exact: true }).waitFor();
    panel = await section(page, '工作时间', 'hours');
    await panel.getByRole('button', { name: '为星期一添加时间段' }).waitFor();
    panel = await section(page, '渠道账号', 'channels');
    await panel.getByLabel('Bot Token').waitFor();
    expect(await panel.locator('#credentials-hint').textContent()).toBe('凭证只写不读：保存后不会再显示。');
    panel = await section(page, '超时设置', 'timeout');
    await panel.getByLabel('会话超时（分钟）').fill('0');
    await panel.getByRole('button', { name: '保存超时设置' }).click();
    await panel.locator('#timeout-error').filter({ hasText: '未保存：超时时间须在 10 秒' }).waitFor();
    expect(errors).toEqual([]);
  }, 240_000);

  it('switches the language from the header, remembers it across a reload, and back', async () => {
    const page = await open('/admin.html', SCREEN, undefined, { locale: 'zh-CN' });
    // The sign-in form's switch.
    await page.locator('#login').getByLabel('语言').selectOption('en');
    await page.locator('#login h1').filter({ hasText: 'Admin sign-in' }).waitFor();
    expect(await page.evaluate('document.documentElement.lang')).toBe('en');
    await signIn(page, 'admin');
    await loaded(page);
    await page.getByRole('tab', { name: 'Groups', exact: true }).waitFor();
    await page.reload();
    await loaded(page);
    expect(await page.locator('#language').inputValue()).toBe('en');
    await page.getByRole('tab', { name: 'Agents', exact: true }).waitFor();
    expect(await page.evaluate("localStorage.getItem('cschat.language')")).toBe('en');

    // The header's switch redraws what the code drew, keeping the section.
    let panel = await section(page, 'Agents', 'agents');
    await panel.getByRole('button', { name: 'Edit agent alice' }).waitFor();
    await page.locator('.admin-header').getByLabel('Language').selectOption('zh-CN');
    await page.getByRole('tab', { name: '客服', exact: true }).waitFor();
    await panel.getByRole('button', { name: '编辑客服 alice' }).waitFor();
    expect(await page.locator('#agents tr[data-username="alice"] td').nth(2).textContent()).toBe('客服');
    expect(await page.title()).toBe('管理后台：demo');
    expect(await page.locator('#login-language').inputValue()).toBe('zh-CN');
    await page.reload();
    await loaded(page);
    panel = page.locator('#panel-agents');
    await panel.getByRole('button', { name: '编辑客服 alice' }).waitFor();
    await page.locator('.admin-header').getByLabel('语言').selectOption('en');
    await panel.getByRole('button', { name: 'Edit agent alice' }).waitFor();
    expect(errors).toEqual([]);
  }, 120_000);

  it("sets the company's language, which its bot then speaks; screenshots of every section in English", async () => {
    const token = await tokenOf('admin');
    const page = await open('/admin.html', SCREEN, undefined, { locale: 'en-US' });
    expect(await page.locator('#login-language').inputValue()).toBe('en');
    await page.screenshot({ path: path.join(SHOTS, 'admin-sign-in.en.png') });
    await signIn(page, 'admin');
    await loaded(page);
    for (const [tab, id] of EN_SECTIONS) {
      await section(page, tab, id);
      expect([tab, await accessibilityProblems(page)]).toEqual([tab, []]);
      await page.screenshot({ path: path.join(SHOTS, `admin-${id}.en.png`), fullPage: true });
    }
    const panel = await section(page, 'Company language', 'language');
    const choice = panel.getByLabel('Language of the bot and system messages');
    /** The demo bot's own answer to what it does not understand, from a new web visitor. */
    const botText = async (): Promise<string> => {
      const login = await http(ui.base).post('/api/visitors/login', { companyId: 'demo' });
      const client = await Client.open(
        `${ui.base.replace('http', 'ws')}/ws/visitor?token=${String(login.body['token'])}`,
      );
      try {
        await client.request({ type: 'message.send', text: 'qwzx plorb', clientMsgId: 'c1' });
        const reply = await client.next(
          (f) => f.type === 'message' && (f['from'] as { role: string }).role === 'bot',
          "the bot's reply",
        );
        return String(reply['text']);
      } finally {
        client.close();
      }
    };
    // The demo keeps the English its bot spoke before companies had a language.
    expect(await choice.inputValue()).toBe('en');
    expect(await botText()).toBe("Sorry, I didn't understand that. You could try one of the suggestions below.");

    await choice.selectOption('zh-CN');
    await panel.getByRole('button', { name: 'Save language' }).click();
    await panel.locator('#language-status').filter({ hasText: 'Saved: the bot now speaks Chinese.' }).waitFor();
    expect(await read<{ language: string }>(token, '/api/admin/settings')).toMatchObject({ language: 'zh-CN' });
    await page.screenshot({ path: path.join(SHOTS, 'admin-settings.en.png'), fullPage: true });
    // The bot speaks it, and its "not understood" leaves out the suggestions the widget shows as buttons.
    expect(await botText()).toBe('抱歉，我没有理解您的问题。您可以试试下面的问题。');

    // And back to English, the page in Chinese this time.
    await page.locator('.admin-header').getByLabel('Language').selectOption('zh-CN');
    await panel.locator('h2').filter({ hasText: '公司语言' }).waitFor();
    await panel.getByLabel('机器人和系统消息的语言').selectOption('en');
    await panel.getByRole('button', { name: '保存语言设置' }).click();
    await panel.locator('#language-status').filter({ hasText: '已保存：机器人现在使用英文。' }).waitFor();
    expect(await read<{ language: string }>(token, '/api/admin/settings')).toMatchObject({ language: 'en' });
    await page.screenshot({ path: path.join(SHOTS, 'admin-settings.zh-CN.png'), fullPage: true });
    expect(await botText()).toMatch(/^Sorry, I didn't understand/);
    expect(errors).toEqual([]);
  }, 240_000);
});
