import { io, mqtt } from 'aws-iot-device-sdk-v2';
import { Mqtt311Connection } from './mqtt311.js';
import { Mqtt5Connection } from './mqtt5.js';
import type { ConnectionOptions, DeviceConnection } from './types.js';

export type * from './types.js';

/**
 * Makes device connections that share one CRT client bootstrap (event loop group, host resolver)
 * and, for MQTT 3.1.1, one `MqttClient`: thousands of connections in one process share the
 * native event loop rather than each starting its own.
 */
export interface Connector {
  create(opts: ConnectionOptions): DeviceConnection;
}

export function createConnector(): Connector {
  let bootstrap: io.ClientBootstrap | undefined;
  let client311: mqtt.MqttClient | undefined;
  const boot = () => (bootstrap ??= new io.ClientBootstrap());
  return {
    create(opts) {
      if ((opts.protocol ?? '3.1.1') === '5') return new Mqtt5Connection(boot(), opts);
      client311 ??= new mqtt.MqttClient(boot());
      return new Mqtt311Connection(client311, opts);
    },
  };
}
