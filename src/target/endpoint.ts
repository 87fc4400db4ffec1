import { MQTT_TLS_PORT } from '../aws/limits.js';
import { UsageError } from '../errors.js';

/** AWS IoT Core's MQTT over TLS port. */
export const DEFAULT_MQTT_PORT = MQTT_TLS_PORT;

export interface MqttEndpoint {
  host: string;
  port: number;
}

/**
 * Parses `--mqtt-endpoint host[:port]` (IPv6 as `[::1]:8883`); the port defaults to 8883.
 * Pure; errors name the flag.
 */
export function parseMqttEndpoint(value: string, flag = '--mqtt-endpoint'): MqttEndpoint {
  const text = value.trim();
  const bad = (why: string) => new UsageError(`${flag} '${value}': ${why} (expected host[:port])`);
  if (text === '') throw bad('empty');
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) throw bad('give a host name, not a URL');
  let host: string;
  let portText: string | undefined;
  const v6 = /^\[([^\]]+)\](?::(.*))?$/.exec(text);
  if (v6) {
    host = v6[1]!;
    portText = v6[2];
  } else {
    const parts = text.split(':');
    if (parts.length > 2) throw bad('an IPv6 address goes in brackets, e.g. [::1]:8883');
    host = parts[0]!;
    portText = parts[1];
  }
  if (host === '' || /[\s/]/.test(host)) throw bad('invalid host');
  let port = DEFAULT_MQTT_PORT;
  if (portText !== undefined) {
    if (!/^\d{1,5}$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) throw bad('the port must be a number from 1 to 65535');
    port = Number(portText);
  }
  return { host, port };
}
