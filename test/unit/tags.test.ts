import { describe, expect, it } from 'vitest';
import { Registry } from '../../src/local/registry/index.js';
import { parseNewTags, parseTagging, parseTagKeys, parseTagList, tagList, withoutTags, withTags } from '../../src/local/tags.js';
import { errorOf } from '../helpers/api-errors.js';

const many = (n: number, prefix = 'k') => Array.from({ length: n }, (_, i) => ({ Key: `${prefix}${i}`, Value: 'v' }));
const doc = JSON.stringify({ Statement: [{ Effect: 'Allow', Action: 'iot:Connect', Resource: '*' }] });

describe('tag rules (AWS: 50 per resource, key 1-128, value 0-256, aws: reserved)', () => {
  it('parses a {Key, Value} list; a missing Value is the empty string; a key given again keeps the last value', () => {
    expect(parseTagList([{ Key: 'a', Value: '1' }, { Key: 'b' }, { Key: 'a', Value: '2' }])).toEqual({ a: '2', b: '' });
    expect(parseTagList(undefined)).toEqual({});
    expect(parseTagging('run=r1&team=x%20y')).toEqual({ run: 'r1', team: 'x y' });
  });

  it('refuses bad keys and values with InvalidRequestException naming the member', () => {
    for (const bad of [[{ Key: '' }], [{ Key: 'k'.repeat(129) }], [{ Key: 'aws:owner', Value: 'x' }], [{ Key: 'AWS:x' }], [{ Key: 'k', Value: 'v'.repeat(257) }], [{ Key: 1 }], 'a=b', [null]]) {
      const e = errorOf(() => parseTagList(bad));
      expect(e.errorName).toBe('InvalidRequestException');
      expect(e.message).toMatch(/^tags/);
    }
    expect(parseTagList([{ Key: 'k'.repeat(128), Value: 'v'.repeat(256) }])).toHaveProperty('k'.repeat(128));
    expect(errorOf(() => parseTagKeys([])).errorName).toBe('InvalidRequestException');
    expect(errorOf(() => parseTagKeys(['aws:x'])).errorName).toBe('InvalidRequestException');
  });

  it('at most 50 tags in all: LimitExceededException; overwriting a key does not count twice', () => {
    const fifty = parseNewTags(many(50));
    expect(Object.keys(fifty)).toHaveLength(50);
    expect(errorOf(() => parseNewTags(many(51))).errorName).toBe('LimitExceededException');
    expect(errorOf(() => withTags(fifty, { extra: 'x' })).errorName).toBe('LimitExceededException');
    expect(withTags(fifty, { k0: 'new' }).k0).toBe('new');
    expect(withoutTags({ a: '1', b: '2' }, ['a', 'missing'])).toEqual({ b: '2' });
    expect(tagList({ a: '1' })).toEqual({ tags: [{ Key: 'a', Value: '1' }] });
  });
});

describe('registry tags', () => {
  const setup = () => new Registry({ region: 'us-east-1', account: '123456789012' });

  it('tags on create, TagResource, UntagResource, ListTagsForResource for groups, types and policies', () => {
    const reg = setup();
    const g = reg.createThingGroup('g', undefined, {}, 'us-east-1', [{ Key: 'env', Value: 'dev' }]).thingGroupArn;
    const t = reg.createThingType('t', undefined, 'us-east-1', [{ Key: 'env', Value: 'prod' }]).thingTypeArn;
    const p = reg.createPolicy({ policyName: 'p', policyDocument: doc }).policyArn;
    expect(reg.listTagsForResource(g)).toEqual({ tags: [{ Key: 'env', Value: 'dev' }] });
    expect(reg.listTagsForResource(t)).toEqual({ tags: [{ Key: 'env', Value: 'prod' }] });
    expect(reg.listTagsForResource(p)).toEqual({ tags: [] });
    reg.tagResource(p, [{ Key: 'a', Value: '1' }, { Key: 'b', Value: '2' }]);
    reg.untagResource(p, ['a']);
    expect(reg.listTagsForResource(p)).toEqual({ tags: [{ Key: 'b', Value: '2' }] });
  });

  it('a create with bad tags creates nothing; unknown, untaggable or deleted resources are not found', () => {
    const reg = setup();
    expect(errorOf(() => reg.createThingGroup('g', undefined, {}, 'us-east-1', many(51))).errorName).toBe('LimitExceededException');
    expect(errorOf(() => reg.describeThingGroup('g')).errorName).toBe('ResourceNotFoundException');
    const thing = reg.createThing({ thingName: 'th' }).thingArn;
    for (const arn of [thing, 'arn:aws:iot:us-east-1:123456789012:thinggroup/none', 'arn:aws:iot:eu-west-1:123456789012:policy/p', 'nonsense']) {
      expect(errorOf(() => reg.listTagsForResource(arn)).errorName).toBe('ResourceNotFoundException');
    }
    const p = reg.createPolicy({ policyName: 'p', policyDocument: doc }, 'us-east-1', [{ Key: 'a', Value: '1' }]).policyArn;
    reg.deletePolicy('p');
    expect(errorOf(() => reg.tagResource(p, [{ Key: 'a', Value: '1' }])).errorName).toBe('ResourceNotFoundException');
    reg.createPolicy({ policyName: 'p', policyDocument: doc });
    expect(reg.listTagsForResource(p)).toEqual({ tags: [] });
  });

  it('tags survive a snapshot and restore', () => {
    const reg = setup();
    const g = reg.createThingGroup('g', undefined, {}, 'us-east-1', [{ Key: 'env', Value: 'dev' }]).thingGroupArn;
    const again = new Registry({ region: 'us-east-1', account: '123456789012', snapshot: JSON.parse(JSON.stringify(reg.snapshot())) });
    expect(again.listTagsForResource(g)).toEqual({ tags: [{ Key: 'env', Value: 'dev' }] });
  });
});
