import { invalid } from '../api-error.js';
import { route as r, type ApiOptions, type Route } from './route.js';

const ENDPOINT_TYPES_SERVED = new Set(['iot:Data', 'iot:Data-ATS']);
const ENDPOINT_TYPES_KNOWN = new Set(['iot:Data', 'iot:Data-ATS', 'iot:CredentialProvider', 'iot:Jobs']);

/** DescribeEndpoint and elf's own route, GET /elf/info (not AWS's: never throttled or faulted). */
export function elfRoutes(o: ApiOptions): Route[] {
  const reg = o.registry;
  return [
    r('DescribeEndpoint', 'GET', '/endpoint', false, (c) => {
      // Deviation from AWS (documented): the address is the stand-in's own broker, as host:port.
      const type = c.query.str('endpointType') ?? 'iot:Data';
      if (!ENDPOINT_TYPES_KNOWN.has(type)) throw invalid(`Endpoint type ${type.slice(0, 100)} is not valid`);
      if (!ENDPOINT_TYPES_SERVED.has(type)) throw invalid(`Endpoint type ${type} is not served by the elf stand-in`);
      const { host, mqttPort } = o.endpoint();
      return { endpointAddress: `${host}:${mqttPort}` };
    }),
    r(
      'ElfInfo',
      'GET',
      '/elf/info',
      false,
      () => {
        const { host, mqttPort } = o.endpoint();
        return { standIn: 'elf', region: reg.region, account: reg.account, mqtt: { host, port: mqttPort }, caPem: o.ca.certPem, keyPool: o.keyPool?.(), rules: o.rules?.stats?.() };
      },
      false,
    ),
  ];
}
