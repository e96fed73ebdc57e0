// The web UI in a real browser (Debian's Chromium driven by playwright-core): an agent in the
// console and a visitor in the widget, side by side, on the embedded app with a fresh data folder.
// Without the browser the suite is skipped, unless REQUIRE_INFRA=1 (CI).
import * as path from 'node:path';
import type { Page, WebSocketRoute } from 'playwright-core';
import { Client, http } from '../../../test-support/clients';
import { waitFor } from '../../../test-support/wait';
import { WEB_FILES } from '../../../gateways/src/web/static';
import { accessibilityProblems, describeInBrowser, PHONE, SCREEN, SHOTS } from '../../../test-support/browser';

const TITLE = '[browser] the web UI: widget and agent console';

describeInBrowser(TITLE, (ui) => {
  const { open, errors } = ui;

  it('serves only the fixed files, with their content types', async () => {
    const TYPE: Record<string, string> = {
      html: 'text/html',
      js: 'text/javascript',
      css: 'text/css',
      svg: 'image/svg+xml',
    };
    expect(Object.keys(WEB_FILES).length).toBeGreaterThanOrEqual(11);
    for (const [url, file] of Object.entries(WEB_FILES)) {
      const type = TYPE[file.split('.').pop()!]!;
      const response = await fetch(`${ui.base}${url}`);
      expect([url, response.status]).toEqual([url, 200]);
      expect(response.headers.get('content-type')).toContain(type);
    }
    for (const url of ['/static.ts', '/..%2fpackage.json', '/widget.html/../../package.json', '/web/widget.js']) {
      expect([url, (await fetch(`${ui.base}${url}`)).status]).toEqual([url, 404]);
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
    await visitor.locator('#messages .bubble.visitor').filter({ hasText: '怎么开发票' }).waitFor({ state: 'visible' });
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

  const helloText = 'Hello, this is the support team. How can I help you today?';

  /** The visitor's current session, as the widget remembers it. */
  const sessionOf = async (visitor: Page): Promise<string> => {
    return waitFor(
      'the widget to remember its session',
      async () => (await visitor.evaluate<string | null>("localStorage.getItem('cschat.sessionId.demo')")) ?? undefined,
    );
  };

  const askForHuman = async (visitor: Page): Promise<string> => {
    await visitor.getByRole('button', { name: 'Talk to a human' }).click();
    await visitor.locator('#notice').filter({ hasText: 'agent' }).waitFor({ state: 'visible' });
    return sessionOf(visitor);
  };

  const say = async (page: Page, label: string, text: string): Promise<void> => {
    const box = page.getByLabel(label, { exact: true });
    await box.fill(text);
    await box.press('Enter');
  };

  const bubbles = (page: Page, role: string, text: string) =>
    page.locator(`#messages .bubble.${role}`).filter({ hasText: text });

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

  it('FAQ answer, a human, the red dot, a canned reply, a transfer to bob in a third page, the visitor ends', async () => {
    const alice = await signIn('alice');

    // An FAQ question from the suggestions gets the bot's answer.
    const visitor = await open('/widget.html?company=demo', PHONE);
    const suggestion = visitor.locator('#suggestions .suggestion').first();
    await suggestion.waitFor({ state: 'visible' });
    const question = (await suggestion.textContent())!;
    await suggestion.click();
    await bubbles(visitor, 'visitor', question).waitFor({ state: 'visible' });
    await visitor.locator('#messages .bubble.bot:not(.greeting)').first().waitFor({ state: 'visible' });

    // A human: alice (the only idle agent) gets the session, unread, with the question as its preview.
    const sessionId = await askForHuman(visitor);
    const row = alice.locator(`#sessions .session[data-session-id="${sessionId}"]`);
    await row.locator('.unread-dot[aria-label="unread"]').waitFor({ state: 'visible' });
    expect(await row.locator('.wait').textContent()).toMatch(/^waiting \d+ s$/);

    // Opening it loads the history and clears the dot.
    await row.click();
    await bubbles(alice, 'visitor', question).waitFor({ state: 'visible' });
    await row.locator('.unread-dot').waitFor({ state: 'detached' });

    // "/hel" lists the company's "hello" response; Enter puts its text in the box, Enter again sends it.
    const reply = alice.getByLabel('Reply', { exact: true });
    await reply.fill('/hel');
    await alice.locator('#canned [role="option"][aria-selected="true"][data-shortcut="hello"]').waitFor();
    await reply.press('Enter');
    await alice.locator('#canned').waitFor({ state: 'hidden' });
    expect(await reply.inputValue()).toBe(helloText);
    await reply.press('Enter');
    await bubbles(visitor, 'agent', helloText).waitFor({ state: 'visible' });

    // bob signs in on a third page; alice transfers the session to him.
    const bob = await signIn('bob');
    await alice.locator('#transfer-target option[value="agent:bob"]').waitFor({ state: 'attached' });
    await alice.getByLabel('Transfer to').selectOption('agent:bob');
    await alice.getByRole('button', { name: 'Transfer', exact: true }).click();
    const bobRow = bob.locator(`#sessions .session[data-session-id="${sessionId}"]`);
    await bobRow.waitFor({ state: 'visible' });
    await alice.locator(`#sessions .session[data-session-id="${sessionId}"]`).waitFor({ state: 'detached' });
    await alice.locator('#messages .bubble.system').filter({ hasText: 'Transferred to bob' }).waitFor();
    expect(await alice.locator('#transfer-error').textContent()).toBe('');

    // The panel shows bob with load/capacity, and the group's queue.
    await alice.locator('#colleagues li[data-agent-id="bob"]').filter({ hasText: '1/2' }).waitFor();
    await alice.locator('#queues li[data-group-id="support"]').filter({ hasText: 'waiting' }).waitFor();

    // The visitor writes while bob has another page in front: his title counts it, his list shows the dot.
    await say(visitor, 'Your message', 'Are you still there?');
    await bob.waitForFunction("document.title.startsWith('(1) ')");
    await bobRow.locator('.unread-dot').waitFor({ state: 'visible' });
    await bobRow.click();
    await bubbles(bob, 'visitor', 'Are you still there?').waitFor({ state: 'visible' });
    await bubbles(bob, 'agent', helloText).waitFor({ state: 'visible' }); // alice's reply, from the history
    expect(await bob.title()).toMatch(/^Agent console: bob$/i); // the name once the board has it, the id before
    await say(bob, 'Reply', 'bob here, I have your case');
    await bubbles(visitor, 'agent', 'bob here, I have your case').waitFor({ state: 'visible' });

    await visitor.screenshot({ path: path.join(SHOTS, 'widget.png') });
    await bob.screenshot({ path: path.join(SHOTS, 'console.png') });

    // The visitor ends: both sides are told.
    await visitor.getByRole('button', { name: 'End chat' }).click();
    await visitor.locator('#notice').filter({ hasText: 'The chat has ended (you left)' }).waitFor();
    await bob.locator('#messages .bubble.system').filter({ hasText: 'Session ended (visitor)' }).waitFor();

    expect(errors).toEqual([]);
  }, 90_000);

  it('on a goodbye the real bot asks with an end button, on "one more question" it does not, and the button ends the chat', async () => {
    const visitor = await open('/widget.html?company=demo', { width: 375, height: 667 });
    await visitor.locator('#suggestions .suggestion').first().waitFor({ state: 'visible' });
    const input = visitor.getByLabel('Your message', { exact: true });
    const botReplies = visitor.locator('#messages .bubble.bot:not(.greeting)');
    const offer = visitor.locator('#messages .bubble.bot .bubble-action');
    const say = async (text: string, replies: number) => {
      await input.fill(text);
      await input.press('Enter');
      await waitFor(`bot reply ${replies}`, async () => ((await botReplies.count()) === replies ? true : undefined));
    };
    await say('bye', 1);
    await offer.waitFor({ state: 'visible' });
    expect(await offer.textContent()).toBe('End chat');
    await say('one more question', 2);
    expect(await offer.count()).toBe(0);
    await say('bye', 3);
    await offer.click();
    await visitor.locator('#notice').filter({ hasText: 'The chat has ended (you left)' }).waitFor();
    expect(errors).toEqual([]);
  }, 60_000);

  it('delivers once what was sent while the network dropped, and shows it again after a reload', async () => {
    const agents = [await signIn('alice'), await signIn('bob')];
    // The test sits between the widget and the server: it can swallow a frame or an answer and cut the line.
    let cut: 'none' | 'before-server' | 'before-ack' = 'none';
    let cuts = 0;
    const visitor = await open('/widget.html?company=demo', PHONE, async (page) => {
      await page.routeWebSocket(/\/ws\/visitor/, (ws) => {
        const server = ws.connectToServer();
        const hangUp = () => {
          cuts += 1;
          cut = 'none';
          void ws.close({ code: 4000, reason: 'network dropped (test)' });
          void server.close();
        };
        let swallowAckOf: string | undefined;
        ws.onMessage((message) => {
          const frame = JSON.parse(String(message)) as { type?: string; id?: string };
          if (frame.type === 'message.send' && cut === 'before-server') return hangUp();
          if (frame.type === 'message.send' && cut === 'before-ack') swallowAckOf = frame.id;
          server.send(message);
        });
        server.onMessage((message) => {
          const frame = JSON.parse(String(message)) as { type?: string; id?: string };
          if (swallowAckOf !== undefined && frame.id === swallowAckOf) {
            swallowAckOf = undefined;
            return hangUp();
          }
          ws.send(message);
        });
      });
    });
    await visitor.locator('#suggestions .suggestion').first().waitFor({ state: 'visible' });
    await say(visitor, 'Your message', 'hello there');
    await bubbles(visitor, 'visitor', 'hello there').and(visitor.locator('.bubble:not(.pending)')).waitFor();
    const sessionId = await askForHuman(visitor);
    const agent = await holderOf(sessionId, agents);
    await agent.locator(`#sessions .session[data-session-id="${sessionId}"]`).click();
    await bubbles(agent, 'visitor', 'hello there').waitFor({ state: 'visible' });

    // 1. The line drops before the message reaches the server; 2. it reaches the server but the ack is lost.
    for (const [mode, text] of [
      ['before-server', 'sent into a dead line'],
      ['before-ack', 'stored, answer lost'],
    ] as const) {
      cut = mode;
      await say(visitor, 'Your message', text);
      await waitFor(`the test to cut the line (${mode})`, async () => (cut === 'none' ? true : undefined));
      await bubbles(visitor, 'visitor', text)
        .and(visitor.locator('.bubble:not(.pending)'))
        .waitFor({ timeout: 20_000 });
      await bubbles(agent, 'visitor', text).waitFor({ state: 'visible' });
    }
    expect(cuts).toBe(2);
    await say(visitor, 'Your message', 'and one more');
    await bubbles(agent, 'visitor', 'and one more').waitFor({ state: 'visible' });

    // Exactly once, on the agent's screen and in the stored history.
    const { body: staff } = await http(ui.base).post('/api/agents/login', {
      companyId: 'demo',
      username: 'alice',
      password: 'demo',
    });
    const token = String(staff['token']);
    const history = (await (
      await fetch(`${ui.base}/api/sessions/${sessionId}/messages?limit=200`, {
        headers: { authorization: `Bearer ${token}` },
      })
    ).json()) as { messages: { text: string }[] };
    for (const text of ['sent into a dead line', 'stored, answer lost']) {
      expect([text, await bubbles(agent, 'visitor', text).count()]).toEqual([text, 1]);
      expect([text, history.messages.filter((m) => m.text === text).length]).toEqual([text, 1]);
      expect([text, await bubbles(visitor, 'visitor', text).count()]).toEqual([text, 1]);
    }

    // A reload shows the conversation so far, each message once, and the widget still chats.
    await visitor.reload();
    await bubbles(visitor, 'visitor', 'and one more').waitFor({ state: 'visible' });
    for (const text of ['hello there', 'sent into a dead line', 'stored, answer lost', 'and one more']) {
      expect([text, await bubbles(visitor, 'visitor', text).count()]).toEqual([text, 1]);
    }
    await say(visitor, 'Your message', 'after the reload');
    await bubbles(agent, 'visitor', 'after the reload').waitFor({ state: 'visible' });

    await visitor.getByRole('button', { name: 'End chat' }).click();
    await visitor.locator('#notice').filter({ hasText: 'The chat has ended' }).waitFor();
    expect(errors).toEqual([]);
  }, 90_000);

  it('pages the history: the newest first, older ones on scrolling up, each once and in order', async () => {
    const agents = [await signIn('alice'), await signIn('bob')];
    const api = http(ui.base);
    const { body } = await api.post('/api/visitors/login', { companyId: 'demo' });
    const client = await Client.open(`${ui.base.replace('http', 'ws')}/ws/visitor?token=${String(body['token'])}`);
    try {
      const count = 45;
      for (let i = 1; i <= count; i++) {
        const ack = await client.request({ type: 'message.send', text: `line ${i}`, clientMsgId: `line-${i}` });
        expect(ack.type).toBe('ack');
        await new Promise((resolve) => setTimeout(resolve, 60)); // under the 20 frames/s limit
      }
      const human = await client.request({ type: 'human.request' });
      expect(human['state']).toBe('assigned');
      const sessionId = String(human['sessionId']);
      const agent = await holderOf(sessionId, agents);
      await agent.locator(`#sessions .session[data-session-id="${sessionId}"]`).click();
      await bubbles(agent, 'visitor', `line ${count}`).waitFor({ state: 'visible' });
      const older = agent.getByRole('button', { name: 'Load earlier messages' });
      await older.waitFor({ state: 'visible' });
      expect(await agent.locator('#messages .bubble').count()).toBeLessThan(count);

      // Scrolling to the top loads the page before, until there is none.
      while (await older.isVisible()) {
        const shown = await agent.locator('#messages .bubble').count();
        await agent.locator('#messages').evaluate((el: { scrollTop: number }) => (el.scrollTop = 0));
        await waitFor('an older page', async () =>
          (await agent.locator('#messages .bubble').count()) > shown || !(await older.isVisible()) ? true : undefined,
        );
      }
      const lines = await agent.locator('#messages .bubble.visitor .text').allTextContents();
      expect(lines).toEqual(Array.from({ length: count }, (_, i) => `line ${i + 1}`));
      await client.request({ type: 'session.end' });
    } finally {
      client.close();
    }
    expect(errors).toEqual([]);
  }, 90_000);

  it('passes the WCAG 2 A/AA checks of axe-core on every page, in use', async () => {
    const agents = [await signIn('alice'), await signIn('bob')];
    const visitor = await open('/widget.html?company=demo', PHONE);
    await visitor.locator('#suggestions .suggestion').first().click();
    await visitor.locator('#messages .bubble.bot:not(.greeting)').first().waitFor({ state: 'visible' });
    const sessionId = await askForHuman(visitor);
    const agent = await holderOf(sessionId, agents);
    await agent.locator(`#sessions .session[data-session-id="${sessionId}"]`).click();
    await agent.locator('#messages .bubble.visitor').first().waitFor({ state: 'visible' });
    const index = await open('/', SCREEN);
    const signInPage = await open('/console.html', SCREEN);
    for (const [name, page] of [
      ['widget', visitor],
      ['console', agent],
      ['console sign-in', signInPage],
      ['index', index],
    ] as const) {
      expect([name, await accessibilityProblems(page)]).toEqual([name, []]);
    }
    await visitor.getByRole('button', { name: 'End chat' }).click();
    expect(errors).toEqual([]);
  }, 60_000);

  it('puts the chat bubble on any page with one script tag', async () => {
    const page = await open('/', SCREEN);
    const bubble = page.getByRole('button', { name: 'Chat with us' });
    await bubble.waitFor({ state: 'visible' });
    expect(await bubble.getAttribute('aria-expanded')).toBe('false');
    await bubble.click();
    expect(await bubble.getAttribute('aria-expanded')).toBe('true');
    const frame = page.frameLocator('iframe.cschat-frame');
    await frame.locator('#suggestions .suggestion').first().waitFor({ state: 'visible' });
    await bubble.click();
    await page.locator('iframe.cschat-frame').waitFor({ state: 'hidden' });
    expect(errors).toEqual([]);
  }, 60_000);

  // ---- the console's sign-in and presence (PROTOCOL, second edition: Presence)

  const SIGN_IN_KEY = 'cschat.console.signIn';
  interface SavedSignIn {
    token: string;
    agentId: string;
    companyId: string;
    expiresAt: number;
  }

  const savedSignIn = async (page: Page): Promise<SavedSignIn | null> =>
    JSON.parse((await page.evaluate<string | null>(`localStorage.getItem('${SIGN_IN_KEY}')`)) ?? 'null') as SavedSignIn;

  /** What GET /api/agents says of `agentId`'s status, once it says `expected` (the read model follows). */
  const serverSays = (agentId: string, token: string, expected: string): Promise<true> =>
    waitFor(`GET /api/agents to report ${agentId} ${expected}`, async () => {
      const { status, body } = await http(ui.base).get('/api/agents', token);
      const agents = status === 200 ? (body['agents'] as { agentId: string; status: string }[]) : [];
      return agents.find((a) => a.agentId === agentId)?.status === expected ? true : undefined;
    });

  const freshToken = async (username: string): Promise<string> => {
    const { body } = await http(ui.base).post('/api/agents/login', { companyId: 'demo', username, password: 'demo' });
    return String(body['token']);
  };

  /** A token-shaped string whose payload is `claims`, signed with nothing the server knows. */
  const forgedToken = (claims: Record<string, unknown>): string =>
    [{ alg: 'HS256', typ: 'JWT' }, claims]
      .map((part) => Buffer.from(JSON.stringify(part)).toString('base64url'))
      .join('.') + '.not-the-signature';

  it('keeps the console signed in across a reload, showing the status the server has', async () => {
    const alice = await signIn('alice');
    const saved = (await savedSignIn(alice))!;
    expect(saved).toMatchObject({ agentId: 'alice', companyId: 'demo' });
    const { exp } = JSON.parse(Buffer.from(saved.token.split('.')[1]!, 'base64url').toString()) as { exp: number };
    expect(saved.expiresAt).toBe(exp * 1000);
    expect(await alice.locator('#signed-in-as').textContent()).toMatch(/^Signed in as alice$/i);

    // alice changes her status elsewhere: the page shows what the server pushes, not what it chose.
    const elsewhere = await Client.open(`${ui.base.replace('http', 'ws')}/ws/agent?token=${saved.token}`);
    try {
      expect((await elsewhere.request({ type: 'agent.status', status: 'busy' }))['status']).toBe('busy');
    } finally {
      elsewhere.close();
    }
    await alice.locator('#status[data-confirmed="busy"]').waitFor({ state: 'attached' });

    // A reload: straight back in as alice, no form, and the status is the server's.
    await alice.reload();
    await alice.locator('#app').waitFor({ state: 'visible' });
    expect(await alice.locator('#login').isHidden()).toBe(true);
    await alice.locator('#status[data-confirmed="busy"]').waitFor({ state: 'attached' });
    expect(await alice.getByLabel('Status').inputValue()).toBe('busy');
    expect(await alice.title()).toMatch(/^Agent console: alice$/i);
    expect(await alice.locator('#signed-in-as').textContent()).toMatch(/^Signed in as alice$/i);
    expect((await savedSignIn(alice))?.token).toBe(saved.token);
    await serverSays('alice', saved.token, 'busy');
    expect(errors).toEqual([]);
  }, 60_000);

  it('goes Offline from the status control: the server reports it, and the hint says what becomes of the sessions', async () => {
    const bob = await signIn('bob');
    const { token } = (await savedSignIn(bob))!;
    const status = bob.getByLabel('Status');
    expect(await status.getAttribute('aria-describedby')).toBe('status-hint');
    expect(await bob.locator('#status-hint').textContent()).toMatch(
      /^Offline: open sessions go back to the queue after /,
    );

    // bob (the only idle agent) takes a visitor, then goes offline holding it.
    const visitor = await open('/widget.html?company=demo', PHONE);
    await visitor.locator('#suggestions .suggestion').first().waitFor({ state: 'visible' });
    await say(visitor, 'Your message', 'a question about my delivery');
    await bubbles(visitor, 'visitor', 'a question about my delivery')
      .and(visitor.locator('.bubble:not(.pending)'))
      .waitFor();
    const sessionId = await askForHuman(visitor);
    await bob.locator(`#sessions .session[data-session-id="${sessionId}"]`).waitFor({ state: 'visible' });

    await status.selectOption('offline');
    await bob.locator('#status[data-confirmed="offline"]').waitFor({ state: 'attached' });
    await bob.locator('#status-hint').filter({ hasText: 'your 1 open session goes back to the queue' }).waitFor();
    await serverSays('bob', token, 'offline');

    await visitor.getByRole('button', { name: 'End chat' }).click();
    await visitor.locator('#notice').filter({ hasText: 'The chat has ended' }).waitFor();
    expect(errors).toEqual([]);
  }, 60_000);

  it('signs out: offline on the server, the saved sign-in gone, the form back; signing in again shows the kept status', async () => {
    const bob = await signIn('bob');
    await bob.getByRole('button', { name: 'Sign out' }).click();
    await bob.locator('#login').waitFor({ state: 'visible' });
    expect(await bob.locator('#app').isHidden()).toBe(true);
    expect(await bob.locator('#login-notice').textContent()).toBe('You have signed out.');
    expect(await bob.evaluate<string | null>(`localStorage.getItem('${SIGN_IN_KEY}')`)).toBeNull();
    expect(await bob.title()).toBe('Agent console');
    await serverSays('bob', await freshToken('bob'), 'offline');

    // A reload stays signed out; signing in again shows the status the server kept, not an assumed one.
    await bob.reload();
    await bob.locator('#login').waitFor({ state: 'visible' });
    await bob.getByLabel('Username').fill('bob');
    await bob.getByLabel('Password').fill('demo');
    await bob.getByRole('button', { name: 'Sign in' }).click();
    await bob.locator('#status[data-confirmed="offline"]').waitFor({ state: 'attached' });
    expect(await bob.getByLabel('Status').inputValue()).toBe('offline');
    expect((await savedSignIn(bob))?.agentId).toBe('bob');
    expect(errors).toEqual([]);
  }, 60_000);

  it('brings back the sign-in form with a message for a saved sign-in that is garbage, expired or refused', async () => {
    const page = await open('/console.html', SCREEN);
    await page.locator('#login').waitFor({ state: 'visible' });
    const hour = 3600;
    const now = Math.floor(Date.now() / 1000);
    const saved = (token: string) =>
      JSON.stringify({ token, agentId: 'alice', companyId: 'demo', expiresAt: (now + hour) * 1000 });
    const claims = { company: 'demo', role: 'agent', sub: 'alice', iss: 'cschat', iat: now };
    for (const [what, value, message] of [
      ['not JSON', '{"token": ', 'could not be read'],
      ['a token that is no JWT', saved('garbage'), 'could not be read'],
      ['an expired token', saved(forgedToken({ ...claims, exp: now - 60 })), 'has expired'],
      // Well-formed and not expired, so the page connects: the server closes the socket with 4401 (and HTTP says 401).
      ['a token the server refuses', saved(forgedToken({ ...claims, exp: now + hour })), 'no longer valid'],
    ] as const) {
      await page.evaluate(`localStorage.setItem('${SIGN_IN_KEY}', ${JSON.stringify(value)})`);
      await page.reload();
      await page.locator('#login-error').filter({ hasText: message }).waitFor({ timeout: 10_000 });
      expect([what, await page.locator('#login').isVisible(), await page.locator('#app').isHidden()]).toEqual([
        what,
        true,
        true,
      ]);
      expect([what, await page.evaluate<string | null>(`localStorage.getItem('${SIGN_IN_KEY}')`)]).toEqual([
        what,
        null,
      ]);
    }
    expect(await accessibilityProblems(page)).toEqual([]);
    expect(errors).toEqual([]);
  }, 60_000);

  // ---- the bot asks before a chat ends (PROTOCOL, second edition): `actions` on its message

  it("shows the bot's end action as a button under its bubble; pressing it ends the chat, writing on removes it", async () => {
    // This server does not send `actions` yet: the test stands between the widget and the real server
    // (as for the dropped line above) and puts the bot's question into the widget's socket. Everything
    // else, the session.end and its ack and the ended state, is the real server's.
    let toWidget: WebSocketRoute | undefined;
    const ends: unknown[] = [];
    const visitor = await open('/widget.html?company=demo', PHONE, async (page) => {
      await page.routeWebSocket(/\/ws\/visitor/, (ws) => {
        const server = ws.connectToServer();
        toWidget = ws;
        ws.onMessage((message) => {
          const frame = JSON.parse(String(message)) as { type?: string; id?: unknown };
          if (frame.type === 'session.end') ends.push(frame.id);
          server.send(message);
        });
      });
    });
    let injected = 0;
    /** A bot `message` into the widget's socket, as the server would send it, with `actions` when given. */
    const botSays = (sessionId: string, text: string, actions?: unknown[]): void =>
      void toWidget!.send(
        JSON.stringify({
          type: 'message',
          sessionId,
          messageId: `test-bot-${++injected}`,
          from: { role: 'bot' },
          text,
          at: new Date().toISOString(),
          ...(actions === undefined ? {} : { actions }),
        }),
      );
    const botAnswers = visitor.locator('#messages .bubble.bot:not(.greeting)');
    /** Says `text` and waits for the bot's real answer (a message without actions). */
    const sayToBot = async (text: string): Promise<void> => {
      const before = await botAnswers.count();
      await say(visitor, 'Your message', text);
      await waitFor(`the bot to answer "${text}"`, async () =>
        (await botAnswers.count()) > before ? true : undefined,
      );
    };
    const actions = visitor.locator('#messages .bubble-actions');

    await visitor.locator('#suggestions .suggestion').first().waitFor({ state: 'visible' });
    await sayToBot('xyzzy plugh');
    expect(await actions.count()).toBe(0); // a message without `actions` shows none
    const first = await sessionOf(visitor);

    // The question with a labelled end action (and one of a type the widget does not know).
    botSays(first, 'Is there anything else I can help you with?', [
      { type: 'session.end', label: 'Yes, end the chat' },
      { type: 'something.else', label: 'Not a button' },
    ]);
    const question = bubbles(visitor, 'bot', 'anything else I can help');
    const endIt = question.getByRole('button', { name: 'Yes, end the chat' });
    await endIt.waitFor({ state: 'visible' });
    expect(await question.getByRole('button').count()).toBe(1);
    expect(await accessibilityProblems(visitor)).toEqual([]);
    await visitor.screenshot({ path: path.join(SHOTS, 'widget-end-action.png') });

    // By keyboard: the visitor's own session.end, with an id; the ended notice follows and the button goes.
    await endIt.focus();
    await visitor.keyboard.press('Enter');
    await visitor.locator('#notice').filter({ hasText: 'The chat has ended (you left)' }).waitFor();
    await actions.waitFor({ state: 'detached' });
    expect(ends).toHaveLength(1);
    expect(typeof ends[0]).toBe('string');

    // A new session: an action without a label reads "End chat".
    await sayToBot('plover frobozz');
    const second = await waitFor('a new session', async () => {
      const id = await sessionOf(visitor);
      return id !== first ? id : undefined;
    });
    botSays(second, 'Shall we close this chat?', [{ type: 'session.end' }]);
    await bubbles(visitor, 'bot', 'Shall we close this chat?')
      .getByRole('button', { name: 'End chat', exact: true })
      .waitFor({ state: 'visible' });
    // Another message arriving takes it away, as does the visitor writing on.
    botSays(second, 'A plain message without actions.');
    await bubbles(visitor, 'bot', 'A plain message without actions.').waitFor({ state: 'visible' });
    await actions.waitFor({ state: 'detached' });
    botSays(second, 'Shall we close this chat now?', [{ type: 'session.end', label: 'End it' }]);
    await actions.getByRole('button', { name: 'End it' }).waitFor({ state: 'visible' });
    // (Words the bot does not know: today's bot still ends the chat itself on a goodbye.)
    await sayToBot('zorkmid grue');
    await actions.waitFor({ state: 'detached' });
    expect(ends).toHaveLength(1);

    await visitor.locator('#end').click();
    await visitor.locator('#notice').filter({ hasText: 'The chat has ended' }).waitFor();
    expect(ends).toHaveLength(2);
    expect(errors).toEqual([]);
  }, 60_000);
});
