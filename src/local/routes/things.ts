import { invalid } from '../api-error.js';
import { route as r, str, tokenPaging, type ApiOptions, type Route } from './route.js';

/** https://docs.aws.amazon.com/iot/latest/apireference/API_CreateThing.html and its siblings */
export function thingRoutes(o: ApiOptions): Route[] {
  const reg = o.registry;
  return [
    r('CreateThing', 'POST', '/things/{thingName}', true, (c) => {
      const payload = c.body.attributePayload;
      if (payload !== undefined && (typeof payload !== 'object' || payload === null || Array.isArray(payload))) throw invalid('attributePayload must be an object');
      return reg.createThing(
        {
          thingName: c.params.thingName!,
          thingTypeName: str(c.body.thingTypeName, 'thingTypeName'),
          billingGroupName: str(c.body.billingGroupName, 'billingGroupName'),
          attributes: (payload as { attributes?: Record<string, string> } | undefined)?.attributes,
        },
        c.region,
      );
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
