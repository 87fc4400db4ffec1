import { bool, route as r, tokenPaging, type ApiOptions, type Route } from './route.js';

/** https://docs.aws.amazon.com/iot/latest/apireference/API_CreateThingType.html and its siblings */
export function thingTypeRoutes(o: ApiOptions): Route[] {
  const reg = o.registry;
  return [
    r('CreateThingType', 'POST', '/thing-types/{thingTypeName}', true, (c) => reg.createThingType(c.params.thingTypeName!, c.body.thingTypeProperties, c.region, c.body.tags)),
    r('DescribeThingType', 'GET', '/thing-types/{thingTypeName}', false, (c) => reg.describeThingType(c.params.thingTypeName!)),
    r('ListThingTypes', 'GET', '/thing-types', false, (c) => reg.listThingTypes({ ...tokenPaging(c), thingTypeName: c.query.str('thingTypeName') })),
    r('DeprecateThingType', 'POST', '/thing-types/{thingTypeName}/deprecate', true, (c) => reg.deprecateThingType(c.params.thingTypeName!, bool(c.body.undoDeprecate, 'undoDeprecate') ?? false)),
    r('DeleteThingType', 'DELETE', '/thing-types/{thingTypeName}', true, (c) => reg.deleteThingType(c.params.thingTypeName!)),
  ];
}
