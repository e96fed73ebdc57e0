// Issue 20's "Done when": the whole day of an agent in the console and of a visitor in the widget,
// both real pages against the real server, in zh-CN and again in en. A visitor with a name and an
// email arrives (its earlier session too); the agent sees the profile and that session; both see
// the other typing; the visitor sends a photo the agent sees inline; the agent writes a note the
// visitor never gets (not on its page, not after a reload, not in its history over HTTP), tags
// the session, reads it (the visitor's message shows "read") and is read (the agent sees "read");
// transfers it (the visitor is told the new agent's name) and the new agent ends it; the agent
// finds it again by a word in Chinese.
import type { Page } from 'playwright-core';
import { http } from '../../../test-support/clients';
import { waitFor } from '../../../test-support/wait';
import { accessibilityProblems, describeInBrowser, PHONE, SCREEN, SHOTS } from '../../../test-support/browser';
import * as path from 'node:path';
import sharp from 'sharp';

const TITLE = "[browser] the agent's day in the workspace (issue 20), in zh-CN and en";

describeInBrowser(TITLE, (ui) => {
  const { open, errors } = ui;

  const signIn = async (username: string, locale: string): Promise<Page> => {
    const page = await open('/console.html', SCREEN, undefined, { locale });
    await page.locator('#username').fill(username);
    await page.locator('#password').fill('demo');
    await page.locator('#login button[type="submit"]').click();
    await page.locator('#app').waitFor({ state: 'visible' });
    await page.locator('#status').selectOption('idle');
    await page.locator('#status[data-confirmed="idle"]').waitFor({ state: 'attached' });
    return page;
  };

  /** The session the widget holds now, as it remembers it. */
  const sessionOf = (widget: Page, not?: string): Promise<string> =>
    waitFor('the widget to remember its session', async () => {
      const id = await widget.evaluate<string | null>("localStorage.getItem('cschat.sessionId.demo')");
      return id === null || id === not ? undefined : id;
    });

  const write = async (widget: Page, text: string): Promise<void> => {
    await widget.locator('#text').fill(text);
    await widget.locator('#text').press('Enter');
    await widget.locator('#messages .bubble.visitor').filter({ hasText: text }).waitFor();
  };

  for (const locale of ['zh-CN', 'en'] as const) {
    it(`walks an agent's day: profile, typing, photo, note, tag, receipts, transfer, end, search (${locale})`, async () => {
      const zh = locale === 'zh-CN';
      const shot = (page: Page, name: string) =>
        page.screenshot({ path: path.join(SHOTS, `workspace-${name}.${locale}.png`) });
      const api = http(ui.base);
      const alice = await signIn('alice', locale);
      const run = `${locale}-${Date.now().toString(36)}`;

      // ---- the visitor, with a name and an email given by the embedding page, and its earlier session
      const name = zh ? `陈美 ${run}` : `Mei Chen ${run}`;
      const profile = new URLSearchParams({
        name,
        email: 'mei@example.com',
        phone: '+86 138 0000 0000',
        attributes: JSON.stringify({ plan: 'Pro' }),
        pageUrl: 'https://shop.example.com/orders/42',
      });
      let visitorToken = '';
      const widget = await open(
        `/widget.html?company=demo#${profile.toString()}`,
        PHONE,
        async (page) => {
          page.on('response', (response) => {
            if (!response.url().endsWith('/api/visitors/login') || !response.ok()) return;
            void response.json().then((answer: { token?: string }) => {
              if (typeof answer.token === 'string') visitorToken = answer.token;
            });
          });
        },
        { locale },
      );
      await write(widget, '我想问一下发票');
      await widget.locator('#human').click();
      const earlierSession = await sessionOf(widget);
      await alice
        .locator(`#sessions .session[data-session-id="${earlierSession}"]`)
        .filter({ hasText: name })
        .waitFor();
      await widget.locator('#notice').filter({ hasText: 'Alice' }).waitFor();
      await widget.locator('#end').click();
      await widget
        .locator('#notice')
        .filter({ hasText: zh ? '对话已结束' : 'ended' })
        .waitFor();

      // ---- it comes back: a new chat, a human: alice, the only one idle
      await write(widget, '你好，我要退款');
      await widget.locator('#human').click();
      const sessionId = await sessionOf(widget, earlierSession);
      const row = alice.locator(`#sessions .session[data-session-id="${sessionId}"]`);
      await row.filter({ hasText: name }).waitFor();
      await widget.locator('#notice').filter({ hasText: 'Alice' }).waitFor();
      await row.click();
      await alice.locator('#messages .bubble.visitor').filter({ hasText: '你好，我要退款' }).waitFor();

      // The profile and the earlier session.
      const panel = alice.locator('#profile');
      await panel.filter({ hasText: name }).waitFor();
      await panel.filter({ hasText: 'mei@example.com' }).waitFor();
      await alice.locator(`#profile-sessions button[data-session-id="${earlierSession}"]`).waitFor();
      // Opening the session read the visitor's messages: the widget marks them read.
      await widget
        .locator('#messages .bubble.visitor.read .read-mark')
        .filter({ hasText: zh ? '已读' : 'Read' })
        .first()
        .waitFor();

      // ---- typing, both ways
      await widget.locator('#text').pressSequentially(zh ? '还有一个问题' : 'one more thing', { delay: 60 });
      await alice
        .locator('#typing')
        .filter({ hasText: zh ? '正在输入' : 'is typing' })
        .waitFor();
      await widget.locator('#text').fill('');
      const reply = alice.locator('#reply-text');
      await reply.pressSequentially(zh ? '好的，我看一下' : 'Sure, let me look', { delay: 60 });
      await widget
        .locator('#typing')
        .filter({ hasText: zh ? 'Alice 正在输入' : 'Alice is typing' })
        .waitFor();
      await reply.press('Enter');
      await widget
        .locator('#messages .bubble.agent')
        .filter({ hasText: zh ? '好的，我看一下' : 'Sure, let me look' })
        .waitFor();

      // ---- the visitor's photo (a receipt-sized picture), inline for the agent
      const photo = await sharp({ create: { width: 480, height: 320, channels: 3, background: '#3b82f6' } })
        .png()
        .toBuffer();
      await widget
        .locator('#file')
        .setInputFiles({ name: zh ? '收据.png' : 'receipt.png', mimeType: 'image/png', buffer: photo });
      await widget.locator('#messages .bubble.visitor .attachments a.attachment-image img').waitFor();
      const image = alice.locator('#messages .bubble.visitor .attachment.image img');
      await image.waitFor();
      await waitFor('the photo to show', async () =>
        (await image.evaluate((img: { naturalWidth: number }) => img.naturalWidth)) > 0 ? true : undefined,
      );

      // ---- a note the visitor never gets
      const noteText = zh ? `内部备注：老客户，优先处理 ${run}` : `Internal: loyal customer, handle first ${run}`;
      await alice.locator('#mode-note').click();
      await reply.fill(noteText);
      await reply.press('Enter');
      await alice.locator('#messages .bubble.note').filter({ hasText: noteText }).waitFor();
      await alice.locator('#mode-reply').click();

      // ---- a tag
      const tag = zh ? '退款' : 'refund';
      await alice.locator('#tag-input').fill(tag);
      await alice.locator('#tag-form button').click();
      await alice.locator(`#tags .tag[data-tag="${tag}"]`).waitFor();
      await row.locator('.tag').filter({ hasText: tag }).waitFor();

      // ---- a reply the visitor reads: "read" under it in the console
      const registered = zh ? '已为您登记退款。' : 'Your refund is registered.';
      await reply.fill(registered);
      await reply.press('Enter');
      await widget.locator('#messages .bubble.agent').filter({ hasText: registered }).waitFor();
      await alice
        .locator('#messages .receipt')
        .filter({ hasText: zh ? '已读' : 'Read' })
        .waitFor();
      await shot(alice, 'console');
      await shot(widget, 'widget');

      // The note is on no page of the visitor's: not now, not after a reload (history), not over HTTP.
      expect(await widget.locator('body').innerText()).not.toContain(noteText);
      await widget.reload();
      await widget.locator('#messages .bubble.agent').filter({ hasText: registered }).waitFor();
      expect(await widget.locator('body').innerText()).not.toContain(noteText);
      expect(visitorToken).not.toBe('');
      const history = await api.get(`/api/sessions/${sessionId}/messages?limit=100`, visitorToken);
      expect(history.status).toBe(200);
      expect(JSON.stringify(history.body)).toContain(registered);
      expect(JSON.stringify(history.body)).not.toContain(noteText);
      expect(await accessibilityProblems(alice)).toEqual([]);
      expect(await accessibilityProblems(widget)).toEqual([]);

      // ---- a transfer to bob: the visitor is told his name; alice's pane closes
      const bob = await signIn('bob', locale);
      const menu = alice.locator('#transfer-target');
      await menu.locator('option[value="agent:bob"]:not([disabled])').waitFor({ state: 'attached', timeout: 20_000 });
      await menu.selectOption('agent:bob');
      await alice.locator('#transfer').click();
      await widget.locator('#notice').filter({ hasText: 'Bob' }).waitFor();
      await alice.locator('#pane-notice').filter({ hasText: 'Bob' }).waitFor();
      expect(await alice.locator('#reply-text').isDisabled()).toBe(true);

      // ---- bob sees the note (notes are for colleagues) and ends the session
      const bobRow = bob.locator(`#sessions .session[data-session-id="${sessionId}"]`);
      await bobRow.click();
      await bob.locator('#messages .bubble.note').filter({ hasText: noteText }).waitFor();
      await bob.locator('#end').click();
      await widget
        .locator('#notice')
        .filter({ hasText: zh ? '对话已结束' : 'ended' })
        .waitFor();
      await bob.locator('#pane-notice').waitFor({ state: 'visible' });
      expect(await widget.locator('body').innerText()).not.toContain(noteText);

      // ---- alice finds it again by a word in Chinese, and opens it read-only
      await alice.locator('#view-history').click();
      await alice.locator('#history-q').fill('退款');
      await alice.locator('#history-form button[type="submit"]').click();
      const hit = alice.locator(`#history-results button[data-session-id="${sessionId}"]`).first();
      await hit.waitFor();
      expect(await hit.locator('mark').first().textContent()).toBe('退款');
      await shot(alice, 'history');
      await hit.click();
      await alice.locator('#messages .bubble.visitor').filter({ hasText: '你好，我要退款' }).waitFor();
      await alice
        .locator('#pane-notice')
        .filter({ hasText: zh ? '只读' : 'read only' })
        .waitFor();
      expect(await accessibilityProblems(alice)).toEqual([]);

      for (const page of [alice, bob]) {
        await page.locator('#sign-out').click();
        await page.locator('#login').waitFor({ state: 'visible' });
      }
      expect(errors).toEqual([]);
    }, 180_000);
  }
});
