// Service-level targets in a real browser: the admin sets a group's targets in the Groups section
// (stored, listed, cleared by emptying a field), and an agent's console marks a session it holds
// that passed its first-response target with a badge with text, in English and in Chinese.
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { Client, http } from '../../../test-support/clients';
import { accessibilityProblems, describeInBrowser, SCREEN, SHOTS } from '../../../test-support/browser';

describeInBrowser('[browser] service-level targets', (ui) => {
  const { open, errors } = ui;
  const clients: Client[] = [];
  afterAll(() => {
    for (const client of clients) client.close();
  });

  const tokenOf = async (username: string): Promise<string> => {
    const { status, body } = await http(ui.base).post('/api/agents/login', {
      companyId: 'demo',
      username,
      password: 'demo',
    });
    expect(status).toBe(200);
    return String(body['token']);
  };
  const support = async (token: string): Promise<Record<string, unknown>> => {
    const { body } = await http(ui.base).get('/api/admin/groups', token);
    return (body['groups'] as Record<string, unknown>[]).find((g) => g['id'] === 'support')!;
  };

  it('sets, shows and clears the targets of a group on the admin page', async () => {
    const token = await tokenOf('admin');
    const page = await open('/admin.html', SCREEN);
    const login = page.locator('#login');
    await login.getByLabel('Username').fill('admin');
    await login.getByLabel('Password').fill('demo');
    await login.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('body[data-loaded="true"]').waitFor({ state: 'attached' });
    const panel = page.locator('#panel-groups');
    const row = panel.locator('#groups tr[data-id="support"]');
    expect(await row.locator('td').allTextContents()).toEqual(['Support', 'support', '—', '—', expect.any(String)]);

    await row.getByRole('button', { name: /Edit/ }).click();
    const firstResponse = panel.getByLabel('First-response target (seconds)');
    const waiting = panel.getByLabel('Waiting target (seconds)');
    // Out of range: told next to the form, nothing stored.
    await firstResponse.fill('0');
    await panel.getByRole('button', { name: 'Save group' }).click();
    await panel
      .locator('#group-error[role="alert"]')
      .filter({ hasText: 'First-response target (seconds) must be a whole number of seconds from 1 to 86400' })
      .waitFor();
    await firstResponse.fill('60');
    await waiting.fill('300');
    await panel.getByRole('button', { name: 'Save group' }).click();
    await row.filter({ hasText: '60 s' }).waitFor();
    expect(await row.locator('td').allTextContents()).toEqual([
      'Support',
      'support',
      '60 s',
      '300 s',
      expect.any(String),
    ]);
    expect(await support(token)).toMatchObject({ firstResponseTargetSeconds: 60, waitTargetSeconds: 300 });

    // Emptying a field clears that target.
    await row.getByRole('button', { name: /Edit/ }).click();
    expect(await waiting.inputValue()).toBe('300');
    await waiting.fill('');
    await panel.getByRole('button', { name: 'Save group' }).click();
    await row.filter({ hasText: '60 s' }).filter({ hasText: '—' }).waitFor();
    const stored = await support(token);
    expect(stored).toMatchObject({ firstResponseTargetSeconds: 60 });
    expect(stored).not.toHaveProperty('waitTargetSeconds');
    expect(await accessibilityProblems(page)).toEqual([]);
    await page.screenshot({ path: path.join(SHOTS, 'sla-admin-groups.png') });
    expect(errors).toEqual([]);
  }, 60_000);

  /** Alice's console in `locale`, idle. */
  const consoleIn = async (locale: string): Promise<Page> => {
    const page = await open('/console.html', SCREEN, undefined, { locale });
    await page.locator('#username').fill('alice');
    await page.locator('#password').fill('demo');
    await page.locator('#login button[type="submit"]').click();
    await page.locator('#app').waitFor({ state: 'visible' });
    await page.locator('#status').selectOption('idle');
    await page.locator('#status[data-confirmed="idle"]').waitFor({ state: 'attached' });
    return page;
  };

  it("marks a session its agent has not answered past the group's first-response target", async () => {
    const token = await tokenOf('admin');
    const put = await http(ui.base).put('/api/admin/groups/support', { firstResponseTargetSeconds: 1 }, token);
    expect(put.status).toBe(200);
    const page = await consoleIn('en');

    const { body } = await http(ui.base).post('/api/visitors/login', { companyId: 'demo' });
    const visitor = await Client.open(`${ui.base.replace('http', 'ws')}/ws/visitor?token=${String(body['token'])}`);
    clients.push(visitor);
    const sent = await visitor.request({ type: 'message.send', text: 'Where is my parcel?', clientMsgId: 'v-1' });
    expect(await visitor.request({ type: 'human.request' })).toMatchObject({ type: 'ack' });
    const item = page.locator(`#sessions button[data-session-id="${String(sent['sessionId'])}"]`);
    await item.waitFor();
    const badge = item.locator('.sla-badge');
    await badge.waitFor({ timeout: 10_000 });
    expect(await badge.textContent()).toBe('Past target: first response');
    await page.screenshot({ path: path.join(SHOTS, 'sla-console-badge.png') });

    await page.locator('#sign-out').click();
    await page.locator('#login').waitFor({ state: 'visible' });
    const zh = await consoleIn('zh-CN');
    await zh.locator(`#sessions button[data-session-id="${String(sent['sessionId'])}"] .sla-badge`).waitFor();
    expect(await zh.locator('.sla-badge').first().textContent()).toBe('已超时：首次响应');
    expect(errors).toEqual([]);
  }, 60_000);
});
