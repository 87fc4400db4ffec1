import { readdir, readFile, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CreateTopicRuleCommand, ListThingsCommand, ListTopicRulesCommand } from '@aws-sdk/client-iot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runCli } from '../helpers/cli.js';
import { eventually } from '../helpers/poll.js';
import { startStandInProcess, type StandInProcess } from '../helpers/standin.js';

/**
 * Issue #15's "done when": from an empty directory with no AWS, `elf local`, `elf create 2`, a rule
 * with an s3 and a firehose action, `elf send --json-message data/radar-counts.json --no-loop`: the
 * sink files hold exactly the transformed rows of the lines whose Volume > 50. The expectation is
 * computed here from the data file, independently of the rules engine.
 */

const SQL = "SELECT location_name AS loc, Volume * 2 AS v2, topic() AS t, clientid() AS c FROM 'elf' WHERE Volume > 50";
const DATA = path.join(ROOT, 'data', 'radar-counts.json');

let s: StandInProcess;
let work: string;
beforeAll(async () => {
  s = await startStandInProcess();
  work = await mkdtemp(path.join(os.tmpdir(), 'elf-rules-radar-'));
});
afterAll(async () => {
  await s?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

/** The rows the rule must produce for one thing, as sorted JSON texts. */
async function expectedRows(things: string[]): Promise<string[]> {
  const lines = (await readFile(DATA, 'utf8')).split('\n').filter((l) => l.trim() !== '');
  const rows: string[] = [];
  for (const thing of things) {
    for (const line of lines) {
      const r = JSON.parse(line) as { location_name?: string; Volume?: unknown };
      if (typeof r.Volume !== 'number' || !(r.Volume > 50)) continue;
      rows.push(JSON.stringify({ ...(r.location_name !== undefined ? { loc: r.location_name } : {}), v2: r.Volume * 2, t: 'elf', c: thing }));
    }
  }
  return rows.sort();
}

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) if (e.isFile()) out.push(path.join(e.parentPath, e.name));
  return out;
}

/** Polls until check() returns a value (a failed check, e.g. a file not there yet, counts as not yet). */
const until = <T>(check: () => Promise<T | undefined>, what: string, timeoutMs = 60_000): Promise<NonNullable<T>> =>
  eventually(() => check().catch(() => undefined), what, { timeoutMs, everyMs: 100 });

describe('a rule over radar-counts on the stand-in', () => {
  it('lands exactly the transformed rows with Volume > 50 in the s3 and firehose sinks', { timeout: 300_000 }, async () => {
    const dir = path.join(work, 'fleet');
    const elf = (args: string[]) => runCli([...args, '--endpoint-url', s.endpointUrl, '--state-dir', dir], { cwd: work, timeoutMs: 240_000 });
    const created = await elf(['create', '2']);
    expect(created.exitCode, created.stderr).toBe(0);
    const rule = await elf(['rule', 'create', 'radar_rule', '--sql', SQL, '--action', 's3:bucket=elf-data,key=${topic()}/${newuuid()}.json', '--action', 'firehose:stream=radar,separator=\\n']);
    expect(rule.exitCode, rule.stderr).toBe(0);
    expect(rule.stdout).toBe('created rule radar_rule\n');
    const sent = await elf(['send', '--json-message', DATA, '--no-loop', '--interval', '0', '--qos', '1']);
    expect(sent.exitCode, sent.stderr).toBe(0);

    const things = ((await s.client().send(new ListThingsCommand({}))).things ?? []).map((t) => t.thingName!);
    expect(things).toHaveLength(2);
    const expected = await expectedRows(things);
    expect(expected.length).toBeGreaterThan(1000);

    const firehose = path.join(s.stateDir, 'sinks', 'firehose', 'radar.jsonl');
    const lines = await until(async () => {
      const l = (await readFile(firehose, 'utf8')).split('\n');
      return l.length - 1 >= expected.length ? l : undefined;
    }, `${expected.length} lines in ${firehose}`);
    expect(lines.pop()).toBe('');
    expect(lines.sort()).toEqual(expected);

    const bucket = path.join(s.stateDir, 'sinks', 's3', 'elf-data');
    const objects = await until(async () => {
      const f = await filesUnder(bucket);
      return f.length >= expected.length ? f : undefined;
    }, `${expected.length} objects in ${bucket}`);
    expect(objects.every((f) => path.relative(bucket, f).startsWith(`elf${path.sep}`))).toBe(true);
    expect((await Promise.all(objects.map((f) => readFile(f, 'utf8')))).sort()).toEqual(expected);

    const info = (await (await fetch(`${s.endpointUrl}/elf/info`)).json()) as { rules: { dropped: number; failedActions: number } };
    expect(info.rules).toMatchObject({ dropped: 0, failedActions: 0 });

    // a rule elf did not make survives `elf clean`; the one it made does not
    await s.client().send(new CreateTopicRuleCommand({ ruleName: 'not_elfs', topicRulePayload: { sql: "SELECT * FROM 'x'", actions: [] } }));
    expect((await elf(['rule', 'list'])).stdout).toBe('not_elfs\tx\tenabled\nradar_rule\telf\tenabled\n');
    const cleaned = await elf(['clean']);
    expect(cleaned.exitCode, cleaned.stderr).toBe(0);
    expect(cleaned.stdout).toContain('removed 1 topic rules');
    expect(((await s.client().send(new ListTopicRulesCommand({}))).rules ?? []).map((r) => r.ruleName)).toEqual(['not_elfs']);
  });
});
