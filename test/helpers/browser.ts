import { accessSync, constants } from 'node:fs';
import { copyFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { ROOT } from './cli.js';

/**
 * A real headless browser for tests: Debian's `chromium` (apt-get install chromium), driven by
 * playwright-core, which never downloads a browser of its own. Typical use:
 *
 *   let b: TestBrowser;
 *   beforeAll(async () => { b = await launchBrowser(); });
 *   afterAll(() => b?.close());
 *   it('…', async () => {
 *     const page = await b.open(`${url}/console`);
 *     await page.getByText('thing_0').waitFor();
 *     await b.screenshot(page, 'console-things');
 *     expect(b.errors).toEqual([]);
 *   });
 *
 * Browser test files are named *.browser.test.ts (`make test-browser` runs only them).
 * There is no skip: without a browser launchBrowser() throws, so a machine (or CI) that lacks
 * chromium fails the browser tests loudly. ELF_CHROMIUM names another Chromium or Chrome binary.
 */

/** Where the browser may be when ELF_CHROMIUM does not say: Debian's package first. */
const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable'];

/** Screenshots and other files a browser test leaves for a person to look at (git ignores it). */
export const TEST_OUTPUT = path.join(ROOT, 'test-output');
/** The README's pictures; the tests copy their screenshots here when ELF_README_IMAGES=1 (`make screenshots`). */
export const README_IMAGES = path.join(ROOT, 'docs/images');

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The browser binary, or an error that says how to install one. */
export function chromiumPath(env: NodeJS.ProcessEnv = process.env): string {
  const named = env.ELF_CHROMIUM;
  if (named) {
    if (!executable(named)) throw new Error(`ELF_CHROMIUM=${named} is not an executable file`);
    return named;
  }
  const found = CANDIDATES.find(executable);
  if (!found) throw new Error(`no Chromium for the browser tests (looked for ${CANDIDATES.join(', ')}): install Debian's with \`apt-get install -y chromium\`, or name one with ELF_CHROMIUM`);
  return found;
}

export interface TestBrowser {
  browser: Browser;
  context: BrowserContext;
  /** uncaught page errors and console errors of every page opened, as "<url>: <text>" */
  readonly errors: string[];
  /** a new page at `url`, waiting for the load event */
  open(url: string): Promise<Page>;
  /**
   * Saves a full-page PNG as test-output/<group>/<name>.png (and, with ELF_README_IMAGES=1, as
   * docs/images/<name>.png); returns the path under test-output.
   */
  screenshot(page: Page, name: string): Promise<string>;
  close(): Promise<void>;
}

export interface LaunchOptions {
  /** folder under test-output/ for this test's files; default 'browser' */
  group?: string;
  /** viewport; default 1280×800 */
  width?: number;
  height?: number;
}

export async function launchBrowser(opts: LaunchOptions = {}): Promise<TestBrowser> {
  const browser = await chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    // root in CI containers has no user namespace for the sandbox; /dev/shm is small in containers
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
  });
  const context = await browser.newContext({ viewport: { width: opts.width ?? 1280, height: opts.height ?? 800 } });
  const errors: string[] = [];
  const outDir = path.join(TEST_OUTPUT, opts.group ?? 'browser');
  return {
    browser,
    context,
    errors,
    async open(url) {
      const page = await context.newPage();
      page.on('pageerror', (e) => errors.push(`${page.url()}: ${e.message}`));
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(`${page.url()}: ${m.text()}`);
      });
      await page.goto(url, { waitUntil: 'load' });
      return page;
    },
    async screenshot(page, name) {
      await mkdir(outDir, { recursive: true });
      const file = path.join(outDir, `${name}.png`);
      await page.screenshot({ path: file, fullPage: true });
      if (process.env.ELF_README_IMAGES === '1') {
        await mkdir(README_IMAGES, { recursive: true });
        await copyFile(file, path.join(README_IMAGES, `${name}.png`));
      }
      return file;
    },
    async close() {
      await context.close().catch(() => undefined);
      await browser.close();
    },
  };
}
