import { describe, expect, it } from 'vitest';
import { EventConfigurations, registryEventMessages } from '../../src/local/registry-events.js';
import type { RegistryThing, ThingGroupRecord } from '../../src/local/registry/types.js';

const thing = (thingTypeName?: string): RegistryThing => ({ thingName: 't', thingId: 'id-t', thingArn: 'arn:aws:iot:us-east-1:123456789012:thing/t', attributes: {}, version: 2, creationDate: 0, ...(thingTypeName ? { thingTypeName } : {}) });

describe('registry event messages (https://docs.aws.amazon.com/iot/latest/developerguide/registry-events.html)', () => {
  it('a thing moved from one type to another: updated, removed from the old type, added to the new', () => {
    const m = registryEventMessages({ kind: 'thing', op: 'updated', name: 't', thing: thing('B'), previous: thing('A') }, '123456789012', 5, () => 'e');
    expect(m.map((x) => x.topic)).toEqual(['$aws/events/thing/t/updated', '$aws/events/thingTypeAssociation/thing/t/thingType/A/removed', '$aws/events/thingTypeAssociation/thing/t/thingType/B/added']);
    expect(m[0]!.payload).toMatchObject({ eventType: 'THING_EVENT', operation: 'UPDATED', versionNumber: 2, thingTypeName: 'B', timestamp: 5, eventId: 'e' });
  });

  it('an update that keeps the type, and changes to other resources, publish no association event', () => {
    expect(registryEventMessages({ kind: 'thing', op: 'updated', name: 't', thing: thing('A'), previous: thing('A') }, '1', 0).map((x) => x.type)).toEqual(['THING']);
  });
});

const group = (name: string, parentGroupName?: string): ThingGroupRecord => ({ thingGroupName: name, thingGroupId: `id-${name}`, thingGroupArn: `arn:aws:iot:us-east-1:123456789012:thinggroup/${name}`, attributes: {}, version: 1, creationDate: 0, ...(parentGroupName ? { parentGroupName } : {}) });

describe('thing group registry events', () => {
  it('a child group created: the group event names its parent and the root-to-parent chain, and a hierarchy event follows', () => {
    const m = registryEventMessages({ kind: 'thingGroup', op: 'created', name: 'c', thingGroup: group('c', 'p'), rootToParent: [group('r'), group('p', 'r')] }, '123456789012', 5, () => 'e');
    expect(m.map((x) => [x.type, x.topic])).toEqual([
      ['THING_GROUP', '$aws/events/thingGroup/c/created'],
      ['THING_GROUP_HIERARCHY', '$aws/events/thingGroupHierarchy/thingGroup/p/childThingGroup/c/added'],
    ]);
    expect(m[0]!.payload).toMatchObject({ eventType: 'THING_GROUP_EVENT', operation: 'CREATED', parentGroupName: 'p', parentGroupId: 'id-p', rootToParentThingGroups: [{ groupId: 'id-r' }, { groupId: 'id-p' }], dynamicGroupMappingId: null });
    expect(m[1]!.payload).toEqual({ eventType: 'THING_GROUP_HIERARCHY_EVENT', eventId: 'e', timestamp: 5, operation: 'ADDED', accountId: '123456789012', thingGroupId: 'id-p', thingGroupName: 'p', childGroupId: 'id-c', childGroupName: 'c' });
  });

  it('a root group, and an update of a child, publish no hierarchy event', () => {
    expect(registryEventMessages({ kind: 'thingGroup', op: 'created', name: 'r', thingGroup: group('r'), rootToParent: [] }, '1', 0).map((x) => x.type)).toEqual(['THING_GROUP']);
    expect(registryEventMessages({ kind: 'thingGroup', op: 'updated', name: 'c', thingGroup: group('c', 'p'), rootToParent: [group('p')] }, '1', 0).map((x) => x.type)).toEqual(['THING_GROUP']);
  });

  it('membership added and removed carry the same membershipId', () => {
    const add = registryEventMessages({ kind: 'thingGroupMembership', op: 'created', name: 'g', thingName: 't', thingGroup: group('g'), thing: thing() }, '1', 0)[0]!;
    const remove = registryEventMessages({ kind: 'thingGroupMembership', op: 'deleted', name: 'g', thingName: 't', thingGroup: group('g'), thing: thing() }, '1', 0)[0]!;
    expect(add.topic).toBe('$aws/events/thingGroupMembership/thingGroup/g/thing/t/added');
    expect(remove.topic).toBe('$aws/events/thingGroupMembership/thingGroup/g/thing/t/removed');
    expect(add.payload).toMatchObject({ eventType: 'THING_GROUP_MEMBERSHIP_EVENT', operation: 'ADDED', groupId: 'id-g', thingId: 'id-t', thingArn: 'arn:aws:iot:us-east-1:123456789012:thing/t' });
    expect(remove.payload.membershipId).toBe(add.payload.membershipId);
  });
});

describe('EventConfigurations', () => {
  it('all off at first; an update changes only the keys it names; unknown keys and non-boolean Enabled are refused', () => {
    const c = new EventConfigurations(() => 10_000);
    expect(c.isEnabled('THING')).toBe(false);
    c.update({ eventConfigurations: { THING: { Enabled: true } } });
    c.update({ eventConfigurations: { THING_TYPE: { Enabled: true } } });
    expect(c.describe().eventConfigurations).toMatchObject({ THING: { Enabled: true }, THING_TYPE: { Enabled: true }, POLICY: { Enabled: false } });
    expect(() => c.update({ eventConfigurations: { NOPE: { Enabled: true } } })).toThrow(/NOPE/);
    expect(() => c.update({ eventConfigurations: { THING: { Enabled: 'yes' } } })).toThrow(/boolean/);
    expect(c.isEnabled('THING')).toBe(true);
  });
});
