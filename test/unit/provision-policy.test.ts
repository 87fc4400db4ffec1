import { describe, expect, it } from 'vitest';
import { evaluate, parsePolicy } from '../../src/local/policy.js';
import { parseArn, thingPolicyDocument, policyDocumentText, policyNameFor, POLICY_NAME_RE, samePolicy, topicRootProblem, type ThingPolicyDocument } from '../../src/provision/policy.js';

/**
 * A tiny evaluator of AWS IoT policy semantics (docs/aws-iot-facts.md#policies): implicit
 * deny, explicit deny wins, IAM-style globs (`*` any run of characters including `/`, `?` one
 * character, `+`/`#` literal), case-insensitive actions, case-sensitive resources.
 */
function glob(pattern: string): RegExp {
  let re = '';
  for (const ch of pattern) re += ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  return new RegExp(`^${re}$`);
}
function allowed(doc: ThingPolicyDocument, action: string, resource: string): boolean {
  let allow = false;
  for (const s of doc.Statement) {
    const actionHit = s.Action.some((a) => glob(a.toLowerCase()).test(action.toLowerCase()));
    const resourceHit = s.Resource.some((r) => glob(r).test(resource));
    if (actionHit && resourceHit) {
      if (s.Effect === 'Deny') return false;
      allow = true;
    }
  }
  return allow;
}

const R = 'eu-west-1';
const A = '123456789012';
const arn = (rest: string) => `arn:aws:iot:${R}:${A}:${rest}`;
const doc = thingPolicyDocument({ region: R, account: A, thingName: 'thing_7', topicRoot: 'elf' });

describe('least-privilege policy', () => {
  it('lets a thing connect only with its own name as client id', () => {
    expect(allowed(doc, 'iot:Connect', arn('client/thing_7'))).toBe(true);
    expect(allowed(doc, 'iot:Connect', arn('client/thing_70'))).toBe(false);
    expect(allowed(doc, 'iot:Connect', arn('client/thing_8'))).toBe(false);
    expect(allowed(doc, 'iot:Connect', arn('client/+'))).toBe(false);
    expect(allowed(doc, 'iot:Connect', `arn:aws:iot:us-east-1:${A}:client/thing_7`)).toBe(false);
    expect(allowed(doc, 'iot:Connect', `arn:aws:iot:${R}:999999999999:client/thing_7`)).toBe(false);
  });

  it('allows publish and receive on the topic root and below, nowhere else', () => {
    for (const action of ['iot:Publish', 'iot:Receive']) {
      expect(allowed(doc, action, arn('topic/elf'))).toBe(true);
      expect(allowed(doc, action, arn('topic/elf/thing_7'))).toBe(true);
      expect(allowed(doc, action, arn('topic/elf/a/b/c'))).toBe(true);
      expect(allowed(doc, action, arn('topic/elfx'))).toBe(false);
      expect(allowed(doc, action, arn('topic/other'))).toBe(false);
      expect(allowed(doc, action, arn('topic/$aws/things/thing_8/shadow/update'))).toBe(false);
      expect(allowed(doc, action, arn('topic/$aws/things/thing_7/shadow/update'))).toBe(true);
      expect(allowed(doc, action, arn('topic/$aws/things/thing_7/shadow/get/accepted'))).toBe(true);
      expect(allowed(doc, action, arn('topic/$aws/things/thing_7/jobs/notify'))).toBe(false);
    }
    expect(allowed(doc, 'iot:Publish', arn('topicfilter/elf'))).toBe(false);
  });

  it('allows subscribing only to filters under the root or its own shadow', () => {
    expect(allowed(doc, 'iot:Subscribe', arn('topicfilter/elf'))).toBe(true);
    expect(allowed(doc, 'iot:Subscribe', arn('topicfilter/elf/#'))).toBe(true);
    expect(allowed(doc, 'iot:Subscribe', arn('topicfilter/elf/+/x'))).toBe(true);
    expect(allowed(doc, 'iot:Subscribe', arn('topicfilter/#'))).toBe(false);
    expect(allowed(doc, 'iot:Subscribe', arn('topicfilter/+'))).toBe(false);
    expect(allowed(doc, 'iot:Subscribe', arn('topicfilter/$aws/things/thing_7/shadow/update/accepted'))).toBe(true);
    expect(allowed(doc, 'iot:Subscribe', arn('topicfilter/$aws/things/+/shadow/update/accepted'))).toBe(false);
    expect(allowed(doc, 'iot:Subscribe', arn('topic/elf'))).toBe(false);
  });

  it('grants no other action and never wildcards region or account', () => {
    for (const action of ['iot:RetainPublish', 'iot:UpdateThingShadow', 'iot:DeleteThing', 'iot:*']) expect(allowed(doc, action, arn('topic/elf'))).toBe(false);
    for (const s of doc.Statement) {
      for (const r of s.Resource) expect(r.startsWith(`arn:aws:iot:${R}:${A}:`)).toBe(true);
      for (const a of s.Action) expect(a).not.toContain('*');
    }
    expect(JSON.stringify(doc)).not.toMatch(/:\*:|"\*"/);
  });

  it('fits AWS size limits and names', () => {
    const long = policyDocumentText({ region: 'ap-southeast-2', account: A, thingName: `t_${'x'.repeat(98)}`, topicRoot: 'a/b/c/d/e/f' });
    expect(long.replace(/\s/g, '').length).toBeLessThanOrEqual(2048);
    expect(policyNameFor('thing_0')).toBe('elf-thing_0');
    expect(POLICY_NAME_RE.test(policyNameFor('thing-x_12'))).toBe(true);
  });

  it('uses the partition of the certificate ARN', () => {
    const cn = thingPolicyDocument({ region: 'cn-north-1', account: A, thingName: 't', topicRoot: 'elf', partition: 'aws-cn' });
    expect(cn.Statement[0]!.Resource[0]).toBe(`arn:aws-cn:iot:cn-north-1:${A}:client/t`);
    expect(parseArn(`arn:aws-cn:iot:cn-north-1:${A}:cert/abc`)).toEqual({ partition: 'aws-cn', service: 'iot', region: 'cn-north-1', account: A, resource: 'cert/abc' });
  });

  it('refuses topic roots and inputs that would widen the policy', () => {
    for (const bad of ['', '#', 'a/+', 'a*', 'a?', '$aws', '/a', 'a/', 'a//b', 'a b', 'a/b/c/d/e/f/g']) expect(topicRootProblem(bad), bad).toBeDefined();
    for (const good of ['elf', 'a/b', 'sensors-1/x_y']) expect(topicRootProblem(good), good).toBeUndefined();
    expect(() => thingPolicyDocument({ region: R, account: '*', thingName: 't', topicRoot: 'elf' })).toThrow(/account/);
    expect(() => thingPolicyDocument({ region: '*', account: A, thingName: 't', topicRoot: 'elf' })).toThrow(/region/);
    expect(() => thingPolicyDocument({ region: R, account: A, thingName: 't*', topicRoot: 'elf' })).toThrow(/thing name/);
  });

  it('compares documents regardless of whitespace and key order', () => {
    const text = policyDocumentText({ region: R, account: A, thingName: 'thing_7', topicRoot: 'elf' });
    const reordered = JSON.stringify({ Statement: JSON.parse(text).Statement, Version: '2012-10-17' }, null, 2);
    expect(samePolicy(text, reordered)).toBe(true);
    expect(samePolicy(text, policyDocumentText({ region: R, account: A, thingName: 'thing_8', topicRoot: 'elf' }))).toBe(false);
    expect(samePolicy(text, 'not json')).toBe(false);
  });

  it('the stand-in broker\'s evaluator (src/local/policy.ts) decides the same', () => {
    const real = [parsePolicy(JSON.stringify(doc))];
    const cases: [string, string][] = [
      ['iot:Connect', arn('client/thing_7')],
      ['iot:Connect', arn('client/thing_8')],
      ['iot:Publish', arn('topic/elf/x')],
      ['iot:Publish', arn('topic/other')],
      ['iot:Receive', arn('topic/$aws/things/thing_7/shadow/update/accepted')],
      ['iot:Receive', arn('topic/$aws/things/thing_8/shadow/update/accepted')],
      ['iot:Subscribe', arn('topicfilter/elf/#')],
      ['iot:Subscribe', arn('topicfilter/#')],
      ['iot:RetainPublish', arn('topic/elf')],
    ];
    for (const [action, resource] of cases) {
      expect(evaluate(real, action, resource, { clientId: 'thing_7' }).decision === 'allow', `${action} ${resource}`).toBe(allowed(doc, action, resource));
    }
  });
});
