import { describe, expect, it } from 'vitest';
import { EventConfigurations, registryEventMessages } from '../../src/local/registry-events.js';
import type { RegistryThing } from '../../src/local/registry/types.js';

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
