import type { FleetTarget } from '../fleet/types.js';

/**
 * Pure: is an MQTT endpoint, or a fleet's control plane, AWS itself? AWS IoT Core's per-connection
 * limits apply then, and only then.
 */

/** AWS IoT Core data endpoints: `<prefix>-ats.iot.<region>.amazonaws.com` (and .com.cn). */
const AWS_IOT_HOST = /\.iot\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$/i;

export function isAwsIotHost(host: string): boolean {
  return AWS_IOT_HOST.test(host);
}

/**
 * The fleet's control plane is AWS itself (not the stand-in, not another endpoint such as
 * LocalStack): an endpoint answered by DescribeEndpoint there is AWS IoT Core.
 */
export function isAwsTarget(t: FleetTarget): boolean {
  return !t.local && (t.endpointUrl === undefined || /\.amazonaws\.com(\.cn)?(:\d+)?(\/|$)/i.test(t.endpointUrl));
}
