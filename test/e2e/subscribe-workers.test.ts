import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startCli, type RunningCli } from '../helpers/cli.js';
import { eventually } from '../helpers/poll.js';
import { startStandInWithFleet, type StandInFleet } from '../helpers/standin.js';

/**
 * `elf subscribe --workers N` and `--shard i/n` as a user runs them, against the stand-in: several
 * things listen (each its own connection), worker processes share them out, the parent prints and
 * counts for all (an exact --count), a worker killed mid-run, Ctrl-C, and the parent SIGKILLed.
 */
let fixture: StandInFleet;
let work: string;
let dir: string;

beforeAll(async () => {
  fixture = await startStandInWithFleet(7);
  ({ work, dir } = fixture);
}, 120_000);
afterAll(() => fixture?.stop());

const until = (cond: () => boolean, what: string) => eventually(cond, what, { timeoutMs: 30_000, everyMs: 50 });
const lines = (run: RunningCli) => run.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { thing: string; topic: string; payload: string });

async function listening(args: string[]): Promise<{ run: RunningCli; pids: number[] }> {
  const run = startCli(['subscribe', '--topic', 'elf/sw/#', '--json', ...args, '--state-dir', dir], { cwd: work });
  const m = await run.waitFor(/"workers":(\[[^\]]*\])/, { stream: 'stderr', timeoutMs: 30_000 });
  await run.waitFor(/"msg":"subscribed"/, { stream: 'stderr', timeoutMs: 30_000 });
  return { run, pids: (JSON.parse(m[1]!) as Array<{ pid: number }>).map((w) => w.pid) };
}

async function send(things: string): Promise<void> {
  const r = await runCli(['send', 'tick', '--things', things, '--count', '1', '--topic', 'elf/sw', '--append-thing-name', '--interval', '0.1', '--workers', '1', '--state-dir', dir], { cwd: work });
  expect(r.exitCode, r.stderr).toBe(0);
}

/** a process is gone (or a zombie left to whoever adopted it: it holds no resources) */
function gone(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.startsWith('Z');
  } catch {
    return true;
  }
}

describe('elf subscribe --workers, --shard', () => {
  it('shard 0/2 of four things listens with two of them in two workers; --count stops both at the total', async () => {
    const { run, pids } = await listening(['--things', 'thing_3,thing_4,thing_5,thing_6', '--shard', '0/2', '--workers', '2', '--count', '6']);
    expect(pids).toHaveLength(2);
    await send('3');
    const r = await run.done;
    expect(r.exitCode, r.stderr).toBe(0);
    // every message once at each listening thing: thing_4 and thing_6 (index ≡ 0 mod 2)
    expect(lines(run).map((m) => `${m.thing} ${m.topic} ${m.payload}`).sort()).toEqual(
      ['thing_4', 'thing_6'].flatMap((t) => [0, 1, 2].map((k) => `${t} elf/sw/thing_${k} {"msg":"tick"}`)).sort(),
    );
    expect(r.stderr).toMatch(/elf subscribe: 6 messages arrived at 2 things \(2 subscribed\) in [\d.]+ s \(stopped by count\)/);
    await until(() => pids.every(gone), 'the workers to exit');
  }, 120_000);

  it('a worker killed mid-run is reported with its slice; the other goes on; Ctrl-C ends with the merged count', async () => {
    const { run, pids } = await listening(['--things', 'thing_4,thing_5,thing_6', '--workers', '2']);
    try {
      process.kill(pids[1]!, 'SIGKILL');
      await run.waitFor(/a worker ended without its result/, { stream: 'stderr', timeoutMs: 30_000 });
      await send('thing_0');
      await until(() => lines(run).length >= 2, 'the message at thing_4 and thing_5');
      run.child.kill('SIGINT');
      const r = await run.done;
      expect(r.exitCode, r.stderr).toBe(3);
      expect(lines(run).map((m) => m.thing).sort()).toEqual(['thing_4', 'thing_5']);
      expect(r.stderr).toMatch(/elf subscribe: 2 messages arrived at 3 things \(2 subscribed, 1 could not listen\)/);
      expect(r.stderr).toMatch(/1 part of the listening things failed \(worker 1, 1 things thing_6\.\.thing_6: killed by SIGKILL\)/);
      for (const pid of pids) expect(gone(pid)).toBe(true);
    } finally {
      await run.kill('SIGKILL');
    }
  }, 120_000);

  it('workers do not outlive a parent killed with SIGKILL', async () => {
    const { run, pids } = await listening(['--things', 'thing_5,thing_6', '--workers', '2']);
    await run.kill('SIGKILL');
    // they notice through their IPC channel, close their connections and exit
    await until(() => pids.every(gone), 'the workers to exit');
  }, 120_000);
});
