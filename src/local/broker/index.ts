import { Aedes, type AedesPublishPacket, type Client, type Subscription } from 'aedes';
import type { Logger } from '../../log.js';
import type { BrokerAuthority } from '../authority.js';
import { ShadowService } from '../shadow.js';
import { Authorizer } from './authorize.js';
import { BrokerEvents, type BrokerClient } from './events.js';
import { announceAwsCapabilities } from './connack.js';
import { aedesHooks, Refusal, watchPackets } from './hooks.js';
import { startLifecycleEvents } from './lifecycle.js';
import { startListeners, type Listeners } from './listeners.js';
import { brokerPersistence } from './persistence.js';
import { noteDisconnect, Sessions } from './sessions.js';
import { shadowListener } from './shadow-topics.js';
import { SharedSubscriptions, toPublicFilter } from './shared.js';

/**
 * The stand-in's MQTT broker: aedes (MQTT 3.1.1 and 5) behind TLS listeners that require a client
 * certificate from the stand-in's CA, with AWS IoT Core's rules (docs/aws-iot-facts.md:
 * #message-broker-limits, #mqtt-on-aws-iot-core, #policies, #device-shadow). The parts, one job each:
 * - listeners.ts: the TLS servers (mTLS, ALPN, 127.0.0.1 and ::1);
 * - sessions.ts: which certificate is on which connection; closing or re-checking them when the registry changes;
 * - authorize.ts: the connect / publish / subscribe / receive decisions (policies and AWS's limits);
 * - hooks.ts: aedes's hooks, answering each packet the way AWS does (reasons.ts: MQTT 5 reason codes;
 *   connack.ts: the capabilities an MQTT 5 CONNACK announces; packet-size.ts: the client's Maximum Packet Size);
 * - shared.ts: shared subscriptions ($share/{ShareName}/{TopicFilter}), one member of a group per message;
 * - persistence.ts: aedes's in-memory sessions, queueing a message once per client;
 * - events.ts: the seams where the rest of the stand-in sees accepted publishes and client lifecycle;
 * - shadow-topics.ts: device shadows, as one listener of accepted publishes;
 * - lifecycle.ts: AWS's lifecycle events ($aws/events/presence/…, $aws/events/subscriptions/…), as another.
 */

export type { AcceptedPublish, BrokerClient, BrokerEventMap, BrokerEventName, Delivery, SubscriptionChange } from './events.js';

export interface StartBrokerOptions {
  /** address to listen on; for 127.0.0.1 (or localhost) the broker also listens on ::1 when it can */
  host: string;
  /** 0 for any free port */
  port: number;
  ca: { certPem: string };
  server: { certPem: string; keyPem: string };
  authority: BrokerAuthority;
  logger: Logger;
  /** the shadow service to use (default: a fresh one, in memory) */
  shadows?: ShadowService;
  /** a TLS handshake not finished after this long is dropped (default 10 s) */
  handshakeTimeoutMs?: number;
  /** the clock of lifecycle-event timestamps, epoch ms (default Date.now) */
  now?: () => number;
}

/** A message the stand-in publishes itself, as AWS IoT does (shadow responses, events, rule actions). */
export interface ServiceMessage {
  topic: string;
  payload: Buffer;
  qos?: 0 | 1;
  retain?: boolean;
}

export interface RunningBroker {
  port: number;
  /** the addresses actually listened on */
  hosts: string[];
  shadows: ShadowService;
  /** accepted publishes and client lifecycle (see events.ts) */
  events: Pick<BrokerEvents, 'on'>;
  /** publish as the service: no policy applies to the sender; subscribers' iot:Receive still does */
  publish(msg: ServiceMessage): Promise<void>;
  close(): Promise<void>;
}

export async function startBroker(opts: StartBrokerOptions): Promise<RunningBroker> {
  const { authority } = opts;
  const log = opts.logger.child({ component: 'broker' });
  const shadows = opts.shadows ?? new ShadowService();
  const sessions = new Sessions(authority, log);
  const authorizer = new Authorizer(authority, log);
  const events = new BrokerEvents(log);
  // called only once the broker runs, after `shared` below exists
  const joinShared = (client: Client, filter: string, qos: number) => shared.join(client, filter, qos);
  const broker = new Aedes({ ...aedesHooks({ authority, sessions, authorizer, events, log, joinShared }), persistence: brokerPersistence() });
  await broker.listen();
  const shared = startShared(broker, sessions, authorizer, log);

  const publish = (msg: ServiceMessage): Promise<void> =>
    new Promise((resolve, reject) => {
      const packet = { cmd: 'publish' as const, topic: msg.topic, payload: msg.payload, qos: msg.qos ?? 1, retain: msg.retain ?? false, dup: false };
      broker.publish(packet, (err) => (err ? reject(err) : resolve()));
    });
  wireEvents(broker, sessions, events, log);
  events.on('publish', shadowListener(shadows, (topic, payload) => publish({ topic, payload }), log));
  startLifecycleEvents({ events, publish: (topic, payload) => publish({ topic, payload, qos: 1 }), now: opts.now ?? Date.now, log });

  const unwatch = sessions.watch((s) => authorizer.refresh(s));
  let listeners;
  try {
    listeners = await startListeners({
      host: opts.host,
      port: opts.port,
      ca: opts.ca,
      server: opts.server,
      handshakeTimeoutMs: opts.handshakeTimeoutMs ?? 10_000,
      log,
      onSecureConnection: (socket) => {
        const session = sessions.accept(socket);
        if (!session) return;
        announceAwsCapabilities(socket);
        watchPackets(broker.handle(socket), session);
      },
    });
  } catch (e) {
    unwatch();
    await new Promise<void>((r) => broker.close(() => r()));
    throw e;
  }
  const untrust = followTrust(authority, listeners, log);
  log.info({ hosts: listeners.hosts, port: listeners.port }, 'MQTT broker (MQTT 3.1.1 and 5 over mTLS) listening');

  let closing: Promise<void> | undefined;
  return {
    port: listeners.port,
    hosts: listeners.hosts,
    shadows,
    events,
    publish,
    close() {
      closing ??= (async () => {
        unwatch();
        untrust();
        for (const s of sessions.all()) noteDisconnect(s, 'SERVER_INITIATED_DISCONNECT');
        const stopped = listeners.close();
        await new Promise<void>((r) => broker.close(() => r()));
        await stopped;
      })();
      return closing;
    },
  };
}

/**
 * The TLS trust store follows the registry: a device certificate from a registered CA, or registered
 * without a CA, passes the handshake; sessions.ts then admits it only while it is registered and ACTIVE.
 */
function followTrust(authority: BrokerAuthority, listeners: Listeners, log: Logger): () => void {
  if (!authority.trustedCertificates || !authority.onTrustChange) return () => {};
  const apply = () => {
    const extra = authority.trustedCertificates!();
    listeners.trust(extra);
    log.debug({ certificates: extra.length }, 'TLS trust store updated');
  };
  if (authority.trustedCertificates().length > 0) apply();
  return authority.onTrustChange(apply);
}

/** Shared subscriptions: a member may receive what its session's iot:Receive allows; it leaves at UNSUBSCRIBE or disconnect. */
function startShared(broker: Aedes, sessions: Sessions, authorizer: Authorizer, log: Logger): SharedSubscriptions {
  const shared = new SharedSubscriptions({
    broker,
    mayReceive: (client, filter, topic) => {
      const s = sessions.of(client);
      return s !== undefined && authorizer.receive(s, topic, [filter]);
    },
    log,
  });
  broker.on('clientDisconnect', (client: Client) => shared.leave(client));
  broker.on('unsubscribe', (filters: string[], client: Client) => {
    for (const f of filters) shared.leave(client, toPublicFilter(f));
  });
  return shared;
}

/** Turn aedes's events into the broker's seams (and its logs). */
function wireEvents(broker: Aedes, sessions: Sessions, events: BrokerEvents, log: Logger): void {
  const who = (client: Client | null): BrokerClient | undefined => {
    const s = sessions.of(client);
    return client && s ? { clientId: client.id, certificateId: s.certificateId, ipAddress: s.ipAddress, sessionIdentifier: s.sessionIdentifier } : undefined;
  };
  broker.on('publish', (packet: AedesPublishPacket, client: Client | null) => {
    if (packet.topic.startsWith('$SYS')) return;
    const from = who(client);
    if (client && !from) return;
    const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
    events.emit('publish', { topic: packet.topic, payload, qos: packet.qos > 0 ? 1 : 0, retain: packet.retain, ...(from ? { client: from } : {}) });
  });
  broker.on('clientReady', (client: Client) => {
    const c = who(client);
    log.info({ clientId: client.id, certificateId: c?.certificateId }, 'client connected');
    if (c) events.emit('connect', c);
  });
  broker.on('clientDisconnect', (client: Client) => {
    log.info({ clientId: client.id }, 'client disconnected');
    const c = who(client);
    if (c) events.emit('disconnect', { ...c, reason: sessions.of(client)?.disconnectReason ?? 'CONNECTION_LOST' });
  });
  broker.on('keepaliveTimeout', (client: Client) => noteDisconnect(sessions.of(client), 'MQTT_KEEP_ALIVE_TIMEOUT'));
  broker.on('subscribe', (subs: Subscription[], client: Client) => {
    const c = who(client);
    // aedes reports refused filters too, with a failure code (0x80 and above) as their QoS
    const granted = subs.filter((s) => s.qos < 0x80).map((s) => toPublicFilter(s.topic));
    if (c && granted.length > 0) events.emit('subscribe', { client: c, filters: granted });
  });
  broker.on('unsubscribe', (filters: string[], client: Client) => {
    // aedes drops a closing client's subscriptions through the same path: that is no UNSUBSCRIBE
    if (client.closed) return;
    const c = who(client);
    if (c) events.emit('unsubscribe', { client: c, filters: filters.map(toPublicFilter) });
  });
  broker.on('clientError', (client: Client, err: Error) => {
    if (!(err instanceof Refusal)) log.debug({ clientId: client.id, err: err.message }, 'client error');
  });
  broker.on('connectionError', (_client: Client, err: Error) => {
    if (!(err instanceof Refusal)) log.debug({ err: err.message }, 'connection error');
  });
}
