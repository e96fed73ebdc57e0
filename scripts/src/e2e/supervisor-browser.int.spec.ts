// Supervisors in the real console and widget (issue 4, "Supervisors"), in zh-CN and again in en: a
// supervisor opens the Live board and sees the visitor's conversation with alice, watches it live
// (the visitor typing, alice's note), takes it over: alice's pane says who took it and takes no
// more replies, the visitor's widget names the supervisor. The board is checked with axe-core and
// photographed for docs/screenshots/console-live.<locale>.png. Then the admin's Reports section shows
// the day with its four charts (docs/screenshots/admin-reports-day.<locale>.png).
import { copyFileSync, mkdirSync } from 'node:fs';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { http } from '../../../test-support/clients';
import { waitFor } from '../../../test-support/wait';
import { accessibilityProblems, describeInBrowser, PHONE, SCREEN, SHOTS } from '../../../test-support/browser';

const DOCS_SHOTS = path.resolve(__dirname, '../../../docs/screenshots');
const TITLE = '[browser] a supervisor watches and takes over from the Live board (issue 4), in zh-CN and en';

describeInBrowser(TITLE, (ui) => {
  const { open, errors } = ui;

  const signIn = async (username: string, password: string, locale: string, status: string): Promise<Page> => {
    const page = await open('/console.html', SCREEN, undefined, { locale });
    await page.locator('#username').fill(username);
    await page.locator('#password').fill(password);
    await page.locator('#login button[type="submit"]').click();
    await page.locator('#app').waitFor({ state: 'visible' });
    await page.locator('#status').selectOption(status);
    await page.locator(`#status[data-confirmed="${status}"]`).waitFor({ state: 'attached' });
    return page;
  };

  for (const locale of ['zh-CN', 'en'] as const) {
    it(`watches a conversation live and takes it over (${locale})`, async () => {
      const zh = locale === 'zh-CN';
      const run = `${locale}-${Date.now().toString(36)}`;
      const api = http(ui.base);
      const admin = await api.post('/api/agents/login', { companyId: 'demo', username: 'admin', password: 'demo' });
      const username = `sue${zh ? 'zh' : 'en'}`;
      const supervisorName = zh ? '苏主管' : 'Sue Supervisor';
      const created = await api.post(
        '/api/admin/agents',
        {
          username,
          password: 'supervise-the-floor',
          name: supervisorName,
          role: 'supervisor',
          groupIds: ['support'],
          capacity: 1,
        },
        String(admin.body['token']),
      );
      expect(created.status).toBe(201);

      const alice = await signIn('alice', 'demo', locale, 'idle');
      // Away: routing gives the supervisor nothing; it steps in itself.
      const sue = await signIn(username, 'supervise-the-floor', locale, 'away');

      const widget = await open('/widget.html?company=demo', PHONE, undefined, { locale });
      const first = zh ? `我的包裹还没到 ${run}` : `My parcel has not arrived ${run}`;
      await widget.locator('#text').fill(first);
      await widget.locator('#text').press('Enter');
      await widget.locator('#messages .bubble.visitor').filter({ hasText: first }).waitFor();
      await widget.locator('#human').click();
      await widget.locator('#notice').filter({ hasText: 'Alice' }).waitFor();
      const sessionId = await waitFor('the widget to remember its session', async () => {
        const id = await widget.evaluate<string | null>("localStorage.getItem('cschat.sessionId.demo')");
        return id ?? undefined;
      });

      // ---- the Live board, pushed: the conversation with alice, unanswered
      await sue.locator('#view-floor').click();
      const row = sue.locator(`#floor-sessions tr[data-session-id="${sessionId}"]`);
      await row.filter({ hasText: 'Alice' }).waitFor();
      await sue.locator('#floor-agents').filter({ hasText: 'Alice' }).waitFor();
      expect(await accessibilityProblems(sue)).toEqual([]);
      const shotPath = path.join(SHOTS, `console-live.${locale}.png`);
      await sue.screenshot({ path: shotPath });
      mkdirSync(DOCS_SHOTS, { recursive: true });
      copyFileSync(shotPath, path.join(DOCS_SHOTS, `console-live.${locale}.png`));

      // ---- watching: read only, live
      await row.getByRole('button', { name: zh ? '旁听' : 'Watch' }).click();
      await sue
        .locator('#pane-notice')
        .filter({ hasText: zh ? '旁听' : 'Watching' })
        .waitFor();
      await sue.locator('#messages .bubble.visitor').filter({ hasText: first }).waitFor();
      expect(await sue.locator('#reply').isHidden()).toBe(true);
      await widget.locator('#text').pressSequentially(zh ? '还在吗' : 'still there', { delay: 60 });
      await sue
        .locator('#typing')
        .filter({ hasText: zh ? '正在输入' : 'typing' })
        .waitFor();
      const noteText = zh ? `内部备注：快递延误 ${run}` : `Internal: courier delay ${run}`;
      await alice.locator(`#sessions [data-session-id="${sessionId}"]`).first().click();
      await alice.locator('#mode-note').click();
      await alice.locator('#reply-text').fill(noteText);
      await alice.locator('#reply-text').press('Enter');
      await sue.locator('#messages .bubble.note').filter({ hasText: noteText }).waitFor();
      expect(await accessibilityProblems(sue)).toEqual([]);

      // ---- taking over: alice is told by whom, the visitor sees the supervisor's name
      await sue.locator('#take-over').click();
      await widget.locator('#notice').filter({ hasText: supervisorName }).waitFor();
      await alice.locator('#pane-notice').filter({ hasText: supervisorName }).waitFor();
      expect(await alice.locator('#reply-text').isDisabled()).toBe(true);
      await sue.locator('#reply-text:not([disabled])').waitFor();
      const answer = zh ? '我来帮您处理。' : 'I will sort this out for you.';
      await sue.locator('#mode-reply').click();
      await sue.locator('#reply-text').fill(answer);
      await sue.locator('#reply-text').press('Enter');
      await widget.locator('#messages .bubble.agent').filter({ hasText: answer }).waitFor();
      expect(await widget.locator('body').innerText()).not.toContain(noteText);

      await widget.locator('#end').click();
      for (const page of [alice, sue]) {
        await page.locator('#sign-out').click();
        await page.locator('#login').waitFor({ state: 'visible' });
      }

      // ---- the day in the reports: the admin's Reports section counts the conversation, with its charts
      const adminToken = String(admin.body['token']);
      type Summary = { handled: number; byDay: { date: string; sessions: number; handled: number }[] };
      const today = await waitFor('the reports to count the conversation taken over', async () => {
        const { status, body } = await api.get('/api/admin/reports/summary', adminToken);
        expect(status).toBe(200);
        const summary = body as unknown as Summary;
        const day = summary.byDay.at(-1);
        return day !== undefined && day.handled >= 1 ? day : undefined;
      });
      const reports = await open('/admin.html#reports', SCREEN, undefined, { locale });
      await reports.locator('#username').fill('admin');
      await reports.locator('#password').fill('demo');
      await reports.locator('#login button[type="submit"]').click();
      await reports.locator('body[data-loaded="true"]').waitFor({ state: 'attached' });
      await reports.locator('#panel-reports').waitFor({ state: 'visible' });
      await waitFor('the four charts drawn', async () =>
        (await reports.evaluate(
          "[...document.querySelectorAll('#reports-charts img')].filter((i) => i.complete && i.naturalWidth > 0).length",
        )) === 4
          ? true
          : undefined,
      );
      // Today's row: the same counts as the summary (sessions, handled), this conversation among them.
      const todayRow = reports.locator('#reports-days tr').filter({ hasText: today.date });
      expect((await todayRow.locator('td').allTextContents()).slice(0, 3)).toEqual([
        today.date,
        String(today.sessions),
        String(today.handled),
      ]);
      expect(await accessibilityProblems(reports)).toEqual([]);
      const reportShot = path.join(SHOTS, `admin-reports-day.${locale}.png`);
      await reports.screenshot({ path: reportShot, fullPage: true });
      copyFileSync(reportShot, path.join(DOCS_SHOTS, `admin-reports-day.${locale}.png`));
      expect(errors).toEqual([]);
    }, 180_000);
  }
});
