import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsIot, awsSkipReason, cliError, hasAws, type AwsResult } from '../helpers/awscli.js';
import { opensslCa, type OpensslCa } from '../helpers/openssl-ca.js';
import { startStandInProcess, type StandInProcess } from '../helpers/standin.js';

const POLICY = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iot:Connect', Resource: '*' }] });
const ok = (r: AwsResult) => expect(r.code, r.stderr).toBe(0);
const tagsOf = (r: AwsResult) => Object.fromEntries((r.json.tags as { Key: string; Value: string }[]).map((t) => [t.Key, t.Value]));

/**
 * Tags through the official AWS CLI on every resource the stand-in tags (thing groups, thing types,
 * policies, CA certificates, topic rules): on create, tag-resource, untag-resource,
 * list-tags-for-resource, AWS's limits and errors, and a restart keeping them
 * (https://docs.aws.amazon.com/iot/latest/developerguide/tagging-iot.html).
 */
describe.skipIf(!hasAws)(`tags through the AWS CLI${awsSkipReason}`, () => {
  let s: StandInProcess;
  let dir: string;
  let ca: OpensslCa;
  const aws = awsIot(() => s.endpointUrl);
  const arns: Record<string, string> = {};

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'elf-tags-'));
    [s, ca] = await Promise.all([startStandInProcess({ keepState: true }), opensslCa(dir, 'tagged')]);
  }, 120_000);
  afterAll(async () => {
    await s?.stop();
    if (s) await rm(path.dirname(s.stateDir), { recursive: true, force: true });
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('tags on create, tag, untag and list on each taggable resource; the tags survive a restart', { timeout: 300_000 }, async () => {
    const made = await Promise.all([
      aws('create-thing-group', '--thing-group-name', 'tg', '--tags', 'Key=env,Value=dev', 'Key=team,Value=a'),
      aws('create-thing-type', '--thing-type-name', 'tt', '--tags', 'Key=env,Value=dev'),
      aws('create-policy', '--policy-name', 'tp', '--policy-document', POLICY, '--tags', 'Key=env,Value=dev'),
      aws('register-ca-certificate', '--ca-certificate', `file://${ca.certPath}`, '--certificate-mode', 'SNI_ONLY', '--tags', 'Key=env,Value=dev'),
      aws('create-topic-rule', '--rule-name', 'tr', '--topic-rule-payload', JSON.stringify({ sql: "SELECT * FROM 'elf/tags'", actions: [] }), '--tags', 'env=dev'),
    ]);
    made.forEach(ok);
    Object.assign(arns, { group: made[0]!.json.thingGroupArn, type: made[1]!.json.thingTypeArn, policy: made[2]!.json.policyArn, ca: made[3]!.json.certificateArn });
    arns.rule = ((await aws('get-topic-rule', '--rule-name', 'tr')).json.ruleArn as string) ?? 'no rule ARN';
    const listed = await Promise.all(Object.values(arns).map((a) => aws('list-tags-for-resource', '--resource-arn', a)));
    listed.forEach(ok);
    expect(listed.map(tagsOf)).toEqual([{ env: 'dev', team: 'a' }, { env: 'dev' }, { env: 'dev' }, { env: 'dev' }, { env: 'dev' }]);

    (await Promise.all(Object.values(arns).map((a) => aws('tag-resource', '--resource-arn', a, '--tags', 'Key=env,Value=prod', 'Key=owner,Value=me')))).forEach(ok);
    (await Promise.all(Object.values(arns).map((a) => aws('untag-resource', '--resource-arn', a, '--tag-keys', 'owner', 'team')))).forEach(ok);
    const after = await Promise.all(Object.values(arns).map((a) => aws('list-tags-for-resource', '--resource-arn', a)));
    expect(after.map(tagsOf)).toEqual(Array.from({ length: 5 }, () => ({ env: 'prod' })));

    const result = await s.stop();
    expect(result.exitCode).toBe(0);
    s = await startStandInProcess({ stateDir: s.stateDir });
    const restarted = await Promise.all(Object.values(arns).map((a) => aws('list-tags-for-resource', '--resource-arn', a)));
    expect(restarted.map(tagsOf)).toEqual(Array.from({ length: 5 }, () => ({ env: 'prod' })));
  });

  it("refuses AWS's way: unknown or untaggable resources, reserved keys, too long keys and values, more than 50 tags", { timeout: 300_000 }, async () => {
    const [thing, policy] = await Promise.all([aws('create-thing', '--thing-name', 'untaggable'), aws('create-policy', '--policy-name', 'tp2', '--policy-document', POLICY)]);
    ok(thing);
    ok(policy);
    const fifty = Array.from({ length: 50 }, (_, i) => `Key=k${i},Value=v`);
    const [unknown, ofThing, reserved, longKey, longValue, tooMany, badCreate, noArn] = await Promise.all([
      aws('list-tags-for-resource', '--resource-arn', 'arn:aws:iot:us-west-2:123456789012:thinggroup/none'),
      aws('tag-resource', '--resource-arn', thing.json.thingArn as string, '--tags', 'Key=a,Value=b'),
      aws('tag-resource', '--resource-arn', policy.json.policyArn as string, '--tags', 'Key=aws:owner,Value=b'),
      aws('tag-resource', '--resource-arn', policy.json.policyArn as string, '--tags', `Key=${'k'.repeat(129)},Value=b`),
      aws('tag-resource', '--resource-arn', policy.json.policyArn as string, '--tags', `Key=k,Value=${'v'.repeat(257)}`),
      aws('tag-resource', '--resource-arn', policy.json.policyArn as string, '--tags', ...fifty, 'Key=one-more,Value=v'),
      aws('create-thing-group', '--thing-group-name', 'never', '--tags', 'Key=aws:x,Value=y'),
      aws('untag-resource', '--resource-arn', 'arn:aws:iot:us-west-2:123456789012:rule/none', '--tag-keys', 'a'),
    ]);
    expect(unknown.stderr).toMatch(cliError('ResourceNotFoundException', 'ListTagsForResource'));
    expect(ofThing.stderr).toMatch(cliError('ResourceNotFoundException', 'TagResource'));
    expect(reserved.stderr).toMatch(cliError('InvalidRequestException', 'TagResource', /tags\[0\]\.Key aws:owner: the aws: prefix is reserved/));
    expect(longKey.stderr).toMatch(cliError('InvalidRequestException', 'TagResource', 'tags[0].Key must be a string of 1 to 128 characters'));
    expect(longValue.stderr).toMatch(cliError('InvalidRequestException', 'TagResource', 'tags[0].Value must be a string of at most 256 characters'));
    expect(tooMany.stderr).toMatch(cliError('LimitExceededException', 'TagResource'));
    expect(badCreate.stderr).toMatch(cliError('InvalidRequestException', 'CreateThingGroup'));
    expect(noArn.stderr).toMatch(cliError('ResourceNotFoundException', 'UntagResource'));
    // a refused create created nothing
    expect((await aws('describe-thing-group', '--thing-group-name', 'never')).stderr).toMatch(cliError('ResourceNotFoundException', 'DescribeThingGroup'));
  });
});
