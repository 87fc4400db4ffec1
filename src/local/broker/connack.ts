import mqttPacket from 'mqtt-packet';
import { MQTT5_MAXIMUM_PACKET_SIZE, MQTT5_MAXIMUM_QOS } from '../../aws/limits.js';

/**
 * The capabilities an MQTT 5 CONNACK from AWS IoT Core announces
 * (https://docs.aws.amazon.com/iot/latest/developerguide/mqtt.html#mqtt5-properties): Maximum QoS 1,
 * Retain Available 1, Wildcard Subscription Available 1, Subscription Identifier Available 0, Maximum
 * Packet Size 128 KB; and shared subscriptions, which AWS serves (#mqtt5-shared-subscription).
 * Clients act on these: the device SDK's Mqtt5Client refuses, before sending, a shared subscription
 * the CONNACK says is unavailable.
 *
 * aedes 2.0.0-beta.1 builds the CONNACK's properties itself (sharedSubscriptionAvailable: false, the
 * rest left out) and has no option for them, so they are amended where aedes serializes the packet:
 * mqtt-packet's writeToStream, wrapped once per process. Only a successful MQTT 5 CONNACK written to
 * a socket marked by `announceAwsCapabilities` is changed; every other write goes through untouched.
 */

const AWS_CONNACK_PROPERTIES = {
  maximumQoS: MQTT5_MAXIMUM_QOS,
  retainAvailable: true,
  wildcardSubscriptionAvailable: true,
  subscriptionIdentifiersAvailable: false,
  sharedSubscriptionAvailable: true,
  maximumPacketSize: MQTT5_MAXIMUM_PACKET_SIZE,
} as const;

const MARK = Symbol.for('elf.broker.awsConnack');

interface ConnackLike {
  cmd?: string;
  reasonCode?: number;
  returnCode?: number;
  properties?: Record<string, unknown>;
}

type WriteToStream = (packet: ConnackLike, stream: object, opts?: { protocolVersion?: number }) => boolean;

let wrapped = false;

function wrapWriteToStream(): void {
  if (wrapped) return;
  wrapped = true;
  const lib = mqttPacket as unknown as { writeToStream: WriteToStream };
  const original = lib.writeToStream;
  lib.writeToStream = function writeToStream(packet, stream, opts) {
    if (packet.cmd === 'connack' && opts?.protocolVersion === 5 && (stream as Record<symbol, unknown>)[MARK] === true && !packet.reasonCode && !packet.returnCode) {
      packet.properties = { ...packet.properties, ...AWS_CONNACK_PROPERTIES };
    }
    return original.call(this, packet, stream, opts);
  };
}

/** Mark a broker connection: its MQTT 5 CONNACK will announce AWS IoT Core's capabilities. */
export function announceAwsCapabilities(socket: object): void {
  wrapWriteToStream();
  (socket as Record<symbol, unknown>)[MARK] = true;
}
