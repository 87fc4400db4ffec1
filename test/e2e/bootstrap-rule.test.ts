import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanEnv, ROOT } from '../helpers/cli.js';
import { eventually } from '../helpers/poll.js';
import { freePort } from '../helpers/net.js';
import { bucketObjects, expectedRadarRows, sinkLines } from '../helpers/radar-rule.js';

/**
 * `make bootstrap SAMPLE_FILE=radar-counts RULE=radar-to-s3` as a user runs it, natively, with no AWS
 * credentials: the Makefile starts the stand-in, creates the things, creates the rule from
 * data/rules/radar-to-s3.json and streams the file once; the stand-in's sinks hold exactly the rows
 * the rule makes (computed from the data file); `make clean` deletes the rule with the things.
 */
describe('make bootstrap RULE=… (native, no credentials)', () => {
  const work = mkdtempSync(path.join(tmpdir(), 'elf-bootstrap-rule-'));
  for (const f of ['Makefile', 'bin', 'dist', 'src', 'data', 'node_modules', 'package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json']) {
    symlinkSync(path.join(ROOT, f), path.join(work, f));
  }
  let pid: number | undefined;
  afterAll(() => {
    try {
      if (pid) process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
    rmSync(work, { recursive: true, force: true });
  });

  function make(args: string[], timeoutMs = 180_000) {
    // -o: use the dist/ and node_modules/ the suite runs with; never rebuild them under other tests' feet
    const r = spawnSync('make', ['--no-print-directory', '-o', 'dist', '-o', 'node_modules', ...args], { cwd: work, env: cleanEnv(), encoding: 'utf8', timeout: timeoutMs });
    return { code: r.status, out: `${r.stdout}${r.stderr}` };
  }

  it('refuses a RULE it cannot find, naming where it looked', () => {
    const r = make(['bootstrap', 'RULE=nosuch']);
    expect(r.code).not.toBe(0);
    expect(r.out).toContain('make: no rule file for RULE=nosuch (looked for data/rules/nosuch.json');
  });

  it('creates the rule between create and send; the sinks hold its rows; make clean deletes it', { timeout: 400_000 }, async () => {
    const vars = [`LOCAL_PORT=${await freePort()}`, `LOCAL_MQTT_PORT=${await freePort()}`];
    const started = make(['local-start', ...vars]);
    expect(started.code, started.out).toBe(0);
    pid = Number(readFileSync(path.join(work, '.elf/local.pid'), 'utf8'));

    const boot = make(['bootstrap', 'NATIVE=1', 'SAMPLE_FILE=radar-counts', 'RULE=radar-to-s3', 'THINGS=1', 'DURATION=600', 'INTERVAL=0', 'SEND_ARGS=--no-loop', ...vars], 300_000);
    expect(boot.code, boot.out).toBe(0);
    expect(boot.out).toContain('created rule radar_to_s3');
    expect(boot.out).toContain('make: rule radar_to_s3 ran on the stand-in: its results are under .elf/local/sinks/');

    const expected = await expectedRadarRows(['thing_0']);
    const sinks = path.join(work, '.elf/local/sinks');
    const until = <T>(check: () => Promise<T | undefined>, what: string) => eventually(() => check().catch(() => undefined), what, { timeoutMs: 60_000, everyMs: 100 });
    const lines = await until(() => sinkLines(path.join(sinks, 'firehose/elf-radar.jsonl'), expected.length), `${expected.length} firehose lines`);
    expect(lines.sort()).toEqual(expected);
    const objects = await until(() => bucketObjects(path.join(sinks, 's3/elf-radar'), expected.length), `${expected.length} s3 objects`);
    expect(objects.bodies.sort()).toEqual(expected);

    // bootstrap again on the same stand-in: the rule is left as it is
    const again = make(['bootstrap', 'NATIVE=1', 'RULE=radar-to-s3', 'INTERVAL=0', 'SEND_ARGS=--count 1', ...vars], 120_000);
    expect(again.code, again.out).toBe(0);
    expect(again.out).toContain('make: rule radar_to_s3 exists already: left as it is');

    // keep the stand-in's state for a look by hiding the marker that lets clean remove it
    unlinkSync(path.join(work, '.elf/bootstrap-started'));
    const clean = make(['clean', ...vars]);
    expect(clean.code, clean.out).toBe(0);
    expect(clean.out).toContain('removed 1 topic rules');
    expect(clean.out).toMatch(/stopped the local stand-in/);
    const rules = JSON.parse(readFileSync(path.join(work, '.elf/local/rules.json'), 'utf8')) as { rules: unknown[] };
    expect(rules.rules).toEqual([]);
  });
});
