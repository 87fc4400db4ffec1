import { attributePayload, bool, int, route as r, str, tokenPaging, type ApiOptions, type Route } from './route.js';

/** https://docs.aws.amazon.com/iot/latest/apireference/API_CreateThing.html and its siblings */
export function thingRoutes(o: ApiOptions): Route[] {
  const reg = o.registry;
  return [
    r('CreateThing', 'POST', '/things/{thingName}', true, (c) =>
      reg.createThing(
        {
          thingName: c.params.thingName!,
          thingTypeName: str(c.body.thingTypeName, 'thingTypeName'),
          billingGroupName: str(c.body.billingGroupName, 'billingGroupName'),
          attributes: attributePayload(c.body.attributePayload)?.attributes,
        },
        c.region,
      ),
    ),
    r('UpdateThing', 'PATCH', '/things/{thingName}', true, (c) => {
      const payload = attributePayload(c.body.attributePayload);
      reg.updateThing(c.params.thingName!, {
        thingTypeName: str(c.body.thingTypeName, 'thingTypeName'),
        removeThingType: bool(c.body.removeThingType, 'removeThingType'),
        attributes: payload?.attributes,
        merge: payload?.merge,
        expectedVersion: int(c.body.expectedVersion, 'expectedVersion'),
      });
    }),
    r('DescribeThing', 'GET', '/things/{thingName}', false, (c) => reg.describeThing(c.params.thingName!)),
    r('DeleteThing', 'DELETE', '/things/{thingName}', true, (c) => reg.deleteThing(c.params.thingName!, c.query.int('expectedVersion'))),
    r('ListThings', 'GET', '/things', false, (c) =>
      reg.listThings({
        ...tokenPaging(c),
        attributeName: c.query.str('attributeName'),
        attributeValue: c.query.str('attributeValue'),
        thingTypeName: c.query.str('thingTypeName'),
        usePrefixAttributeValue: c.query.bool('usePrefixAttributeValue'),
      }),
    ),
  ];
}
