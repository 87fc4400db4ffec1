import { describe, expect, it } from 'vitest';
import { Registry } from '../../src/local/registry/index.js';
import { errorOf } from '../helpers/api-errors.js';

const doc = (topic: string) => JSON.stringify({ Statement: [{ Effect: 'Allow', Action: 'iot:Publish', Resource: `arn:aws:iot:*:*:topic/${topic}` }] });
const hex = (n: number) => n.toString(16).padStart(64, '0');

function setup() {
  const reg = new Registry({ region: 'us-east-1', account: '123456789012' });
  const certEvents: string[] = [];
  reg.onCertificateChange((id) => certEvents.push(id));
  const cert = (n: number) => reg.addCertificate({ certificateId: hex(n), certificatePem: 'PEM', active: true, notBefore: 0, notAfter: 1 }).certificateArn;
  return { reg, certEvents, cert };
}

describe('thing groups', () => {
  it('a hierarchy fixed at creation: describe names the path from the root; list by parent, recursive, prefix', () => {
    const { reg } = setup();
    reg.createThingGroup('site', undefined, { thingGroupDescription: 'a site', attributes: { city: 'Oslo' } });
    reg.createThingGroup('floor1', 'site');
    reg.createThingGroup('room1', 'floor1');
    expect(errorOf(() => reg.createThingGroup('x', 'nope')).errorName).toBe('ResourceNotFoundException');
    expect(reg.describeThingGroup('room1')).toMatchObject({
      version: 1,
      thingGroupMetadata: { parentGroupName: 'floor1', rootToParentThingGroups: [{ groupName: 'site' }, { groupName: 'floor1' }] },
    });
    expect(reg.describeThingGroup('site').thingGroupProperties).toEqual({ thingGroupDescription: 'a site', attributePayload: { attributes: { city: 'Oslo' } } });
    const names = (q: Parameters<Registry['listThingGroups']>[0]) => reg.listThingGroups(q).thingGroups.map((g) => g.groupName);
    expect(names({})).toEqual(['floor1', 'room1', 'site']);
    expect(names({ parentGroup: 'site' })).toEqual(['floor1']);
    expect(names({ parentGroup: 'site', recursive: true })).toEqual(['floor1', 'room1']);
    expect(names({ namePrefixFilter: 'fl' })).toEqual(['floor1']);
  });

  it('update merges attributes and bumps the version; expectedVersion guards update and delete; a parent cannot be deleted', () => {
    const { reg } = setup();
    reg.createThingGroup('g', undefined, { attributes: { a: '1', b: '2' } });
    reg.createThingGroup('child', 'g');
    expect(reg.updateThingGroup('g', { attributes: { a: '', c: '3' }, merge: true })).toEqual({ version: 2 });
    expect(reg.describeThingGroup('g').thingGroupProperties.attributePayload.attributes).toEqual({ b: '2', c: '3' });
    expect(errorOf(() => reg.updateThingGroup('g', {}, 1)).errorName).toBe('VersionConflictException');
    expect(errorOf(() => reg.deleteThingGroup('g')).message).toBe('Cannot delete thing group : g when there are still child groups attached to it.');
    reg.deleteThingGroup('child');
    expect(errorOf(() => reg.deleteThingGroup('g', 1)).errorName).toBe('VersionConflictException');
    reg.deleteThingGroup('g', 2);
    reg.deleteThingGroup('g'); // a missing group is no error
  });

  it('membership: recursive listing, groups of a thing, one group per hierarchy, at most 10 groups, gone with the thing', () => {
    const { reg } = setup();
    reg.createThingGroup('site', undefined);
    reg.createThingGroup('floor1', 'site');
    reg.createThingGroup('floor2', 'site');
    reg.createThing({ thingName: 't1' });
    reg.createThing({ thingName: 't2' });
    reg.addThingToThingGroup({ name: 'floor1' }, { name: 't1' });
    reg.addThingToThingGroup({ arn: 'arn:aws:iot:us-east-1:123456789012:thinggroup/site' }, { arn: 'arn:aws:iot:us-east-1:123456789012:thing/t2' });
    expect(reg.listThingsInThingGroup('site').things).toEqual(['t2']);
    expect(reg.listThingsInThingGroup('site', { recursive: true }).things).toEqual(['t1', 't2']);
    expect(reg.listThingGroupsForThing('t1').thingGroups).toEqual([{ groupName: 'floor1', groupArn: 'arn:aws:iot:us-east-1:123456789012:thinggroup/floor1' }]);
    expect(errorOf(() => reg.addThingToThingGroup({ name: 'floor2' }, { name: 't1' })).message).toMatch(/same hierarchy/);
    for (let i = 0; i < 9; i++) {
      reg.createThingGroup(`g${i}`, undefined);
      reg.addThingToThingGroup({ name: `g${i}` }, { name: 't1' });
    }
    reg.createThingGroup('g9', undefined);
    expect(errorOf(() => reg.addThingToThingGroup({ name: 'g9' }, { name: 't1' })).message).toMatch(/10 thing groups/);
    reg.removeThingFromThingGroup({ name: 'floor1' }, { name: 't1' });
    expect(reg.listThingsInThingGroup('floor1').things).toEqual([]);
    reg.deleteThing('t2');
    expect(reg.listThingsInThingGroup('site').things).toEqual([]);
  });

  it("a group's policies (and its ancestors') count for a certificate only when the client id is a member thing attached to it", () => {
    const { reg, cert, certEvents } = setup();
    const arn = cert(1);
    reg.createPolicy({ policyName: 'own', policyDocument: doc('own') });
    reg.createPolicy({ policyName: 'site', policyDocument: doc('site') });
    reg.createPolicy({ policyName: 'floor', policyDocument: doc('floor') });
    reg.attachPolicy('own', arn);
    reg.createThingGroup('site', undefined);
    reg.createThingGroup('floor1', 'site');
    const site = reg.describeThingGroup('site').thingGroupArn;
    const floor = reg.describeThingGroup('floor1').thingGroupArn;
    reg.attachPolicy('site', site);
    reg.attachPolicy('floor', floor);
    reg.createThing({ thingName: 't1' });
    reg.attachThingPrincipal('t1', arn);
    certEvents.length = 0;
    reg.addThingToThingGroup({ name: 'floor1' }, { name: 't1' });
    expect(certEvents).toEqual([hex(1)]); // the broker re-decides for the thing's certificate
    expect(reg.policyDocuments(arn, 't1').sort()).toEqual([doc('floor'), doc('own'), doc('site')].sort());
    expect(reg.policyDocuments(arn, 'someone-else')).toEqual([doc('own')]);
    expect(reg.policyDocuments(arn)).toEqual([doc('own')]);
    expect(reg.listAttachedPolicies(floor, { recursive: true }).policies.map((p) => p.policyName).sort()).toEqual(['floor', 'site']);
    expect(reg.listAttachedPolicies(floor).policies.map((p) => p.policyName)).toEqual(['floor']);
    expect(errorOf(() => reg.deletePolicy('site')).errorName).toBe('DeleteConflictException');
    certEvents.length = 0;
    reg.detachPolicy('site', site);
    expect(certEvents).toEqual([hex(1)]);
    expect(reg.policyDocuments(arn, 't1').sort()).toEqual([doc('floor'), doc('own')].sort());
    expect(errorOf(() => reg.attachPolicy('own', 'arn:aws:iot:us-east-1:123456789012:thinggroup/nope')).errorName).toBe('ResourceNotFoundException');
  });

  it('survive a snapshot round trip', () => {
    const { reg } = setup();
    reg.createThingGroup('site', undefined, { attributes: { a: '1' } });
    reg.createThingGroup('floor1', 'site');
    reg.createThing({ thingName: 't1' });
    reg.addThingToThingGroup({ name: 'floor1' }, { name: 't1' });
    const again = new Registry({ region: 'us-east-1', account: '123456789012', snapshot: JSON.parse(JSON.stringify(reg.snapshot())) });
    expect(again.describeThingGroup('floor1')).toEqual(reg.describeThingGroup('floor1'));
    expect(again.listThingsInThingGroup('site', { recursive: true }).things).toEqual(['t1']);
  });
});
