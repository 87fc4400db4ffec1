import type { EventEmitter } from 'node:events';
import type { AedesOptions, AedesPublishPacket, AuthenticateError, Client, ConnectPacket, PublishPacket, Subscription } from 'aedes';
import type { Logger } from '../../log.js';
import type { BrokerAuthority } from '../authority.js';
import { clampKeepAlive, MQTT5_LIMITS, MQTT_LIMITS } from '../topics.js';
import type { Authorizer, Denial } from './authorize.js';
import { answeredInPuback, answeredInSuback, connackReturnCode, disconnectCode } from './reasons.js';
import type { BrokerEvents } from './events.js';
import { exceedsMaximumPacketSize } from './packet-size.js';
import { parseShared, toBrokerFilter, toPublicFilter } from './shared.js';
import { noteDisconnect, type Session, type Sessions } from './sessions.js';

/**
 * aedes's hooks, one per packet it asks about, each asking authorize.ts and answering the way AWS IoT
 * Core does (https://docs.aws.amazon.com/iot/latest/developerguide/mqtt.html):
 * - MQTT 3.1.1: a refused CONNECT, PUBLISH or SUBSCRIBE closes the connection (no CONNACK for a CONNECT);
 * - MQTT 5: a refused CONNECT gets a CONNACK with its reason code, a refused PUBLISH or SUBSCRIBE what
 *   reasons.ts says (PUBACK / SUBACK 0x87, or a DISCONNECT with the reason);
 * - both: a refused Receive drops the message silently; QoS 2 subscriptions are granted QoS 1;
 *   keep-alive is held to 30–1200 s; `$share/` filters are shared subscriptions (shared.ts).
 */

/** The error aedes is handed for a refusal: expected, logged at info where it happens, not again. */
export class Refusal extends Error {}

/** The topic filters a client holds, as it wrote them (aedes keeps them on the client; shared.ts renames `$share/`). */
export function heldFilters(client: Client): string[] {
  return Object.keys((client as unknown as { subscriptions?: Record<string, unknown> }).subscriptions ?? {}).map(toPublicFilter);
}

/**
 * Watch each packet as it is parsed, before aedes reads it: AWS grants at most QoS 1, and aedes
 * 2.0.0-beta.1 puts in the SUBACK the QoS a SUBSCRIBE asked for even when authorizeSubscribe grants
 * less (it then delivers at the lower one), so requests for QoS 2 are lowered here; `$share/` filters
 * are renamed for aedes (shared.ts); and a DISCONNECT from the client is noted as the reason its
 * connection ends.
 */
export function watchPackets(client: Client, session: Session): void {
  const parser = (client as unknown as { _parser?: EventEmitter })._parser;
  parser?.prependListener('packet', (packet: { cmd: string; subscriptions?: { topic: string; qos: number }[]; unsubscriptions?: string[] }) => {
    if (packet.cmd === 'disconnect') noteDisconnect(session, 'CLIENT_INITIATED_DISCONNECT');
    if (packet.cmd === 'unsubscribe' && packet.unsubscriptions) packet.unsubscriptions = packet.unsubscriptions.map(toBrokerFilter);
    if (packet.cmd !== 'subscribe') return;
    for (const sub of packet.subscriptions ?? []) {
      if (sub.qos > 1) sub.qos = 1;
      sub.topic = toBrokerFilter(sub.topic);
    }
  });
}

const isV5 = (client: Client | null): boolean => client?.version === 5;

/** A refusal ends the connection: note why, and tell an MQTT 5 client with a DISCONNECT naming it. */
function endFor(client: Client, s: Session, denial: Denial): void {
  noteDisconnect(s, denial.kind === 'not-authorized' ? 'AUTH_ERROR' : 'CLIENT_ERROR');
  if (!isV5(client)) return;
  client.disconnect({ reasonCode: disconnectCode(denial.kind), properties: { reasonString: denial.reason.slice(0, 200) } });
}

export interface HookDeps {
  authority: BrokerAuthority;
  sessions: Sessions;
  authorizer: Authorizer;
  events: BrokerEvents;
  log: Logger;
  /** a `$share/` subscription was granted: the client joins its group (shared.ts) */
  joinShared(client: Client, publicFilter: string, qos: number): void;
}

/** aedes's options and hooks: AWS's limits, and every CONNECT, PUBLISH, SUBSCRIBE and delivery decided by the policy engine. */
export function aedesHooks(deps: HookDeps): Partial<AedesOptions> {
  return {
    // a CONNECT must arrive soon after the handshake
    connectTimeout: 10_000,
    maxClientsIdLength: MQTT_LIMITS.maxClientIdBytes,
    keepaliveLimit: MQTT5_LIMITS.maxKeepAliveSeconds,
    topicAliasMaximum: MQTT5_LIMITS.topicAliasMaximum,
    receiveMaximum: MQTT5_LIMITS.receiveMaximum,
    sessionExpiryIntervalLimit: MQTT5_LIMITS.maxSessionExpirySeconds,
    ...connectHooks(deps),
    ...authorizeHooks(deps),
  };
}

/** CONNECT: the certificate must be ACTIVE and the policy must allow the client id (3.1.1 in preConnect, 5 in authenticate). */
function connectHooks({ authority, sessions, authorizer, events, log }: HookDeps): Pick<AedesOptions, 'preConnect' | 'authenticate'> {
  /** The CONNECT was refused by policy: AWS publishes a connect_failed lifecycle event for that. */
  const connectFailed = (s: Session, clientId: string, denial: Denial) => {
    if (denial.kind !== 'not-authorized') return;
    events.emit('connectFailed', { clientId, certificateId: s.certificateId, ipAddress: s.ipAddress, sessionIdentifier: s.sessionIdentifier });
  };

  /** MQTT 5 CONNECTs whose decision waits for `authenticate` (after aedes has assigned a missing client id). */
  const pendingV5 = new WeakMap<Client, ConnectPacket>();

  return {
    preConnect(client: Client, packet: ConnectPacket, done: (error: Error | null, success: boolean) => void) {
      const s = sessions.of(client);
      const clientId = packet.clientId ?? '';
      const refuse = (why: string) => {
        events.emit('denied', { action: 'connect', clientId });
        log.info({ clientId, certificateId: s?.certificateId }, `connection refused: ${why}`);
        // AWS closes the connection without a CONNACK when it refuses an MQTT 3.1.1 client
        done(new Refusal(why), false);
      };
      if (!s) return refuse('no accepted certificate');
      const cert = authority.certificate(s.certificateId);
      if (!cert || cert.status !== 'ACTIVE') return refuse(`certificate is ${cert ? cert.status : 'not registered'}`);
      if (packet.protocolVersion === 5) {
        // 0 or above 1200 is lowered by aedes with Server Keep Alive (keepaliveLimit); 1–29 becomes 30 here
        if ((packet.keepalive ?? 0) > 0 && (packet.keepalive ?? 0) < 30) packet.keepalive = 30;
        pendingV5.set(client, packet);
        return done(null, true);
      }
      const denied = authorizer.connect(s, clientId, packet.will);
      if (denied) {
        connectFailed(s, clientId, denied);
        return refuse(denied.reason);
      }
      if (clientId) sessions.claim(s, clientId);
      packet.keepalive = clampKeepAlive(packet.keepalive ?? 0);
      done(null, true);
    },

    // MQTT 5 connections are decided here, where a refusal still gets a CONNACK with a reason code; any
    // username: the device SDK sends "?SDK=…" metrics usernames, and identity is the certificate
    authenticate(client, _username, _password, done) {
      const packet = pendingV5.get(client);
      if (!packet) return done(null, true);
      pendingV5.delete(client);
      const s = sessions.of(client);
      const denied: Denial | undefined = s ? authorizer.connect(s, client.id, packet.will) : { kind: 'not-authorized', reason: 'no accepted certificate' };
      if (!denied) {
        if (s) sessions.claim(s, client.id);
        return done(null, true);
      }
      if (s) connectFailed(s, client.id, denied);
      events.emit('denied', { action: 'connect', clientId: client.id });
      log.info({ clientId: client.id, certificateId: s?.certificateId }, `connection refused: ${denied.reason}`);
      const err = Object.assign(new Refusal(denied.reason), { returnCode: connackReturnCode(denied.kind) }) as AuthenticateError;
      done(err, false);
    },
  };
}

/** PUBLISH, SUBSCRIBE and each delivery, decided by the connection's policies (AWS's semantics). */
function authorizeHooks({ sessions, authorizer, events, log, joinShared }: HookDeps): Pick<AedesOptions, 'authorizePublish' | 'authorizeSubscribe' | 'authorizeForward'> {
  return {
    authorizePublish(client: Client | null, packet: PublishPacket, done: (error?: Error | null) => void) {
      const s = sessions.of(client);
      if (!client || !s) return done(new Refusal('no session'));
      const denied = authorizer.publish(s, packet);
      if (!denied) {
        if (isV5(client)) clampMessageExpiry(packet);
        return done(null);
      }
      events.emit('denied', { action: 'publish', clientId: client.id });
      const v5InAck = isV5(client) && answeredInPuback(denied.kind, packet.qos);
      log.info({ clientId: client.id, topic: packet.topic.slice(0, 300) }, `publish refused${v5InAck ? '' : ', closing the connection'}: ${denied.reason}`);
      // MQTT 5: aedes answers a refused QoS 1 publish with PUBACK 0x87 and keeps the connection
      if (!v5InAck) endFor(client, s, denied);
      done(new Refusal(denied.reason));
    },

    authorizeSubscribe(client: Client, sub: Subscription, done: (error: Error | null, subscription?: Subscription | null) => void) {
      const s = sessions.of(client);
      if (!s) return done(new Refusal('no session'));
      const filter = toPublicFilter(sub.topic);
      const denied = subscriptionIdDenial(sub) ?? authorizer.subscribe(s, filter, heldFilters(client));
      if (denied) {
        events.emit('denied', { action: 'subscribe', clientId: client.id });
        const v5InAck = isV5(client) && answeredInSuback(denied.kind);
        log.info({ clientId: client.id, filter: filter.slice(0, 300) }, `subscribe refused${v5InAck ? '' : ', closing the connection'}: ${denied.reason}`);
        // MQTT 5: a null subscription is answered with SUBACK 0x87 for that filter
        if (v5InAck) return done(null, null);
        endFor(client, s, denied);
        // MQTT 5: the DISCONNECT closes the connection once written; an error here would destroy the socket before it is sent
        return isV5(client) ? done(null, null) : done(new Refusal(denied.reason));
      }
      // AWS supports QoS 0 and 1; grant at most 1 (MQTT 3.1.1 §3.9.3 and MQTT 5 §3.9.3 let the server grant less)
      const granted = sub.qos > 1 ? { ...sub, qos: 1 as const } : sub;
      if (parseShared(filter)) joinShared(client, filter, granted.qos);
      done(null, granted);
    },

    authorizeForward(client: Client, packet: AedesPublishPacket) {
      const s = sessions.of(client);
      if (!s || !authorizer.receive(s, packet.topic, heldFilters(client))) {
        events.emit('denied', { action: 'receive', clientId: client.id });
        return null;
      }
      // MQTT 5 §3.1.2.11.4: a packet larger than the client's Maximum Packet Size is discarded, not sent
      if (isV5(client) && exceedsMaximumPacketSize(packet, (client as { maximumPacketSize?: number }).maximumPacketSize)) {
        log.debug({ clientId: client.id, topic: packet.topic.slice(0, 300) }, "not delivered: larger than the client's Maximum Packet Size");
        return null;
      }
      events.emit('deliver', { topic: packet.topic, bytes: packet.payload.length, clientId: client.id });
      return packet;
    },
  };
}

/**
 * AWS IoT Core does not support Subscription Identifiers: its CONNACK says so (connack.ts), and a
 * SUBSCRIBE carrying one is answered with DISCONNECT 0xA1
 * (https://docs.aws.amazon.com/iot/latest/developerguide/mqtt.html#mqtt5-reason-codes). aedes puts the
 * SUBSCRIBE's identifier on each of its subscriptions before asking.
 */
function subscriptionIdDenial(sub: Subscription): Denial | undefined {
  if ((sub as { subscriptionIdentifier?: number }).subscriptionIdentifier === undefined) return undefined;
  return { kind: 'subscription-id-not-supported', reason: 'Subscription Identifiers are not supported' };
}

/** AWS raises a Message Expiry Interval below 1 s to 1 s and lowers one above 7 days to 7 days. */
function clampMessageExpiry(packet: PublishPacket): void {
  const props = packet.properties;
  if (props?.messageExpiryInterval === undefined) return;
  props.messageExpiryInterval = Math.min(MQTT5_LIMITS.maxMessageExpirySeconds, Math.max(MQTT5_LIMITS.minMessageExpirySeconds, props.messageExpiryInterval));
}
