#!/usr/bin/env node
// Stand-in for `elf send --interval 0` with one thing while the command is not on main: drives the
// device SDK (aws-iot-device-sdk-v2, MQTT 3.1.1 client, the builder elf uses) directly. Streams
// a JSON Lines file line by line and publishes each line as fast as the client takes them, with a
// bounded window of outstanding publishes; prints one JSON summary line on stdout.
//   node bench/sdk-publish.mjs --host H --port P --ca CA --cert C --key K --file F --qos 0|1
//        [--topic elf] [--client-id id] [--window 1000] [--protocol 3.1.1|5]
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { io, iot, mqtt, mqtt5 } from 'aws-iot-device-sdk-v2';
import { performance } from 'node:perf_hooks';

const { values: a } = parseArgs({
  options: {
    host: { type: 'string' },
    port: { type: 'string' },
    ca: { type: 'string' },
    cert: { type: 'string' },
    key: { type: 'string' },
    file: { type: 'string' },
    qos: { type: 'string', default: '0' },
    topic: { type: 'string', default: 'elf' },
    'client-id': { type: 'string', default: 'sdk-direct' },
    window: { type: 'string', default: '1000' },
    protocol: { type: 'string', default: '3.1.1' },
  },
});
const qos = a.qos === '1' ? mqtt.QoS.AtLeastOnce : mqtt.QoS.AtMostOnce;
const window = Number(a.window);

function client311() {
  const b = iot.AwsIotMqttConnectionConfigBuilder.new_mtls_builder_from_path(a.cert, a.key);
  b.with_certificate_authority_from_path(undefined, a.ca)
    .with_endpoint(a.host)
    .with_port(Number(a.port))
    .with_client_id(a['client-id'])
    .with_clean_session(true)
    .with_keep_alive_seconds(60)
    .with_socket_options(new io.SocketOptions(io.SocketType.STREAM, io.SocketDomain.IPV4, 10_000));
  const config = b.build();
  config.disable_metrics = true;
  config.metrics = undefined;
  const conn = new mqtt.MqttClient().new_connection(config);
  conn.on('error', () => {});
  return {
    connect: () => conn.connect(),
    publish: (payload) => conn.publish(a.topic, payload, qos),
    close: () => conn.disconnect(),
  };
}

function client5() {
  const b = iot.AwsIotMqtt5ClientConfigBuilder.newDirectMqttBuilderWithMtlsFromPath(a.host, a.cert, a.key);
  b.withCertificateAuthorityFromPath(undefined, a.ca);
  b.withPort(Number(a.port));
  b.withConnectProperties({ clientId: a['client-id'], keepAliveIntervalSeconds: 60 });
  const config = b.build();
  // lift AWS IoT Core's client-side per-connection limits for a broker that is not AWS (docs/aws-iot-facts.md#message-broker-limits)
  config.extendedValidationAndFlowControlOptions = mqtt5.ClientExtendedValidationAndFlowControl.None;
  const client = new mqtt5.Mqtt5Client(config);
  client.on('error', () => {});
  return {
    connect: () =>
      new Promise((resolve, reject) => {
        client.once('connectionSuccess', () => resolve());
        client.once('connectionFailure', (e) => reject(e.error));
        client.start();
      }),
    publish: (payload) => client.publish({ topicName: a.topic, payload, qos }),
    close: () =>
      new Promise((resolve) => {
        client.once('stopped', () => resolve());
        client.stop();
      }),
  };
}

const c = a.protocol === '5' ? client5() : client311();
const t0 = performance.now();
await c.connect();
const connectedMs = performance.now() - t0;
let sent = 0;
let done = 0;
let failed = 0;
let outstanding = 0;
let wake;
const settle = (ok) => {
  done++;
  if (!ok) failed++;
  outstanding--;
  if (wake && outstanding < window) {
    const w = wake;
    wake = undefined;
    w();
  }
};
const tSend = performance.now();
const rl = createInterface({ input: createReadStream(a.file, { highWaterMark: 1 << 16 }), crlfDelay: Infinity });
for await (const line of rl) {
  if (line === '') continue;
  while (outstanding >= window) await new Promise((r) => (wake = r));
  outstanding++;
  sent++;
  c.publish(line).then(
    () => settle(true),
    () => settle(false),
  );
}
while (outstanding > 0) await new Promise((r) => (wake = r));
const sendMs = performance.now() - tSend;
await c.close();
process.stdout.write(JSON.stringify({ tool: 'device SDK direct', protocol: a.protocol, qos: Number(a.qos), sent, acked: done - failed, failed, connectedMs, sendMs, msgsPerSec: (done - failed) / (sendMs / 1000) }) + '\n');
process.exit(0); // the CRT's native threads can hold the event loop open after disconnect
