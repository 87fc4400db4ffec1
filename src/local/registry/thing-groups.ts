import { ApiError, invalid, notFound } from '../api-error.js';
import { page, pageSize } from '../page.js';
import * as valid from '../validate.js';
import { applyAttributes } from './attributes.js';
import type { RegistryChange } from './changes.js';
import { arn, byName, seconds, type RegistryState, type ThingGroupRecord, type TokenPaging } from './types.js';

/** Static thing groups' limits (https://docs.aws.amazon.com/general/latest/gr/iot_device_management.html#thing-limits). */
export const MAX_GROUP_DEPTH = 7;
export const MAX_CHILD_GROUPS = 100;
export const MAX_GROUPS_PER_THING = 10;
export const MAX_GROUP_ATTRIBUTES = 50;
const MAX_DESCRIPTION = 2028;
const GROUP_ARN = /^arn:aws[a-z-]*:iot:[^:]*:[^:]*:thinggroup\/(.+)$/;

export interface ThingGroupProperties {
  thingGroupDescription?: string;
  attributes?: Record<string, string>;
  merge?: boolean;
}

const copy = (g: ThingGroupRecord): ThingGroupRecord => ({ ...g, attributes: { ...g.attributes } });

/**
 * Static thing groups (https://docs.aws.amazon.com/iot/latest/developerguide/thing-groups.html): a
 * hierarchy fixed at creation, direct members, and the rules on where a thing may be a member.
 */
export class ThingGroups {
  constructor(private readonly s: RegistryState) {}

  get(name: string): ThingGroupRecord {
    const g = this.s.thingGroups.get(valid.thingGroupName(name));
    if (!g) throw notFound(`Thing group ${name} does not exist`);
    return g;
  }

  /** A thing-group ARN → its group, or undefined when the text is not a thing-group ARN. */
  byArn(text: string): ThingGroupRecord | undefined {
    const m = GROUP_ARN.exec(text);
    if (!m) return undefined;
    const g = this.s.thingGroups.get(m[1]!);
    if (!g) throw notFound(`The thing group does not exist: ${text}`);
    return g;
  }

  /** The group named, or given by ARN (AddThingToThingGroup takes either). */
  named(name: unknown, groupArn: unknown): ThingGroupRecord {
    if (typeof name === 'string' && name !== '') return this.get(name);
    if (typeof groupArn === 'string' && groupArn !== '') {
      const g = this.byArn(groupArn);
      if (!g) throw invalid(`Invalid thingGroupArn: ${groupArn.slice(0, 200)}`);
      return g;
    }
    throw invalid('thingGroupName or thingGroupArn is required');
  }

  /** The group's ancestors, parent first. */
  ancestors(name: string): ThingGroupRecord[] {
    const out: ThingGroupRecord[] = [];
    for (let g = this.s.thingGroups.get(name); g?.parentGroupName !== undefined; ) {
      g = this.s.thingGroups.get(g.parentGroupName);
      if (!g) break;
      out.push(g);
    }
    return out;
  }

  /** The group itself and every group below it. */
  subtree(name: string): string[] {
    const out = [name];
    for (let i = 0; i < out.length; i++) for (const g of this.s.thingGroups.values()) if (g.parentGroupName === out[i]) out.push(g.thingGroupName);
    return out;
  }

  private root(name: string): string {
    return this.ancestors(name).at(-1)?.thingGroupName ?? name;
  }

  create(name: string, parentGroupName: string | undefined, props: ThingGroupProperties, region = this.s.region) {
    const n = valid.thingGroupName(name);
    const attributes = this.attributes({}, props);
    const existing = this.s.thingGroups.get(n);
    if (existing) {
      throw new ApiError('ResourceAlreadyExistsException', `Thing group ${n} already exists`, { resourceId: existing.thingGroupId, resourceArn: existing.thingGroupArn });
    }
    if (parentGroupName !== undefined) {
      const parent = this.get(parentGroupName);
      if (this.ancestors(parent.thingGroupName).length + 2 > MAX_GROUP_DEPTH) throw invalid(`A thing group hierarchy can be at most ${MAX_GROUP_DEPTH} levels deep`);
      const children = [...this.s.thingGroups.values()].filter((g) => g.parentGroupName === parent.thingGroupName).length;
      if (children >= MAX_CHILD_GROUPS) throw new ApiError('LimitExceededException', `Thing group ${parent.thingGroupName} already has ${MAX_CHILD_GROUPS} child groups`);
    }
    const g: ThingGroupRecord = {
      thingGroupName: n,
      thingGroupId: this.s.newId(),
      thingGroupArn: arn(this.s, region, `thinggroup/${n}`),
      ...(parentGroupName !== undefined ? { parentGroupName } : {}),
      ...(props.thingGroupDescription !== undefined ? { description: props.thingGroupDescription } : {}),
      attributes,
      version: 1,
      creationDate: this.s.now(),
    };
    this.s.thingGroups.set(n, g);
    this.groupChanged('created', g);
    return { thingGroupName: n, thingGroupArn: g.thingGroupArn, thingGroupId: g.thingGroupId };
  }

  private attributes(current: Record<string, string>, props: ThingGroupProperties): Record<string, string> {
    if (props.thingGroupDescription !== undefined && props.thingGroupDescription.length > MAX_DESCRIPTION) throw invalid(`thingGroupDescription is longer than ${MAX_DESCRIPTION} characters`);
    if (props.attributes === undefined) return current;
    const out = applyAttributes(current, valid.attributes(props.attributes), props.merge ?? false);
    if (Object.keys(out).length > MAX_GROUP_ATTRIBUTES) throw invalid(`A thing group can have at most ${MAX_GROUP_ATTRIBUTES} attributes`);
    return out;
  }

  describe(name: string) {
    const g = this.get(name);
    return {
      thingGroupName: g.thingGroupName,
      thingGroupId: g.thingGroupId,
      thingGroupArn: g.thingGroupArn,
      version: g.version,
      thingGroupProperties: { thingGroupDescription: g.description, attributePayload: { attributes: { ...g.attributes } } },
      thingGroupMetadata: {
        parentGroupName: g.parentGroupName,
        rootToParentThingGroups: this.ancestors(g.thingGroupName)
          .reverse()
          .map((a) => ({ groupName: a.thingGroupName, groupArn: a.thingGroupArn })),
        creationDate: seconds(g.creationDate),
      },
    };
  }

  /** UpdateThingGroup: description and attributes (merge semantics as for things); answers the new version. */
  update(name: string, props: ThingGroupProperties, expectedVersion?: number) {
    const g = this.get(name);
    if (expectedVersion !== undefined && expectedVersion !== g.version) throw new ApiError('VersionConflictException', `The version for thing group ${g.thingGroupName} does not match the expected version.`);
    const attributes = this.attributes(g.attributes, props);
    g.attributes = attributes;
    if (props.thingGroupDescription !== undefined) g.description = props.thingGroupDescription;
    g.version += 1;
    this.groupChanged('updated', g);
    return { version: g.version };
  }

  /** DeleteThingGroup: a missing group is no error; one with child groups is refused; its members and policies are let go. */
  delete(name: string, expectedVersion?: number): void {
    const g = this.s.thingGroups.get(valid.thingGroupName(name));
    if (!g) return;
    if (expectedVersion !== undefined && expectedVersion !== g.version) throw new ApiError('VersionConflictException', `The version for thing group ${g.thingGroupName} does not match the expected version.`);
    if ([...this.s.thingGroups.values()].some((c) => c.parentGroupName === g.thingGroupName)) {
      throw invalid(`Cannot delete thing group : ${g.thingGroupName} when there are still child groups attached to it.`);
    }
    for (const thingName of this.s.groupThings.of(g.thingGroupName)) this.removeThing(g, thingName);
    for (const policyName of this.s.policyTargets.to(g.thingGroupArn)) {
      this.s.policyTargets.delete(policyName, g.thingGroupArn);
      this.s.changed({ kind: 'attachment', op: 'deleted', attachment: 'policy', name: policyName, target: g.thingGroupArn });
    }
    const rootToParent = this.ancestors(g.thingGroupName).reverse(); // read before the group is gone
    this.s.thingGroups.delete(g.thingGroupName);
    this.groupChanged('deleted', g, rootToParent);
  }

  list(q: TokenPaging & { parentGroup?: string; namePrefixFilter?: string; recursive?: boolean } = {}) {
    const limit = pageSize(q.maxResults);
    let names: string[];
    if (q.parentGroup === undefined) names = [...this.s.thingGroups.keys()];
    else {
      const parent = this.get(q.parentGroup).thingGroupName;
      names = q.recursive ? this.subtree(parent).slice(1) : [...this.s.thingGroups.values()].filter((g) => g.parentGroupName === parent).map((g) => g.thingGroupName);
    }
    if (q.namePrefixFilter !== undefined) names = names.filter((n) => n.startsWith(q.namePrefixFilter!));
    const p = page(names.sort(byName), (n) => n, q.nextToken, limit);
    return { thingGroups: p.items.map((n) => this.ref(n)), nextToken: p.next };
  }

  private ref(name: string) {
    return { groupName: name, groupArn: this.s.thingGroups.get(name)!.thingGroupArn };
  }

  addThing(g: ThingGroupRecord, thingName: string): void {
    if (this.s.groupThings.has(g.thingGroupName, thingName)) return;
    const groups = this.s.groupThings.to(thingName);
    if (groups.length >= MAX_GROUPS_PER_THING) throw invalid(`Thing ${thingName} is already in ${MAX_GROUPS_PER_THING} thing groups, the most a thing can be in`);
    const root = this.root(g.thingGroupName);
    const same = groups.find((other) => this.root(other) === root);
    if (same !== undefined) throw invalid(`Thing ${thingName} is already in thing group ${same} of the same hierarchy; a thing can be in one group of a hierarchy`);
    this.s.groupThings.add(g.thingGroupName, thingName);
    this.s.changed(this.membership('created', g, thingName));
  }

  removeThing(g: ThingGroupRecord, thingName: string): void {
    if (this.s.groupThings.delete(g.thingGroupName, thingName)) this.s.changed(this.membership('deleted', g, thingName));
  }

  private groupChanged(op: 'created' | 'updated' | 'deleted', g: ThingGroupRecord, rootToParent = this.ancestors(g.thingGroupName).reverse()): void {
    this.s.changed({ kind: 'thingGroup', op, name: g.thingGroupName, thingGroup: copy(g), rootToParent: rootToParent.map(copy) });
  }

  private membership(op: 'created' | 'deleted', g: ThingGroupRecord, thingName: string): RegistryChange {
    const t = this.s.things.get(thingName);
    return { kind: 'thingGroupMembership', op, name: g.thingGroupName, thingName, thingGroup: copy(g), ...(t ? { thing: { ...t, attributes: { ...t.attributes } } } : {}) };
  }

  /** ListThingsInThingGroup; `recursive` adds the things of every group below. */
  listThings(name: string, q: TokenPaging & { recursive?: boolean } = {}) {
    const g = this.get(name);
    const limit = pageSize(q.maxResults);
    const groups = q.recursive ? this.subtree(g.thingGroupName) : [g.thingGroupName];
    const things = [...new Set(groups.flatMap((n) => this.s.groupThings.of(n)))].sort(byName);
    const p = page(things, (t) => t, q.nextToken, limit);
    return { things: p.items, nextToken: p.next };
  }

  /** The groups a thing is a direct member of. */
  groupsOf(thingName: string, q: TokenPaging = {}) {
    const limit = pageSize(q.maxResults);
    const p = page(this.s.groupThings.to(thingName).sort(byName), (n) => n, q.nextToken, limit);
    return { thingGroups: p.items.map((n) => this.ref(n)), nextToken: p.next };
  }

  /** The groups whose policies reach a member thing: its groups and all their ancestors. */
  policyGroupsOf(thingName: string): ThingGroupRecord[] {
    const out = new Map<string, ThingGroupRecord>();
    for (const n of this.s.groupThings.to(thingName)) {
      const g = this.s.thingGroups.get(n);
      if (!g) continue;
      for (const x of [g, ...this.ancestors(n)]) out.set(x.thingGroupName, x);
    }
    return [...out.values()];
  }
}
