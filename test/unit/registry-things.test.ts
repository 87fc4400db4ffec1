import { describe, expect, it } from 'vitest';
import { Registry, type RegistryChange } from '../../src/local/registry/index.js';
import { applyAttributes } from '../../src/local/registry/attributes.js';
import { errorOf } from '../helpers/api-errors.js';

function setup() {
  let clock = 1_700_000_000_000;
  const reg = new Registry({ region: 'us-east-1', account: '123456789012', now: () => clock });
  const changes: RegistryChange[] = [];
  reg.onChange((c) => changes.push(c));
  return { reg, changes, tick: (ms: number) => (clock += ms) };
}

const attrs = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`a${i}`, `${i}`]));

describe('attribute payloads', () => {
  it('replace by default, merge on request, and an empty value removes in both modes', () => {
    const cur = { a: '1', b: '2' };
    expect(applyAttributes(cur, { c: '3' }, false)).toEqual({ c: '3' });
    expect(applyAttributes(cur, { c: '3', a: '' }, true)).toEqual({ b: '2', c: '3' });
    expect(applyAttributes(cur, { b: '', c: '3' }, false)).toEqual({ c: '3' });
    expect(applyAttributes(cur, { a: '9' }, true)).toEqual({ a: '9', b: '2' });
  });
});

describe('UpdateThing', () => {
  it('merges or replaces attributes, bumps the version, and reports the change with the record before it', () => {
    const { reg, changes } = setup();
    reg.createThing({ thingName: 't', attributes: { a: '1', b: '2' } });
    reg.updateThing('t', { attributes: { b: '', c: '3' }, merge: true });
    expect(reg.describeThing('t')).toMatchObject({ attributes: { a: '1', c: '3' }, version: 2 });
    reg.updateThing('t', { attributes: { z: '0' } });
    expect(reg.describeThing('t')).toMatchObject({ attributes: { z: '0' }, version: 3 });
    const last = changes.at(-1)!;
    expect(last).toMatchObject({ kind: 'thing', op: 'updated', name: 't', thing: { attributes: { z: '0' }, version: 3 }, previous: { attributes: { a: '1', c: '3' }, version: 2 } });
  });

  it('expectedVersion must match (VersionConflictException), and a failed update changes nothing', () => {
    const { reg, changes } = setup();
    reg.createThing({ thingName: 't' });
    const n = changes.length;
    expect(errorOf(() => reg.updateThing('t', { expectedVersion: 7, attributes: { a: '1' } })).errorName).toBe('VersionConflictException');
    reg.updateThing('t', { expectedVersion: 1, attributes: { a: '1' } });
    expect(errorOf(() => reg.updateThing('t', { attributes: attrs(4) })).errorName).toBe('InvalidRequestException');
    expect(reg.describeThing('t')).toMatchObject({ attributes: { a: '1' }, version: 2 });
    expect(changes.length).toBe(n + 1);
    expect(errorOf(() => reg.updateThing('nope', {})).errorName).toBe('ResourceNotFoundException');
  });

  it('gives and removes a thing type: 50 attributes with a type, 3 without; both at once is refused', () => {
    const { reg } = setup();
    reg.createThingType('Lamp', { searchableAttributes: ['model'] });
    reg.createThing({ thingName: 't' });
    expect(errorOf(() => reg.updateThing('t', { thingTypeName: 'Nope' })).errorName).toBe('ResourceNotFoundException');
    reg.updateThing('t', { thingTypeName: 'Lamp', attributes: attrs(50) });
    expect(reg.describeThing('t').thingTypeName).toBe('Lamp');
    expect(errorOf(() => reg.updateThing('t', { attributes: { extra: 'x' }, merge: true })).message).toMatch(/at most 50/);
    expect(errorOf(() => reg.updateThing('t', { removeThingType: true })).message).toMatch(/without a thing type can have at most 3/);
    expect(errorOf(() => reg.updateThing('t', { removeThingType: true, thingTypeName: 'Lamp' })).errorName).toBe('InvalidRequestException');
    reg.updateThing('t', { removeThingType: true, attributes: { a: '1' } });
    expect(reg.describeThing('t').thingTypeName).toBeUndefined();
  });
});

describe('thing types', () => {
  it('CreateThingType is idempotent for the same properties; DescribeThingType answers AWS shapes', () => {
    const { reg } = setup();
    const a = reg.createThingType('Lamp', { thingTypeDescription: 'lights', searchableAttributes: ['model'] });
    expect(a.thingTypeArn).toBe('arn:aws:iot:us-east-1:123456789012:thingtype/Lamp');
    expect(reg.createThingType('Lamp', { thingTypeDescription: 'lights', searchableAttributes: ['model'] })).toEqual(a);
    expect(errorOf(() => reg.createThingType('Lamp', { thingTypeDescription: 'other' })).errorName).toBe('ResourceAlreadyExistsException');
    expect(reg.describeThingType('Lamp')).toMatchObject({
      thingTypeName: 'Lamp',
      thingTypeId: a.thingTypeId,
      thingTypeProperties: { thingTypeDescription: 'lights', searchableAttributes: ['model'] },
      thingTypeMetadata: { deprecated: false, creationDate: 1_700_000_000 },
    });
    expect(errorOf(() => reg.createThingType('bad name', {})).errorName).toBe('InvalidRequestException');
  });

  it('a deprecated type takes no new things (create or update), keeps its things, and can be undeprecated', () => {
    const { reg } = setup();
    reg.createThingType('Lamp', {});
    reg.createThing({ thingName: 'old', thingTypeName: 'Lamp' });
    reg.deprecateThingType('Lamp');
    expect(reg.describeThingType('Lamp').thingTypeMetadata).toMatchObject({ deprecated: true, deprecationDate: 1_700_000_000 });
    expect(errorOf(() => reg.createThing({ thingName: 'new', thingTypeName: 'Lamp' })).errorName).toBe('InvalidRequestException');
    reg.createThing({ thingName: 'new' });
    expect(errorOf(() => reg.updateThing('new', { thingTypeName: 'Lamp' })).message).toMatch(/deprecated thing type: Lamp/);
    reg.updateThing('old', { attributes: { a: '1' } }); // its own things keep the type
    reg.deprecateThingType('Lamp', true);
    reg.updateThing('new', { thingTypeName: 'Lamp' });
    expect(reg.listThings({ thingTypeName: 'Lamp' }).things.map((t) => t.thingName)).toEqual(['new', 'old']);
  });

  it('DeleteThingType: only deprecated, only 5 minutes after deprecation, only with no things of the type', () => {
    const { reg, tick, changes } = setup();
    reg.createThingType('Lamp', {});
    reg.createThing({ thingName: 't', thingTypeName: 'Lamp' });
    expect(errorOf(() => reg.deleteThingType('Lamp')).message).toMatch(/must be deprecated/);
    reg.deprecateThingType('Lamp');
    tick(5 * 60_000 - 1);
    expect(errorOf(() => reg.deleteThingType('Lamp')).message).toMatch(/less than 5 minutes ago/);
    tick(1);
    expect(errorOf(() => reg.deleteThingType('Lamp')).message).toMatch(/still have it/);
    reg.updateThing('t', { removeThingType: true });
    reg.deleteThingType('Lamp');
    expect(errorOf(() => reg.describeThingType('Lamp')).errorName).toBe('ResourceNotFoundException');
    expect(changes.filter((c) => c.kind === 'thingType').map((c) => c.op)).toEqual(['created', 'updated', 'deleted']);
  });

  it('survive a snapshot round trip', () => {
    const { reg } = setup();
    reg.createThingType('Lamp', { searchableAttributes: ['model'] });
    reg.createThing({ thingName: 't', thingTypeName: 'Lamp' });
    const again = new Registry({ region: 'us-east-1', account: '123456789012', snapshot: JSON.parse(JSON.stringify(reg.snapshot())) });
    expect(again.describeThingType('Lamp')).toEqual(reg.describeThingType('Lamp'));
    expect(again.describeThing('t').thingTypeName).toBe('Lamp');
  });
});

describe('ListThings filters', () => {
  it('attribute name, exact or prefix value, or thing type; attribute and type together are refused as on AWS', () => {
    const { reg } = setup();
    reg.createThingType('Lamp', {});
    reg.createThing({ thingName: 'a', attributes: { room: 'kitchen' } });
    reg.createThing({ thingName: 'b', attributes: { room: 'kit' } });
    reg.createThing({ thingName: 'c', thingTypeName: 'Lamp', attributes: { floor: '1' } });
    const names = (q: Parameters<Registry['listThings']>[0]) => reg.listThings(q).things.map((t) => t.thingName);
    expect(names({ attributeName: 'room' })).toEqual(['a', 'b']);
    expect(names({ attributeName: 'room', attributeValue: 'kit' })).toEqual(['b']);
    expect(names({ attributeName: 'room', attributeValue: 'kit', usePrefixAttributeValue: true })).toEqual(['a', 'b']);
    expect(names({ thingTypeName: 'Lamp' })).toEqual(['c']);
    expect(errorOf(() => reg.listThings({ thingTypeName: 'Lamp', attributeName: 'floor' })).message).toBe('Listing things by the combination of attribute and thing type is not supported');
  });

  it('ListThingPrincipals on a missing thing says what AWS says', () => {
    const { reg } = setup();
    const e = errorOf(() => reg.listThingPrincipals('ghost'));
    expect(e.errorName).toBe('ResourceNotFoundException');
    expect(e.message).toBe('Failed to list principals for thing ghost because the thing does not exist in your account');
  });
});
