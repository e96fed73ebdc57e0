// Issue 20's "Done when": the whole day of an agent in the console, against the real server, in
// zh-CN and again in en. A visitor with a name and an email arrives (its earlier session too); the
// agent sees the profile and that session; both see the other typing; the visitor sends a photo
// the agent sees inline; the agent writes a note the visitor never gets (neither over its socket nor
// in its history over HTTP), tags the session, reads it (the visitor gets the receipt), transfers it
// (the visitor is told the new agent's name) and the new agent ends it; the agent finds it again by
// a word in Chinese. The visitor speaks the protocol over its own socket: the widget's labels are
// another part's, and the visitor's side is checked in the frames the widget would show.
import type { Page } from 'playwright-core';
import { Client, http, type Frame } from '../../../test-support/clients';
import { waitFor } from '../../../test-support/wait';
import { accessibilityProblems, describeInBrowser, SCREEN } from '../../../test-support/browser';

const TITLE = "[browser] the agent's day in the workspace (issue 20), in zh-CN and en";

/** A 1x1 PNG: the visitor's photo. */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);

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

  const visitorSocket = (token: string) => Client.open(`${ui.base.replace('http', 'ws')}/ws/visitor?token=${token}`);

  for (const locale of ['zh-CN', 'en'] as const) {
    it(`walks an agent's day: profile, typing, photo, note, tag, receipt, transfer, end, search (${locale})`, async () => {
      const zh = locale === 'zh-CN';
      const api = http(ui.base);
      const alice = await signIn('alice', locale);
      const run = `${locale}-${Date.now().toString(36)}`;

      // ---- an earlier session of the visitor, with a name and an email
      const name = zh ? `陈美 ${run}` : `Mei Chen ${run}`;
      const first = await api.post('/api/visitors/login', {
        companyId: 'demo',
        name,
        email: 'mei@example.com',
        phone: '+86 138 0000 0000',
        pageUrl: 'https://shop.example.com/orders/42',
        attributes: { plan: 'Pro' },
      });
      expect(first.status).toBe(200);
      const visitorId = String(first.body['visitorId']);
      const earlier = await visitorSocket(String(first.body['token']));
      await earlier.request({ type: 'message.send', text: '我想问一下发票', clientMsgId: `${run}-e1` });
      const earlierSession = String((await earlier.request({ type: 'human.request' }))['sessionId']);
      await alice.locator(`#sessions .session[data-session-id="${earlierSession}"]`).waitFor();
      expect((await earlier.request({ type: 'session.end' })).type).toBe('ack');
      earlier.close();

      // ---- the visitor comes back (its resumeToken) and asks for a human: alice, the only one idle
      const again = await api.post('/api/visitors/login', {
        companyId: 'demo',
        visitorId,
        resumeToken: first.body['resumeToken'],
        name,
        email: 'mei@example.com',
      });
      expect(again.body['visitorId']).toBe(visitorId);
      const visitorToken = String(again.body['token']);
      const visitor = await visitorSocket(visitorToken);
      const framesSince = (index: number) => visitor.frames.slice(index);
      await visitor.request({ type: 'message.send', text: '你好，我要退款', clientMsgId: `${run}-1` });
      const sessionId = String((await visitor.request({ type: 'human.request' }))['sessionId']);
      const row = alice.locator(`#sessions .session[data-session-id="${sessionId}"]`);
      await row.filter({ hasText: name }).waitFor();
      await row.click();
      await alice.locator('#messages .bubble.visitor').filter({ hasText: '你好，我要退款' }).waitFor();

      // The profile and the earlier session.
      const profile = alice.locator('#profile');
      await profile.filter({ hasText: name }).waitFor();
      await profile.filter({ hasText: 'mei@example.com' }).waitFor();
      await alice.locator(`#profile-sessions button[data-session-id="${earlierSession}"]`).waitFor();
      // Opening the session told the visitor that its messages were read.
      await visitor.next((f) => f.type === 'message.read' && f['sessionId'] === sessionId, 'the agent read receipt');

      // ---- typing, both ways
      visitor.send({ type: 'typing', sessionId, typing: true });
      await alice
        .locator('#typing')
        .filter({ hasText: zh ? '正在输入' : 'is typing' })
        .waitFor();
      visitor.send({ type: 'typing', sessionId, typing: false });
      const reply = alice.locator('#reply-text');
      await reply.pressSequentially(zh ? '好的，我看一下' : 'Sure, let me look', { delay: 40 });
      await visitor.next(
        (f) => f.type === 'typing' && f['typing'] === true && (f['from'] as { role?: string })?.role === 'agent',
        'the agent typing',
      );
      await reply.press('Enter');
      await visitor.next(
        (f) => f.type === 'message' && (f['from'] as { role?: string })?.role === 'agent',
        "the agent's reply",
      );

      // ---- the visitor's photo, inline for the agent
      const upload = await fetch(`${ui.base}/api/uploads`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${visitorToken}`,
          'content-type': 'image/png',
          'x-file-name': encodeURIComponent('收据.png'),
        },
        body: PNG,
      });
      expect(upload.status).toBe(201);
      const { attachmentId } = (await upload.json()) as { attachmentId: string };
      const photo = await visitor.request({
        type: 'message.send',
        text: '',
        attachments: [attachmentId],
        clientMsgId: `${run}-2`,
      });
      expect(photo.type).toBe('ack');
      const image = alice.locator('#messages .bubble.visitor .attachment.image img');
      await image.waitFor();
      await waitFor('the photo to show', async () =>
        (await image.evaluate((img: { naturalWidth: number }) => img.naturalWidth)) > 0 ? true : undefined,
      );

      // ---- a note the visitor never gets
      const noteText = zh ? `内部备注：老客户，优先处理 ${run}` : `Internal: loyal customer, handle first ${run}`;
      const beforeNote = visitor.frames.length;
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

      // ---- a reply the visitor reads: "Read" under it
      await reply.fill(zh ? '已为您登记退款。' : 'Your refund is registered.');
      await reply.press('Enter');
      await visitor.next(
        (f) => f.type === 'message' && String(f['text']).startsWith(zh ? '已为您登记' : 'Your refund'),
        'the reply',
      );
      visitor.send({ type: 'session.read' });
      await alice
        .locator('#messages .receipt')
        .filter({ hasText: zh ? '已读' : 'Read' })
        .waitFor();

      // The note reached neither the visitor's socket nor its history.
      expect(framesSince(beforeNote).filter((f: Frame) => JSON.stringify(f).includes(noteText))).toEqual([]);
      const history = await api.get(`/api/sessions/${sessionId}/messages?limit=100`, visitorToken);
      expect(history.status).toBe(200);
      expect(JSON.stringify(history.body)).not.toContain(noteText);
      expect(await accessibilityProblems(alice)).toEqual([]);

      // ---- a transfer to bob: the visitor is told his name; alice's pane closes
      const bob = await signIn('bob', locale);
      const menu = alice.locator('#transfer-target');
      await menu.locator('option[value="agent:bob"]:not([disabled])').waitFor({ state: 'attached', timeout: 20_000 });
      await menu.selectOption('agent:bob');
      await alice.locator('#transfer').click();
      await visitor.next(
        (f) => f.type === 'session.state' && f['state'] === 'assigned' && f['agentName'] === 'Bob',
        "the new agent's name",
      );
      await alice.locator('#pane-notice').filter({ hasText: 'Bob' }).waitFor();
      expect(await alice.locator('#reply-text').isDisabled()).toBe(true);

      // ---- bob ends it
      const bobRow = bob.locator(`#sessions .session[data-session-id="${sessionId}"]`);
      await bobRow.click();
      await bob.locator('#messages .bubble.note').filter({ hasText: noteText }).waitFor(); // notes are for colleagues
      await bob.locator('#end').click();
      await visitor.next((f) => f.type === 'session.state' && f['state'] === 'ended', 'the end');
      await bob.locator('#pane-notice').waitFor({ state: 'visible' });

      // ---- alice finds it again by a word in Chinese, and opens it read-only
      await alice.locator('#view-history').click();
      await alice.locator('#history-q').fill('退款');
      await alice.locator('#history-form button[type="submit"]').click();
      const hit = alice.locator(`#history-results button[data-session-id="${sessionId}"]`).first();
      await hit.waitFor();
      expect(await hit.locator('mark').first().textContent()).toBe('退款');
      await hit.click();
      await alice.locator('#messages .bubble.visitor').filter({ hasText: '你好，我要退款' }).waitFor();
      await alice
        .locator('#pane-notice')
        .filter({ hasText: zh ? '只读' : 'read only' })
        .waitFor();
      expect(await accessibilityProblems(alice)).toEqual([]);

      visitor.close();
      for (const page of [alice, bob]) {
        await page.locator('#sign-out').click();
        await page.locator('#login').waitFor({ state: 'visible' });
      }
      expect(errors).toEqual([]);
    }, 180_000);
  }
});
