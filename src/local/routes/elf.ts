import { invalid } from '../api-error.js';
import { route as r, type ApiOptions, type Route } from './route.js';

/** https://docs.aws.amazon.com/iot/latest/apireference/API_DescribeEndpoint.html: the endpoint types AWS answers */
const MQTT_ENDPOINTS = new Set(['iot:Data', 'iot:Data-ATS']);
const HTTPS_ENDPOINTS = new Set(['iot:CredentialProvider', 'iot:Jobs']);

/** DescribeEndpoint and elf's own route, GET /elf/info (not AWS's: never throttled or faulted). */
export function elfRoutes(o: ApiOptions): Route[] {
  const reg = o.registry;
  return [
    r('DescribeEndpoint', 'GET', '/endpoint', false, (c) => {
      // Deviations from AWS (documented in the README): the address is the stand-in's own, as host:port:
      // its broker for the data endpoints, its HTTP server for the credential provider and jobs
      // endpoints (which serve no credential or jobs routes there).
      const type = c.query.str('endpointType') ?? 'iot:Data';
      if (!MQTT_ENDPOINTS.has(type) && !HTTPS_ENDPOINTS.has(type)) throw invalid(`Endpoint type ${type.slice(0, 100)} is not valid`);
      const { host, mqttPort, httpPort } = o.endpoint();
      const port = MQTT_ENDPOINTS.has(type) ? mqttPort : (httpPort ?? mqttPort);
      return { endpointAddress: `${host}:${port}` };
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
