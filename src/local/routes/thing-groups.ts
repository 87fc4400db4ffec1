import type { ThingGroupProperties } from '../registry/thing-groups.js';
import { attributePayload, int, obj, route as r, str, tokenPaging, type ApiOptions, type Route } from './route.js';

function groupProperties(v: unknown): ThingGroupProperties {
  const p = obj(v, 'thingGroupProperties');
  if (!p) return {};
  const payload = attributePayload(p.attributePayload, 'thingGroupProperties.attributePayload');
  return { thingGroupDescription: str(p.thingGroupDescription, 'thingGroupDescription'), attributes: payload?.attributes, merge: payload?.merge };
}

/** https://docs.aws.amazon.com/iot/latest/apireference/API_CreateThingGroup.html and its siblings */
export function thingGroupRoutes(o: ApiOptions): Route[] {
  const reg = o.registry;
  const member = (b: Record<string, unknown>) => [
    { name: b.thingGroupName, arn: b.thingGroupArn },
    { name: b.thingName, arn: b.thingArn },
  ] as const;
  return [
    // the fixed paths first: they would otherwise match /thing-groups/{thingGroupName}
    r('AddThingToThingGroup', 'PUT', '/thing-groups/addThingToThingGroup', true, (c) => reg.addThingToThingGroup(...member(c.body))),
    r('RemoveThingFromThingGroup', 'PUT', '/thing-groups/removeThingFromThingGroup', true, (c) => reg.removeThingFromThingGroup(...member(c.body))),
    r('CreateThingGroup', 'POST', '/thing-groups/{thingGroupName}', true, (c) => reg.createThingGroup(c.params.thingGroupName!, str(c.body.parentGroupName, 'parentGroupName'), groupProperties(c.body.thingGroupProperties), c.region, c.body.tags)),
    r('DescribeThingGroup', 'GET', '/thing-groups/{thingGroupName}', false, (c) => reg.describeThingGroup(c.params.thingGroupName!)),
    r('UpdateThingGroup', 'PATCH', '/thing-groups/{thingGroupName}', true, (c) => reg.updateThingGroup(c.params.thingGroupName!, groupProperties(c.body.thingGroupProperties ?? {}), int(c.body.expectedVersion, 'expectedVersion'))),
    r('DeleteThingGroup', 'DELETE', '/thing-groups/{thingGroupName}', true, (c) => reg.deleteThingGroup(c.params.thingGroupName!, c.query.int('expectedVersion'))),
    r('ListThingGroups', 'GET', '/thing-groups', false, (c) =>
      reg.listThingGroups({ ...tokenPaging(c), parentGroup: c.query.str('parentGroup'), namePrefixFilter: c.query.str('namePrefixFilter'), recursive: c.query.bool('recursive') }),
    ),
    r('ListThingsInThingGroup', 'GET', '/thing-groups/{thingGroupName}/things', false, (c) => reg.listThingsInThingGroup(c.params.thingGroupName!, { ...tokenPaging(c), recursive: c.query.bool('recursive') })),
    r('ListThingGroupsForThing', 'GET', '/things/{thingName}/thing-groups', false, (c) => reg.listThingGroupsForThing(c.params.thingName!, tokenPaging(c))),
  ];
}
