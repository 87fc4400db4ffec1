import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SendSummary } from '../../src/publish/summary.js';
import { runCli, startCli, type RunningCli } from '../helpers/cli.js';
import { eventually } from '../helpers/poll.js';
import { sampleValue, scrape, type Sample } from '../helpers/prometheus.js';
import { startStandInWithFleet, type StandInFleet, type StandInProcess } from '../helpers/standin.js';

/**
 * `--metrics-port` as Prometheus sees it: the endpoints of `elf send` (one process, and the parent
 * of --workers) and of `elf local`, scraped while a real run goes, checked against the summary.
 */
let fixture: StandInFleet;
let s: StandInProcess;
let standinMetrics: string;
let work: string;
let dir: string;

beforeAll(async () => {
  fixture = await startStandInWithFleet(3, { args: ['--metrics-port', '0'] });
  ({ s, work, dir } = fixture);
  standinMetrics = (await s.cli.waitFor(/elf local: metrics (http:\/\/\S+)/))[1]!;
}, 120_000);
afterAll(() => fixture?.stop());

const SEND = ['--things', '3', '--interval', '0.05', '--qos', '1', '--json'];

/** Scrapes `url` until the process ends; every answer, in order. */
async function scrapeUntilExit(run: RunningCli, url: string): Promise<Sample[][]> {
  const scrapes: Sample[][] = [];
  let exited = false;
  void run.done.then(() => (exited = true));
  while (!exited) {
    const got = await scrape(url).catch(() => undefined);
    if (got) scrapes.push(got);
    // between scrapes of a poll loop that ends when the run does
    await new Promise((r) => setTimeout(r, 25));
  }
  return scrapes;
}

const v = (sample: Sample[], name: string, labels: Record<string, string> = {}) => sampleValue(sample, name, labels) ?? 0;

function checkAgainstSummary(scrapes: Sample[][], summary: SendSummary): void {
  expect(scrapes.length).toBeGreaterThan(2);
  // every thing was seen connected, and messages on their way
  expect(scrapes.some((x) => v(x, 'elf_send_connections') === 3 && v(x, 'elf_send_messages_sent_total') > 0)).toBe(true);
  expect(scrapes.some((x) => v(x, 'elf_send_ack_latency_seconds_count') > 0)).toBe(true);
  const counters = ['elf_send_messages_sent_total', 'elf_send_messages_acked_total', 'elf_send_ack_latency_seconds_count'];
  for (let i = 1; i < scrapes.length; i++) for (const c of counters) expect(v(scrapes[i]!, c), c).toBeGreaterThanOrEqual(v(scrapes[i - 1]!, c));
  const last = scrapes.at(-1)!;
  expect(v(last, 'elf_send_things')).toBe(3);
  expect(v(last, 'elf_send_messages_sent_total')).toBeLessThanOrEqual(summary.totals.sent);
  expect(v(last, 'elf_send_messages_acked_total')).toBeLessThanOrEqual(summary.totals.acked);
  expect(v(last, 'elf_send_messages_acked_total')).toBeLessThanOrEqual(v(last, 'elf_send_messages_sent_total'));
  expect(v(last, 'elf_send_ack_latency_seconds_count')).toBe(v(last, 'elf_send_messages_acked_total'));
  expect(v(last, 'elf_send_messages_failed_total')).toBe(0);
  expect(summary.totals.failed).toBe(0);
}

describe('elf send --metrics-port', () => {
  it('one process: counters grow during the run up to the summary; the stand-in counted every message', async () => {
    const before = v((await scrape(standinMetrics))!, 'elf_local_messages_in_total', { topic_root: 'elf' });
    const run = startCli(['send', ...SEND, '--duration', '3', '--workers', '1', '--metrics-port', '0', '--state-dir', dir], { cwd: work });
    const url = (await run.waitFor(/Prometheus metrics at (http:\/\/\S+?)"/, { stream: 'stderr' }))[1]!;
    expect(new URL(url).hostname).toBe('127.0.0.1');
    const scrapes = await scrapeUntilExit(run, url);
    const result = await run.done;
    expect(result.exitCode, result.stderr).toBe(0);
    const summary = JSON.parse(result.stdout) as SendSummary;
    checkAgainstSummary(scrapes, summary);
    // the broker's side: every acknowledged message was accepted under topic root "elf", exactly
    await eventually(async () => v((await scrape(standinMetrics))!, 'elf_local_messages_in_total', { topic_root: 'elf' }) - before === summary.totals.acked, 'the stand-in counts what send acked');
    const local = (await scrape(standinMetrics))!;
    expect(v(local, 'elf_local_connects_total')).toBeGreaterThanOrEqual(3);
    expect(v(local, 'elf_local_policy_denials_total', { action: 'publish' })).toBe(0);
  }, 120_000);

  it('--workers 2: the parent serves the whole fleet', async () => {
    const run = startCli(['send', ...SEND, '--duration', '4', '--workers', '2', '--metrics-port', '0', '--state-dir', dir], { cwd: work });
    const url = (await run.waitFor(/Prometheus metrics at (http:\/\/\S+?)"/, { stream: 'stderr' }))[1]!;
    const scrapes = await scrapeUntilExit(run, url);
    const result = await run.done;
    expect(result.exitCode, result.stderr).toBe(0);
    checkAgainstSummary(scrapes, JSON.parse(result.stdout) as SendSummary);
  }, 120_000);

  it('a port in use fails before any connection, naming the flag', async () => {
    const busy = new URL(standinMetrics).port;
    const r = await runCli(['send', ...SEND, '--duration', '1', '--metrics-port', busy, '--state-dir', dir], { cwd: work });
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toMatch(new RegExp(`--metrics-port ${busy}: port ${busy} on 127.0.0.1 is already in use`));
    expect(r.stderr).not.toMatch(/\n\s+at /);
  }, 60_000);
});
