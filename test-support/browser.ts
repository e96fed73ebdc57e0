// The web UI in a real browser: Debian's Chromium driven by playwright-core (browsers are never
// downloaded), against the embedded app on a fresh data folder. Without Chromium a suite is
// skipped, unless REQUIRE_INFRA=1 (CI), where it fails.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createLogger, loadConfig } from '@cschat/infra';
import { createApp, type App } from '../scripts/src/app';
import { infraRequired } from './servers';

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
/** Screenshots, kept as test artifacts (the README shows copies from docs/screenshots/). */
export const SHOTS = path.resolve(__dirname, '../artifacts/screenshots');
export const PHONE = { width: 375, height: 667 };
export const SCREEN = { width: 1024, height: 720 };

export interface InBrowser {
  /** http://127.0.0.1:<port> of the app. */
  base: string;
  /** Uncaught errors of every page opened so far (`url: message`). */
  readonly errors: string[];
  /** The embedded app itself, for what only the server can tell (stored secrets). */
  app: App;
  /**
   * A page in a context of its own (its own storage); `before` runs before it navigates; `locale`
   * is the browser's language (navigator.language, Accept-Language), en-US when not given.
   */
  readonly open: (
    url: string,
    viewport: { width: number; height: number },
    before?: (page: Page) => Promise<void>,
    locale?: string,
  ) => Promise<Page>;
}

/** axe-core's WCAG 2 A/AA rules in the page: the violations that are serious or critical. */
export const accessibilityProblems = async (page: Page): Promise<string[]> => {
  await page.addScriptTag({ path: require.resolve('axe-core') });
  const result = await page.evaluate<{
    violations: { id: string; impact: string; nodes: { target: string[] }[] }[];
  }>("axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa'] } })");
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
};

export const describeInBrowser = (title: string, body: (ui: InBrowser) => void): void => {
  const why = existsSync(CHROMIUM)
    ? undefined
    : `no Chromium at ${CHROMIUM} (scripts/infra/chromium.sh up, or set CHROMIUM_PATH)`;
  if (why !== undefined && !infraRequired()) {
    describe.skip(title, () => {
      it(`skipped: ${why}`, () => undefined);
    });
    console.warn(`skipping ${title}: ${why}`);
    return;
  }
  describe(title, () => {
    let dataDir: string | undefined;
    let app: App | undefined;
    let browser: Browser | undefined;
    const ui: InBrowser = {
      base: '',
      get app(): App {
        return app!;
      },
      errors: [],
      open: async (url, viewport, before, locale = 'en-US') => {
        const context = await browser!.newContext({ viewport, locale });
        const page = await context.newPage();
        page.on('pageerror', (error) => ui.errors.push(`${url}: ${error.message}`));
        await before?.(page);
        await page.goto(`${ui.base}${url}`);
        return page;
      },
    };

    beforeAll(async () => {
      if (why !== undefined) throw new Error(`REQUIRE_INFRA=1 but ${why}`);
      mkdirSync(SHOTS, { recursive: true });
      dataDir = mkdtempSync(path.join(tmpdir(), 'cschat-browser-'));
      // Warnings and errors reach the test's output (a slow stop says which step held it).
      const logger = createLogger({
        level: 'warn',
        name: 'app',
        destination: { write: (line: string) => void process.stderr.write(line) },
      });
      app = createApp(loadConfig({ DATA_DIR: dataDir, PORT: '0' }), logger);
      await app.start();
      ui.base = `http://127.0.0.1:${app.frontDoor!.port}`;
      browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
    }, 60_000);

    afterAll(async () => {
      // On a loaded 2-core machine closing Chromium alone has taken over 20 s: each step is timed
      // and reported when slow, and the hook has a minute.
      for (const [name, stop] of [
        ['browser', () => browser?.close()],
        ['app', () => app?.stop()],
      ] as const) {
        const started = Date.now();
        await stop();
        const took = Date.now() - started;
        if (took > 5000) console.warn(`closing the ${name} took ${took} ms`);
      }
      if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
    }, 60_000);

    body(ui);
  });
};
