import type { DenialKind } from './authorize.js';

/**
 * How a refusal reaches an MQTT 5 client: the reason codes AWS IoT Core lists for CONNACK, PUBACK,
 * SUBACK and DISCONNECT (https://docs.aws.amazon.com/iot/latest/developerguide/mqtt.html#mqtt5-reason-codes).
 * A publish or subscribe the policy denies is answered in its acknowledgement (PUBACK 0x87, SUBACK 0x87)
 * and the connection stays up; everything else, and a denied QoS 0 publish (which has no
 * acknowledgement to carry a reason), ends the connection with a DISCONNECT naming why. Pure.
 */

export const REASON_CODES = {
  clientIdentifierNotValid: 0x85,
  notAuthorized: 0x87,
  topicFilterInvalid: 0x8f,
  topicNameInvalid: 0x90,
  packetTooLarge: 0x95,
  quotaExceeded: 0x97,
  qosNotSupported: 0x9b,
  subscriptionIdentifiersNotSupported: 0xa1,
} as const;

const DISCONNECT_CODE: Record<DenialKind, number> = {
  'not-authorized': REASON_CODES.notAuthorized,
  'bad-client-id': REASON_CODES.clientIdentifierNotValid,
  'topic-name-invalid': REASON_CODES.topicNameInvalid,
  'topic-filter-invalid': REASON_CODES.topicFilterInvalid,
  'payload-too-large': REASON_CODES.packetTooLarge,
  'qos-not-supported': REASON_CODES.qosNotSupported,
  'quota-exceeded': REASON_CODES.quotaExceeded,
  'subscription-id-not-supported': REASON_CODES.subscriptionIdentifiersNotSupported,
};

/** The DISCONNECT reason code for a refusal that ends an MQTT 5 connection. */
export function disconnectCode(kind: DenialKind): number {
  return DISCONNECT_CODE[kind];
}

/**
 * The MQTT 3.1.1 CONNACK return code aedes turns into the MQTT 5 CONNACK reason code for a refused
 * CONNECT: 2 → 0x85 Client Identifier not valid, 5 → 0x87 Not authorized (a will the policy or the
 * limits refuse is "not authorized", as AWS reports it in its connect_failed lifecycle event).
 */
export function connackReturnCode(kind: DenialKind): 2 | 5 {
  return kind === 'bad-client-id' ? 2 : 5;
}

/** Whether an MQTT 5 PUBLISH refusal is answered in its PUBACK (else by DISCONNECT). */
export function answeredInPuback(kind: DenialKind, qos: number): boolean {
  return kind === 'not-authorized' && qos === 1;
}

/** Whether an MQTT 5 SUBSCRIBE refusal is answered in its SUBACK (else by DISCONNECT). */
export function answeredInSuback(kind: DenialKind): boolean {
  return kind === 'not-authorized';
}
