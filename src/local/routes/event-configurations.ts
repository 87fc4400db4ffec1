import { route as r, type ApiOptions, type Route } from './route.js';

/**
 * https://docs.aws.amazon.com/iot/latest/apireference/API_UpdateEventConfigurations.html and
 * API_DescribeEventConfigurations.html: which registry events the stand-in publishes (registry-events.ts).
 */
export function eventConfigurationRoutes(o: ApiOptions): Route[] {
  const config = o.eventConfigurations;
  if (!config) return [];
  return [
    r('UpdateEventConfigurations', 'PATCH', '/event-configurations', false, (c) => config.update(c.body)),
    r('DescribeEventConfigurations', 'GET', '/event-configurations', false, () => config.describe()),
  ];
}
