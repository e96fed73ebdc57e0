// The agent console in a real browser (issue 20): its three defects, names, the empty list, desktop
// notifications, and the workspace's panes (profile, History, typing, receipts, notes, tags, files)
// in en and zh-CN with axe-core, plus the screenshots of docs/screenshots/. Visitors speak the
// protocol over a socket of their own (the widget is not what is tested here). Where a test stands
// in for a part of the server it says so: the console is checked against PROTOCOL's shapes, and
// scripts/src/e2e/workspace-browser.int.spec.ts walks the same day against the real server.
import * as path from 'node:path';
import type { Page, Route, WebSocketRoute } from 'playwright-core';
import { Client, http, type Frame } from '../../../test-support/clients';
import { waitFor } from '../../../test-support/wait';
import { accessibilityProblems, describeInBrowser, SCREEN, SHOTS } from '../../../test-support/browser';

const TITLE = '[browser] the agent console: names, defects, the workspace, zh-CN and en';

/** A 1x1 PNG: what the stand-in file routes serve. */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);

describeInBrowser(TITLE, (ui) => {
  const { open, errors } = ui;
  const api = () => http(ui.base);
  const visitors: Client[] = [];

  afterEach(async () => {
    for (const client of visitors.splice(0)) {
      await client.request({ type: 'session.end' }).catch(() => undefined);
      client.close();
    }
  });

  /** Signs `username` in through the form (by ids: the labels change with the language) and sets `status`. */
  const signIn = async (
    username: string,
    {
      locale,
      status = 'idle',
      before,
    }: { locale?: string; status?: string; before?: (page: Page) => Promise<void> } = {},
  ): Promise<Page> => {
    const page = await open('/console.html', SCREEN, before, locale === undefined ? {} : { locale });
    await page.locator('#username').fill(username);
    await page.locator('#password').fill('demo');
    await page.locator('#login button[type="submit"]').click();
    await page.locator('#app').waitFor({ state: 'visible' });
    await page.locator('#status').selectOption(status);
    await page.locator(`#status[data-confirmed="${status}"]`).waitFor({ state: 'attached' });
    return page;
  };

  /** Signs out through the console (offline on the server), so that routing skips this agent. */
  const signOut = async (page: Page): Promise<void> => {
    await page.locator('#sign-out').click();
    await page.locator('#login').waitFor({ state: 'visible' });
  };

  /** A visitor over the protocol who writes `text` and asks for a human; the session it got. */
  const visitorArrives = async (text: string, login: Record<string, unknown> = {}) => {
    const { body } = await api().post('/api/visitors/login', { companyId: 'demo', ...login });
    const client = await Client.open(`${ui.base.replace('http', 'ws')}/ws/visitor?token=${String(body['token'])}`);
    visitors.push(client);
    expect((await client.request({ type: 'message.send', text, clientMsgId: `c-${Date.now()}` })).type).toBe('ack');
    const human = await client.request({ type: 'human.request' });
    const sessionId = String(human['sessionId']);
    // The agent's "idle" may reach routing a moment after its ack: queued first, then assigned.
    if (human['state'] !== 'assigned')
      await client.next(
        (f) => f.type === 'session.state' && f['sessionId'] === sessionId && f['state'] === 'assigned',
        'the assignment',
      );
    return { client, sessionId, visitorId: String(body['visitorId']) };
  };

  const rowOf = (page: Page, sessionId: string) => page.locator(`#sessions .session[data-session-id="${sessionId}"]`);

  const openRow = async (page: Page, sessionId: string, text: string): Promise<void> => {
    await rowOf(page, sessionId).click();
    await page.locator('#messages .bubble.visitor').filter({ hasText: text }).waitFor({ state: 'visible' });
  };

  // ---- the defects of issue 20

  it('preselects nobody in the transfer menu, marks an offline colleague and lets nobody choose one; groups by name', async () => {
    const alice = await signIn('alice');
    const { sessionId } = await visitorArrives('transfer menu please');
    await openRow(alice, sessionId, 'transfer menu please');
    const menu = alice.locator('#transfer-target');
    // bob has not signed in: offline, listed, marked and not selectable; nothing is chosen.
    const bobOption = menu.locator('option[value="agent:bob"]');
    await bobOption.waitFor({ state: 'attached' });
    expect(await bobOption.isDisabled()).toBe(true);
    expect(await bobOption.textContent()).toContain('Offline');
    expect(await menu.inputValue()).toBe('');
    // The group by its name, not "Group <id>".
    expect(await menu.locator('option[value="group:support"]').textContent()).toBe('Support');
    expect(await alice.locator('#queues li[data-group-id="support"]').textContent()).toContain('Support');
    // Transfer with nothing chosen says what to do.
    await alice.locator('#transfer').click();
    expect(await alice.locator('#transfer-error').textContent()).toBe('Choose a colleague or a group to transfer to.');

    // bob comes online: he can be chosen, and still nobody is chosen for alice.
    const bob = await signIn('bob');
    await menu.locator('option[value="agent:bob"]:not([disabled])').waitFor({ state: 'attached', timeout: 20_000 });
    expect(await menu.inputValue()).toBe('');
    await signOut(bob);
    await signOut(alice);
    expect(errors).toEqual([]);
  }, 90_000);

  it('after a transfer the pane says why and Reply, Transfer and End are off', async () => {
    const alice = await signIn('alice');
    const { sessionId } = await visitorArrives('please pass me on');
    await openRow(alice, sessionId, 'please pass me on');
    const bob = await signIn('bob');
    const menu = alice.locator('#transfer-target');
    await menu.locator('option[value="agent:bob"]:not([disabled])').waitFor({ state: 'attached', timeout: 20_000 });
    await menu.selectOption('agent:bob');
    await alice.locator('#transfer').click();
    await rowOf(bob, sessionId).waitFor({ state: 'visible' });
    await alice.locator('#pane-notice').filter({ hasText: 'You transferred this session to Bob' }).waitFor();
    await alice.locator('#messages .bubble.system').filter({ hasText: 'Transferred to Bob.' }).waitFor();
    for (const id of ['reply-text', 'send', 'transfer', 'end', 'attach', 'tag-input']) {
      expect([id, await alice.locator(`#${id}`).isDisabled()]).toEqual([id, true]);
    }
    await signOut(alice);
    await signOut(bob);
    expect(errors).toEqual([]);
  }, 90_000);

  it("a refused transfer names the colleague, not its id, in the page's language", async () => {
    // bob is online when alice chooses him and gone when the server decides: the server refuses
    // with agent_offline (stood in for here: that race is too short to arrange in a browser).
    const refusing = async (page: Page) => {
      await page.routeWebSocket(/\/ws\/agent/, (ws) => {
        const server = ws.connectToServer();
        ws.onMessage((message) => {
          const frame = JSON.parse(String(message)) as Frame;
          if (frame.type !== 'session.transfer') server.send(message);
          else
            ws.send(
              JSON.stringify({
                type: 'error',
                id: frame['id'],
                code: 'agent_offline',
                message: 'agent bob is offline',
              }),
            );
        });
      });
    };
    const alice = await signIn('alice', { locale: 'zh-CN', before: refusing });
    const { sessionId } = await visitorArrives('refused transfer please');
    await openRow(alice, sessionId, 'refused transfer please');
    const bob = await signIn('bob');
    const menu = alice.locator('#transfer-target');
    await menu.locator('option[value="agent:bob"]:not([disabled])').waitFor({ state: 'attached', timeout: 20_000 });
    await menu.selectOption('agent:bob');
    await alice.locator('#transfer').click();
    await alice.locator('#transfer-error').filter({ hasText: '转接失败：Bob 已离线。' }).waitFor();
    expect(await alice.locator('#transfer').isDisabled()).toBe(false);
    await signOut(alice);
    await signOut(bob);
    expect(errors).toEqual([]);
  }, 90_000);

  it('after an end the pane says so and Reply, Transfer and End are off', async () => {
    const alice = await signIn('alice');
    const { sessionId, client } = await visitorArrives('end it please');
    await openRow(alice, sessionId, 'end it please');
    await alice.locator('#end').click();
    await alice.locator('#pane-notice').filter({ hasText: 'This session has ended' }).waitFor();
    for (const id of ['reply-text', 'send', 'transfer', 'end']) {
      expect([id, await alice.locator(`#${id}`).isDisabled()]).toEqual([id, true]);
    }
    await client.next((f) => f.type === 'session.state' && f['state'] === 'ended', 'the end');
    await signOut(alice);
    expect(errors).toEqual([]);
  }, 60_000);

  it('says something useful when the list is empty: where new ones appear, and that Away gets none', async () => {
    const alice = await signIn('alice');
    const empty = alice.locator('#no-sessions');
    await empty.filter({ hasText: 'No conversations waiting. New ones appear here.' }).waitFor();
    await alice.locator('#status').selectOption('away');
    await empty.filter({ hasText: 'You are Away: no new conversations come to you.' }).waitFor();
    await signOut(alice);

    const zh = await signIn('alice', { locale: 'zh-CN', status: 'offline' });
    await zh.locator('#no-sessions').filter({ hasText: '不会收到新会话' }).waitFor();
    await zh.locator('#status').selectOption('idle');
    await zh.locator('#no-sessions').filter({ hasText: '暂无等待中的会话，新会话会出现在这里。' }).waitFor();
    await signOut(zh);
    expect(errors).toEqual([]);
  }, 60_000);

  // ---- names

  it('names a visitor without a name "Visitor <4 characters>" with its channel, never by its id', async () => {
    const alice = await signIn('alice');
    const { sessionId, visitorId } = await visitorArrives('who am I');
    const name = rowOf(alice, sessionId).locator('.session-name');
    await name.waitFor();
    const text = (await name.textContent())!;
    expect(text).toMatch(/^Visitor [0-9a-zA-Z]{4} · Web · /);
    expect(text).not.toContain(visitorId);
    await signOut(alice);
    expect(errors).toEqual([]);
  }, 60_000);

  // ---- desktop notifications

  it('asks for notifications only on a click, then notifies a new session and a new message while the tab is hidden', async () => {
    // The Notification API and the tab's visibility, as the test drives them (a headless browser has neither).
    const stub = async (page: Page): Promise<void> => {
      await page.addInitScript(`
        window.__notified = [];
        window.__asked = 0;
        window.__hidden = false;
        class FakeNotification {
          static permission = 'default';
          static async requestPermission() {
            window.__asked += 1;
            FakeNotification.permission = 'granted';
            return 'granted';
          }
          constructor(title, options) {
            this.onclick = null;
            window.__notified.push({ title, body: options && options.body });
          }
        }
        window.Notification = FakeNotification;
        Object.defineProperty(document, 'hidden', { get: () => window.__hidden });
      `);
    };
    const alice = await signIn('alice', { before: stub });
    expect(await alice.evaluate('window.__asked')).toBe(0);
    const notify = alice.getByRole('button', { name: 'Notify me' });
    await notify.click();
    await alice.locator('#notify-state').filter({ hasText: 'Desktop notifications on' }).waitFor();
    expect(await alice.evaluate('window.__asked')).toBe(1);

    // Shown: nothing. Hidden: a new session, then a new message of it.
    await alice.evaluate('window.__hidden = true');
    const { sessionId, client } = await visitorArrives('notify me of this');
    await rowOf(alice, sessionId).waitFor({ state: 'attached' });
    type Note = { title: string; body: string };
    const notified = () => alice.evaluate<Note[]>('window.__notified');
    await waitFor('a notification of the new session', async () =>
      (await notified()).some((n) => n.title === 'New conversation') ? true : undefined,
    );
    expect(await client.request({ type: 'message.send', text: 'anyone there?', clientMsgId: 'n-2' })).toMatchObject({
      type: 'ack',
    });
    await waitFor('a notification of the new message', async () =>
      (await notified()).some((n) => n.title.startsWith('New message from') && n.body === 'anyone there?')
        ? true
        : undefined,
    );
    await signOut(alice);
    expect(errors).toEqual([]);
  }, 60_000);

  // ---- the workspace's live parts, with the test standing in for the server's new frames

  /**
   * Stands between the console and the server: records what the console sends, answers `answer`'s
   * frames itself (the parts of the server this test stands in for) and can push frames to the console.
   */
  const standIn = (answer: (frame: Frame) => Record<string, unknown> | undefined) => {
    const sent: Frame[] = [];
    let toConsole: WebSocketRoute | undefined;
    const before = async (page: Page) => {
      await page.routeWebSocket(/\/ws\/agent/, (ws) => {
        const server = ws.connectToServer();
        toConsole = ws;
        ws.onMessage((message) => {
          const frame = JSON.parse(String(message)) as Frame;
          sent.push(frame);
          const reply = answer(frame);
          if (reply === undefined) server.send(message);
          else ws.send(JSON.stringify({ type: 'ack', id: frame['id'], ...reply }));
        });
      });
    };
    const push = (frame: Record<string, unknown>) => void toConsole!.send(JSON.stringify(frame));
    return { sent, before, push };
  };

  it('typing both ways, the read receipt, notes apart, tags with a filter, session.update, files (as PROTOCOL says)', async () => {
    let notes = 0;
    const line = standIn((frame) => {
      if (frame.type === 'typing') return {};
      if (frame.type === 'note.send') return { messageId: `note-${++notes}` };
      if (frame.type === 'session.tag') {
        const add = (frame['add'] as string[] | undefined) ?? [];
        return { tags: add.length > 0 ? add : [] };
      }
      if (frame.type === 'message.send' && Array.isArray(frame['attachments'])) return { messageId: 'with-file' };
      return undefined;
    });
    const alice = await signIn('alice', { before: line.before });
    const { sessionId } = await visitorArrives('I have a question');
    await openRow(alice, sessionId, 'I have a question');
    const sentOf = (type: string) => line.sent.filter((f) => f.type === type);

    // Typing: at most about one `typing` a second, and `typing: false` when the reply goes.
    const reply = alice.locator('#reply-text');
    await reply.pressSequentially('Let me check', { delay: 30 });
    await waitFor('typing sent', async () => (sentOf('typing').length > 0 ? true : undefined));
    expect(sentOf('typing')[0]).toMatchObject({ sessionId, typing: true });
    expect(sentOf('typing').filter((f) => f['typing'] === true).length).toBeLessThanOrEqual(2);
    await reply.press('Enter');
    const mine = alice.locator('#messages .bubble.agent').filter({ hasText: 'Let me check' });
    await mine.waitFor();
    await waitFor('typing stopped', async () =>
      sentOf('typing').some((f) => f['typing'] === false) ? true : undefined,
    );

    // The visitor typing, then reading the reply.
    line.push({ type: 'typing', sessionId, from: { role: 'visitor' }, typing: true });
    await alice.locator('#typing').filter({ hasText: 'is typing' }).waitFor();
    line.push({ type: 'typing', sessionId, from: { role: 'visitor' }, typing: false });
    await alice.locator('#typing:empty').waitFor({ state: 'attached' });
    const upTo = (await mine.getAttribute('data-message-id'))!;
    line.push({ type: 'message.read', sessionId, upTo, at: new Date().toISOString() });
    await mine.locator('.receipt').filter({ hasText: 'Read' }).waitFor();

    // A note: the Note mode sends note.send (never message.send), shown apart and labelled.
    const messageSends = sentOf('message.send').length;
    await alice.getByRole('button', { name: 'Note', exact: true }).click();
    await reply.fill('Call back tomorrow');
    await reply.press('Enter');
    const note = alice.locator('#messages .bubble.note').filter({ hasText: 'Call back tomorrow' });
    await note.waitFor();
    expect(await note.locator('.who').textContent()).toMatch(/^Private note · /);
    expect(sentOf('note.send').at(-1)).toMatchObject({ sessionId, text: 'Call back tomorrow' });
    expect(sentOf('message.send').length).toBe(messageSends);
    // A colleague's note arriving (`message` with `private: true`).
    line.push({
      type: 'message',
      sessionId,
      messageId: 'note-from-bob',
      from: { role: 'agent', id: 'bob' },
      text: 'VIP customer',
      at: new Date().toISOString(),
      private: true,
    });
    await alice.locator('#messages .bubble.note').filter({ hasText: 'VIP customer' }).waitFor();
    await alice.getByRole('button', { name: 'Reply', exact: true }).click();

    // Tags: added and removed on the open session, shown in its row; a session.update's tags too, and the filter.
    await alice.locator('#tag-input').fill('refund');
    await alice.locator('#tag-form button').click();
    expect(sentOf('session.tag').at(-1)).toMatchObject({ sessionId, add: ['refund'] });
    await alice.locator('#tags .tag[data-tag="refund"]').waitFor();
    await rowOf(alice, sessionId).locator('.tag').filter({ hasText: 'refund' }).waitFor();
    await alice.getByRole('button', { name: 'Remove the tag refund' }).click();
    await alice.locator('#tags .tag').waitFor({ state: 'detached' });
    expect(sentOf('session.tag').at(-1)).toMatchObject({ sessionId, remove: ['refund'] });
    const row = await alice.evaluate<Record<string, unknown>>(
      `(async () => (await (await fetch('/api/sessions', { headers: { authorization: 'Bearer ' + JSON.parse(localStorage.getItem('cschat.console.signIn')).token } })).json()).sessions.find((s) => s.sessionId === ${JSON.stringify(sessionId)}))()`,
    );
    line.push({ type: 'session.update', session: { ...row, tags: ['vip'] } });
    await rowOf(alice, sessionId).locator('.tag').filter({ hasText: 'vip' }).waitFor();
    await alice.locator('#tags .tag[data-tag="vip"]').waitFor();
    await alice.locator('#tag-filter').selectOption('vip');
    await rowOf(alice, sessionId).waitFor();
    await alice.locator('#tag-filter').selectOption('');

    // Files: refused type and too large said in words; an accepted one goes with the next reply.
    const uploads: (string | undefined)[] = [];
    const answers = [415, 413, 201];
    await alice.route('**/api/uploads', async (route: Route) => {
      uploads.push(route.request().headers()['x-file-name']);
      const status = answers.shift()!;
      await route.fulfill(
        status === 201
          ? {
              status,
              json: {
                attachmentId: 'att-1',
                name: 'photo 1.png',
                size: PNG.length,
                contentType: 'image/png',
                url: '/files/att-1',
              },
            }
          : { status, json: { error: { code: status === 413 ? 'too_large' : 'unsupported_type', message: '' } } },
      );
    });
    // The stand-in file store: no thumbnail (404), so the console falls back to the full image.
    await alice.route(/\/files\/att-1/, (route: Route) =>
      new URL(route.request().url()).searchParams.has('thumb')
        ? route.fulfill({ status: 404, body: '' })
        : route.fulfill({ status: 200, contentType: 'image/png', body: PNG }),
    );
    const file = { name: 'photo 1.png', mimeType: 'image/png', buffer: PNG };
    await alice.locator('#file-input').setInputFiles(file);
    await alice.locator('#upload-error').filter({ hasText: 'this type of file is not allowed' }).waitFor();
    await alice.locator('#file-input').setInputFiles(file);
    await alice.locator('#upload-error').filter({ hasText: 'too large to send' }).waitFor();
    await alice.locator('#file-input').setInputFiles(file);
    await alice.locator('#pending-files li').filter({ hasText: 'photo 1.png' }).waitFor();
    expect(uploads).toEqual(['photo%201.png', 'photo%201.png', 'photo%201.png']);
    await alice.locator('#send').click();
    expect(sentOf('message.send').at(-1)).toMatchObject({ sessionId, text: '', attachments: ['att-1'] });
    const image = alice.locator('#messages .bubble.agent .attachment.image img');
    await image.waitFor();
    await waitFor('the image to load (the full one, no thumbnail)', async () =>
      (await image.evaluate((img: { naturalWidth: number }) => img.naturalWidth)) > 0 ? true : undefined,
    );
    expect(await image.getAttribute('alt')).toBe('photo 1.png');
    // A visitor's file that is no image: a download link with name and size.
    line.push({
      type: 'message',
      sessionId,
      messageId: 'file-from-visitor',
      from: { role: 'visitor' },
      text: 'my invoice',
      at: new Date().toISOString(),
      attachments: [
        { attachmentId: 'att-2', name: 'invoice.pdf', size: 2048, contentType: 'application/pdf', url: '/files/att-2' },
      ],
    });
    const link = alice.locator('#messages .bubble.visitor .attachment.file a');
    await link.waitFor();
    expect(await link.textContent()).toBe('invoice.pdf (2 KB)');
    expect(await link.getAttribute('href')).toContain('/files/att-2?token=');

    expect(await accessibilityProblems(alice)).toEqual([]);
    await signOut(alice);
    expect(errors).toEqual([]);
  }, 120_000);

  // ---- profile, History and search, in both languages (with the screenshots)

  for (const locale of ['en', 'zh-CN'] as const) {
    it(`shows the profile, a past session read-only, History with filters, search with the hit marked (${locale}); axe passes`, async () => {
      const zh = locale === 'zh-CN';
      const routes: string[] = [];
      let visitorId = '';
      // The parts of the server this test stands in for (PROTOCOL, "Names and profiles" and "History and search").
      const stubs = async (page: Page) => {
        await page.route(/\/api\/visitors\/[^/?]+$/, (route: Route) => {
          routes.push(route.request().url());
          return route.fulfill({
            json: {
              visitorId,
              name: zh ? '陈美' : 'Mei Chen',
              email: 'mei@example.com',
              phone: '+86 138 0000 0000',
              attributes: { plan: 'Pro', pageUrl: 'https://shop.example.com/orders/42' },
              channel: 'web',
              firstSeenAt: '2026-11-02T08:00:00.000Z',
              lastSeenAt: new Date().toISOString(),
              sessions: [
                {
                  sessionId: 'past-1',
                  state: 'ended',
                  startedAt: '2026-11-02T08:01:00.000Z',
                  endedAt: '2026-11-02T08:20:00.000Z',
                  agentId: 'bob',
                  tags: ['refund'],
                },
              ],
            },
          });
        });
        await page.route(/\/api\/sessions\/past-1\/messages/, (route: Route) =>
          route.fulfill({
            json: {
              messages: [
                {
                  messageId: 'p3',
                  sessionId: 'past-1',
                  from: { role: 'agent', id: 'bob' },
                  text: zh ? '已为您办理退款。' : 'Your refund is on its way.',
                  at: '2026-11-02T08:10:00.000Z',
                  attachments: [],
                },
                {
                  messageId: 'p2',
                  sessionId: 'past-1',
                  from: { role: 'agent', id: 'bob' },
                  text: zh ? '已核实订单' : 'Order checked',
                  at: '2026-11-02T08:05:00.000Z',
                  private: true,
                },
                {
                  messageId: 'p1',
                  sessionId: 'past-1',
                  from: { role: 'visitor', id: visitorId },
                  text: zh ? '我要退款' : 'I want a refund',
                  at: '2026-11-02T08:01:00.000Z',
                },
              ],
            },
          }),
        );
        await page.route(/\/api\/sessions\?/, (route: Route) => {
          const url = new URL(route.request().url());
          routes.push(url.pathname + url.search);
          const cursor = url.searchParams.get('cursor');
          const row = (n: number) => ({
            sessionId: n === 1 ? 'past-1' : `past-${n}`,
            visitorId,
            visitorName: zh ? '陈美' : 'Mei Chen',
            channel: n % 2 ? 'web' : 'wechat',
            state: 'ended',
            unread: false,
            lastMessage: {
              text: zh ? `第 ${n} 次咨询` : `question ${n}`,
              at: '2026-11-02T08:10:00.000Z',
              from: 'visitor',
            },
            updatedAt: '2026-11-02T08:20:00.000Z',
            tags: n === 1 ? ['refund'] : [],
          });
          return route.fulfill({
            json: cursor ? { sessions: [row(3)] } : { sessions: [row(1), row(2)], nextCursor: 'page-2' },
          });
        });
        await page.route(/\/api\/search\/messages/, (route: Route) => {
          const url = new URL(route.request().url());
          routes.push(url.pathname + url.search);
          return route.fulfill({
            json: {
              hits: [
                {
                  sessionId: 'past-1',
                  messageId: 'p1',
                  text: zh ? '我要退款' : 'I want a refund',
                  at: '2026-11-02T08:01:00.000Z',
                  from: { role: 'visitor', id: visitorId },
                },
                {
                  sessionId: 'past-1',
                  messageId: 'p2',
                  text: zh ? '退款已核实订单' : 'refund: order checked',
                  at: '2026-11-02T08:05:00.000Z',
                  from: { role: 'agent', id: 'bob' },
                  private: true,
                },
              ],
            },
          });
        });
      };
      const alice = await signIn('alice', { locale, before: stubs });
      expect(await alice.evaluate('document.documentElement.lang')).toBe(locale);
      const arrived = await visitorArrives(zh ? '你好，我的订单有问题' : 'Hello, my order has a problem');
      visitorId = arrived.visitorId;
      await rowOf(alice, arrived.sessionId).waitFor();
      await alice.screenshot({ path: path.join(SHOTS, `console-list.${locale}.png`) });
      await openRow(alice, arrived.sessionId, zh ? '你好，我的订单有问题' : 'Hello, my order has a problem');

      // The profile beside the conversation: name, email, phone, page, attributes, the earlier session.
      const profile = alice.locator('#profile');
      await profile.filter({ hasText: zh ? '陈美' : 'Mei Chen' }).waitFor();
      for (const text of ['mei@example.com', '+86 138 0000 0000', 'https://shop.example.com/orders/42', 'Pro'])
        await profile.filter({ hasText: text }).waitFor();
      expect(routes.some((url) => url.endsWith(`/api/visitors/${visitorId}`))).toBe(true);
      await alice.locator('#reply-text').fill(zh ? '您好，请问订单号是多少？' : 'Hello, what is the order number?');
      expect([locale, 'conversation', await accessibilityProblems(alice)]).toEqual([locale, 'conversation', []]);
      await alice.screenshot({ path: path.join(SHOTS, `console-conversation.${locale}.png`) });
      await alice.locator('#reply-text').fill('');

      // The earlier session opens read-only: its note apart, no composer, no transfer or end.
      await alice.locator('#profile-sessions button[data-session-id="past-1"]').click();
      await alice
        .locator('#messages .bubble.note')
        .filter({ hasText: zh ? '已核实订单' : 'Order checked' })
        .waitFor();
      await alice
        .locator('#pane-notice')
        .filter({ hasText: zh ? '只读' : 'read only' })
        .waitFor();
      expect(await alice.locator('#reply').isHidden()).toBe(true);
      expect(await alice.locator('#end').isHidden()).toBe(true);
      await alice.locator('#close-readonly').click();

      // History: the ended sessions with the filters in the query, and "load more" with the cursor.
      await alice.locator('#view-history').click();
      const results = alice.locator('#history-results > li');
      await results.first().waitFor();
      await alice.locator('#history-tag').fill('refund');
      await alice.locator('#history-from').fill('2026-11-01');
      await alice.locator('#history-to').fill('2026-11-30');
      await alice.locator('#history-form button[type="submit"]').click();
      await waitFor('the filtered list', async () =>
        routes.some((url) => url.includes('tag=refund') && url.includes('state=ended') && url.includes('from=2026-1'))
          ? true
          : undefined,
      );
      await alice.locator('#history-more').click();
      await waitFor('the next page', async () => ((await results.count()) === 3 ? true : undefined));
      expect(routes.some((url) => url.includes('cursor=page-2'))).toBe(true);

      // Search by a Chinese word: the hits, the word marked, the note labelled.
      await alice.locator('#history-q').fill(zh ? '退款' : 'refund');
      await alice.locator('#history-form button[type="submit"]').click();
      await alice.locator('#history-results li.hit mark').first().waitFor();
      expect(await alice.locator('#history-results li.hit mark').first().textContent()).toBe(zh ? '退款' : 'refund');
      expect(await alice.locator('#history-results li.hit.note').textContent()).toContain(
        zh ? '内部备注' : 'Private note',
      );
      expect(routes.some((url) => url.startsWith('/api/search/messages?q='))).toBe(true);
      expect([locale, 'history', await accessibilityProblems(alice)]).toEqual([locale, 'history', []]);
      await alice.screenshot({ path: path.join(SHOTS, `console-history.${locale}.png`) });

      // A hit opens its session read-only.
      await alice.locator('#history-results li.hit button').first().click();
      await alice
        .locator('#messages .bubble.visitor')
        .filter({ hasText: zh ? '我要退款' : 'I want a refund' })
        .waitFor();
      await signOut(alice);
      expect(errors).toEqual([]);
    }, 120_000);
  }

  it('switches the language in the header and on the sign-in form, and passes axe on the sign-in form in both', async () => {
    const page = await open('/console.html', SCREEN);
    await page.locator('#login').waitFor({ state: 'visible' });
    expect(await page.locator('#login-title').textContent()).toBe('Agent sign-in');
    expect(await accessibilityProblems(page)).toEqual([]);
    await page.locator('#login-language').selectOption('zh-CN');
    await page.locator('#login-title').filter({ hasText: '客服登录' }).waitFor();
    expect(await page.getByLabel('用户名').count()).toBe(1);
    expect(await accessibilityProblems(page)).toEqual([]);
    await page.screenshot({ path: path.join(SHOTS, 'console-sign-in.zh-CN.png') });
    // The choice is kept: signed in, the console speaks Chinese; the header's switch goes back to English.
    await page.locator('#username').fill('alice');
    await page.locator('#password').fill('demo');
    await page.locator('#login button[type="submit"]').click();
    await page.locator('#app').waitFor({ state: 'visible' });
    await page.locator('#view-history').filter({ hasText: '历史记录' }).waitFor();
    expect(await page.locator('#language').inputValue()).toBe('zh-CN');
    await page.locator('#language').selectOption('en');
    await page.locator('#view-history').filter({ hasText: 'History' }).waitFor();
    await page
      .locator('#signed-in-as')
      .filter({ hasText: /^Signed in as alice$/i })
      .waitFor();
    await signOut(page);
    expect(errors).toEqual([]);
  }, 60_000);
});
