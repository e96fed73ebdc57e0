// The admin page's Reports section in a real browser (Debian's Chromium driven by playwright-core), on the
// embedded demo app: three sessions of the last minutes (answered after 2 s and 4 s and rated 5 and 3, one
// left in the queue), written through the command handler with their instants, then the section's numbers,
// its four charts (SVG from the server), its tables and its CSV download, in English and Chinese.
// Screenshots: artifacts/screenshots/admin-reports.{en,zh-CN}.png (copied to docs/screenshots).
import * as path from 'node:path';
import { isLeft } from 'fp-ts/Either';
import type { Page } from 'playwright-core';
import { session, type IsoInstant } from '@cschat/domain';
import { handleCommand } from '@cschat/infra';
import { http } from '../../../test-support/clients';
import { accessibilityProblems, describeInBrowser, SCREEN, SHOTS } from '../../../test-support/browser';
import { waitFor } from '../../../test-support/wait';

describeInBrowser('[browser] the admin Reports section', (ui) => {
  const { open, errors } = ui;
  const COMPANY = 'demo';
  const OPEN = { hours: {}, timeoutSeconds: 900 };

  const onSession = async (sessionId: string, command: Record<string, unknown>) => {
    const result = await handleCommand(
      ui.app.storage.eventStore,
      session.sessionAggregate,
      session.sessionStream(COMPANY, sessionId),
      { companyId: COMPANY, sessionId, ...command } as session.SessionCommand,
      () => OPEN,
    );
    if (isLeft(result)) throw new Error(`${result.left.code}: ${result.left.message}`);
  };

  beforeAll(async () => {
    const t0 = Date.now() - 10 * 60_000;
    const at = (seconds: number) => new Date(t0 + seconds * 1000).toISOString() as IsoInstant;
    const sessions = [
      { id: 'r1', agent: 'alice', wait: 1, reply: 2, rating: 5 },
      { id: 'r2', agent: 'bob', wait: 3, reply: 4, rating: 3 },
      { id: 'r3', agent: undefined, wait: 0, reply: 0, rating: 0 },
    ];
    for (const [i, s] of sessions.entries()) {
      const base = i * 100;
      const visitorId = `v-${s.id}`;
      await onSession(s.id, {
        type: 'PostMessage',
        at: at(base),
        messageId: `${s.id}-1`,
        from: { role: 'visitor', id: visitorId },
        text: 'hello',
        origin: { visitorId, channel: 'web', groupId: 'support' },
      });
      await onSession(s.id, { type: 'RequestHuman', at: at(base + 10) });
      if (s.agent === undefined) {
        await onSession(s.id, { type: 'EndSession', at: at(base + 40), by: { role: 'visitor', id: visitorId } });
        continue;
      }
      await onSession(s.id, { type: 'AssignSession', at: at(base + 10 + s.wait), agentId: s.agent });
      await onSession(s.id, {
        type: 'PostMessage',
        at: at(base + 10 + s.reply),
        messageId: `${s.id}-2`,
        from: { role: 'agent', id: s.agent },
        text: 'Hi, how can I help?',
      });
      await onSession(s.id, { type: 'EndSession', at: at(base + 60), by: { role: 'agent', id: s.agent } });
      await onSession(s.id, { type: 'SubmitCsat', at: at(base + 70), visitorId, rating: s.rating });
    }
  }, 60_000);

  const tokenOf = async (): Promise<string> => {
    const { body } = await http(ui.base).post('/api/agents/login', {
      companyId: COMPANY,
      username: 'admin',
      password: 'demo',
    });
    return String(body['token']);
  };

  const showReports = async (page: Page, login: [string, string, string], tab: string) => {
    const form = page.locator('#login');
    await form.getByLabel(login[0]).fill('admin');
    await form.getByLabel(login[1]).fill('demo');
    await form.getByRole('button', { name: login[2] }).click();
    await page.locator('body[data-loaded="true"]').waitFor({ state: 'attached' });
    await page.getByRole('tab', { name: tab, exact: true }).click();
    const panel = page.locator('#panel-reports');
    await panel.waitFor({ state: 'visible' });
    // Every chart drawn: an image with a size.
    await waitFor('the four charts', async () =>
      (await page.evaluate(
        "[...document.querySelectorAll('#reports-charts img')].filter((i) => i.complete && i.naturalWidth > 0).length",
      )) === 4
        ? true
        : undefined,
    );
    return panel;
  };
  const metric = (page: Page, name: string) => page.locator(`#reports-numbers dd[data-metric="${name}"]`).textContent();

  it('shows the numbers, the charts and the tables of the last 7 days, and downloads the CSV', async () => {
    const token = await tokenOf();
    await waitFor('the read model to show the sessions', async () => {
      const response = await fetch(`${ui.base}/api/admin/reports/summary`, {
        headers: { authorization: `Bearer ${token}` },
      });
      const body = (await response.json()) as { sessions: number; csat: { count: number } };
      return body.sessions === 3 && body.csat.count === 2 ? true : undefined;
    });

    const page = await open('/admin.html', SCREEN, undefined, { locale: 'en-US' });
    const panel = await showReports(page, ['Username', 'Password', 'Sign in'], 'Reports');
    expect(await panel.locator('h2').textContent()).toBe('Reports');
    expect(await metric(page, 'sessions')).toBe('3');
    expect(await metric(page, 'handled')).toBe('2');
    expect(await metric(page, 'abandoned')).toBe('1');
    expect(await metric(page, 'firstResponse')).toBe('3 s / 3.8 s');
    expect(await metric(page, 'wait')).toBe('2 s / 2.8 s');
    expect(await metric(page, 'csat')).toBe('4 (n = 2)');
    expect(await page.locator('#reports-agents tr').allTextContents()).toEqual([
      'Alice12 s5 (n = 1)',
      'Bob14 s3 (n = 1)',
    ]);
    const days = await page.locator('#reports-days tr').allTextContents();
    expect(days).toHaveLength(7);
    expect(days.filter((d) => d.endsWith('32'))).toHaveLength(1);
    expect(
      await Promise.all([0, 1, 2, 3].map((i) => page.locator('#reports-charts img').nth(i).getAttribute('alt'))),
    ).toEqual([
      'Chart: sessions per day, handled or not',
      'Chart: median and 90th percentile of the first response, the wait and the handling',
      'Chart: average rating, all sessions and per agent',
      'Chart: sessions per agent',
    ]);
    expect(await accessibilityProblems(page)).toEqual([]);
    await page.screenshot({ path: path.join(SHOTS, 'admin-reports.en.png'), fullPage: true });

    // The agent filter: Alice's sessions only.
    await panel.getByLabel('Agent', { exact: true }).selectOption('alice');
    await panel.getByRole('button', { name: 'Show' }).click();
    await page.locator('#reports-numbers dd[data-metric="sessions"]').filter({ hasText: /^1$/ }).waitFor();

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      panel.getByRole('button', { name: 'Download CSV' }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^report-\d{4}-\d{2}-\d{2}-\d{4}-\d{2}-\d{2}\.csv$/);
    const file = await download.path();
    const { readFileSync } = await import('node:fs');
    const csv = readFileSync(file, 'utf8');
    expect(csv).toContain('sessions,1\r\n');
    expect(csv).toContain('alice,1,2,1,5\r\n');
    expect(errors).toEqual([]);
  }, 180_000);

  it('speaks Chinese, charts included', async () => {
    const page = await open('/admin.html', SCREEN, undefined, { locale: 'zh-CN' });
    const panel = await showReports(page, ['用户名', '密码', '登录'], '报表');
    expect(await panel.locator('h2').textContent()).toBe('报表');
    expect(await metric(page, 'firstResponse')).toBe('3 秒 / 3.8 秒');
    expect(await page.locator('#reports-charts img').first().getAttribute('alt')).toBe(
      '图表：每日会话数（已接待与未接待）',
    );
    expect(await accessibilityProblems(page)).toEqual([]);
    await page.screenshot({ path: path.join(SHOTS, 'admin-reports.zh-CN.png'), fullPage: true });
    expect(errors).toEqual([]);
  }, 180_000);
});
