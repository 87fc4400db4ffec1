import { createHash } from 'node:crypto';
import type { AddressInfo, Socket } from 'node:net';
import tls from 'node:tls';
import { Aedes, type AedesPublishPacket, type Client, type ConnectPacket, type PublishPacket, type Subscription } from 'aedes';
import type { Logger } from '../log.js';
import type { BrokerAuthority } from './authority.js';
import { evaluate, iotArn, parsePolicy, type PolicyContext, type PolicyDocument } from './policy.js';
import { parseShadowTopic, ShadowService } from './shadow.js';
import { checkClientId, checkPayload, checkTopicFilter, checkTopicName, clampKeepAlive, isServiceOnlyTopic, MQTT_LIMITS, topicMatches } from './topics.js';

/**
 * The stand-in's MQTT broker: aedes (MQTT 3.1 / 3.1.1 only — no MQTT 5) behind a Node TLS server that
 * requires a client certificate from the stand-in's CA, with AWS IoT Core's rules
 * (docs/aws-iot-facts.md: #message-broker-limits, #mqtt-on-aws-iot-core, #policies, #device-shadow):
 * - the certificate (SHA-256 of its DER = certificateId) must be registered and ACTIVE, else the
 *   connection is closed; it is closed too when the certificate stops being ACTIVE or is deleted;
 * - iot:Connect on client/<clientId>, iot:Publish on topic/<topic> (plus iot:RetainPublish for
 *   retained messages), iot:Subscribe on topicfilter/<filter> and iot:Receive on topic/<topic> at
 *   each delivery, per the certificate's policies; a refused CONNECT, PUBLISH or SUBSCRIBE closes the
 *   connection (AWS on MQTT 3.1.1), a refused Receive drops the message silently;
 * - topic, client id and payload limits (topics.ts); QoS 2 publishes are refused, QoS 2
 *   subscriptions are granted QoS 1; keep-alive is clamped to 30–1200 s;
 * - device shadows on $aws/things/<thing>/shadow[/name/<shadow>]/(update|get|delete) (shadow.ts).
 */

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
}

export interface RunningBroker {
  port: number;
  /** the addresses actually listened on */
  hosts: string[];
  shadows: ShadowService;
  close(): Promise<void>;
}

/** What is known about one TLS connection once its certificate has been accepted. */
interface Session {
  socket: tls.TLSSocket;
  certificateId: string;
  certificateArn: string;
  ctx: PolicyContext;
  /** parsed policies, loaded lazily and dropped when the authority says they changed */
  policies?: PolicyDocument[];
  /** action + resource → allowed, for Receive checks at message rate */
  decisions: Map<string, boolean>;
  revoked: boolean;
}

const DECISION_CACHE_MAX = 4096;
const ALPN_ACCEPTED = ['x-amzn-mqtt-ca', 'mqtt'];

class Refusal extends Error {}

export async function startBroker(opts: StartBrokerOptions): Promise<RunningBroker> {
  const { authority, logger } = opts;
  const log = logger.child({ component: 'broker' });
  const shadows = opts.shadows ?? new ShadowService();
  const sessions = new WeakMap<object, Session>();
  const byCertificate = new Map<string, Set<Session>>();
  const sockets = new Set<Socket>();

  const policiesOf = (s: Session): PolicyDocument[] => {
    if (!s.policies) {
      s.policies = [];
      for (const text of authority.policyDocuments(s.certificateArn)) {
        try {
          s.policies.push(parsePolicy(text));
        } catch (e) {
          log.warn({ certificateId: s.certificateId, err: (e as Error).message }, 'ignoring a policy that does not parse');
        }
      }
    }
    return s.policies;
  };

  const allowed = (s: Session, action: string, resource: string): boolean => {
    if (s.revoked) return false;
    const key = `${action} ${resource}`;
    const hit = s.decisions.get(key);
    if (hit !== undefined) return hit;
    const ok = evaluate(policiesOf(s), action, resource, s.ctx).decision === 'allow';
    if (s.decisions.size >= DECISION_CACHE_MAX) s.decisions.clear();
    s.decisions.set(key, ok);
    return ok;
  };

  const arn = {
    client: (id: string) => iotArn.client(authority.region, authority.account, id),
    topic: (t: string) => iotArn.topic(authority.region, authority.account, t),
    topicfilter: (f: string) => iotArn.topicfilter(authority.region, authority.account, f),
  };

  const sessionOf = (client: Client | null): Session | undefined => (client ? sessions.get(client.conn) : undefined);

  /** A PUBLISH (or a will) this client may send, or the reason it may not. */
  const publishRefusal = (s: Session, packet: { topic: string; payload: Buffer | string; qos?: number; retain?: boolean }): string | undefined => {
    const topic = checkTopicName(packet.topic);
    if (!topic.ok) return topic.reason;
    if (isServiceOnlyTopic(packet.topic)) return `${packet.topic} is reserved for AWS IoT's own messages`;
    const size = checkPayload(Buffer.byteLength(packet.payload));
    if (!size.ok) return size.reason;
    if ((packet.qos ?? 0) > 1) return 'QoS 2 is not supported';
    if (!allowed(s, 'iot:Publish', arn.topic(packet.topic))) return `iot:Publish on ${packet.topic} is not allowed by policy`;
    if (packet.retain && !allowed(s, 'iot:RetainPublish', arn.topic(packet.topic))) return `iot:RetainPublish on ${packet.topic} is not allowed by policy`;
    return undefined;
  };

  const broker = new Aedes({
    // a CONNECT must arrive soon after the handshake
    connectTimeout: 10_000,
    maxClientsIdLength: MQTT_LIMITS.maxClientIdBytes,

    preConnect(client: Client, packet: ConnectPacket, done: (error: Error | null, success: boolean) => void) {
      const s = sessionOf(client);
      const clientId = packet.clientId ?? '';
      const refuse = (why: string) => {
        log.info({ clientId, certificateId: s?.certificateId }, `connection refused: ${why}`);
        // AWS closes the connection without a CONNACK when it refuses a client (MQTT 3.1.1)
        done(new Refusal(why), false);
      };
      if (!s) return refuse('no accepted certificate');
      const cert = authority.certificate(s.certificateId);
      if (!cert || cert.status !== 'ACTIVE') return refuse(`certificate is ${cert ? cert.status : 'not registered'}`);
      const id = checkClientId(clientId);
      if (!id.ok) return refuse(id.reason);
      const thing = authority.thingsOf(s.certificateArn).find((t) => t.thingName === clientId);
      s.ctx = { clientId, certificateId: s.certificateId, ...(thing ? { thing } : {}) };
      s.decisions.clear();
      if (!allowed(s, 'iot:Connect', arn.client(clientId))) return refuse(`iot:Connect on client/${clientId} is not allowed by policy`);
      if (packet.will) {
        const why = publishRefusal(s, packet.will);
        if (why) return refuse(`last will: ${why}`);
      }
      packet.keepalive = clampKeepAlive(packet.keepalive ?? 0);
      done(null, true);
    },

    // any username: the device SDK sends "?SDK=…" metrics usernames; identity is the certificate
    authenticate(_client, _username, _password, done) {
      done(null, true);
    },

    authorizePublish(client: Client | null, packet: PublishPacket, done: (error?: Error | null) => void) {
      const s = sessionOf(client);
      if (!s) return done(new Refusal('no session'));
      const why = publishRefusal(s, packet);
      if (why) {
        log.info({ clientId: client?.id, topic: packet.topic.slice(0, 300) }, `publish refused, closing the connection: ${why}`);
        return done(new Refusal(why));
      }
      done(null);
    },

    authorizeSubscribe(client: Client, sub: Subscription, done: (error: Error | null, subscription?: Subscription | null) => void) {
      const s = sessionOf(client);
      if (!s) return done(new Refusal('no session'));
      const refuse = (why: string) => {
        log.info({ clientId: client.id, filter: sub.topic.slice(0, 300) }, `subscribe refused, closing the connection: ${why}`);
        done(new Refusal(why));
      };
      const filter = checkTopicFilter(sub.topic);
      if (!filter.ok) return refuse(filter.reason);
      const existing = (client as unknown as { subscriptions: Record<string, unknown> }).subscriptions ?? {};
      if (!(sub.topic in existing) && Object.keys(existing).length >= MQTT_LIMITS.maxSubscriptionsPerConnection) {
        return refuse(`more than ${MQTT_LIMITS.maxSubscriptionsPerConnection} subscriptions on one connection`);
      }
      if (!allowed(s, 'iot:Subscribe', arn.topicfilter(sub.topic))) return refuse(`iot:Subscribe on ${sub.topic} is not allowed by policy`);
      // AWS supports QoS 0 and 1; grant at most 1 (MQTT 3.1.1 §3.9.3 lets the server grant less)
      done(null, sub.qos > 1 ? { ...sub, qos: 1 } : sub);
    },

    authorizeForward(client: Client, packet: AedesPublishPacket) {
      const s = sessionOf(client);
      if (!s || s.revoked || packet.topic.startsWith('$SYS')) return null;
      // AWS: `sensor/#` does not match `sensor` — deliver only when some subscription matches AWS's way
      const subs = Object.keys((client as unknown as { subscriptions: Record<string, unknown> }).subscriptions ?? {});
      if (!subs.some((f) => topicMatches(f, packet.topic))) return null;
      return allowed(s, 'iot:Receive', arn.topic(packet.topic)) ? packet : null;
    },
  });
  await broker.listen();

  broker.on('publish', (packet: AedesPublishPacket, client: Client | null) => {
    if (!client || !packet.topic.startsWith('$aws/things/')) return;
    const req = parseShadowTopic(packet.topic);
    if (!req) return;
    const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
    for (const msg of shadows.handle(req, payload)) {
      broker.publish({ cmd: 'publish', topic: msg.topic, payload: Buffer.from(JSON.stringify(msg.payload)), qos: 1, retain: false, dup: false }, (err) => {
        if (err) log.warn({ topic: msg.topic, err: err.message }, 'could not publish a shadow response');
      });
    }
  });
  broker.on('clientError', (client: Client, err: Error) => {
    if (!(err instanceof Refusal)) log.debug({ clientId: client.id, err: err.message }, 'client error');
  });
  broker.on('connectionError', (_client: Client, err: Error) => {
    if (!(err instanceof Refusal)) log.debug({ err: err.message }, 'connection error');
  });
  broker.on('clientReady', (client: Client) => log.info({ clientId: client.id, certificateId: sessionOf(client)?.certificateId }, 'client connected'));
  broker.on('clientDisconnect', (client: Client) => log.info({ clientId: client.id }, 'client disconnected'));

  const onSecureConnection = (socket: tls.TLSSocket) => {
    socket.on('error', (err) => log.debug({ err: err.message }, 'socket error'));
    const peer = socket.getPeerCertificate(true);
    if (!peer || !peer.raw) {
      socket.destroy();
      return;
    }
    const certificateId = createHash('sha256').update(peer.raw).digest('hex');
    const cert = authority.certificate(certificateId);
    if (!cert || cert.status !== 'ACTIVE') {
      // AWS fails the TLS handshake for these; Node has no hook inside the handshake, so close right after it
      log.info({ certificateId }, `connection refused: certificate is ${cert ? cert.status : 'not registered'}`);
      socket.destroy();
      return;
    }
    const session: Session = { socket, certificateId, certificateArn: cert.certificateArn, ctx: { certificateId }, decisions: new Map(), revoked: false };
    sessions.set(socket, session);
    let set = byCertificate.get(certificateId);
    if (!set) byCertificate.set(certificateId, (set = new Set()));
    set.add(session);
    socket.once('close', () => {
      const live = byCertificate.get(certificateId);
      live?.delete(session);
      if (live?.size === 0) byCertificate.delete(certificateId);
    });
    broker.handle(socket);
  };

  const unsubscribe = authority.onCertificateChange((certificateId) => {
    const live = byCertificate.get(certificateId);
    if (!live) return;
    const cert = authority.certificate(certificateId);
    for (const s of live) {
      if (!cert || cert.status !== 'ACTIVE') {
        s.revoked = true;
        log.info({ certificateId, clientId: s.ctx.clientId }, `closing the connection: certificate is ${cert ? cert.status : 'deleted'}`);
        s.socket.destroy();
      } else {
        // policies or attached things may have changed: AWS applies that within minutes, the stand-in at once
        const clientId = s.ctx.clientId;
        if (clientId !== undefined) {
          const thing = authority.thingsOf(s.certificateArn).find((t) => t.thingName === clientId);
          s.ctx = { clientId, certificateId, ...(thing ? { thing } : {}) };
        }
        s.policies = undefined;
        s.decisions.clear();
      }
    }
  });

  const tlsOptions: tls.TlsOptions = {
    key: opts.server.keyPem,
    cert: opts.server.certPem,
    ca: [opts.ca.certPem],
    requestCert: true,
    rejectUnauthorized: true,
    minVersion: 'TLSv1.2',
    handshakeTimeout: opts.handshakeTimeoutMs ?? 10_000,
    // the device SDK offers ALPN x-amzn-mqtt-ca (AWS's port-443 scheme); clients offering no ALPN are not asked
    ALPNCallback: ({ protocols }) => protocols.find((p) => ALPN_ACCEPTED.includes(p)),
  };

  const makeServer = (): tls.Server => {
    const server = tls.createServer(tlsOptions, onSecureConnection);
    server.on('connection', (raw: Socket) => {
      sockets.add(raw);
      raw.once('close', () => sockets.delete(raw));
    });
    // no certificate, a foreign CA, garbage bytes, a peer gone mid-handshake: log quietly and carry on
    server.on('tlsClientError', (err: Error, socket: tls.TLSSocket) => {
      log.debug({ err: err.message }, 'TLS handshake failed');
      socket.destroy();
    });
    return server;
  };

  const listen = (server: tls.Server, host: string, port: number): Promise<number> =>
    new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      server.once('error', onError);
      server.listen(port, host, () => {
        server.off('error', onError);
        server.on('error', (err) => log.error({ err: err.message }, 'broker listener error'));
        resolve((server.address() as AddressInfo).port);
      });
    });

  const servers: tls.Server[] = [];
  const hosts: string[] = [];
  const primaryHost = opts.host === 'localhost' ? '127.0.0.1' : opts.host;
  const primary = makeServer();
  let port: number;
  try {
    port = await listen(primary, primaryHost, opts.port);
  } catch (e) {
    unsubscribe();
    await new Promise<void>((r) => broker.close(() => r()));
    throw e;
  }
  servers.push(primary);
  hosts.push(primaryHost);
  if (primaryHost === '127.0.0.1') {
    // clients that dial `localhost` may try ::1 first (the CRT resolves AAAA too, docs/aws-iot-facts.md#device-sdk-connections)
    const v6 = makeServer();
    try {
      await listen(v6, '::1', port);
      servers.push(v6);
      hosts.push('::1');
    } catch (e) {
      log.debug({ err: (e as Error).message }, 'not listening on ::1');
    }
  }
  log.info({ hosts, port }, 'MQTT broker (MQTT 3.1.1 over mTLS) listening');

  let closing: Promise<void> | undefined;
  return {
    port,
    hosts,
    shadows,
    close() {
      closing ??= (async () => {
        unsubscribe();
        const stopped = servers.map((s) => new Promise<void>((r) => s.close(() => r())));
        for (const s of sockets) s.destroy();
        await new Promise<void>((r) => broker.close(() => r()));
        await Promise.all(stopped);
      })();
      return closing;
    },
  };
}
