// The visitor widget and the index page in a real browser (issue 20): Chinese and English, the
// agent's name, typing, read receipts, attachments, the profile from embed.js, and the defects
// each with the test that would have caught it. Where this server does not send a frame yet (typing,
// message.read, attachments), the test stands between the widget and the real server and puts the
// frame PROTOCOL.md's second edition fixes into the widget's socket; everything else is the real
// server's. The last test runs the same against the real backends only (see its title).
import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { deflateSync } from 'node:zlib';
import type { Page, WebSocketRoute } from 'playwright-core';
import { Client, http, type Frame } from '../../../test-support/clients';
import { waitFor } from '../../../test-support/wait';
import { accessibilityProblems, describeInBrowser, PHONE, SCREEN } from '../../../test-support/browser';

const TITLE = '[browser] the visitor widget and the index page: languages, live conversation, attachments';
/** The README's pictures. */
const DOCS_SHOTS = path.resolve(__dirname, '../../../docs/screenshots');
const LOCALES = ['en', 'zh-CN'] as const;
type Locale = (typeof LOCALES)[number];

// ---- a small real PNG (a sky over the sea), for photos

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc32 = (bytes: Buffer): number => {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};
const pngChunk = (type: string, data: Buffer): Buffer => {
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
};
const photo = (width = 240, height = 160): Buffer => {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bits per channel
  header[9] = 2; // RGB
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = y * (width * 3 + 1);
    for (let x = 0; x < width; x++) {
      const sun = (x - width * 0.7) ** 2 + (y - height * 0.3) ** 2 < (height * 0.12) ** 2;
      const sea = y > height * 0.6;
      const rgb = sun ? [255, 200, 60] : sea ? [20, 80 + y / 4, 150 + y / 4] : [120 + y, 170 + y / 2, 235];
      raw.set(
        rgb.map((v) => Math.min(255, Math.round(v))),
        row + 1 + x * 3,
      );
    }
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', header),
    pngChunk('IDAT', deflateSync(raw)),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
};

describeInBrowser(TITLE, (ui) => {
  const { open, errors } = ui;

  beforeAll(() => mkdirSync(DOCS_SHOTS, { recursive: true }));

  const shoot = async (page: Page, name: string, locale: Locale): Promise<void> => {
    await page.screenshot({ path: path.join(DOCS_SHOTS, `${name}.${locale}.png`) });
  };

  /** The English text of a key, or the Chinese one, as the page in `locale` shows it. */
  const say = (locale: Locale, en: string, zh: string): string => (locale === 'en' ? en : zh);

  const signIn = async (username: string): Promise<Page> => {
    const page = await open('/console.html', SCREEN);
    await page.getByLabel('Username').fill(username);
    await page.getByLabel('Password').fill('demo');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('#app').waitFor({ state: 'visible' });
    await page.getByLabel('Status').selectOption('idle');
    await page.locator('#status[data-confirmed="idle"]').waitFor({ state: 'attached' });
    return page;
  };

  /** The one of `pages` whose list shows `sessionId`. */
  const holderOf = (sessionId: string, pages: readonly Page[]): Promise<Page> =>
    Promise.any(
      pages.map((page) =>
        page
          .locator(`#sessions .session[data-session-id="${sessionId}"]`)
          .waitFor({ state: 'visible' })
          .then(() => page),
      ),
    );

  interface Widget {
    page: Page;
    /** Frames the widget sent, in order. */
    sent: Frame[];
    /** Puts a frame into the widget's socket, as the server would send it. */
    inject: (frame: Record<string, unknown>) => void;
    /** The visitor's current session, as the widget remembers it. */
    session: () => Promise<string>;
    /** Types into the message box and sends with Enter. */
    write: (text: string) => Promise<void>;
  }

  /**
   * The widget on a phone, with the test between it and the real server: it sees what the widget
   * sends and may put frames in. `answer` may answer a frame itself (returning true keeps it from the server).
   */
  const openWidget = async (
    locale: Locale,
    options: { url?: string; answer?: (frame: Frame, toWidget: WebSocketRoute) => boolean } = {},
  ): Promise<Widget> => {
    const sent: Frame[] = [];
    let toWidget: WebSocketRoute | undefined;
    const page = await open(
      options.url ?? '/widget.html?company=demo',
      PHONE,
      async (p) => {
        await p.routeWebSocket(/\/ws\/visitor/, (ws) => {
          const server = ws.connectToServer();
          toWidget = ws;
          ws.onMessage((message) => {
            const frame = JSON.parse(String(message)) as Frame;
            sent.push(frame);
            if (options.answer?.(frame, ws) === true) return;
            server.send(message);
          });
        });
      },
      { locale },
    );
    const widget: Widget = {
      page,
      sent,
      inject: (frame) => void toWidget!.send(JSON.stringify(frame)),
      session: () =>
        waitFor(
          'the widget to remember its session',
          async () =>
            (await page.evaluate<string | null>("localStorage.getItem('cschat.sessionId.demo')")) ?? undefined,
        ),
      write: async (text) => {
        const box = page.locator('#text');
        await box.fill(text);
        await box.press('Enter');
      },
    };
    await page.locator('#suggestions .suggestion').first().waitFor({ state: 'visible' });
    return widget;
  };

  const bubbles = (page: Page, role: string, text?: string) => {
    const all = page.locator(`#messages .bubble.${role}`);
    return text === undefined ? all : all.filter({ hasText: text });
  };

  /** Asks for a human and waits until one of `agents` holds the session; the holder's page. */
  const human = async (widget: Widget, agents: readonly Page[]): Promise<{ sessionId: string; agent: Page }> => {
    await widget.page.locator('#human').click();
    await widget.page.locator('#notice:not([hidden])').waitFor();
    const sessionId = await widget.session();
    const agent = await holderOf(sessionId, agents);
    await agent.locator(`#sessions .session[data-session-id="${sessionId}"]`).click();
    return { sessionId, agent };
  };

  const loginCalls = (page: Page): { bodies: Record<string, unknown>[] } => {
    const calls = { bodies: [] as Record<string, unknown>[] };
    page.on('request', (request) => {
      if (request.url().endsWith('/api/visitors/login'))
        calls.bodies.push(JSON.parse(request.postData() ?? '{}') as Record<string, unknown>);
    });
    return calls;
  };

  // ---- defects

  it('an unknown company: the login says 404 company_not_found, the widget says so plainly and stops trying', async () => {
    const { status, body } = await http(ui.base).post('/api/visitors/login', { companyId: 'nope' });
    expect(status).toBe(404);
    expect(body).toMatchObject({ error: { code: 'company_not_found' } });
    expect((await http(ui.base).post('/api/visitors/login', { companyId: 'Not A Company!' })).status).toBe(404);

    for (const [locale, words] of [
      ['en', 'This chat is not available: there is no company “nope”.'],
      ['zh-CN', '此聊天无法使用：没有“nope”这家公司。'],
    ] as const) {
      let logins = 0;
      const page = await open(
        '/widget.html?company=nope',
        PHONE,
        async (p) => {
          p.on('request', (request) => {
            if (request.url().endsWith('/api/visitors/login')) logins += 1;
          });
        },
        { locale },
      );
      await page.locator('#notice').filter({ hasText: words }).waitFor();
      expect(await page.locator('#connection').textContent()).toBe(say(locale, 'Unavailable', '无法使用'));
      // A retry would come within a second or two (0.5 s doubling): none comes.
      await page.waitForTimeout(2500);
      expect(logins).toBe(1);
      expect(await page.locator('#connection').textContent()).not.toMatch(/Reconnecting|重新连接/);
      for (const control of ['#text', '#send', '#attach', '#human', '#end'])
        expect([control, await page.locator(control).isDisabled()]).toEqual([control, true]);
      expect(await accessibilityProblems(page)).toEqual([]);
    }
    expect(errors).toEqual([]);
  }, 60_000);

  it("the bot's not-understood answer lists the suggestions once: as buttons, not again in its text", async () => {
    const widget = await openWidget('en');
    await widget.write('xyzzy plugh');
    const answer = widget.page.locator('#messages .bubble.bot:not(.greeting)').first();
    await answer.waitFor();
    expect(await answer.locator('.text').textContent()).toBe(
      "Sorry, I didn't understand that. You could try one of the suggestions below.",
    );
    const buttons = await widget.page.locator('#suggestions .suggestion').allTextContents();
    expect(buttons.length).toBeGreaterThan(0);
    for (const question of buttons) expect(await answer.textContent()).not.toContain(question);
    await widget.page.locator('#end').click();
    await widget.page.locator('#notice').filter({ hasText: 'The chat has ended' }).waitFor();
    expect(errors).toEqual([]);
  }, 60_000);

  it('with an agent the suggestions and "Talk to a human" go; before, the suggestions take one compact row', async () => {
    const agents = [await signIn('alice'), await signIn('bob')];
    const widget = await openWidget('en');
    const { page } = widget;
    // Before: the questions in one row, a small part of a phone's screen.
    const row = (await page.locator('#suggestions').boundingBox())!;
    const first = (await page.locator('#suggestions .suggestion').first().boundingBox())!;
    expect(row.height).toBeLessThan(first.height * 1.6);
    expect(row.height).toBeLessThan(PHONE.height / 10);
    expect(await page.locator('#human').isVisible()).toBe(true);

    await human(widget, agents);
    await page.locator('#notice').filter({ hasText: /agent/i }).waitFor();
    await page.locator('#suggestions').waitFor({ state: 'hidden' });
    await page.locator('#human').waitFor({ state: 'hidden' });
    expect(await page.locator('#end').isVisible()).toBe(true);
    // The messages have the room: the list reaches down to the typing line and composer.
    const messages = (await page.locator('#messages').boundingBox())!;
    expect(messages.height).toBeGreaterThan(PHONE.height * 0.6);

    await page.locator('#end').click();
    await page.locator('#notice').filter({ hasText: 'The chat has ended (you left)' }).waitFor();
    // Without a person the bot's suggestions and the human button are back.
    await page.locator('#human').waitFor({ state: 'visible' });
    await page.locator('#suggestions').waitFor({ state: 'visible' });
    expect(errors).toEqual([]);
  }, 90_000);

  it('after a reload: the agent is still there (notice, no suggestions), the greeting stays on top, once', async () => {
    const agents = [await signIn('alice'), await signIn('bob')];
    const widget = await openWidget('en');
    const { page } = widget;
    await widget.write('my parcel is late');
    await bubbles(page, 'visitor', 'my parcel is late').and(page.locator(':not(.pending)')).waitFor();
    const { agent } = await human(widget, agents);
    // The server names the agent (PROTOCOL, second edition): put in here, as it would be.
    const sessionId = await widget.session();
    const holder = (await agent.title()).endsWith('bob') ? { id: 'bob', name: 'Bob' } : { id: 'alice', name: 'Alice' };
    widget.inject({ type: 'session.state', sessionId, state: 'assigned', agentId: holder.id, agentName: holder.name });
    await page
      .locator('#notice')
      .filter({ hasText: `Agent ${holder.name} joined the chat.` })
      .waitFor();
    const reply = agent.getByLabel('Reply', { exact: true });
    await reply.fill('Hello, how can I help?');
    await reply.press('Enter');
    await bubbles(page, 'agent', 'Hello, how can I help?').waitFor();

    await page.reload();
    await bubbles(page, 'agent', 'Hello, how can I help?').waitFor();
    await page.locator('#messages .greeting').waitFor();
    expect(await page.locator('#notice').textContent()).toBe(`Agent ${holder.name} joined the chat.`);
    expect(await page.locator('#suggestions').isHidden()).toBe(true);
    expect(await page.locator('#human').isHidden()).toBe(true);
    const classes = await page
      .locator('#messages .bubble')
      .evaluateAll((lis) => lis.map((li) => (li as unknown as { className: string }).className));
    expect(classes[0]).toContain('greeting');
    expect(classes.filter((c) => c.includes('greeting'))).toHaveLength(1);
    const texts = await page.locator('#messages .bubble .text').allTextContents();
    expect(texts.indexOf('my parcel is late')).toBeLessThan(texts.indexOf('Hello, how can I help?'));
    // The agent's bubble after the reload still says who wrote it.
    expect(await bubbles(page, 'agent', 'Hello, how can I help?').locator('.who').textContent()).toBe(holder.name);

    await page.locator('#end').click();
    await page.locator('#notice').filter({ hasText: 'The chat has ended (you left)' }).waitFor();
    expect(errors).toEqual([]);
  }, 90_000);

  it('a new chat clears what was said of the old one ("The chat has ended" goes when a new session starts)', async () => {
    const widget = await openWidget('en');
    const { page } = widget;
    await widget.write('first chat');
    const first = await widget.session();
    await page.locator('#end').click();
    await page.locator('#notice').filter({ hasText: 'The chat has ended (you left)' }).waitFor();

    await widget.write('second chat');
    await waitFor('a new session', async () => ((await widget.session()) !== first ? true : undefined));
    await page.locator('#notice').waitFor({ state: 'hidden' });
    expect(await page.locator('#notice').textContent()).toBe('');
    await page.reload();
    await bubbles(page, 'visitor', 'second chat').waitFor();
    expect(await page.locator('#notice').isHidden()).toBe(true);
    await page.locator('#end').click();
    await page.locator('#notice').filter({ hasText: 'The chat has ended' }).waitFor();
    expect(errors).toEqual([]);
  }, 60_000);

  it('serves an SVG favicon, linked from every page', async () => {
    const response = await fetch(`${ui.base}/favicon.svg`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('image/svg+xml');
    expect(await response.text()).toMatch(/^<svg /);
    expect((await fetch(`${ui.base}/favicon.ico`)).status).toBe(200);
    for (const url of ['/', '/widget.html', '/console.html', '/admin.html']) {
      const html = await (await fetch(`${ui.base}${url}`)).text();
      expect([url, /<link rel="icon" href="\/favicon.svg" type="image\/svg\+xml" \/>/.test(html)]).toEqual([url, true]);
    }
  });

  it("the index page's code stays inside its card, on a phone and a screen", async () => {
    for (const viewport of [PHONE, SCREEN]) {
      const page = await open('/', viewport);
      await page.locator('#embed-code').filter({ hasText: ui.base }).waitFor();
      const card = (await page.locator('main').boundingBox())!;
      for (const pre of await page.locator('pre').all()) {
        const box = (await pre.boundingBox())!;
        expect(box.x + box.width).toBeLessThanOrEqual(card.x + card.width);
        const overflow = await pre.evaluate((el) => {
          const { scrollWidth, clientWidth } = el as unknown as { scrollWidth: number; clientWidth: number };
          return scrollWidth - clientWidth;
        });
        expect(overflow).toBeLessThanOrEqual(0);
      }
      expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(viewport.width);
    }
    expect(errors).toEqual([]);
  }, 60_000);

  // ---- languages

  it('speaks Chinese to a Chinese browser and English to others; the switch changes it and is kept', async () => {
    const zh = await openWidget('zh-CN');
    const { page } = zh;
    expect(await page.evaluate<string>('document.documentElement.lang')).toBe('zh-CN');
    expect(await page.title()).toBe('联系我们');
    expect(await page.locator('h1').textContent()).toBe('在线客服');
    expect(await page.locator('#connection').textContent()).toBe('在线');
    await page.getByRole('button', { name: '转人工客服' }).waitFor();
    await page.getByRole('button', { name: '结束对话' }).waitFor();
    await page.getByRole('button', { name: '发送', exact: true }).waitFor();
    await page.getByRole('button', { name: '发送文件或图片' }).waitFor();
    expect(await page.getByLabel('您的消息', { exact: true }).getAttribute('placeholder')).toBe('请输入您的问题…');
    await zh.write('你好');
    await bubbles(page, 'visitor', '你好').waitFor();
    expect(await bubbles(page, 'visitor', '你好').locator('.who').textContent()).toBe('我');
    expect(await bubbles(page, 'visitor', '你好').getAttribute('aria-label')).toBe('我：你好');
    const question = (await page.locator('#suggestions .suggestion').first().textContent())!;
    expect(await page.locator('#suggestions .suggestion').first().getAttribute('aria-label')).toBe(`提问：${question}`);

    // The switch: everything the page and the code wrote, now in English.
    await page.getByLabel('语言').selectOption('en');
    expect(await page.evaluate<string>('document.documentElement.lang')).toBe('en');
    await page.getByRole('button', { name: 'Talk to a human' }).waitFor();
    expect(await page.locator('h1').textContent()).toBe('Customer service');
    expect(await page.locator('#connection').textContent()).toBe('Online');
    expect(await bubbles(page, 'visitor', '你好').locator('.who').textContent()).toBe('You');
    expect(await page.locator('#suggestions .suggestion').first().getAttribute('aria-label')).toBe(`Ask: ${question}`);
    await page.locator('#end').click();
    await page.locator('#notice').filter({ hasText: 'The chat has ended (you left).' }).waitFor();
    await page.getByLabel('Language').selectOption('zh-CN');
    await page.locator('#notice').filter({ hasText: '对话已结束（您已离开）。' }).waitFor();
    await page.getByLabel('语言').selectOption('en');

    // Kept: a reload stays English in a Chinese browser.
    await page.reload();
    await page.getByRole('button', { name: 'Talk to a human' }).waitFor();
    expect(await page.getByLabel('Language').inputValue()).toBe('en');

    const en = await openWidget('en');
    await en.page.getByRole('button', { name: 'Talk to a human' }).waitFor();
    expect(await en.page.getByLabel('Language').inputValue()).toBe('en');
    expect(errors).toEqual([]);
  }, 60_000);

  it('the index page in both languages', async () => {
    const zh = await open('/', SCREEN, undefined, { locale: 'zh-CN' });
    await zh.locator('h1').filter({ hasText: '在线客服系统' }).waitFor();
    await zh.getByRole('link', { name: '客服工作台' }).waitFor();
    await zh.getByRole('button', { name: '联系客服' }).waitFor(); // embed.js's bubble
    await zh.getByLabel('语言').selectOption('en');
    await zh.locator('h1').filter({ hasText: 'Customer service chat' }).waitFor();
    await zh.getByRole('link', { name: 'Agent console' }).waitFor();
    expect(errors).toEqual([]);
  }, 30_000);

  // ---- the profile from the embedding page

  it('passes the profile and the page address from embed.js (data attributes, window.CSChat) to the login', async () => {
    // A shop's page (on this origin: Chromium keeps pages of other hosts from loading 127.0.0.1).
    const shop = `${ui.base}/shop/product/42?colour=blue`;
    const page = await open('/favicon.svg', PHONE, async (p) => {
      await p.route(`${ui.base}/shop/**`, (route) =>
        route.fulfill({
          contentType: 'text/html',
          body: `<!doctype html><html lang="en"><head><title>Shop</title></head><body><h1>A product</h1>
            <script>window.CSChat = { name: 'Li Lei', attributes: { plan: 'gold', orders: 3, nested: { no: 1 } } };</script>
            <script src="${ui.base}/embed.js" data-company="demo" data-email="lilei@example.com" data-phone="+86 138 0000 0000"></script>
            </body></html>`,
        }),
      );
    });
    const calls = loginCalls(page);
    await page.goto(shop);
    await page.getByRole('button', { name: 'Chat with us' }).click();
    const frame = page.frameLocator('iframe.cschat-frame');
    await frame.locator('#suggestions .suggestion').first().waitFor({ state: 'visible' });
    const src = await page.locator('iframe.cschat-frame').getAttribute('src');
    // The profile goes after '#': never in a server's request line or logs.
    expect(new URL(src!).search).toBe('?company=demo');
    expect(calls.bodies[0]).toEqual({
      companyId: 'demo',
      name: 'Li Lei',
      email: 'lilei@example.com',
      phone: '+86 138 0000 0000',
      attributes: { plan: 'gold', orders: '3' },
      pageUrl: shop,
    });

    // The widget on its own: its own address is the page.
    const direct = await open('/widget.html?company=demo&name=Ann', PHONE);
    const directCalls = loginCalls(direct);
    await direct.reload();
    await direct.locator('#suggestions .suggestion').first().waitFor({ state: 'visible' });
    expect(directCalls.bodies.at(-1)).toMatchObject({
      companyId: 'demo',
      name: 'Ann',
      pageUrl: `${ui.base}/widget.html?company=demo&name=Ann`,
    });
    expect(errors).toEqual([]);
  }, 60_000);

  it('keeps the resume token beside the visitor id: a reload continues the visitor, a refused token starts anew once', async () => {
    const page = await open('/widget.html?company=demo', PHONE);
    const ready = () => page.locator('#suggestions .suggestion').first().waitFor({ state: 'visible' });
    const stored = () =>
      page.evaluate<[string | null, string | null]>(
        "[localStorage.getItem('cschat.visitorId.demo'), localStorage.getItem('cschat.resumeToken.demo')]",
      );
    await ready();
    const [visitorId, firstToken] = await stored();
    expect(firstToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const calls = loginCalls(page);
    const statuses: number[] = [];
    page.on('response', (response) => {
      if (response.url().endsWith('/api/visitors/login')) statuses.push(response.status());
    });

    await page.reload();
    await ready();
    expect(calls.bodies.at(-1)).toMatchObject({ companyId: 'demo', visitorId, resumeToken: firstToken });
    const [sameVisitor, nextToken] = await stored();
    expect(sameVisitor).toBe(visitorId);
    expect(nextToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(nextToken).not.toBe(firstToken);
    expect(statuses).toEqual([200]);

    // A token the server does not take (gone stale): one refused login, then a new visitor, no retry loop.
    await page.evaluate("localStorage.setItem('cschat.resumeToken.demo', 'stale-token')");
    await page.reload();
    await ready();
    expect(statuses).toEqual([200, 401, 200]);
    expect(calls.bodies.at(-1)).not.toHaveProperty('visitorId');
    const [newVisitor, newToken] = await stored();
    expect(newVisitor).not.toBe(visitorId);
    expect(newToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(errors).toEqual([]);
  }, 60_000);

  // ---- live conversation and attachments, with the frames of the second edition put in

  it('typing: at most about one frame a second while typing, false on send; the agent typing shown by name', async () => {
    const agents = [await signIn('alice'), await signIn('bob')];
    const widget = await openWidget('en');
    const { page, sent } = widget;
    // With the bot nobody is there to see it: nothing is sent.
    await page.locator('#text').pressSequentially('to the bot', { delay: 30 });
    expect(sent.filter((f) => f.type === 'typing')).toEqual([]);
    await page.locator('#text').fill('');

    const { sessionId, agent } = await human(widget, agents);
    widget.inject({ type: 'session.state', sessionId, state: 'assigned', agentId: 'bob', agentName: 'Bob' });
    await page.locator('#notice').filter({ hasText: 'Bob joined' }).waitFor();

    const started = Date.now();
    await page.locator('#text').pressSequentially('I am typing a longer question now', { delay: 90 });
    const took = Date.now() - started;
    await page.locator('#text').press('Enter');
    await bubbles(agent, 'visitor', 'I am typing a longer question now').waitFor();
    const typing = sent.filter((f) => f.type === 'typing');
    const on = typing.filter((f) => f['typing'] === true);
    expect(on.length).toBeGreaterThanOrEqual(2);
    expect(on.length).toBeLessThanOrEqual(Math.ceil(took / 1000) + 1);
    expect(typing.at(-1)).toMatchObject({ type: 'typing', typing: false });
    expect(typing.every((f) => !('sessionId' in f))).toBe(true);
    // The typing:false comes before the message it ends.
    const order = sent.map((f) => f.type);
    expect(order.lastIndexOf('typing')).toBeLessThan(order.lastIndexOf('message.send'));

    // The agent types: "Bob is typing…", gone when he stops or his message comes.
    const line = page.locator('#typing');
    widget.inject({ type: 'typing', sessionId, from: { role: 'agent', id: 'bob' }, typing: true });
    await line.filter({ hasText: 'Bob is typing…' }).waitFor();
    expect(await line.getAttribute('role')).toBe('status');
    widget.inject({ type: 'typing', sessionId, from: { role: 'agent', id: 'bob' }, typing: false });
    await line.waitFor({ state: 'hidden' });
    widget.inject({ type: 'typing', sessionId, from: { role: 'agent', id: 'bob' }, typing: true });
    await line.waitFor({ state: 'visible' });
    widget.inject({
      type: 'message',
      sessionId,
      messageId: 'test-agent-1',
      from: { role: 'agent', id: 'bob', name: 'Bob' },
      text: 'Let me check.',
      at: new Date().toISOString(),
    });
    await bubbles(page, 'agent', 'Let me check.').waitFor();
    await line.waitFor({ state: 'hidden' });
    expect(await bubbles(page, 'agent', 'Let me check.').locator('.who').textContent()).toBe('Bob');
    // The visitor's own typing echoed (a supervisor's view) is not shown to the visitor.
    widget.inject({ type: 'typing', sessionId, from: { role: 'visitor' }, typing: true });
    await page.waitForTimeout(300);
    expect(await line.isHidden()).toBe(true);

    await page.locator('#end').click();
    await page.locator('#notice').filter({ hasText: 'The chat has ended' }).waitFor();
    expect(errors).toEqual([]);
  }, 90_000);

  it('read receipts: session.read when agent messages are seen, "Read" under the messages the agent read', async () => {
    const agents = [await signIn('alice'), await signIn('bob')];
    const widget = await openWidget('en');
    const { page, sent } = widget;
    await widget.write('first');
    await widget.write('second');
    await bubbles(page, 'visitor', 'second').and(page.locator('[data-message-id]')).waitFor();
    const { sessionId, agent } = await human(widget, agents);
    await widget.write('third');
    await bubbles(page, 'visitor', 'third').and(page.locator('[data-message-id]')).waitFor();
    expect(sent.filter((f) => f.type === 'session.read')).toEqual([]); // nothing of an agent's yet

    // An agent's message while the tab is seen: session.read, no fields but its id.
    const reply = agent.getByLabel('Reply', { exact: true });
    await reply.fill('Reading you');
    await reply.press('Enter');
    await bubbles(page, 'agent', 'Reading you').waitFor();
    const read = await waitFor('session.read', async () => sent.find((f) => f.type === 'session.read'));
    expect(Object.keys(read).sort()).toEqual(['id', 'type']);

    // The agent opened the session, which read it up to "third": the server's message.read marks all three.
    await bubbles(page, 'visitor', 'third').locator('.read-mark').filter({ hasText: 'Read' }).waitFor();
    for (const text of ['first', 'second'])
      expect(await bubbles(page, 'visitor', text).locator('.read-mark').count()).toBe(1);
    // The agent has the session open: a new message is read as it arrives, and marked.
    await widget.write('fourth');
    await bubbles(page, 'visitor', 'fourth').locator('.read-mark').filter({ hasText: 'Read' }).waitFor();
    expect(await bubbles(page, 'visitor', 'second').getAttribute('aria-label')).toBe('You said: second (Read)');
    await page.getByLabel('Language').selectOption('zh-CN');
    expect(await bubbles(page, 'visitor', 'second').locator('.read-mark').textContent()).toBe('已读');
    await page.getByLabel('语言').selectOption('en');
    // A receipt of another session changes nothing: no mark is added or doubled.
    const marks = await page.locator('#messages .read-mark').count();
    widget.inject({ type: 'message.read', sessionId: 'another', upTo: 'x', at: new Date().toISOString() });
    await page.waitForTimeout(200);
    expect(await page.locator('#messages .read-mark').count()).toBe(marks);

    // A note (private) never shows, should one ever reach the visitor.
    widget.inject({
      type: 'message',
      sessionId,
      messageId: 'test-note-1',
      from: { role: 'agent', id: 'alice' },
      text: 'internal: VIP customer',
      at: new Date().toISOString(),
      private: true,
    });
    widget.inject({ type: 'message.read', sessionId, upTo: 'nothing-shown', at: '1970-01-01T00:00:00.000Z' });
    await page.waitForTimeout(300);
    expect(await page.locator('#messages').textContent()).not.toContain('internal: VIP customer');

    await page.locator('#end').click();
    await page.locator('#notice').filter({ hasText: 'The chat has ended' }).waitFor();
    expect(errors).toEqual([]);
  }, 90_000);

  it('attachments: the paperclip and a pasted photo upload and send; photos as thumbnails, files as links; refusals in words', async () => {
    const image = photo();
    const uploads: { type: string; name: string; size: number; auth: string }[] = [];
    let next: 201 | 413 | 415 = 201;
    /** The attachments backend as PROTOCOL.md fixes it, played by the test. */
    const page0 = await openWidget('en', {
      answer: (frame, toWidget) => {
        if (frame.type !== 'message.send' || !Array.isArray(frame['attachments'])) return false;
        const ids = frame['attachments'] as string[];
        toWidget.send(
          JSON.stringify({ type: 'ack', id: frame['id'], messageId: `m-${ids[0]}`, sessionId: 's-upload' }),
        );
        toWidget.send(
          JSON.stringify({
            type: 'message',
            sessionId: 's-upload',
            messageId: `m-${ids[0]}`,
            from: { role: 'visitor' },
            text: frame['text'],
            clientMsgId: frame['clientMsgId'],
            at: new Date().toISOString(),
            attachments: ids.map((id) => ({
              attachmentId: id,
              name: uploads.find((u) => `a-${u.name}` === id)?.name ?? id,
              size: image.length,
              contentType: 'image/png',
              url: `/api/attachments/${id}`,
            })),
          }),
        );
        return true;
      },
    });
    const { page, sent } = page0;
    await page.route('**/api/uploads', async (route) => {
      const request = route.request();
      const name = decodeURIComponent(request.headers()['x-file-name'] ?? '');
      uploads.push({
        type: request.headers()['content-type'] ?? '',
        name,
        size: request.postDataBuffer()?.length ?? 0,
        auth: request.headers()['authorization'] ?? '',
      });
      if (next !== 201) return route.fulfill({ status: next, json: { error: { code: 'refused', message: 'no' } } });
      return route.fulfill({
        status: 201,
        json: {
          attachmentId: `a-${name}`,
          name,
          size: image.length,
          contentType: 'image/png',
          url: `/api/attachments/a-${name}`,
        },
      });
    });
    const fetched: string[] = [];
    await page.route('**/api/attachments/**', async (route) => {
      const url = new URL(route.request().url());
      fetched.push(`${url.pathname}${url.search.replace(/token=[^&]+/, 'token=T')}`);
      // No thumbnail for this one: the widget falls back to the picture itself.
      if (url.searchParams.get('thumb') === '1' && url.pathname.endsWith('no-thumb.png'))
        return route.fulfill({ status: 404 });
      return route.fulfill({ status: 200, contentType: 'image/png', body: image });
    });

    // The paperclip opens the file chooser.
    const attach = page.getByRole('button', { name: 'Attach a file or photo' });
    const chooser = page.waitForEvent('filechooser');
    await attach.click();
    await (await chooser).setFiles({ name: 'sea view.png', mimeType: 'image/png', buffer: image });
    const mine = page.locator('#messages .bubble.visitor').filter({ has: page.locator('.attachment-image') });
    await mine.first().waitFor();
    expect(uploads[0]).toMatchObject({ type: 'image/png', name: 'sea view.png', size: image.length });
    expect(uploads[0]!.auth).toMatch(/^Bearer ey/);
    const message = await waitFor('the message.send', async () =>
      sent.find((f) => f.type === 'message.send' && Array.isArray(f['attachments'])),
    );
    expect(message).toMatchObject({ text: '', attachments: ['a-sea view.png'] });
    const link = mine.first().locator('a.attachment-image');
    expect(await link.getAttribute('aria-label')).toBe('Open the photo sea view.png');
    expect(await link.locator('img').getAttribute('alt')).toBe('Photo: sea view.png');
    expect(await link.getAttribute('href')).toMatch(/\/api\/attachments\/a-sea%20view\.png\?token=ey/);
    await waitFor('the thumbnail', async () =>
      fetched.includes('/api/attachments/a-sea%20view.png?thumb=1&token=T') ? true : undefined,
    );
    await waitFor('the picture drawn', async () =>
      (await link.locator('img').evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth)) === 240
        ? true
        : undefined,
    );
    expect(await mine.first().getAttribute('aria-label')).toBe('You said: Attachments: sea view.png');

    // A pasted photo goes the same way.
    await page.evaluate(`(() => {
      const data = new DataTransfer();
      data.items.add(new File([new Uint8Array(${JSON.stringify([...image])})], 'no-thumb.png', { type: 'image/png' }));
      const paste = new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true });
      document.getElementById('text').dispatchEvent(paste);
    })()`);
    await waitFor('two photos', async () => ((await mine.count()) === 2 ? true : undefined));
    const second = mine.nth(1).locator('img');
    // Its thumbnail is missing: the full picture instead.
    await waitFor('the fallback to the full picture', async () =>
      (await second.getAttribute('src'))?.includes('thumb=1') === false ? true : undefined,
    );
    expect(uploads.map((u) => u.name)).toEqual(['sea view.png', 'no-thumb.png']);

    // Refused: in words, in the notice; nothing sent.
    const before = sent.length;
    for (const [status, words] of [
      [413, '“big.zip” is too large to send.'],
      [415, '“big.zip” cannot be sent: files of this type are not accepted.'],
    ] as const) {
      next = status;
      await page.locator('#file').setInputFiles({ name: 'big.zip', mimeType: 'application/zip', buffer: image });
      await page.locator('#notice').filter({ hasText: words }).waitFor();
    }
    expect(sent.slice(before).filter((f) => f.type === 'message.send')).toEqual([]);

    // A file from the agent: a download link with its name and size.
    page0.inject({
      type: 'message',
      sessionId: await page0.session(),
      messageId: 'test-file-1',
      from: { role: 'agent', id: 'alice', name: 'Alice' },
      text: 'Here is your invoice.',
      at: new Date().toISOString(),
      attachments: [
        {
          attachmentId: 'f1',
          name: 'invoice-2026-12.pdf',
          size: 245_760,
          contentType: 'application/pdf',
          url: '/api/attachments/f1',
        },
      ],
    });
    const file = bubbles(page, 'agent', 'Here is your invoice.').locator('a.attachment-file');
    await file.waitFor();
    expect(await file.textContent()).toBe('invoice-2026-12.pdf (240 KB)');
    expect(await file.getAttribute('aria-label')).toBe('Download invoice-2026-12.pdf (240 KB)');
    expect(await file.getAttribute('download')).toBe('invoice-2026-12.pdf');
    expect(await accessibilityProblems(page)).toEqual([]);
    await page.getByLabel('Language').selectOption('zh-CN');
    expect(await file.getAttribute('aria-label')).toBe('下载 invoice-2026-12.pdf（240 KB）');
    await page.getByLabel('语言').selectOption('en');
    expect(errors).toEqual([]);
  }, 90_000);

  // ---- accessibility and screenshots, in both languages

  for (const locale of LOCALES) {
    it(`passes axe-core on a phone in ${locale} (bot, agent, photo, ended) and takes the README's screenshots`, async () => {
      const agents = [await signIn('alice'), await signIn('bob')];
      const w = await openWidget(locale);
      const { page } = w;
      expect(await accessibilityProblems(page)).toEqual([]);

      await w.write(say(locale, 'How do I get an invoice?', '怎么开发票'));
      await page.locator('#messages .bubble.bot:not(.greeting)').first().waitFor();
      await shoot(page, 'widget-bot', locale);
      expect(await accessibilityProblems(page)).toEqual([]);

      const { sessionId, agent } = await human(w, agents);
      const holder = (await agent.title()).endsWith('bob')
        ? { id: 'bob', name: 'Bob' }
        : { id: 'alice', name: 'Alice' };
      // What the names backend says (PROTOCOL, second edition), as it would.
      w.inject({ type: 'session.state', sessionId, state: 'assigned', agentId: holder.id, agentName: holder.name });
      await page
        .locator('#notice')
        .filter({ hasText: say(locale, `Agent ${holder.name} joined the chat.`, `客服 ${holder.name} 已接入。`) })
        .waitFor();
      const reply = agent.getByLabel('Reply', { exact: true });
      await reply.fill(say(locale, 'Hello! I can help with the invoice.', '您好！我来帮您开发票。'));
      await reply.press('Enter');
      await bubbles(page, 'agent').first().waitFor();
      await w.write(say(locale, 'Thank you!', '谢谢！'));
      await bubbles(page, 'visitor')
        .filter({ hasText: say(locale, 'Thank you!', '谢谢！') })
        .and(page.locator('[data-message-id]'))
        .waitFor();
      const last = await bubbles(page, 'visitor').last().getAttribute('data-message-id');
      w.inject({ type: 'message.read', sessionId, upTo: last, at: new Date().toISOString() });
      w.inject({ type: 'typing', sessionId, from: { role: 'agent', id: holder.id }, typing: true });
      await page
        .locator('#typing')
        .filter({ hasText: say(locale, `${holder.name} is typing…`, `${holder.name} 正在输入…`) })
        .waitFor();
      await bubbles(page, 'visitor').last().locator('.read-mark').waitFor();
      await shoot(page, 'widget-agent', locale);
      expect(await accessibilityProblems(page)).toEqual([]);

      // A photo and a file from the agent.
      await page.route('**/api/attachments/**', (route) =>
        route.fulfill({ status: 200, contentType: 'image/png', body: photo() }),
      );
      w.inject({
        type: 'message',
        sessionId,
        messageId: `test-photo-${locale}`,
        from: { role: 'agent', id: holder.id, name: holder.name },
        text: say(locale, 'This is where to find the invoice number:', '发票号码在这里：'),
        at: new Date().toISOString(),
        attachments: [
          {
            attachmentId: 'p1',
            name: 'receipt.png',
            size: 48_213,
            contentType: 'image/png',
            url: '/api/attachments/p1',
          },
          {
            attachmentId: 'f1',
            name: say(locale, 'invoice-guide.pdf', '开票指南.pdf'),
            size: 245_760,
            contentType: 'application/pdf',
            url: '/api/attachments/f1',
          },
        ],
      });
      const img = page.locator('#messages .attachment-image img').last();
      await waitFor('the photo drawn', async () =>
        (await img.evaluate((el) => (el as unknown as { naturalWidth: number }).naturalWidth)) > 0 ? true : undefined,
      );
      await page.locator('#messages .attachment-file').last().scrollIntoViewIfNeeded();
      await shoot(page, 'widget-photo', locale);
      expect(await accessibilityProblems(page)).toEqual([]);

      await page.locator('#end').click();
      await page
        .locator('#notice')
        .filter({ hasText: say(locale, 'The chat has ended (you left).', '对话已结束（您已离开）。') })
        .waitFor();
      await page.locator('#suggestions').waitFor({ state: 'visible' });
      await shoot(page, 'widget-ended', locale);
      expect(await accessibilityProblems(page)).toEqual([]);

      for (const viewport of [SCREEN, PHONE]) {
        const index = await open('/', viewport, undefined, { locale });
        await index.locator('#embed-code').filter({ hasText: ui.base }).waitFor();
        await index.locator('.cschat-bubble').waitFor();
        if (viewport === SCREEN) await shoot(index, 'index', locale);
        expect([locale, viewport.width, await accessibilityProblems(index)]).toEqual([locale, viewport.width, []]);
      }
      expect(errors).toEqual([]);
    }, 120_000);
  }

  // ---- satisfaction (PROTOCOL second edition: csat.request / csat.submit), real server

  for (const locale of LOCALES) {
    it(`satisfaction in ${locale}: the agent ends, the stars come, the visitor rates by keyboard, thanks, never asked again`, async () => {
      const agents = [await signIn('alice'), await signIn('bob')];
      const w = await openWidget(locale);
      const { page } = w;
      await w.write(say(locale, 'Where is my parcel?', '我的包裹在哪里？'));
      await bubbles(page, 'visitor').and(page.locator('[data-message-id]')).first().waitFor();
      const { sessionId, agent } = await human(w, agents);
      const reply = agent.getByLabel('Reply', { exact: true });
      await reply.fill(say(locale, 'It arrives tomorrow.', '明天送到。'));
      await reply.press('Enter');
      await bubbles(page, 'agent').first().waitFor();
      // Not asked while the chat goes on.
      expect(await page.locator('#csat').isHidden()).toBe(true);

      await agent.locator('#end').click();
      await page.locator('#csat').waitFor({ state: 'visible' });
      expect(w.sent.some((f) => f.type === 'csat.submit')).toBe(false);
      // Five stars in one named group, each a radio with its words.
      const group = page.getByRole('group', {
        name: say(locale, 'Your rating, from 1 (very bad) to 5 (great)', '您的评分，1（很差）到 5（很好）'),
      });
      expect(await group.getByRole('radio').count()).toBe(5);
      const send = page.locator('#csat-send');
      expect(await send.isDisabled()).toBe(true);
      // The keyboard: focus the first star, arrows move the choice, the comment, Enter sends.
      await page.getByRole('radio', { name: say(locale, '1 star: very bad', '1 星：很差') }).focus();
      await page.keyboard.press('Space');
      for (let i = 0; i < 3; i++) await page.keyboard.press('ArrowRight');
      expect(await page.getByRole('radio', { name: say(locale, '4 stars: good', '4 星：满意') }).isChecked()).toBe(
        true,
      );
      expect(await page.locator('#csat .csat-star.lit').count()).toBe(4);
      await page
        .getByLabel(say(locale, 'Anything to add? (optional)', '还有什么想说的吗？（选填）'))
        .fill(say(locale, '  Quick and friendly  ', '  又快又热情  '));
      await shoot(page, 'widget-csat', locale);
      expect(await accessibilityProblems(page)).toEqual([]);
      await send.click();

      await page
        .locator('#csat-thanks')
        .filter({ hasText: say(locale, 'Thank you for your feedback!', '感谢您的评价！') })
        .waitFor();
      expect(await page.locator('#csat').isHidden()).toBe(true);
      expect(w.sent.filter((f) => f.type === 'csat.submit')).toEqual([
        expect.objectContaining({
          type: 'csat.submit',
          sessionId,
          rating: 4,
          comment: say(locale, 'Quick and friendly', '又快又热情'),
        }),
      ]);
      expect(await accessibilityProblems(page)).toEqual([]);

      // After a reload: not asked again, even when the server's question comes once more.
      await page.reload();
      await bubbles(page, 'agent').first().waitFor();
      w.inject({ type: 'csat.request', sessionId });
      // A question for a session that is not this widget's is not shown either.
      w.inject({ type: 'csat.request', sessionId: 'not-this-one' });
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(await page.locator('#csat').isHidden()).toBe(true);
      expect(errors).toEqual([]);
    }, 120_000);
  }

  it('satisfaction: asked before a reload and not answered, the stars are back after it; a new chat takes them away', async () => {
    const agents = [await signIn('alice'), await signIn('bob')];
    const w = await openWidget('en');
    const { page } = w;
    await w.write('a question');
    await bubbles(page, 'visitor').and(page.locator('[data-message-id]')).first().waitFor();
    const { agent } = await human(w, agents);
    await agent.locator('#end').click();
    await page.locator('#csat').waitFor({ state: 'visible' });

    await page.reload();
    await page.locator('#csat').waitFor({ state: 'visible' });
    await w.write('something else');
    await page.locator('#csat').waitFor({ state: 'hidden' });
    await page.reload();
    await bubbles(page, 'visitor', 'something else').waitFor();
    expect(await page.locator('#csat').isHidden()).toBe(true);
    await page.locator('#end').click();
    await page.locator('#notice').filter({ hasText: 'The chat has ended' }).waitFor();
    expect(errors).toEqual([]);
  }, 90_000);

  // ---- against the real backends of issue 20 (names, live conversation, attachments)

  it('real server: the agent named, typing and read receipts both ways, a photo uploaded', async () => {
    const agents = [await signIn('alice'), await signIn('bob')];
    const w = await openWidget('en');
    const { page } = w;
    await w.write('a question about my delivery');
    const { sessionId, agent } = await human(w, agents);
    const username = (await agent.title()).toLowerCase().endsWith('bob') ? 'bob' : 'alice';
    const name = username === 'bob' ? 'Bob' : 'Alice';
    await page
      .locator('#notice')
      .filter({ hasText: `Agent ${name} joined the chat.` })
      .waitFor();

    const { body } = await http(ui.base).post('/api/agents/login', { companyId: 'demo', username, password: 'demo' });
    const socket = await Client.open(`${ui.base.replace('http', 'ws')}/ws/agent?token=${String(body['token'])}`);
    try {
      // The agent types: the visitor sees the name.
      socket.send({ type: 'typing', sessionId, typing: true });
      await page
        .locator('#typing')
        .filter({ hasText: `${name} is typing…` })
        .waitFor();
      // The visitor types: the agent is told.
      await page.locator('#text').pressSequentially('still there?', { delay: 50 });
      await socket.next((f) => f.type === 'typing' && f['sessionId'] === sessionId && f['typing'] === true, 'typing');
      await page.locator('#text').press('Enter');
      await bubbles(page, 'visitor', 'still there?').and(page.locator('[data-message-id]')).waitFor();

      // The agent reads: "Read" under the visitor's messages.
      socket.send({ type: 'session.read', sessionId });
      await bubbles(page, 'visitor', 'still there?').locator('.read-mark').waitFor();

      // The agent writes; the visitor, seeing it, sends session.read: the agent gets message.read.
      const reply = agent.getByLabel('Reply', { exact: true });
      await reply.fill('Yes, I am here');
      await reply.press('Enter');
      await bubbles(page, 'agent', 'Yes, I am here').locator('.who').filter({ hasText: name }).waitFor();
      await socket.next((f) => f.type === 'message.read' && f['sessionId'] === sessionId, 'message.read');

      // A photo through POST /api/uploads: the visitor sees the thumbnail, the agent the attachment.
      await page.locator('#file').setInputFiles({ name: 'photo.png', mimeType: 'image/png', buffer: photo() });
      const img = page.locator('#messages .bubble.visitor .attachment-image img').last();
      await waitFor('the photo drawn', async () =>
        (await img.evaluate((el) => (el as unknown as { naturalWidth: number }).naturalWidth)) > 0 ? true : undefined,
      );
      const delivered = await socket.next(
        (f) => f.type === 'message' && Array.isArray(f['attachments']) && f['sessionId'] === sessionId,
        'the photo',
      );
      expect((delivered['attachments'] as { name: string; contentType: string }[])[0]).toMatchObject({
        name: 'photo.png',
        contentType: 'image/png',
      });
    } finally {
      socket.close();
    }
    await page.locator('#end').click();
    await page.locator('#notice').filter({ hasText: 'The chat has ended' }).waitFor();
    expect(errors).toEqual([]);
  }, 90_000);
});
