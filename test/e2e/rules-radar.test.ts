import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CreateTopicRuleCommand, ListThingsCommand, ListTopicRulesCommand } from '@aws-sdk/client-iot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, ELF_BIN, ROOT, runCli } from '../helpers/cli.js';
import { eventually } from '../helpers/poll.js';
import { bucketObjects, expectedRadarRows, RADAR, sinkLines } from '../helpers/radar-rule.js';
import { startStandInProcess, type StandInProcess } from '../helpers/standin.js';

/**
 * Issue #15's "done when": from an empty directory with no AWS, `elf local`, `elf create 2`, a rule
 * with an s3 and a firehose action, `elf send --json-message data/radar-counts.json --no-loop`: the
 * sink files hold exactly the transformed rows of the lines whose Volume > 50 (computed from the data
 * file by the test). The rules are made by the README's `elf rule` example, run as written by bash:
 * one from flags, one from data/rules/radar-to-s3.json.
 */

let s: StandInProcess;
let work: string;
beforeAll(async () => {
  s = await startStandInProcess();
  work = await mkdtemp(path.join(os.tmpdir(), 'elf-rules-radar-'));
  await symlink(path.join(ROOT, 'data'), path.join(work, 'data'));
});
afterAll(async () => {
  await s?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

/** The first ```sh block under the README's `elf rule` heading. */
async function readmeRuleExample(): Promise<string> {
  const readme = await readFile(path.join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### `elf rule`'));
  const m = /```sh\n([\s\S]*?)```/.exec(section);
  if (!m) throw new Error('no sh block under ### `elf rule` in README.md');
  return m[1]!;
}

/** Polls until check() returns a value (a failed check, e.g. a file not there yet, counts as not yet). */
const until = <T>(check: () => Promise<T | undefined>, what: string, timeoutMs = 60_000): Promise<NonNullable<T>> =>
  eventually(() => check().catch(() => undefined), what, { timeoutMs, everyMs: 100 });

describe('a rule over radar-counts on the stand-in', () => {
  it("the README's example makes the rules; the s3 and firehose sinks hold exactly the transformed rows with Volume > 50", { timeout: 300_000 }, async () => {
    const dir = path.join(work, 'fleet');
    const flags = ['--endpoint-url', s.endpointUrl, '--state-dir', dir];
    const elf = (args: string[]) => runCli([...args, ...flags], { cwd: work, timeoutMs: 240_000 });
    const created = await elf(['create', '2']);
    expect(created.exitCode, created.stderr).toBe(0);

    const example = await readmeRuleExample();
    const shell = `set -e\nelf() { ${JSON.stringify(process.execPath)} ${JSON.stringify(ELF_BIN)} "$@" ${flags.map((f) => JSON.stringify(f)).join(' ')}; }\n${example}`;
    const ran = spawnSync('bash', ['-c', shell], { cwd: work, env: cleanEnv(), encoding: 'utf8', timeout: 120_000 });
    expect(ran.status, `${ran.stdout}${ran.stderr}`).toBe(0);
    expect(ran.stdout).toContain('created rule radar_to_s3\ncreated rule radar_from_file\nradar_from_file\telf\tenabled\nradar_to_s3\telf\tenabled\n');
    expect(ran.stdout).toContain('"sql": "SELECT location_name AS loc, Volume * 2 AS v2, topic() AS t, clientid() AS c FROM \'elf\' WHERE Volume > 50"');

    const sent = await elf(['send', '--json-message', RADAR, '--no-loop', '--interval', '0', '--qos', '1']);
    expect(sent.exitCode, sent.stderr).toBe(0);
    const things = ((await s.client().send(new ListThingsCommand({}))).things ?? []).map((t) => t.thingName!);
    expect(things).toHaveLength(2);
    const expected = await expectedRadarRows(things);
    expect(expected.length).toBeGreaterThan(1000);

    const sinks = path.join(s.stateDir, 'sinks');
    for (const stream of ['radar', 'elf-radar']) {
      const file = path.join(sinks, 'firehose', `${stream}.jsonl`);
      const lines = await until(() => sinkLines(file, expected.length), `${expected.length} lines in ${file}`);
      expect(lines.sort()).toEqual(expected);
    }
    for (const bucket of ['my-elf-data', 'elf-radar']) {
      const dirOf = path.join(sinks, 's3', bucket);
      const objects = await until(() => bucketObjects(dirOf, expected.length), `${expected.length} objects in ${dirOf}`);
      expect(objects.keys.every((k) => k.startsWith(`elf${path.sep}`) && k.endsWith('.json'))).toBe(true);
      expect(objects.bodies.sort()).toEqual(expected);
    }
    const info = (await (await fetch(`${s.endpointUrl}/elf/info`)).json()) as { rules: { dropped: number; failedActions: number } };
    expect(info.rules).toMatchObject({ dropped: 0, failedActions: 0 });

    // a rule elf did not make survives `elf clean`; the ones it made do not
    await s.client().send(new CreateTopicRuleCommand({ ruleName: 'not_elfs', topicRulePayload: { sql: "SELECT * FROM 'x'", actions: [] } }));
    const cleaned = await elf(['clean']);
    expect(cleaned.exitCode, cleaned.stderr).toBe(0);
    expect(cleaned.stdout).toContain('removed 2 topic rules');
    expect(((await s.client().send(new ListTopicRulesCommand({}))).rules ?? []).map((r) => r.ruleName)).toEqual(['not_elfs']);
  });
});
