import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ListAttachedPoliciesCommand, ListPrincipalThingsCommand, type IoTClient } from '@aws-sdk/client-iot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadFleet } from '../../src/fleet/store.js';
import type { FleetState } from '../../src/fleet/types.js';
import { cleanEnv, runCli, startCli, type CliResult } from '../helpers/cli.js';
import { controlPlaneSnapshot, type ControlPlaneSnapshot } from '../helpers/reliability.js';
import { startStandInProcess, type StandInProcess } from '../helpers/standin.js';

/**
 * Issue 8, items 2, 3 and 6 through the real processes: `elf create` / `elf clean` against
 * `elf local --fault-rate 0.2`, killed at random moments, on broken and full disks, with damaged
 * state files; every run at debug level with recognisable dummy AWS secrets in the environment, and
 * all output searched for key material and secrets at the end.
 * (create-clean.test.ts covers create 30 under faults, SIGKILL of create alone and of clean alone,
 * a corrupted things.json and an unwritable dir; this file extends those, it does not repeat them.)
 */

const SECRET = 'elfTestSecretAccessKey/K7MDENG+bPxRfiCYzzQ9';
const TOKEN = 'elfTestSessionToken//////////wEaDFAKEFAKEFAKE';
const ENV = cleanEnv({ ELF_LOG_LEVEL: 'debug', AWS_ACCESS_KEY_ID: 'AKIAELFTESTDUMMY0001', AWS_SECRET_ACCESS_KEY: SECRET, AWS_SESSION_TOKEN: TOKEN });
const NONE: ControlPlaneSnapshot = { things: [], certificates: [], policies: [] };

let work: string;
let s: StandInProcess;
let iot: IoTClient;
/** every stdout/stderr elf printed in this file, for the secret search at the end */
const outputs: { what: string; text: string }[] = [];
/** bodies of every private key elf wrote, base64 lines of 64 characters */
const keyLines = new Set<string>();

function record(what: string, r: CliResult): CliResult {
  outputs.push({ what, text: `${r.stdout}\n${r.stderr}` });
  return r;
}
const elf = async (args: string[], timeoutMs = 150_000) => record(args.join(' '), await runCli(args, { cwd: work, env: ENV, timeoutMs }));
// only for the random kill moments below: the moment is the test, not a wait for a result
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** exactly one `elf:`/`error:` line, no stack trace, non-zero exit */
function expectOneLineError(r: CliResult, pattern: RegExp) {
  expect(r.exitCode, r.stderr).not.toBe(0);
  expect(r.exitCode).not.toBeNull();
  const lines = r.stderr.split('\n').filter((l) => /^(elf|error):/.test(l));
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  // one clean line: no bytes of a damaged file (CR, ESC, NUL …) echoed to the terminal
  // eslint-disable-next-line no-control-regex
  expect(lines[0], JSON.stringify(lines[0])).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f\u0080-\u009f]/);
}

function collectKeys(dir: string) {
  if (!fs.existsSync(dir)) return;
  for (const f of fs.readdirSync(dir)) {
    if (!f.endsWith('.prv')) continue;
    for (const line of fs.readFileSync(path.join(dir, f), 'utf8').split('\n')) if (/^[A-Za-z0-9+/]{64}$/.test(line)) keyLines.add(line);
  }
}

/**
 * The invariant after any interruption: nothing exists in the control plane that the state does not
 * know — except certificates whose CreateKeysAndCertificate answer was lost with the process, which
 * are attached to nothing (clean sweeps those on the stand-in). Returns how many such orphans exist.
 */
async function expectEverythingRecorded(dir: string, what: string): Promise<number> {
  let fleet: FleetState | undefined;
  try {
    fleet = fs.existsSync(dir) ? await loadFleet(dir) : undefined;
  } catch (e) {
    throw new Error(`${what}: the state in ${dir} does not load after the interruption: ${(e as Error).message}`);
  }
  const cp = await controlPlaneSnapshot(iot);
  const names = new Set(fleet?.things.map((t) => t.name));
  const policies = new Set(fleet?.things.map((t) => t.policyName).filter(Boolean));
  const certs = new Set(fleet?.things.map((t) => t.certificateId).filter(Boolean));
  expect(cp.things.map((t) => t.split('@')[0]).filter((n) => !names.has(n!)), `${what}: things unknown to the state`).toEqual([]);
  expect(cp.policies.filter((p) => !policies.has(p)), `${what}: policies unknown to the state`).toEqual([]);
  let orphans = 0;
  for (const c of cp.certificates) {
    const [id] = c.split(':') as [string];
    if (certs.has(id)) continue;
    const arn = `arn:aws:iot:${s.region}:123456789012:cert/${id}`;
    expect((await iot.send(new ListPrincipalThingsCommand({ principal: arn }))).things, `${what}: unrecorded certificate ${id} is attached to a thing`).toEqual([]);
    expect((await iot.send(new ListAttachedPoliciesCommand({ target: arn }))).policies, `${what}: unrecorded certificate ${id} has a policy`).toEqual([]);
    orphans++;
  }
  return orphans;
}

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'elf-rel-prov-'));
  s = await startStandInProcess({ args: ['--fault-rate', '0.2', '--fault-seed', '808'], env: cleanEnv({ ELF_LOG_LEVEL: 'debug' }) });
  iot = s.client({ maxAttempts: 40 });
});

afterAll(async () => {
  await s?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

describe('elf local --fault-rate 0.2', () => {
  it('create 100 makes all (or records every partial resource); clean leaves zero things, certificates and policies', async () => {
    const dir = path.join(work, 'fleet100');
    const r = await elf(['create', '100', '--concurrency', '20', '--no-pacing', '--endpoint-url', s.endpointUrl, '--state-dir', dir]);
    console.log(r.stdout.trim());
    collectKeys(dir);
    const fleet = (await loadFleet(dir))!;
    if (r.exitCode === 0) {
      expect(r.stdout).toMatch(/^created 100 of 100 things, 0 failed/m);
      expect(fleet.things).toHaveLength(100);
      for (const t of fleet.things) {
        expect(t, t.name).toMatchObject({ principalAttached: true, policyAttached: true });
        expect(t.certificateId && t.thingArn && t.policyName && t.files, t.name).toBeTruthy();
      }
    } else {
      expectOneLineError(r, /failed|interrupted/);
    }
    expect(await expectEverythingRecorded(dir, 'create 100')).toBe(0);
    // item 6: keys 0600 in a 0700 dir
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
    const prv = fs.readdirSync(dir).filter((f) => f.endsWith('.prv'));
    expect(prv.length).toBe(fleet.things.filter((t) => t.files).length);
    for (const f of prv) expect(fs.statSync(path.join(dir, f)).mode & 0o777, f).toBe(0o600);
    // the only files holding private keys are the .prv files
    for (const f of fs.readdirSync(dir).filter((x) => !x.endsWith('.prv'))) expect(fs.readFileSync(path.join(dir, f), 'utf8'), f).not.toMatch(/PRIVATE KEY/);

    const c = await elf(['clean', '--concurrency', '20', '--no-pacing', '--state-dir', dir]);
    console.log(c.stdout.trim());
    expect(c.exitCode, c.stderr).toBe(0);
    expect(await controlPlaneSnapshot(iot)).toEqual(NONE);
    expect(fs.existsSync(path.join(dir, 'things.json'))).toBe(false);
  }, 240_000);

  it('SIGKILL of create, then SIGKILL of the clean that follows, at random moments (10 trials): the next clean leaves zero resources', async () => {
    let orphansSeen = 0;
    const moments: string[] = [];
    for (let trial = 0; trial < 10; trial++) {
      const dir = path.join(work, `kill-${trial}`);
      const createFor = 150 + Math.floor(Math.random() * 1800);
      const create = startCli(['create', '4', '--endpoint-url', s.endpointUrl, '--state-dir', dir], { cwd: work, env: ENV });
      await sleep(createFor);
      collectKeys(dir);
      record(`create (killed) ${trial}`, await create.kill('SIGKILL'));
      orphansSeen += await expectEverythingRecorded(dir, `trial ${trial} after SIGKILL of create at ${createFor} ms`);

      const cleanFor = 50 + Math.floor(Math.random() * 900);
      const clean = startCli(['clean', '--state-dir', dir], { cwd: work, env: ENV });
      await sleep(cleanFor);
      record(`clean (killed) ${trial}`, await clean.kill('SIGKILL'));
      await expectEverythingRecorded(dir, `trial ${trial} after SIGKILL of clean at ${cleanFor} ms`);
      moments.push(`${createFor}/${cleanFor}`);

      const last = await elf(['clean', '--state-dir', dir]);
      expect(last.exitCode, `trial ${trial} (${createFor}/${cleanFor} ms): ${last.stdout}${last.stderr}`).toBe(0);
      expect(await controlPlaneSnapshot(iot), `trial ${trial}`).toEqual(NONE);
      expect(fs.existsSync(path.join(dir, 'things.json')) || fs.existsSync(path.join(dir, 'journal.ndjson')), `trial ${trial}: state left behind`).toBe(false);
    }
    console.log(`kill moments create/clean (ms): ${moments.join(' ')}; unrecorded orphan certificates swept by clean: ${orphansSeen}`);
  }, 240_000);
});

describe('local disk faults (item 3)', () => {
  it('a state dir that cannot exist (under a regular file, in /proc, in /sys): one line, nothing made, no hang', async () => {
    // tests run as root, where chmod does not stop writes: these paths fail for root too
    // (ENOTDIR; procfs answers mkdir with ENOENT, which node's recursive mkdir retries forever; sysfs EPERM)
    const file = path.join(work, 'a-file');
    fs.writeFileSync(file, 'not a directory');
    for (const dir of [path.join(file, 'misc'), '/proc/elf-state', '/sys/elf-state']) {
      const r = await elf(['create', '2', '--endpoint-url', s.endpointUrl, '--state-dir', dir], 15_000);
      expect(r.signal, `${dir}: elf hung and was killed`).toBeNull();
      expectOneLineError(r, new RegExp(`${dir.replace(/[/.]/g, '\\$&')}|state`));
      expect(await controlPlaneSnapshot(iot), dir).toEqual(NONE);
    }
  });

  it('a disk that fills up mid-run (64 KiB beyond the reserve on a tmpfs): one line, every resource recorded, clean removes all', async (ctx) => {
    const mnt = path.join(work, 'tmpfs');
    fs.mkdirSync(mnt);
    if (process.getuid?.() !== 0 || spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1088k,mode=0700', 'tmpfs', mnt]).status !== 0) {
      return ctx.skip(); // needs root with CAP_SYS_ADMIN; the unit test with a smaller reserve still runs
    }
    try {
      const dir = path.join(mnt, 'misc');
      const r = await elf(['create', '40', '--concurrency', '4', '--endpoint-url', s.endpointUrl, '--state-dir', dir]);
      collectKeys(dir);
      expectOneLineError(r, /disk full \(ENOSPC\)/);
      const made = (await controlPlaneSnapshot(iot)).things.length;
      console.log(`disk full after ${made} things: ${r.stderr.split('\n').find((l) => l.startsWith('elf:'))}`);
      expect(made).toBeGreaterThan(0);
      expect(made).toBeLessThan(40);
      expect(await expectEverythingRecorded(dir, 'disk full')).toBe(0);
      const c = await elf(['clean', '--state-dir', dir]);
      expect(c.exitCode, c.stderr).toBe(0);
      expect(await controlPlaneSnapshot(iot)).toEqual(NONE);
    } finally {
      spawnSync('umount', [mnt]);
    }
  }, 120_000);

  it('damaged things.json or journal: one line naming the file with a way out, non-zero exit, nothing new in the control plane', async () => {
    const dir = path.join(work, 'damaged');
    const made = await elf(['create', '3', '--endpoint-url', s.endpointUrl, '--state-dir', dir]);
    expect(made.exitCode, made.stderr).toBe(0);
    collectKeys(dir);
    const before = await controlPlaneSnapshot(iot);
    expect(before.things).toHaveLength(3);
    // a compacted snapshot: things.json holds the fleet, the journal is empty or absent
    const thingsFile = path.join(dir, 'things.json');
    const journalFile = path.join(dir, 'journal.ndjson');
    const original = fs.readFileSync(thingsFile);
    const originalJournal = fs.existsSync(journalFile) ? fs.readFileSync(journalFile) : undefined;
    const event = (originalJournal?.toString().split('\n').find((l) => l.trim()) ?? '{"type":"thingRequested","name":"thing_9"}').trim();

    const damage: [string, () => void][] = [
      ['truncated to a third', () => fs.writeFileSync(thingsFile, original.subarray(0, Math.floor(original.length / 3)))],
      ['truncated to two thirds', () => fs.writeFileSync(thingsFile, original.subarray(0, Math.floor((2 * original.length) / 3)))],
      ['emptied', () => fs.writeFileSync(thingsFile, '')],
      ['binary garbage', () => fs.writeFileSync(thingsFile, Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 131 + 7) & 255)))],
      ['zeroed (a crash on some file systems)', () => fs.writeFileSync(thingsFile, Buffer.alloc(original.length))],
      ['valid JSON of the wrong shape', () => fs.writeFileSync(thingsFile, '[1,2,3]')],
      ['a future version', () => fs.writeFileSync(thingsFile, JSON.stringify({ ...JSON.parse(original.toString()), version: 2 }))],
      ['replaced by a directory', () => (fs.rmSync(thingsFile), fs.mkdirSync(thingsFile))],
      ['a garbage line in the middle of the journal', () => fs.writeFileSync(journalFile, `${event}\n{"garbage\n${event}\n`)],
    ];
    for (const [what, hurt] of damage) {
      hurt();
      const clean = await elf(['clean', '--state-dir', dir]);
      expectOneLineError(clean, /(things\.json|journal\.ndjson).*(corrupted|not elf fleet state|directory|EISDIR).*(elf clean|--only-local|restore|move)/);
      const grow = await elf(['create', '1', '--add', '--endpoint-url', s.endpointUrl, '--state-dir', dir]);
      expectOneLineError(grow, /(things\.json|journal\.ndjson)/);
      expect(await controlPlaneSnapshot(iot), what).toEqual(before);
      // restore
      fs.rmSync(thingsFile, { recursive: true, force: true });
      fs.writeFileSync(thingsFile, original, { mode: 0o600 });
      if (originalJournal) fs.writeFileSync(journalFile, originalJournal);
      else fs.rmSync(journalFile, { force: true });
    }
    // restored, the fleet is whole again: send and subscribe work (at debug level, for the secret search)
    const sent = await elf(['send', '--count', '2', '--interval', '0', '--state-dir', dir], 60_000);
    expect(sent.exitCode, sent.stderr).toBe(0);
    expect(sent.stdout).toMatch(/messages: 6 sent, 6 acked/);
    const sub = await elf(['subscribe', '--duration', '1', '--state-dir', dir], 60_000);
    expect(sub.signal, sub.stderr).toBeNull();
    expect(sub.stderr).not.toMatch(/\n\s+at /);
    // and clean removes it
    const c = await elf(['clean', '--state-dir', dir]);
    expect(c.exitCode, c.stderr).toBe(0);
    expect(await controlPlaneSnapshot(iot)).toEqual(NONE);
  }, 120_000);
});

describe('secrets never appear in output (item 6)', () => {
  it('no private key, secret access key or session token in any debug-level output of this file (create, clean, send, subscribe), nor in the stand-in’s', async () => {
    expect(outputs.length).toBeGreaterThan(5);
    expect(keyLines.size).toBeGreaterThan(20); // ~25 base64 lines per RSA-2048 key
    // the debug level was on: the retry decisions are logged at debug
    expect(outputs.some((o) => /"level":20/.test(o.text))).toBe(true);
    const standIn = { what: 'elf local', text: `${s.cli.stdout}\n${s.cli.stderr}` };
    expect(standIn.text).toMatch(/"level":20/);
    for (const f of ['ca.key', 'broker.key']) {
      const p = path.join(s.stateDir, f);
      if (fs.existsSync(p)) for (const line of fs.readFileSync(p, 'utf8').split('\n')) if (/^[A-Za-z0-9+/]{64}$/.test(line)) keyLines.add(line);
    }
    for (const o of [...outputs, standIn]) {
      expect(o.text, o.what).not.toMatch(/PRIVATE KEY/);
      expect(o.text, o.what).not.toContain(SECRET);
      expect(o.text, o.what).not.toContain(TOKEN);
      for (const line of keyLines) if (o.text.includes(line)) throw new Error(`${o.what}: printed a line of a private key`);
    }
  });
});
