import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startCli, type RunningCli } from '../helpers/cli.js';
import { eventually } from '../helpers/poll.js';
import { startStandInWithFleet, type StandInFleet } from '../helpers/standin.js';

/**
 * `elf send --workers N` as a user runs it, against the stand-in: the same run as one process
 * (every line once, the same summary), a worker killed mid-run, Ctrl-C, and the parent SIGKILLed
 * (its workers must not outlive it).
 */
let fixture: StandInFleet;
let work: string;
let dir: string;
const SENDERS = ['--things', '6'];

beforeAll(async () => {
  fixture = await startStandInWithFleet(7);
  ({ work, dir } = fixture);
}, 120_000);
afterAll(() => fixture?.stop());

/** thing_6 listens on elf/w/# while thing_0..5 send */
async function subscriber(): Promise<RunningCli> {
  const sub = startCli(['subscribe', '--thing', 'thing_6', '--topic', 'elf/w/#', '--json', '--state-dir', dir], { cwd: work });
  await sub.waitFor(/"subscribed"/, { stream: 'stderr', timeoutMs: 30_000 });
  return sub;
}

const received = (sub: RunningCli) => sub.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { topic: string; payload: string });

const until = (cond: () => boolean, what: string) => eventually(cond, what, { timeoutMs: 30_000, everyMs: 50 });

/** the worker pids the parent logs as it starts them */
async function workerPids(run: RunningCli): Promise<number[]> {
  const m = await run.waitFor(/"workers":(\[[^\]]*\])/, { stream: 'stderr', timeoutMs: 30_000 });
  return (JSON.parse(m[1]!) as Array<{ pid: number }>).map((w) => w.pid);
}

/** a process is gone (or a zombie left to whoever adopted it: it holds no resources) */
function gone(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.startsWith('Z');
  } catch {
    return true;
  }
}

describe('elf send --workers', () => {
  it('2 workers send every line of a partitioned file once and print the summary one process prints', async () => {
    const file = path.join(work, 'lines.jsonl');
    writeFileSync(file, Array.from({ length: 30 }, (_, i) => `{"n":${i}}`).join('\n') + '\n');
    const args = ['send', ...SENDERS, '--json-message', file, '--partition', '--topic', 'elf/w', '--append-thing-name', '--interval', '0.05', '--json', '--state-dir', dir];
    const summaries = [];
    for (const workers of ['2', '1']) {
      const sub = await subscriber();
      const r = await runCli([...args, '--workers', workers], { cwd: work });
      expect(r.exitCode, r.stderr).toBe(0);
      summaries.push(JSON.parse(r.stdout));
      await until(() => received(sub).length >= 30, '30 messages');
      sub.child.kill('SIGINT');
      await sub.done;
      const got = received(sub);
      // every line once, by the thing one process gives it (line i by thing i mod 6)
      expect(got.map((m) => JSON.parse(m.payload).n).sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => i));
      for (const m of got) expect(m.topic).toBe(`elf/w/thing_${JSON.parse(m.payload).n % 6}`);
    }
    const [two, one] = summaries;
    // the same counts (how many were late depends on the machine's load, not on the workers)
    expect({ ...two.totals, late: 0 }).toEqual({ ...one.totals, late: 0 });
    expect(two.things).toBe(6);
    expect(two.connected).toBe(6);
    expect(two.perThing.map((t: { name: string; sent: number }) => [t.name, t.sent])).toEqual(one.perThing.map((t: { name: string; sent: number }) => [t.name, t.sent]));
    expect(two.latencyHistogram.buckets.reduce((a: number, [, c]: [number, number]) => a + c, 0)).toBe(30);
    expect(Object.keys(two).sort()).toEqual(Object.keys(one).sort());
  }, 180_000);

  it('a worker killed mid-run is reported with its slice; the other goes on; the exit code says so', async () => {
    const sub = await subscriber();
    const run = startCli(['send', 'tick', ...SENDERS, '--workers', '2', '--topic', 'elf/w', '--append-thing-name', '--interval', '0.2', '--duration', '8', '--json', '--state-dir', dir], { cwd: work });
    try {
      const [, second] = await workerPids(run);
      await until(() => received(sub).some((m) => m.topic === 'elf/w/thing_5'), 'worker 1 publishing');
      process.kill(second!, 'SIGKILL');
      const r = await run.done;
      expect(r.exitCode, r.stderr).toBe(3);
      expect(r.stderr).toMatch(/a worker ended without its summary/);
      expect(r.stderr).toMatch(/1 part of the fleet failed \(worker 1, 3 things thing_3\.\.thing_5: killed by SIGKILL\)/);
      const summary = JSON.parse(r.stdout);
      expect(summary.failedParts).toEqual([{ part: 'worker 1', things: 3, firstThing: 'thing_3', lastThing: 'thing_5', exitCode: null, signal: 'SIGKILL' }]);
      expect(summary.things).toBe(6);
      expect(summary.stopReason).toBe('duration');
      const rows = summary.perThing as Array<{ name: string; acked: number; lastError?: string }>;
      for (const t of rows.slice(0, 3)) expect(t.acked).toBeGreaterThan(0);
      for (const t of rows.slice(3)) expect(t.lastError).toBe('worker 1 was killed by SIGKILL');
    } finally {
      sub.child.kill('SIGINT');
      await sub.done;
      await run.kill('SIGKILL');
    }
  }, 120_000);

  it('Ctrl-C stops every worker and prints the merged summary of what was delivered', async () => {
    const sub = await subscriber();
    const run = startCli(['send', 'tick', ...SENDERS, '--workers', '3', '--topic', 'elf/w', '--append-thing-name', '--interval', '0.2', '--duration', '600', '--json', '--state-dir', dir], { cwd: work });
    try {
      const pids = await workerPids(run);
      await until(() => new Set(received(sub).map((m) => m.topic)).size === 6, 'all 6 things publishing');
      run.child.kill('SIGINT');
      const r = await run.done;
      expect(r.exitCode, r.stderr).toBe(130);
      const summary = JSON.parse(r.stdout);
      expect(summary.stopReason).toBe('aborted');
      expect(summary.things).toBe(6);
      expect(summary.failedParts).toBeUndefined();
      expect(summary.totals.acked).toBeGreaterThanOrEqual(6);
      for (const pid of pids) expect(gone(pid)).toBe(true);
    } finally {
      sub.child.kill('SIGINT');
      await sub.done;
      await run.kill('SIGKILL');
    }
  }, 120_000);

  it('workers do not outlive a parent killed with SIGKILL', async () => {
    const sub = await subscriber();
    const run = startCli(['send', 'tick', ...SENDERS, '--workers', '2', '--topic', 'elf/w', '--append-thing-name', '--interval', '0.2', '--duration', '600', '--state-dir', dir], { cwd: work });
    try {
      const pids = await workerPids(run);
      await until(() => new Set(received(sub).map((m) => m.topic)).size === 6, 'all 6 things publishing');
      await run.kill('SIGKILL');
      // they notice through their IPC channel, drain briefly and exit
      await until(() => pids.every(gone), 'the workers to exit');
    } finally {
      sub.child.kill('SIGINT');
      await sub.done;
    }
  }, 120_000);
});
