import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, type TestBrowser } from '../helpers/browser.js';
import { ROOT, runCli } from '../helpers/cli.js';
import { eventually } from '../helpers/poll.js';
import { sampleValue, scrape } from '../helpers/prometheus.js';
import { startStandInWithFleet, type StandInFleet } from '../helpers/standin.js';

/**
 * The console's Rules page (#19) in headless chromium, against `elf local` as a process: rules made
 * with `elf rule create`, an `elf send` of known lines, then each rule's matched / fired / failed /
 * action-error counts and the last rows each sink received, pushed to the page; the same counts
 * scraped from `elf local --metrics-port`. Screenshot: test-output/console/console-rules.png
 * (docs/images with ELF_README_IMAGES=1, see `make screenshots`).
 */

const DATA = path.join(ROOT, 'data', 'radar-counts.json');
const SENT = 20;
const BUSY_SQL = "SELECT location_name, Volume FROM 'elf' WHERE Volume > 6";

let f: StandInFleet;
let b: TestBrowser;
let metricsUrl: string;
const elf = (args: string[]) => runCli([...args, '--endpoint-url', f.s.endpointUrl, '--state-dir', f.dir], { cwd: f.work, timeoutMs: 120_000 });

beforeAll(async () => {
  [f, b] = await Promise.all([startStandInWithFleet(1, { args: ['--metrics-port', '0'] }), launchBrowser({ group: 'console' })]);
  metricsUrl = (await f.s.cli.waitFor(/elf local: metrics (http:\/\/\S+)/))[1]!;
}, 120_000);
afterAll(async () => {
  await b?.close();
  await f?.stop();
});

/** The first n lines of the radar file, as the rule sees them. */
async function firstLines(n: number): Promise<Array<{ location_name: string; Volume: number }>> {
  return (await readFile(DATA, 'utf8'))
    .split('\n')
    .filter((l) => l.trim() !== '')
    .slice(0, n)
    .map((l) => JSON.parse(l) as { location_name: string; Volume: number });
}

describe('the console Rules page', () => {
  it("shows each rule's counts and the rows its sinks received, as the metrics do", { timeout: 180_000 }, async () => {
    const page = await b.open(`${f.s.endpointUrl}/console#/rules`);
    await page.getByText('No sink has received a row yet').waitFor();
    for (const args of [
      ['busy_roads', '--sql', BUSY_SQL, '--action', 'firehose:stream=busy', '--action', 'republish:topic=alerts/busy'],
      // a key that cannot be a file: every action of this rule fails
      ['bad_key', '--sql', "SELECT * FROM 'elf'", '--action', 's3:bucket=b,key=../outside'],
    ]) {
      const r = await elf(['rule', 'create', ...args]);
      expect(r.exitCode, r.stderr).toBe(0);
    }
    await page.locator('tr[data-rule="bad_key"]').waitFor();

    const sent = await elf(['send', '--json-message', DATA, '--count', String(SENT), '--interval', '0', '--qos', '1']);
    expect(sent.exitCode, sent.stderr).toBe(0);
    const lines = await firstLines(SENT);
    const busy = lines.filter((l) => l.Volume > 6);
    expect(busy.length).toBeGreaterThan(0);

    const counts = async (rule: string) =>
      Object.fromEntries(await Promise.all(['matched', 'fired', 'failed', 'actionErrors', 'dropped'].map(async (k) => [k, Number(await page.locator(`tr[data-rule="${rule}"] td[data-count="${k}"]`).innerText())])));
    const want = { busy_roads: { matched: SENT, fired: busy.length, failed: 0, actionErrors: 0, dropped: 0 }, bad_key: { matched: SENT, fired: SENT, failed: 0, actionErrors: SENT, dropped: 0 } };
    await eventually(async () => JSON.stringify({ busy_roads: await counts('busy_roads'), bad_key: await counts('bad_key') }) === JSON.stringify(want), `the counts to be ${JSON.stringify(want)}`, { timeoutMs: 30_000 });

    // the last rows of the Firehose stream, newest first, are the last busy lines, as on disk
    const firehose = page.locator('section.sink[data-sink="firehose:busy"]');
    await firehose.getByText(`${busy.length} delivered`).waitFor();
    const shown = await firehose.locator('li.row pre').allInnerTexts();
    const newest = busy.slice(-shown.length).reverse();
    expect(shown.map((t) => JSON.parse(t) as unknown)).toEqual(newest.map((l) => ({ location_name: l.location_name, Volume: l.Volume })));
    // (no separator: the records follow each other in the file)
    const onDisk = await readFile(path.join(f.s.stateDir, 'sinks', 'firehose', 'busy.jsonl'), 'utf8');
    expect(onDisk.endsWith(JSON.stringify(JSON.parse(shown[0]!)))).toBe(true);
    await page.locator('section.sink[data-sink="republish:alerts/busy"]').getByText(`${busy.length} delivered`).waitFor();
    await b.screenshot(page, 'console-rules');

    // the same counts, scraped
    const samples = (await scrape(metricsUrl))!;
    expect(sampleValue(samples, 'elf_local_rule_matched_total', { rule: 'busy_roads' })).toBe(SENT);
    expect(sampleValue(samples, 'elf_local_rule_action_errors_total', { rule: 'bad_key' })).toBe(SENT);
    expect(sampleValue(samples, 'elf_local_rule_sql_failures_total', { rule: 'busy_roads' })).toBe(0);
    expect(b.errors).toEqual([]);
  });
});
