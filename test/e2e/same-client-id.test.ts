import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connect } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startCli } from '../helpers/cli.js';
import { startStandInProcess, type StandInProcess } from '../helpers/standin.js';

/**
 * Issue 17, item 6: two clients with one client id throw each other out. elf refuses to start on
 * things a running elf of the same fleet uses, and, when something else takes a connection over
 * (another device with the thing's certificate), says so in words.
 */
let s: StandInProcess;
let work: string;
let dir: string;

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'elf-same-id-'));
  s = await startStandInProcess();
  dir = path.join(work, 'misc');
  const r = await runCli(['create', '2', '--endpoint-url', s.endpointUrl, '--state-dir', dir], { cwd: work, timeoutMs: 90_000 });
  expect(r.exitCode, r.stderr).toBe(0);
}, 120_000);

afterAll(async () => {
  await s?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe('one client id, two clients', () => {
  it('send refuses the things a running subscribe uses, in one line naming it; other things are free', async () => {
    const sub = startCli(['subscribe', '--thing', 'thing_1', '--duration', '120', '--state-dir', dir], { cwd: work });
    try {
      await sub.waitFor(/subscribed/, { stream: 'stderr', timeoutMs: 60_000 });
      const all = await runCli(['send', '--count', '1', '--state-dir', dir], { cwd: work, timeoutMs: 60_000 });
      expect(all.exitCode).toBe(1);
      expect(all.stderr.trim()).toMatch(
        new RegExp(`^elf: thing_1 of the fleet in ${dir} is in use by elf subscribe \\(pid ${sub.child.pid}, since [^)]+\\): a broker keeps one connection per client id, so the two would disconnect each other; wait for it to end, or use other things \\(--things, --thing\\)$`),
      );
      const other = await runCli(['send', '--things', 'thing_0', '--count', '1', '--state-dir', dir], { cwd: work, timeoutMs: 60_000 });
      expect(other.exitCode, other.stderr).toBe(0);
    } finally {
      await sub.kill('SIGINT');
    }
    // the claim goes with the process: now every thing is free
    const after = await runCli(['send', '--count', '1', '--state-dir', dir], { cwd: work, timeoutMs: 60_000 });
    expect(after.exitCode, after.stderr).toBe(0);
  }, 180_000);

  it('a connection taken over again and again by another client with the same id is named as such', async () => {
    const sub = startCli(['subscribe', '--thing', 'thing_0', '--duration', '120', '--state-dir', dir], { cwd: work });
    // another device with thing_0's certificate, reconnecting whenever it is thrown out
    const rogue = connect({
      protocol: 'mqtts',
      host: '127.0.0.1',
      port: s.mqttPort,
      ca: s.caPem,
      cert: fs.readFileSync(path.join(dir, 'thing_0.pem')),
      key: fs.readFileSync(path.join(dir, 'thing_0.prv')),
      clientId: 'thing_0',
      protocolVersion: 4,
      reconnectPeriod: 300,
    });
    rogue.on('error', () => undefined);
    try {
      await sub.waitFor(/another client is probably using the same client id/, { stream: 'stderr', timeoutMs: 90_000 });
      expect(sub.stderr).toMatch(/thing_0: disconnected again and again right after connecting/);
    } finally {
      await rogue.endAsync(true).catch(() => undefined);
      await sub.kill('SIGINT');
    }
  }, 180_000);
});
