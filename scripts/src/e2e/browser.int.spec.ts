// The web UI in a real browser (Debian's Chromium driven by playwright-core): an agent in the
// console and a visitor in the widget, side by side, on the embedded app with a fresh data folder.
// Without the browser the suite is skipped, unless REQUIRE_INFRA=1 (CI).
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { loadConfig, silentLogger } from '@cschat/infra';
import { infraRequired } from '../../../test-support/servers';
import { createApp, type App } from '../app';

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

const missing = (): string | undefined =>
  existsSync(CHROMIUM) ? undefined : `no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`;

const TITLE = '[browser] the web UI: widget and agent console';
const why = missing();

if (why !== undefined && !infraRequired()) {
  describe.skip(TITLE, () => {
    it(`skipped: ${why}`, () => undefined);
  });
  console.warn(`skipping ${TITLE}: ${why}`);
} else {
  describe(TITLE, () => {
    let dataDir: string;
    let app: App;
    let base: string;
    let browser: Browser;
    const errors: string[] = [];

    beforeAll(async () => {
      if (why !== undefined) throw new Error(`REQUIRE_INFRA=1 but ${why}`);
      dataDir = mkdtempSync(path.join(tmpdir(), 'cschat-browser-'));
      app = createApp(loadConfig({ DATA_DIR: dataDir, PORT: '0' }), silentLogger());
      await app.start();
      base = `http://127.0.0.1:${app.frontDoor!.port}`;
      browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
    }, 60_000);

    afterAll(async () => {
      await browser?.close();
      await app?.stop();
      if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
    });

    const open = async (url: string, viewport: { width: number; height: number }): Promise<Page> => {
      const context = await browser.newContext({ viewport });
      const page = await context.newPage();
      page.on('pageerror', (error) => errors.push(`${url}: ${error.message}`));
      await page.goto(`${base}${url}`);
      return page;
    };

    it('serves only the fixed files, with their content types', async () => {
      for (const [url, type] of [
        ['/', 'text/html'],
        ['/widget.html', 'text/html'],
        ['/console.html', 'text/html'],
        ['/widget.js', 'text/javascript'],
        ['/console.js', 'text/javascript'],
        ['/style.css', 'text/css'],
      ] as const) {
        const response = await fetch(`${base}${url}`);
        expect([url, response.status]).toEqual([url, 200]);
        expect(response.headers.get('content-type')).toContain(type);
      }
      for (const url of ['/static.ts', '/..%2fpackage.json', '/widget.html/../../package.json', '/web/widget.js']) {
        expect([url, (await fetch(`${base}${url}`)).status]).toEqual([url, 404]);
      }
    });

    it('carries a conversation from the widget to the console and back', async () => {
      // The agent signs in and goes idle.
      const agent = await open('/console.html', { width: 1024, height: 720 });
      await agent.getByLabel('Username').fill('alice');
      await agent.getByLabel('Password').fill('demo');
      await agent.getByRole('button', { name: 'Sign in' }).click();
      await agent.locator('#app').waitFor({ state: 'visible' });
      await agent.getByLabel('Status').selectOption('idle');
      await agent.locator('#status[data-confirmed="idle"]').waitFor({ state: 'attached' });

      // The visitor, on a phone-sized screen, sees the suggestions and asks the bot.
      const visitor = await open('/widget.html?company=demo', { width: 375, height: 667 });
      await visitor.locator('#suggestions .suggestion').first().waitFor({ state: 'visible' });
      const input = visitor.getByLabel('Your message', { exact: true });
      await input.fill('怎么开发票');
      await input.press('Enter');
      await visitor
        .locator('#messages .bubble.visitor')
        .filter({ hasText: '怎么开发票' })
        .waitFor({ state: 'visible' });
      await visitor.locator('#messages .bubble.bot:not(.greeting)').first().waitFor({ state: 'visible' });

      // A human: the session reaches alice's list, unread.
      await visitor.getByRole('button', { name: 'Talk to a human' }).click();
      await visitor.locator('#notice').filter({ hasText: 'agent' }).waitFor({ state: 'visible' });
      const row = agent.locator('#sessions .session').first();
      await row.waitFor({ state: 'visible' });
      await agent.locator('#sessions .unread-dot[aria-label="unread"]').waitFor({ state: 'visible' });

      // Opening it loads the history and clears the dot.
      await row.click();
      await agent.locator('#messages .bubble.visitor').filter({ hasText: '怎么开发票' }).waitFor({ state: 'visible' });
      await agent.locator('#sessions .unread-dot').waitFor({ state: 'detached' });

      // The reply reaches the visitor.
      const reply = agent.getByLabel('Reply', { exact: true });
      await reply.fill('Hello from alice');
      await reply.press('Enter');
      await visitor
        .locator('#messages .bubble.agent')
        .filter({ hasText: 'Hello from alice' })
        .waitFor({ state: 'visible' });

      expect(errors).toEqual([]);
    }, 60_000);

    const signIn = async (username: string): Promise<Page> => {
      const page = await open('/console.html', { width: 1024, height: 720 });
      await page.getByLabel('Username').fill(username);
      await page.getByLabel('Password').fill('demo');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.locator('#app').waitFor({ state: 'visible' });
      await page.getByLabel('Status').selectOption('idle');
      await page.locator('#status[data-confirmed="idle"]').waitFor({ state: 'attached' });
      return page;
    };

    it('inserts a canned response and transfers the session to a colleague', async () => {
      const alice = await signIn('alice');
      const bob = await signIn('bob');

      // A visitor asks for a human and gets one of the two.
      const visitor = await open('/widget.html?company=demo', { width: 375, height: 667 });
      await visitor.locator('#suggestions .suggestion').first().waitFor({ state: 'visible' });
      const input = visitor.getByLabel('Your message', { exact: true });
      await input.fill('Where is my parcel?');
      await input.press('Enter');
      await visitor.locator('#messages .bubble.bot:not(.greeting)').first().waitFor({ state: 'visible' });
      await visitor.getByRole('button', { name: 'Talk to a human' }).click();
      await visitor.locator('#notice').filter({ hasText: 'agent' }).waitFor({ state: 'visible' });

      const unreadRow = '#sessions .session:has(.unread-dot)';
      const [agent, other] = await Promise.any([
        alice
          .locator(unreadRow)
          .waitFor({ state: 'visible' })
          .then(() => [alice, bob] as const),
        bob
          .locator(unreadRow)
          .waitFor({ state: 'visible' })
          .then(() => [bob, alice] as const),
      ]);
      const row = agent.locator(unreadRow).first();
      const sessionId = await row.getAttribute('data-session-id');
      expect(sessionId).toBeTruthy();
      await row.click();
      await agent
        .locator('#messages .bubble.visitor')
        .filter({ hasText: 'Where is my parcel?' })
        .waitFor({ state: 'visible' });

      // "/hel" lists the company's "hello" response; Enter puts its text in the box, Enter again sends it.
      const reply = agent.getByLabel('Reply', { exact: true });
      await reply.fill('/hel');
      const hello = agent.locator('#canned [role="option"][data-shortcut="hello"]');
      await hello.waitFor({ state: 'visible' });
      await agent.locator('#canned [role="option"][aria-selected="true"][data-shortcut="hello"]').waitFor();
      await reply.press('Enter');
      await agent.locator('#canned').waitFor({ state: 'hidden' });
      const helloText = 'Hello, this is the support team. How can I help you today?';
      expect(await reply.inputValue()).toBe(helloText);
      await reply.press('Enter');
      await visitor.locator('#messages .bubble.agent').filter({ hasText: helloText }).waitFor({ state: 'visible' });

      // The transfer to the colleague: the session leaves this list and reaches theirs.
      const otherId = agent === alice ? 'bob' : 'alice';
      await agent.locator(`#transfer-target option[value="agent:${otherId}"]`).waitFor({ state: 'attached' });
      await agent.getByLabel('Transfer to').selectOption(`agent:${otherId}`);
      await agent.getByRole('button', { name: 'Transfer', exact: true }).click();
      await other.locator(`#sessions .session[data-session-id="${sessionId}"]`).waitFor({ state: 'visible' });
      await agent.locator(`#sessions .session[data-session-id="${sessionId}"]`).waitFor({ state: 'detached' });
      await agent
        .locator('#messages .bubble.system')
        .filter({ hasText: `Transferred to ${otherId}` })
        .waitFor();
      expect(await agent.locator('#transfer-error').textContent()).toBe('');

      // The panel shows the colleague with load/capacity.
      await agent.locator(`#colleagues li[data-agent-id="${otherId}"]`).filter({ hasText: '/2' }).waitFor();
      await agent.locator('#queues li[data-group-id="support"]').filter({ hasText: 'waiting' }).waitFor();

      expect(errors).toEqual([]);
    }, 60_000);
  });
}
