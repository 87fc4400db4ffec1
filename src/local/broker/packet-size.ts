import mqttPacket from 'mqtt-packet';

/**
 * Whether a PUBLISH would be larger on the wire than a client's Maximum Packet Size (MQTT 5
 * §3.1.2.11.4: the server must not send it; it discards it). Most messages are far below the limit, so
 * the exact size is computed only when a bound on the topic and payload alone comes close. Pure.
 */

/** Room for the fixed header, topic length, packet identifier and small properties before encoding to be sure. */
const SLACK = 64;

export function exceedsMaximumPacketSize(packet: { topic: string; payload: Buffer | string; qos: number; properties?: object }, max: number | undefined): boolean {
  if (!max) return false;
  const payloadBytes = Buffer.byteLength(packet.payload);
  const topicBytes = Buffer.byteLength(packet.topic);
  if (payloadBytes + topicBytes + SLACK < max && packet.properties === undefined) return false;
  const wire = mqttPacket.generate({ cmd: 'publish', topic: packet.topic, payload: packet.payload, qos: packet.qos as 0 | 1, messageId: packet.qos > 0 ? 1 : undefined, dup: false, retain: false, ...(packet.properties ? { properties: packet.properties } : {}) } as mqttPacket.IPublishPacket, { protocolVersion: 5 });
  return wire.length > max;
}
