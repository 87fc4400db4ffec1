import { iot, mqtt5 } from 'aws-iot-device-sdk-v2';
import { connect as mqttjsConnect, type IClientOptions, type IConnackPacket, type MqttClient } from 'mqtt';
import { waitForMessage, within, type Endpoint, type Identity } from './mqtt-clients.js';

/**
 * MQTT 5 clients nobody here wrote, for tests against the stand-in's broker: the device SDK's
 * Mqtt5Client built the way the SDK's own pub_sub sample builds it, and MQTT.js at protocol version 5.
 * (mosquitto_pub/mosquitto_sub -V 5 are driven with mosquitto() from mqtt-clients.ts.)
 */

export interface Sdk5Client {
  client: mqtt5.Mqtt5Client;
  /** the CONNACK of the first successful connection */
  connack: mqtt5.ConnackPacket;
  /** messages received */
  messages: mqtt5.PublishPacket[];
  /** resolves at the first disconnection, with the server's DISCONNECT when it sent one */
  disconnected: Promise<mqtt5.DisconnectionEvent>;
  /** waits for a message on a topic */
  next(topic: string, ms?: number): Promise<mqtt5.PublishPacket>;
  close(): Promise<void>;
}

export type Sdk5Outcome = { ok: true; sdk: Sdk5Client } | { ok: false; connack?: mqtt5.ConnackPacket; error: string };

/** Connects as the SDK's pub_sub sample does (direct MQTT with mTLS, AWS IoT builder), here to the stand-in. */
export async function sdk5Connect(ep: Endpoint, id: Identity, clientId: string): Promise<Sdk5Outcome> {
  const config = iot.AwsIotMqtt5ClientConfigBuilder.newDirectMqttBuilderWithMtlsFromMemory(ep.host, id.certPem, id.privateKey)
    .withCertificateAuthority(ep.caPem)
    .withPort(ep.port)
    .withConnectProperties({ clientId, keepAliveIntervalSeconds: 60 })
    .withMinReconnectDelayMs(60_000)
    .build();
  const client = new mqtt5.Mqtt5Client(config);
  const messages: mqtt5.PublishPacket[] = [];
  const waiters = new Set<() => void>();
  client.on('messageReceived', (e) => {
    messages.push(e.message);
    for (const w of waiters) w();
  });
  const disconnected = new Promise<mqtt5.DisconnectionEvent>((resolve) => client.once('disconnection', resolve));
  const stopped = new Promise<void>((resolve) => client.once('stopped', () => resolve()));
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    client.stop();
    await within(stopped, 5000, 'Mqtt5Client stop').catch(() => undefined);
    client.close();
  };
  const first = new Promise<{ ok: true; connack: mqtt5.ConnackPacket } | { ok: false; connack?: mqtt5.ConnackPacket; error: string }>((resolve) => {
    client.once('connectionSuccess', (e) => resolve({ ok: true, connack: e.connack }));
    client.once('connectionFailure', (e) => resolve({ ok: false, ...(e.connack ? { connack: e.connack } : {}), error: e.error.toString() }));
  });
  client.start();
  const r = await within(first, 15_000, `Mqtt5Client connect as ${clientId}`);
  if (!r.ok) {
    await close();
    return r;
  }
  return {
    ok: true,
    sdk: {
      client,
      connack: r.connack,
      messages,
      disconnected,
      next: (topic, ms = 10_000) => waitForMessage(messages, waiters, (m) => m.topicName === topic, ms, `a message on ${topic}`),
      close,
    },
  };
}

export interface Js5Client {
  client: MqttClient;
  connack: IConnackPacket | undefined;
  /** resolves when the connection closes, with the server's DISCONNECT reason code when it sent one */
  closed: Promise<number | undefined>;
  end(): Promise<void>;
}

/** MQTT.js at protocol version 5; `connack` is the CONNACK whether it accepted or refused. */
export async function js5Connect(ep: Endpoint, id: Identity, clientId: string, extra: IClientOptions = {}): Promise<Js5Client & { outcome: 'connected' | 'refused' | 'closed'; reasonCode?: number }> {
  const client = mqttjsConnect({
    protocol: 'mqtts',
    host: ep.host,
    port: ep.port,
    ca: ep.caPem,
    cert: id.certPem,
    key: id.privateKey,
    clientId,
    protocolVersion: 5,
    reconnectPeriod: 0,
    connectTimeout: 10_000,
    ...extra,
  });
  let disconnectCode: number | undefined;
  client.on('disconnect', (p) => (disconnectCode = p.reasonCode));
  client.on('error', () => undefined);
  const closed = new Promise<number | undefined>((resolve) => client.once('close', () => resolve(disconnectCode)));
  let connack: IConnackPacket | undefined;
  client.on('packetreceive', (p) => {
    if (p.cmd === 'connack') connack = p as IConnackPacket;
  });
  const outcome = await within(
    new Promise<'connected' | 'refused' | 'closed'>((resolve) => {
      client.once('connect', () => resolve('connected'));
      client.once('close', () => resolve(connack ? 'refused' : 'closed'));
    }),
    15_000,
    `MQTT.js v5 connect as ${clientId}`,
  );
  return {
    client,
    connack,
    closed,
    outcome,
    ...(connack?.reasonCode !== undefined ? { reasonCode: connack.reasonCode } : {}),
    end: () => client.endAsync(true).catch(() => undefined),
  };
}
