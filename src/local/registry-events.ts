import { createHash, randomUUID } from 'node:crypto';
import { invalid } from './api-error.js';
import type { RegistryChange } from './registry/changes.js';

/**
 * AWS IoT's registry events, off until enabled with UpdateEventConfigurations
 * (https://docs.aws.amazon.com/iot/latest/developerguide/registry-events.html,
 * https://docs.aws.amazon.com/iot/latest/apireference/API_UpdateEventConfigurations.html): the
 * stand-in publishes them as AWS IoT's own messages, so a subscriber needs iot:Subscribe and
 * iot:Receive on them like on any topic. Served: THING, THING_TYPE, THING_TYPE_ASSOCIATION,
 * THING_GROUP, THING_GROUP_MEMBERSHIP and THING_GROUP_HIERARCHY (a child group created under, or
 * deleted from, its parent: a group's parent is fixed at creation); the other keys are accepted and kept. The configuration lives in
 * memory (a restart turns the events off again). Message shapes are pure (registryEventMessages).
 */

/** AWS's EventType keys. */
export const EVENT_TYPES = ['THING', 'THING_GROUP', 'THING_TYPE', 'THING_GROUP_MEMBERSHIP', 'THING_GROUP_HIERARCHY', 'THING_TYPE_ASSOCIATION', 'JOB', 'JOB_EXECUTION', 'POLICY', 'CERTIFICATE', 'CA_CERTIFICATE'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export class EventConfigurations {
  private readonly enabled = new Map<EventType, boolean>(EVENT_TYPES.map((t) => [t, false]));
  private readonly creationDate: number;
  private lastModifiedDate: number;

  constructor(private readonly now: () => number = Date.now) {
    this.creationDate = this.lastModifiedDate = now();
  }

  isEnabled(type: EventType): boolean {
    return this.enabled.get(type) === true;
  }

  /** UpdateEventConfigurations: the keys given change, the others keep their value. */
  update(body: Record<string, unknown>): Record<string, never> {
    const configs = body.eventConfigurations;
    if (configs === undefined) return {};
    if (typeof configs !== 'object' || configs === null || Array.isArray(configs)) throw invalid('eventConfigurations must be a map of event type to {"Enabled": boolean}');
    const changes: [EventType, boolean][] = [];
    for (const [key, value] of Object.entries(configs as Record<string, unknown>)) {
      if (!(EVENT_TYPES as readonly string[]).includes(key)) throw invalid(`1 validation error detected: Value '${key}' at 'eventConfigurations' failed to satisfy constraint: Member must satisfy enum value set: [${EVENT_TYPES.join(', ')}]`);
      const on = (value as { Enabled?: unknown } | null)?.Enabled;
      if (on === undefined) continue;
      if (typeof on !== 'boolean') throw invalid(`eventConfigurations.${key}.Enabled must be a boolean`);
      changes.push([key as EventType, on]);
    }
    for (const [key, on] of changes) this.enabled.set(key, on);
    this.lastModifiedDate = this.now();
    return {};
  }

  /** DescribeEventConfigurations (dates in epoch seconds, as AWS's JSON carries them). */
  describe(): { eventConfigurations: Record<string, { Enabled: boolean }>; creationDate: number; lastModifiedDate: number } {
    const eventConfigurations: Record<string, { Enabled: boolean }> = {};
    for (const [key, on] of this.enabled) eventConfigurations[key] = { Enabled: on };
    return { eventConfigurations, creationDate: this.creationDate / 1000, lastModifiedDate: this.lastModifiedDate / 1000 };
  }
}

export interface RegistryEventMessage {
  type: EventType;
  topic: string;
  payload: Record<string, unknown>;
}

const OPERATION = { created: 'CREATED', updated: 'UPDATED', deleted: 'DELETED' } as const;

/** The registry events AWS publishes for a change (all types; the caller keeps the enabled ones). Pure. */
export function registryEventMessages(c: RegistryChange, accountId: string, timestamp: number, eventId: () => string = randomUUID): RegistryEventMessage[] {
  const common = () => ({ eventId: eventId(), timestamp, operation: OPERATION[c.op], accountId });
  if (c.kind === 'thingGroup') return thingGroupMessages(c, common(), () => ({ eventId: eventId(), timestamp, operation: c.op === 'created' ? 'ADDED' : 'REMOVED', accountId }));
  if (c.kind === 'thingGroupMembership') return [membershipMessage(c, { eventId: eventId(), timestamp, operation: c.op === 'created' ? 'ADDED' : 'REMOVED', accountId })];
  if (c.kind === 'thingType') {
    const t = c.thingType;
    const payload = {
      eventType: 'THING_TYPE_EVENT',
      ...common(),
      thingTypeId: t.thingTypeId,
      thingTypeName: t.thingTypeName,
      isDeprecated: t.deprecated,
      deprecationDate: t.deprecationDate ?? null,
      searchableAttributes: t.searchableAttributes,
      description: t.description ?? null,
    };
    return [{ type: 'THING_TYPE', topic: `$aws/events/thingType/${t.thingTypeName}/${c.op}`, payload }];
  }
  if (c.kind !== 'thing') return [];
  const t = c.thing;
  const thing: RegistryEventMessage = {
    type: 'THING',
    topic: `$aws/events/thing/${t.thingName}/${c.op}`,
    payload: { eventType: 'THING_EVENT', ...common(), thingId: t.thingId, thingName: t.thingName, versionNumber: t.version, thingTypeName: t.thingTypeName ?? null, attributes: t.attributes },
  };
  const association = (thingTypeName: string, op: 'added' | 'removed'): RegistryEventMessage => ({
    type: 'THING_TYPE_ASSOCIATION',
    topic: `$aws/events/thingTypeAssociation/thing/${t.thingName}/thingType/${thingTypeName}/${op}`,
    payload: { eventId: eventId(), eventType: 'THING_TYPE_ASSOCIATION_EVENT', operation: op.toUpperCase(), thingId: t.thingId, thingName: t.thingName, thingTypeName, timestamp },
  });
  const before = c.op === 'created' ? undefined : c.op === 'deleted' ? t.thingTypeName : c.previous?.thingTypeName;
  const after = c.op === 'deleted' ? undefined : t.thingTypeName;
  const out = [thing];
  if (before !== after) {
    if (before !== undefined) out.push(association(before, 'removed'));
    if (after !== undefined) out.push(association(after, 'added'));
  }
  return out;
}

type Common = { eventId: string; timestamp: number; operation: string; accountId: string };

/** THING_GROUP, and THING_GROUP_HIERARCHY when a child group is created or deleted. */
function thingGroupMessages(c: Extract<RegistryChange, { kind: 'thingGroup' }>, common: Common, hierarchyCommon: () => Common): RegistryEventMessage[] {
  const g = c.thingGroup;
  const parent = c.rootToParent.at(-1);
  const out: RegistryEventMessage[] = [
    {
      type: 'THING_GROUP',
      topic: `$aws/events/thingGroup/${g.thingGroupName}/${c.op}`,
      payload: {
        eventType: 'THING_GROUP_EVENT',
        ...common,
        thingGroupId: g.thingGroupId,
        thingGroupName: g.thingGroupName,
        versionNumber: g.version,
        parentGroupName: parent?.thingGroupName ?? null,
        parentGroupId: parent?.thingGroupId ?? null,
        description: g.description ?? null,
        rootToParentThingGroups: c.rootToParent.map((a) => ({ groupArn: a.thingGroupArn, groupId: a.thingGroupId })),
        attributes: g.attributes,
        dynamicGroupMappingId: null,
      },
    },
  ];
  if (parent !== undefined && c.op !== 'updated') {
    out.push({
      type: 'THING_GROUP_HIERARCHY',
      topic: `$aws/events/thingGroupHierarchy/thingGroup/${parent.thingGroupName}/childThingGroup/${g.thingGroupName}/${c.op === 'created' ? 'added' : 'removed'}`,
      payload: { eventType: 'THING_GROUP_HIERARCHY_EVENT', ...hierarchyCommon(), thingGroupId: parent.thingGroupId, thingGroupName: parent.thingGroupName, childGroupId: g.thingGroupId, childGroupName: g.thingGroupName },
    });
  }
  return out;
}

/** THING_GROUP_MEMBERSHIP; AWS's membershipId is opaque, the stand-in's is derived from the group's and the thing's ids. */
function membershipMessage(c: Extract<RegistryChange, { kind: 'thingGroupMembership' }>, common: Common): RegistryEventMessage {
  const g = c.thingGroup;
  const thingId = c.thing?.thingId ?? null;
  return {
    type: 'THING_GROUP_MEMBERSHIP',
    topic: `$aws/events/thingGroupMembership/thingGroup/${g.thingGroupName}/thing/${c.thingName}/${c.op === 'created' ? 'added' : 'removed'}`,
    payload: {
      eventType: 'THING_GROUP_MEMBERSHIP_EVENT',
      ...common,
      groupArn: g.thingGroupArn,
      groupId: g.thingGroupId,
      thingArn: c.thing?.thingArn ?? null,
      thingId,
      membershipId: createHash('sha256').update(`${g.thingGroupId}/${thingId ?? c.thingName}`).digest('hex').slice(0, 32),
    },
  };
}

export interface RegistryEventDeps {
  onChange(listener: (c: RegistryChange) => void): () => void;
  accountId: string;
  config: EventConfigurations;
  publish(topic: string, payload: Buffer): Promise<void>;
  now(): number;
  onError(topic: string, err: Error): void;
}

/** Publish the enabled registry events for each registry change; returns the function that stops. */
export function startRegistryEvents(d: RegistryEventDeps): () => void {
  return d.onChange((c) => {
    for (const m of registryEventMessages(c, d.accountId, d.now())) {
      if (!d.config.isEnabled(m.type)) continue;
      d.publish(m.topic, Buffer.from(JSON.stringify(m.payload))).catch((err: Error) => d.onError(m.topic, err));
    }
  });
}
