import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SendSummary } from '../../src/publish/summary.js';
import type { ReportModel } from '../../src/report/model.js';
import { launchBrowser, type TestBrowser } from '../helpers/browser.js';
import { runCli, startCli } from '../helpers/cli.js';
import { startStandInProcess, type StandInProcess } from '../helpers/standin.js';

/**
 * `elf send --report` and `elf report merge --report` as a user opens them: the HTML file of a real
 * run against the stand-in, in a real headless chromium with no network, charts drawn with data,
 * and its per-second series adding up to the summary exactly (also when merged from workers and
 * from shard summaries). Screenshots land in test-output/report/.
 */
let s: StandInProcess;
let b: TestBrowser;
let work: string;
let dir: string;
let input: string;

beforeAll(async () => {
  s = await startStandInProcess();
  b = await launchBrowser({ group: 'report' });
  work = await mkdtemp(path.join(os.tmpdir(), 'elf-report-'));
  dir = path.join(work, 'fleet');
  input = path.join(work, 'lines.jsonl');
  // two lines that are no messages: the report lists them
  await writeFile(input, ['{"t": 1}', '{"t": 2', '{"t": 3}', 'not json', '{"t": 5}'].join('\n') + '\n');
  const created = await runCli(['create', '3', '--endpoint-url', s.endpointUrl, '--state-dir', dir], { cwd: work });
  expect(created.exitCode, created.stderr).toBe(0);
}, 120_000);
afterAll(async () => {
  if (dir) await runCli(['clean', '--state-dir', dir], { cwd: work });
  await b?.close();
  await s?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

const SEND = ['send', '--things', '3', '--json-message', '', '--interval', '0.1', '--duration', '3', '--json'];
const sendArgs = (extra: string[]) => [...SEND.map((a) => (a === '' ? input : a)), '--state-dir', dir, ...extra];

/** the model the page was drawn from */
async function modelOf(file: string): Promise<ReportModel> {
  const html = await readFile(file, 'utf8');
  const m = /<script id="elf-model" type="application\/json">(.*?)<\/script>/s.exec(html);
  return JSON.parse(m![1]!) as ReportModel;
}

/** the little of a <canvas> the test reads (the project's types have no DOM) */
interface Canvas {
  width: number;
  height: number;
  getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } | null;
}

const sum = (a: Array<number | null>) => a.reduce<number>((x, y) => x + (y ?? 0), 0);

/** the per-second series of the rate chart add up to the summary's totals */
async function checkSeries(file: string, summary: SendSummary): Promise<ReportModel> {
  const model = await modelOf(file);
  const rate = model.charts.find((c) => c.id === 'rate')!;
  expect(sum(rate.series.find((x) => x.label === 'sent')!.values)).toBe(summary.totals.sent);
  expect(sum(rate.series.find((x) => x.label === 'acked')!.values)).toBe(summary.totals.acked);
  const conns = model.charts.find((c) => c.id === 'connections')!;
  expect(Math.max(...(conns.series.find((x) => x.label === 'up')!.values as number[]))).toBe(3);
  return model;
}

/** opens the report offline and checks every chart was drawn with its points */
async function open(file: string, screenshot: string): Promise<void> {
  const html = await readFile(file, 'utf8');
  expect(html).not.toMatch(/(src|href)=["']?(https?:)?\/\//);
  const page = await b.open(pathToFileURL(file).href);
  await page.waitForFunction(() => (globalThis as unknown as { elfReport?: unknown }).elfReport !== undefined);
  const drawn = await page.evaluate(() => (globalThis as unknown as { elfReport: { charts: Array<{ id: string; points: number }> } }).elfReport.charts);
  expect(drawn.map((c) => c.id)).toEqual(['rate', 'latency', 'connections', 'on-time']);
  for (const c of drawn) expect(c.points, c.id).toBeGreaterThan(0);
  for (const c of drawn) {
    const canvas = page.locator(`#chart-${c.id} canvas`);
    await expect(canvas.count()).resolves.toBe(1);
    // something was painted on it
    const painted = await canvas.evaluate((el) => {
      const cv = el as unknown as Canvas;
      const px = cv.getContext('2d')!.getImageData(0, 0, cv.width, cv.height).data;
      let n = 0;
      for (let i = 3; i < px.length; i += 4) if (px[i]! > 0) n++;
      return n;
    });
    expect(painted, c.id).toBeGreaterThan(100);
  }
  await expect(page.getByText('Skipped input lines: 2').count()).resolves.toBe(1);
  await b.screenshot(page, screenshot);
  expect(b.errors).toEqual([]);
  await page.close();
}

describe('elf send --report', () => {
  it('one process: a self-contained page whose charts add up to the summary', async () => {
    const file = path.join(work, 'run.html');
    const r = await runCli(sendArgs(['--workers', '1', '--report', file]), { cwd: work });
    expect(r.exitCode, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout) as SendSummary;
    expect(summary.timeline).toBeDefined();
    const model = await checkSeries(file, summary);
    expect(model.params).toContainEqual(['things', '3']);
    expect(model.subtitle).toContain(`:${s.mqttPort}`);
    await open(file, 'report-send');
  }, 120_000);

  it('--workers 2, and two shard summaries merged by elf report merge --report: the series merge exactly', async () => {
    const file = path.join(work, 'workers.html');
    const r = await runCli(sendArgs(['--workers', '2', '--report', file]), { cwd: work });
    expect(r.exitCode, r.stderr).toBe(0);
    await checkSeries(file, JSON.parse(r.stdout) as SendSummary);
    await open(file, 'report-send-workers');

    const shards = [];
    for (const i of [0, 1]) {
      const shard = path.join(work, `shard-${i}.json`);
      const sr = await runCli(sendArgs(['--things', '3', '--shard', `${i}/2`, '--workers', '1', '--report', path.join(work, `shard-${i}.html`)]), { cwd: work });
      expect(sr.exitCode, sr.stderr).toBe(0);
      await writeFile(shard, sr.stdout);
      shards.push(shard);
    }
    const merged = path.join(work, 'merged.html');
    const m = await runCli(['report', 'merge', ...shards, '--json', '--report', merged], { cwd: work });
    expect(m.exitCode, m.stderr).toBe(0);
    await checkSeries(merged, JSON.parse(m.stdout) as SendSummary);
  }, 240_000);

  it('a report into a folder that does not exist fails before connecting, naming the flag', async () => {
    const r = await runCli(sendArgs(['--report', path.join(work, 'nowhere', 'x.html')]), { cwd: work });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/--report .*nowhere.*does not exist/);
    expect(r.stderr).not.toMatch(/connecting/);
  }, 60_000);
});

describe('elf subscribe --report', () => {
  it('what arrived, per second and by topic, drawn offline', async () => {
    const file = path.join(work, 'subscribe.html');
    const sub = startCli(['subscribe', '--thing', 'thing_2', '--topic', 'elf/#', '--expect', '10', '--report', file, '--state-dir', dir], { cwd: work });
    await sub.waitFor(/"subscribed"/, { stream: 'stderr', timeoutMs: 30_000 });
    const sent = await runCli(['send', '--things', '2', '--append-thing-name', '--count', '5', '--interval', '0.1', '--duration', '30', '--state-dir', dir], { cwd: work });
    expect(sent.exitCode, sent.stderr).toBe(0);
    const r = await sub.done;
    expect(r.exitCode, r.stderr).toBe(0);
    const model = await modelOf(file);
    expect(sum(model.charts[0]!.series[0]!.values)).toBe(10);
    expect(model.tables[0]!.rows).toEqual([
      ['elf/thing_0', '5'],
      ['elf/thing_1', '5'],
    ]);
    const page = await b.open(pathToFileURL(file).href);
    await page.waitForFunction(() => (globalThis as unknown as { elfReport?: unknown }).elfReport !== undefined);
    const drawn = await page.evaluate(() => (globalThis as unknown as { elfReport: { charts: Array<{ id: string; points: number }> } }).elfReport.charts);
    expect(drawn).toEqual([{ id: 'received', points: expect.any(Number) }]);
    expect(drawn[0]!.points).toBeGreaterThan(0);
    await expect(page.locator('#chart-received canvas').count()).resolves.toBe(1);
    await b.screenshot(page, 'report-subscribe');
    expect(b.errors).toEqual([]);
  }, 120_000);
});
