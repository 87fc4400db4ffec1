import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UpdateCertificateCommand } from '@aws-sdk/client-iot';
import { runCli, startCli } from '../helpers/cli.js';
import { startStandInProcess, type StandInProcess } from '../helpers/standin.js';

/**
 * Exit codes a pipeline can tell apart (README "Exit codes"): a send that delivered only part of its
 * messages, or whose things did not all connect, exits 3 (partial), not 0; `--max-failed` accepts a
 * stated loss. Against `elf local`, with the built CLI as a process, as a user meets it.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

let work: string;
let s: StandInProcess;
let dir: string;
beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'elf-e2e-exit-'));
  s = await startStandInProcess();
  dir = path.join(work, 'fleet');
  const created = await runCli(['create', '3', '--endpoint-url', s.endpointUrl, '--state-dir', dir], { cwd: work });
  expect(created.exitCode, created.stderr).toBe(0);
}, 90_000);
afterAll(async () => {
  if (s?.cli.child.pid !== undefined) s.cli.child.kill('SIGCONT');
  await s?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

const thingsJson = () => JSON.parse(fs.readFileSync(path.join(dir, 'things.json'), 'utf8')) as { things: Array<{ name: string; certificateId: string }> };
const errorLines = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('elf:'));

describe('send: partial delivery is not success', () => {
  it('a thing that cannot connect (its certificate deactivated): exit 3 naming it; --max-failed 1 accepts it (exit 0)', async () => {
    const cert = thingsJson().things.find((t) => t.name === 'thing_2')!.certificateId;
    const iot = s.client();
    await iot.send(new UpdateCertificateCommand({ certificateId: cert, newStatus: 'INACTIVE' }));
    try {
      const args = ['send', '--things', 'thing_1,thing_2', '--count', '2', '--interval', '0.05', '--duration', '4', '--json', '--state-dir', dir];
      const r = await runCli(args, { cwd: work });
      expect(r.exitCode, r.stderr).toBe(3);
      expect(JSON.parse(r.stdout)).toMatchObject({ things: 2, connected: 1, totals: { sent: 2, acked: 2, failed: 0 } });
      expect(errorLines(r.stderr)).toEqual([expect.stringMatching(/^elf: partial delivery: 1 of 2 things never connected \(first: thing_2[:)].*--max-failed <n\|p%> accepts some loss\)$/)]);
      const accepted = await runCli([...args, '--max-failed', '1'], { cwd: work });
      expect(accepted.exitCode, accepted.stderr).toBe(0);
      expect(errorLines(accepted.stderr)).toEqual([]);
    } finally {
      await iot.send(new UpdateCertificateCommand({ certificateId: cert, newStatus: 'ACTIVE' }));
    }
  }, 60_000);

  it('messages left unacknowledged (the broker stops answering mid-run): exit 3 with the counts, where 0 was exited before', async () => {
    // a subscriber shows when messages flow; then the stand-in is frozen (SIGSTOP) so the rest stay unacknowledged
    const sub = startCli(['subscribe', '--thing', 'thing_2', '--topic', 'elf/frozen', '--duration', '60', '--state-dir', dir], { cwd: work });
    let frozen = false;
    let send: ReturnType<typeof startCli> | undefined;
    try {
      await sub.waitFor(/"subscribed"/, { stream: 'stderr', timeoutMs: 30_000 });
      send = startCli(['send', '--things', 'thing_0', '--topic', 'elf/frozen', '--interval', '0.05', '--duration', '2', '--json', '--state-dir', dir], { cwd: work, timeoutMs: 45_000 });
      await sub.waitFor(/^elf\/frozen /m, { timeoutMs: 30_000 });
      s.cli.child.kill('SIGSTOP');
      frozen = true;
      const r = await send.done;
      s.cli.child.kill('SIGCONT');
      frozen = false;
      expect(r.exitCode, r.stderr).toBe(3);
      const summary = JSON.parse(r.stdout) as { totals: { sent: number; acked: number; failed: number; unacked: number } };
      expect(summary.totals.acked).toBeGreaterThan(0);
      expect(summary.totals.failed + summary.totals.unacked).toBeGreaterThan(0);
      const lost = summary.totals.failed + summary.totals.unacked;
      expect(errorLines(r.stderr)).toEqual([`elf: partial delivery: ${lost} of ${summary.totals.sent} messages not acknowledged (${summary.totals.failed} failed, ${summary.totals.unacked} unacknowledged) (--max-failed <n|p%> accepts some loss)`]);
    } finally {
      if (frozen) s.cli.child.kill('SIGCONT');
      await send?.kill('SIGKILL');
      await sub.kill('SIGKILL');
    }
  }, 90_000);

  it('a send started right after a Ctrl-C\'d one that is still waiting for acknowledgements waits for it, then delivers everything', async () => {
    // the first send's connections live on while it drains; a second one that connected at once
    // would take their client ids over and the two would throw each other out (it lost 75%)
    const sub = startCli(['subscribe', '--thing', 'thing_2', '--topic', 'elf/again', '--duration', '90', '--state-dir', dir], { cwd: work });
    const first = startCli(['send', '--things', 'thing_0,thing_1', '--topic', 'elf/again', '--interval', '0.05', '--duration', '60', '--state-dir', dir], { cwd: work, timeoutMs: 60_000 });
    let second: ReturnType<typeof startCli> | undefined;
    let frozen = false;
    try {
      await sub.waitFor(/"subscribed"/, { stream: 'stderr', timeoutMs: 30_000 });
      await sub.waitFor(/^elf\/again /m, { timeoutMs: 30_000 });
      s.cli.child.kill('SIGSTOP'); // acknowledgements stop: the first send will drain after Ctrl-C
      frozen = true;
      first.child.kill('SIGINT');
      await first.waitFor(/interrupted: waiting briefly/, { stream: 'stderr' });
      // hold the first send in its drain (it has marked its things "stopping"): however long the second
      // takes to start, it finds the first still stopping (its drain is bounded by 10 s)
      first.child.kill('SIGSTOP');
      second = startCli(['send', '--things', 'thing_0,thing_1', '--topic', 'elf/again', '--count', '3', '--interval', '0.05', '--json', '--state-dir', dir], { cwd: work, timeoutMs: 60_000 });
      await second.waitFor(/waiting for elf send \(pid \d+\), which is stopping/, { stream: 'stderr', timeoutMs: 30_000 });
      s.cli.child.kill('SIGCONT');
      first.child.kill('SIGCONT');
      frozen = false;
      const a = await first.done;
      expect(a.exitCode, a.stderr).toBe(130);
      const b = await second.done;
      expect(b.exitCode, b.stderr).toBe(0);
      const summary = JSON.parse(b.stdout) as { totals: { sent: number; acked: number }; perThing: Array<{ interruptions: number }> };
      expect(summary.totals).toMatchObject({ sent: 6, acked: 6 });
      expect(summary.perThing.map((t) => t.interruptions)).toEqual([0, 0]);
    } finally {
      if (frozen) {
        s.cli.child.kill('SIGCONT');
        first.child.kill('SIGCONT');
      }
      await first.kill('SIGKILL');
      await second?.kill('SIGKILL');
      await sub.kill('SIGKILL');
    }
  }, 120_000);
});
