import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, type TestBrowser } from '../helpers/browser.js';
import { ROOT, runCli, startCli, type RunningCli } from '../helpers/cli.js';
import { eventually } from '../helpers/poll.js';
import { startStandInProcess, type StandInProcess } from '../helpers/standin.js';

/**
 * The stand-in's web console (#19 part 1) in headless chromium, against `elf local` as a process:
 * thing_0 appears after `elf create`; the Test page subscribed to `elf` shows the lines of a running
 * `elf send`, and a message the page publishes itself; the Rate chart holds those messages; the
 * Rules page lists a rule. Screenshots of each page: test-output/console/ (docs/images with
 * ELF_README_IMAGES=1, see `make screenshots`).
 */

const DATA = path.join(ROOT, 'data', 'radar-counts.json');

let s: StandInProcess;
let b: TestBrowser;
let work: string;
let sending: RunningCli | undefined;
const elf = (args: string[]) => runCli([...args, '--endpoint-url', s.endpointUrl, '--state-dir', path.join(work, 'fleet')], { cwd: work, timeoutMs: 120_000 });

beforeAll(async () => {
  [s, b, work] = await Promise.all([startStandInProcess(), launchBrowser({ group: 'console' }), mkdtemp(path.join(os.tmpdir(), 'elf-console-'))]);
});
afterAll(async () => {
  await sending?.kill('SIGKILL');
  await b?.close();
  await s?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('the console', () => {
  it('shows the registry live, the messages of a running send, their rate and the rules', { timeout: 240_000 }, async () => {
    const page = await b.open(`${s.endpointUrl}/console`);
    await page.getByText('No things yet').waitFor();

    const created = await elf(['create', '2']);
    expect(created.exitCode, created.stderr).toBe(0);
    // pushed by the stream, not reloaded
    const thing = page.locator('details.thing[data-thing="thing_0"]');
    await thing.waitFor();
    await thing.locator(':scope > summary').click();
    // the view is pushed every 500 ms: the one that showed thing_0 may predate its certificate
    await thing.getByText('ACTIVE').first().waitFor();
    await thing.getByText(/^policy /).first().waitFor();

    // Test: subscribe to elf, then a running send's lines arrive
    await page.goto(`${s.endpointUrl}/console#/test`);
    await page.locator('form.subscribe button').click();
    await page.locator('section.subscription[data-filter="elf"] [data-testid="sub-state"]').getByText('subscribed').waitFor();
    sending = startCli(['send', '--json-message', DATA, '--interval', '0.2', '--duration', '120', '--qos', '1', '--endpoint-url', s.endpointUrl, '--state-dir', path.join(work, 'fleet')], { cwd: work, timeoutMs: 180_000 });
    const messages = page.locator('section.subscription[data-filter="elf"] li.message');
    await eventually(async () => (await messages.count()) >= 5, () => `5 messages on the Test page; send said:\n${sending?.stderr.slice(-2000)}`, { timeoutMs: 60_000 });
    const first = (await messages.first().innerText()).trim();
    expect(first.startsWith('elf')).toBe(true);
    expect(first).toMatch(/"location_name"|"Volume"/);

    // a message published from the page goes through the broker and comes back on the subscription
    await page.locator('textarea[name="pub-payload"]').fill('{"from": "console-test"}');
    await page.locator('form.publish button').click();
    await page.getByTestId('pub-result').getByText('published to elf').waitFor();
    await messages.filter({ hasText: 'console-test' }).first().waitFor();
    await b.screenshot(page, 'console-test');

    // Things again: thing_0 is connected and has sent messages
    await page.goto(`${s.endpointUrl}/console#/things`);
    await page.locator('details.thing[data-thing="thing_0"] > summary').getByText(/connected .* \d+ in/).waitFor();
    await page.locator('details.thing[data-thing="thing_0"] > summary').click();
    await b.screenshot(page, 'console-things');

    // Rate: the chart's data holds messages in and out
    await page.goto(`${s.endpointUrl}/console#/rate`);
    const sums = await eventually(
      async () => {
        const [, rin, rout] = (await page.evaluate<number[][]>(`window.elfRateChart ? window.elfRateChart.data : [[], [], []]`)) ?? [[], [], []];
        const sum = (a: number[] | undefined) => (a ?? []).reduce((x, y) => x + (y ?? 0), 0);
        return sum(rin) >= 5 && sum(rout) >= 5 ? { in: sum(rin), out: sum(rout) } : undefined;
      },
      'the rate chart to hold messages in and out',
      { timeoutMs: 30_000 },
    );
    expect(sums.in).toBeGreaterThanOrEqual(5);
    await expect(page.locator('[data-testid="rate-chart"] canvas').count()).resolves.toBeGreaterThan(0);
    await b.screenshot(page, 'console-rate');
    await sending.kill('SIGINT');

    // Rules
    const rule = await elf(['rule', 'create', 'busy_roads', '--sql', "SELECT location_name, Volume FROM 'elf' WHERE Volume > 50", '--action', 'firehose:stream=busy']);
    expect(rule.exitCode, rule.stderr).toBe(0);
    await page.goto(`${s.endpointUrl}/console#/rules`);
    await page.getByText("SELECT location_name, Volume FROM 'elf' WHERE Volume > 50").waitFor();

    expect(b.errors).toEqual([]);
  });

  it('answers 404 for unknown console routes and keeps the AWS API where it was', async () => {
    const r = await fetch(`${s.endpointUrl}/console/nope`);
    expect(r.status).toBe(404);
    const things = await fetch(`${s.endpointUrl}/things`);
    expect(things.status).toBe(200);
  });
});

describe('elf local --console-port', () => {
  it('serves the console on its own loopback port too, and says where', async () => {
    const own = await startStandInProcess({ args: ['--console-port', '0'] });
    try {
      const url = own.cli.stdout.match(/^elf local: console (http:\/\/127\.0\.0\.1:\d+\/console)$/m)?.[1];
      expect(url, own.cli.stdout).toBeDefined();
      expect(new URL(url!).port).not.toBe(String(own.port));
      const page = await fetch(url!);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<script type="module" src="/console/app.js">');
      const root = await fetch(new URL('/', url!), { redirect: 'manual' });
      expect([root.status, root.headers.get('location')]).toEqual([302, '/console']);
      // and still at /console on the control plane
      expect((await fetch(`${own.endpointUrl}/console`)).status).toBe(200);
    } finally {
      await own.stop();
    }
  });
});
