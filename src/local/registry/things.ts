import { ApiError, invalid, notFound } from '../api-error.js';
import { page, pageSize } from '../page.js';
import * as valid from '../validate.js';
import { applyAttributes, checkAttributeCount, sameAttributes } from './attributes.js';
import type { ThingTypes } from './thing-types.js';
import { arn, byName, type RegistryState, type RegistryThing, type TokenPaging } from './types.js';

export interface ThingUpdate {
  thingTypeName?: string;
  removeThingType?: boolean;
  attributes?: Record<string, string>;
  merge?: boolean;
  expectedVersion?: number;
}

export const copyThing = (t: RegistryThing): RegistryThing => ({ ...t, attributes: { ...t.attributes } });

/** Things: CreateThing, UpdateThing, DescribeThing, DeleteThing, ListThings. */
export class Things {
  constructor(
    private readonly s: RegistryState,
    private readonly types: ThingTypes,
  ) {}

  get(name: string): RegistryThing {
    const t = this.s.things.get(valid.thingName(name));
    if (!t) throw notFound(`Thing ${name} cannot be found.`);
    return t;
  }

  create(input: { thingName: string; thingTypeName?: string; billingGroupName?: string; attributes?: Record<string, string> }, region = this.s.region) {
    const name = valid.thingName(input.thingName);
    if (input.thingTypeName !== undefined) valid.thingTypeName(input.thingTypeName);
    if (input.billingGroupName !== undefined) valid.billingGroupName(input.billingGroupName);
    const attributes = valid.attributes(input.attributes);
    checkAttributeCount(attributes, input.thingTypeName);
    const existing = this.s.things.get(name);
    if (existing) {
      // idempotent with the same configuration (model doc of CreateThing)
      if (existing.thingTypeName === input.thingTypeName && existing.billingGroupName === input.billingGroupName && sameAttributes(existing.attributes, attributes)) {
        return { thingName: name, thingArn: existing.thingArn, thingId: existing.thingId };
      }
      throw new ApiError('ResourceAlreadyExistsException', `Thing ${name} already exists in account with different attributes`, {
        resourceId: existing.thingId,
        resourceArn: existing.thingArn,
      });
    }
    if (input.thingTypeName !== undefined) this.types.assignable(input.thingTypeName);
    // the stand-in has no billing groups, so any named one does not exist
    if (input.billingGroupName !== undefined) throw notFound(`Billing group ${input.billingGroupName} does not exist`);
    const t: RegistryThing = { thingName: name, thingId: this.s.newId(), thingArn: arn(this.s, region, `thing/${name}`), ...(input.thingTypeName !== undefined ? { thingTypeName: input.thingTypeName } : {}), attributes, version: 1, creationDate: this.s.now() };
    this.s.things.set(name, t);
    this.s.changed({ kind: 'thing', op: 'created', name, thing: copyThing(t) });
    return { thingName: name, thingArn: t.thingArn, thingId: t.thingId };
  }

  /** UpdateThing (https://docs.aws.amazon.com/iot/latest/apireference/API_UpdateThing.html): every success bumps the version. */
  update(name: string, u: ThingUpdate): void {
    const t = this.get(name);
    if (u.thingTypeName !== undefined && u.removeThingType) throw invalid('thingTypeName and removeThingType cannot both be given');
    if (u.expectedVersion !== undefined && u.expectedVersion !== t.version) {
      throw new ApiError('VersionConflictException', `The version for thing ${t.thingName} does not match the expected version.`);
    }
    const thingTypeName = u.removeThingType ? undefined : (u.thingTypeName ?? t.thingTypeName);
    if (u.thingTypeName !== undefined && u.thingTypeName !== t.thingTypeName) this.types.assignable(u.thingTypeName);
    const attributes = u.attributes === undefined ? t.attributes : applyAttributes(t.attributes, valid.attributes(u.attributes), u.merge ?? false);
    checkAttributeCount(attributes, thingTypeName);
    const previous = copyThing(t);
    t.attributes = attributes;
    if (thingTypeName === undefined) delete t.thingTypeName;
    else t.thingTypeName = thingTypeName;
    t.version += 1;
    this.s.changed({ kind: 'thing', op: 'updated', name: t.thingName, thing: copyThing(t), previous });
  }

  describe(name: string) {
    const t = this.get(name);
    return {
      defaultClientId: t.thingName,
      thingName: t.thingName,
      thingId: t.thingId,
      thingArn: t.thingArn,
      thingTypeName: t.thingTypeName,
      attributes: { ...t.attributes },
      version: t.version,
      billingGroupName: t.billingGroupName,
    };
  }

  /** Model doc: "Returns successfully with no error if … you specify a thing that doesn't exist." */
  delete(name: string, expectedVersion?: number): void {
    const n = valid.thingName(name);
    const t = this.s.things.get(n);
    if (!t) return;
    if (expectedVersion !== undefined && expectedVersion !== t.version) {
      throw new ApiError('VersionConflictException', `The version for thing ${n} does not match the expected version.`);
    }
    if (this.s.thingPrincipals.of(n).length > 0) {
      throw invalid(`Cannot delete. Thing ${n} is still attached to one or more principals`);
    }
    for (const group of this.s.groupThings.to(n)) {
      this.s.groupThings.delete(group, n);
      const g = this.s.thingGroups.get(group);
      if (g) this.s.changed({ kind: 'thingGroupMembership', op: 'deleted', name: group, thingName: n, thingGroup: { ...g, attributes: { ...g.attributes } }, thing: copyThing(t) });
    }
    this.s.things.delete(n);
    this.s.changed({ kind: 'thing', op: 'deleted', name: n, thing: copyThing(t) });
  }

  list(q: TokenPaging & { attributeName?: string; attributeValue?: string; thingTypeName?: string; usePrefixAttributeValue?: boolean } = {}) {
    const limit = pageSize(q.maxResults);
    // AWS: "Listing things by the combination of attribute and thing type is not supported"
    if (q.thingTypeName !== undefined && q.attributeName !== undefined) throw invalid('Listing things by the combination of attribute and thing type is not supported');
    if (q.attributeValue !== undefined && q.attributeName === undefined) throw invalid('attributeValue is given without attributeName');
    let all = [...this.s.things.values()].sort((a, b) => byName(a.thingName, b.thingName));
    if (q.thingTypeName !== undefined) all = all.filter((t) => t.thingTypeName === q.thingTypeName);
    if (q.attributeName !== undefined) {
      const name = q.attributeName;
      const value = q.attributeValue;
      all = all.filter((t) => {
        const v = t.attributes[name];
        if (v === undefined) return false;
        if (value === undefined) return true;
        return q.usePrefixAttributeValue ? v.startsWith(value) : v === value;
      });
    }
    const p = page(all, (t) => t.thingName, q.nextToken, limit);
    return {
      things: p.items.map((t) => ({ thingName: t.thingName, thingTypeName: t.thingTypeName, thingArn: t.thingArn, attributes: { ...t.attributes }, version: t.version })),
      nextToken: p.next,
    };
  }
}
