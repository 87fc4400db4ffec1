import type { AedesOptions, AedesPublishPacket, Client, ConnectPacket, PublishPacket, Subscription } from 'aedes';
import type { Logger } from '../../log.js';
import type { BrokerAuthority } from '../authority.js';
import { clampKeepAlive, MQTT_LIMITS } from '../topics.js';
import type { Authorizer } from './authorize.js';
import type { Sessions } from './sessions.js';

/**
 * aedes's hooks, one per packet it asks about, each asking authorize.ts and answering the way AWS IoT
 * Core does on MQTT 3.1.1 (https://docs.aws.amazon.com/iot/latest/developerguide/mqtt.html): a refused
 * CONNECT, PUBLISH or SUBSCRIBE closes the connection, a refused Receive drops the message silently,
 * QoS 2 subscriptions are granted QoS 1, keep-alive is clamped to 30–1200 s.
 */

/** The error aedes is handed for a refusal: expected, logged at info where it happens, not again. */
export class Refusal extends Error {}

/** The topic filters a client holds (aedes keeps them on the client). */
export function heldFilters(client: Client): string[] {
  return Object.keys((client as unknown as { subscriptions?: Record<string, unknown> }).subscriptions ?? {});
}

export function aedesHooks(authority: BrokerAuthority, sessions: Sessions, authorizer: Authorizer, log: Logger): Partial<AedesOptions> {
  return {
    // a CONNECT must arrive soon after the handshake
    connectTimeout: 10_000,
    maxClientsIdLength: MQTT_LIMITS.maxClientIdBytes,

    preConnect(client: Client, packet: ConnectPacket, done: (error: Error | null, success: boolean) => void) {
      const s = sessions.of(client);
      const clientId = packet.clientId ?? '';
      const refuse = (why: string) => {
        log.info({ clientId, certificateId: s?.certificateId }, `connection refused: ${why}`);
        // AWS closes the connection without a CONNACK when it refuses an MQTT 3.1.1 client
        done(new Refusal(why), false);
      };
      if (!s) return refuse('no accepted certificate');
      const cert = authority.certificate(s.certificateId);
      if (!cert || cert.status !== 'ACTIVE') return refuse(`certificate is ${cert ? cert.status : 'not registered'}`);
      const denied = authorizer.connect(s, clientId, packet.will);
      if (denied) return refuse(denied.reason);
      packet.keepalive = clampKeepAlive(packet.keepalive ?? 0);
      done(null, true);
    },

    // any username: the device SDK sends "?SDK=…" metrics usernames; identity is the certificate
    authenticate(_client, _username, _password, done) {
      done(null, true);
    },

    authorizePublish(client: Client | null, packet: PublishPacket, done: (error?: Error | null) => void) {
      const s = sessions.of(client);
      if (!s) return done(new Refusal('no session'));
      const denied = authorizer.publish(s, packet);
      if (denied) {
        log.info({ clientId: client?.id, topic: packet.topic.slice(0, 300) }, `publish refused, closing the connection: ${denied.reason}`);
        return done(new Refusal(denied.reason));
      }
      done(null);
    },

    authorizeSubscribe(client: Client, sub: Subscription, done: (error: Error | null, subscription?: Subscription | null) => void) {
      const s = sessions.of(client);
      if (!s) return done(new Refusal('no session'));
      const denied = authorizer.subscribe(s, sub.topic, heldFilters(client));
      if (denied) {
        log.info({ clientId: client.id, filter: sub.topic.slice(0, 300) }, `subscribe refused, closing the connection: ${denied.reason}`);
        return done(new Refusal(denied.reason));
      }
      // AWS supports QoS 0 and 1; grant at most 1 (MQTT 3.1.1 §3.9.3 lets the server grant less)
      done(null, sub.qos > 1 ? { ...sub, qos: 1 } : sub);
    },

    authorizeForward(client: Client, packet: AedesPublishPacket) {
      const s = sessions.of(client);
      return s && authorizer.receive(s, packet.topic, heldFilters(client)) ? packet : null;
    },
  };
}
