import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CreateTopicRuleCommand, ListTagsForResourceCommand, ListThingsCommand, ListTopicRulesCommand } from '@aws-sdk/client-iot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { startStandInProcess, type StandInProcess } from '../helpers/standin.js';

/**
 * `elf clean` and `elf clean --run-id` remove the topic rules elf made and no others, on the stand-in:
 * `elf rule create` records the rule in the state dir and tags it elf_run=<the fleet's run id>
 * (https://docs.aws.amazon.com/iot/latest/apireference/API_CreateTopicRule.html, `tags`), which
 * `clean --run-id` finds through ListTopicRules and ListTagsForResource with no state dir at all.
 */

let s: StandInProcess;
let work: string;
beforeAll(async () => {
  s = await startStandInProcess();
  work = await mkdtemp(path.join(os.tmpdir(), 'elf-rules-clean-'));
});
afterAll(async () => {
  await s?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

const SQL = "SELECT * FROM 'elf'";

describe('clean removes the rules elf made', () => {
  it('clean --run-id removes that run’s rules (found by tag), clean removes the recorded ones, others stay', { timeout: 240_000 }, async () => {
    const elf = (args: string[]) => runCli([...args, '--endpoint-url', s.endpointUrl], { cwd: work, timeoutMs: 120_000 });
    const a = path.join(work, 'a');
    const b = path.join(work, 'b');
    for (const [dir, run] of [[a, 'run-a'], [b, 'run-b']] as const) {
      const created = await elf(['create', '1', '--prefix', `${run}_`, '--run-id', run, '--state-dir', dir]);
      expect(created.exitCode, created.stderr).toBe(0);
    }
    for (const [dir, name] of [[a, 'rule_a'], [b, 'rule_b']] as const) {
      const r = await elf(['rule', 'create', name, '--sql', SQL, '--action', 'kinesis:stream=x', '--state-dir', dir]);
      expect(r.exitCode, r.stderr).toBe(0);
    }
    // a rule made with no fleet is recorded but untagged; one elf did not make is neither
    expect((await elf(['rule', 'create', 'rule_nofleet', '--sql', SQL, '--state-dir', path.join(work, 'none')])).exitCode).toBe(0);
    const iot = s.client();
    await iot.send(new CreateTopicRuleCommand({ ruleName: 'not_elfs', topicRulePayload: { sql: SQL, actions: [] }, tags: 'elf_run=other&team=data' }));
    const arns = new Map(((await iot.send(new ListTopicRulesCommand({}))).rules ?? []).map((r) => [r.ruleName!, r.ruleArn!]));
    const arn = (name: string) => arns.get(name) ?? arns.get('rule_a')!.replace(/rule_a$/, name);
    expect((await iot.send(new ListTagsForResourceCommand({ resourceArn: arn('rule_a') }))).tags).toEqual([{ Key: 'elf_run', Value: 'run-a' }]);
    expect((await iot.send(new ListTagsForResourceCommand({ resourceArn: arn('rule_nofleet') }))).tags).toEqual([]);
    await expect(iot.send(new ListTagsForResourceCommand({ resourceArn: arn('nosuch') }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    const ruleNames = async () => ((await iot.send(new ListTopicRulesCommand({}))).rules ?? []).map((r) => r.ruleName);

    const byRun = await elf(['clean', '--run-id', 'run-a', '--state-dir', path.join(work, 'unused')]);
    expect(byRun.exitCode, byRun.stderr).toBe(0);
    expect(byRun.stdout).toContain('removed 1 topic rules of run run-a: rule_a\n');
    expect(await ruleNames()).toEqual(['not_elfs', 'rule_b', 'rule_nofleet']);
    expect(((await iot.send(new ListThingsCommand({}))).things ?? []).map((t) => t.thingName)).toEqual(['run-b_0']);

    // the state dir of run-a still records rule_a: already gone counts as removed
    const cleanA = await elf(['clean', '--state-dir', a]);
    expect(cleanA.exitCode, cleanA.stderr).toBe(0);
    expect(cleanA.stdout).toContain('removed 1 topic rules');
    const cleanB = await elf(['clean', '--state-dir', b]);
    expect(cleanB.exitCode, cleanB.stderr).toBe(0);
    expect(cleanB.stdout).toContain('removed 1 topic rules');
    expect(await ruleNames()).toEqual(['not_elfs', 'rule_nofleet']);
    const cleanNone = await elf(['clean', '--state-dir', path.join(work, 'none')]);
    expect(cleanNone.exitCode, cleanNone.stderr).toBe(0);
    expect(cleanNone.stdout).toContain('removed 1 topic rules');
    expect(await ruleNames()).toEqual(['not_elfs']);
  });
});
