import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { cleanFailureProblem } from '../helpers/reliability.js';

/**
 * Issue 8, item 4, for `elf local`: every flag with missing, empty, negative, non-numeric and
 * absurd values, and state dirs that cannot be used → one clear line naming the flag, a non-zero
 * exit, no stack trace, never a hang (each run is killed after 40 s, which fails the case; some
 * cases make a CA first, which takes seconds on a loaded machine).
 */

let work: string;
let aFile: string;
let busy: net.Server;
let busyPort: number;

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'elf-bad-local-'));
  aFile = path.join(work, 'a-file');
  fs.writeFileSync(aFile, 'not a directory');
  busy = net.createServer();
  await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
  busyPort = (busy.address() as net.AddressInfo).port;
});

afterAll(async () => {
  await new Promise((r) => busy.close(r));
  fs.rmSync(work, { recursive: true, force: true });
});

/**
 * The real process prints commander's parse errors as one line and exits non-zero (the full table
 * of values, for every command, runs in-process in bad-input-flags.test.ts).
 */
const CASES: [string[], RegExp][] = [
  [['--port', 'abc'], /--port/],
  [['--fault-rate', '1.5'], /--fault-rate/],
  [['--account', '1234'], /--account/],
  [['--state-dir', ''], /--state-dir/],
  [['--port'], /--port/],
  [['--no-such-flag'], /unknown option/],
];

/** each run gets its own state dir and free ports (0), so only the flag under test can fail it */
async function local(args: string[]) {
  const dir = fs.mkdtempSync(path.join(work, 's-'));
  const base = ['--port', '0', '--mqtt-port', '0', '--state-dir', path.join(dir, 'state')];
  // the flag under test comes last, so it wins over the defaults above
  return runCli(['local', ...base, ...args], { cwd: work, timeoutMs: 40_000 });
}

describe.concurrent('elf local: bad flag values', () => {
  it.each(CASES)('local %j → one line naming the flag', async (args, pattern) => {
    const r = await local(args);
    expect(cleanFailureProblem(r, pattern), r.stderr).toBeUndefined();
  });
});

describe.concurrent('elf local: where it cannot listen or keep state', () => {
  it.each([
    ['a port in use', () => ['--port', String(busyPort)], /already in use/],
    ['an MQTT port in use', () => ['--mqtt-port', String(busyPort)], /already in use|EADDRINUSE/],
    ['an address that is not this machine’s', () => ['--host', '192.0.2.200'], /cannot listen on 192\.0\.2\.200|not available/],
    ['a host name that does not resolve', () => ['--host', 'no-such-host.invalid'], /no-such-host\.invalid/],
    ['a state dir under a regular file (ENOTDIR)', () => ['--state-dir', path.join(aFile, 'state')], /--state-dir .*ENOTDIR/],
    ['a state dir that is a regular file', () => ['--state-dir', aFile], /--state-dir .*not a directory/],
    ['a state dir in /proc (node’s recursive mkdir would spin)', () => ['--state-dir', '/proc/elf-state'], /--state-dir .*ENOENT/],
    ['a state dir in /sys (EPERM even for root)', () => ['--state-dir', '/sys/elf-state'], /--state-dir .*EPERM/],
  ] as const)('%s → one line', async (_what, args, pattern) => {
    const r = await local(args());
    expect(cleanFailureProblem(r, pattern), r.stderr).toBeUndefined();
  });

  it('a state dir on a full disk (a 16 KiB tmpfs, root only) → one line', async (ctx) => {
    const mnt = path.join(work, 'full');
    fs.mkdirSync(mnt);
    if (process.getuid?.() !== 0 || spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=16k', 'tmpfs', mnt]).status !== 0) return ctx.skip();
    try {
      fs.writeFileSync(path.join(mnt, 'filler'), Buffer.alloc(12 * 1024));
      const r = await runCli(['local', '--port', '0', '--mqtt-port', '0', '--state-dir', path.join(mnt, 'state')], { cwd: work, timeoutMs: 40_000 });
      expect(cleanFailureProblem(r, /ENOSPC|disk full|no space/i), r.stderr).toBeUndefined();
    } finally {
      spawnSync('umount', [mnt]);
    }
  });
});
