import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import { connectAsync, type MqttClient } from 'mqtt';
import type { Logger } from '../../log.js';
import { topicFilterMatches } from '../../util/topic-filter.js';
import { CONSOLE_CLIENT_ID, type ConsoleIdentity } from './identity.js';

/**
 * The Test page's MQTT client: one MQTT 5 connection to the stand-in's own broker over mTLS with the
 * console's identity (identity.ts), so the broker applies its policy like any device's. MQTT 5 so
 * that a refused SUBSCRIBE or PUBLISH comes back as a reason code instead of closing the connection.
 * Filters are shared: each is subscribed once, however many pages watch it.
 */

export interface LiveMessage {
  topic: string;
  /** UTF-8 text of the payload (binary payloads are shown as their bytes decoded, lossy) */
  payload: string;
  bytes: number;
  /** epoch ms when the console received it */
  time: number;
}

export type Listener = (m: LiveMessage) => void;

export interface LiveClientOptions {
  host: string;
  port: number;
  /** the name the broker's certificate must carry, when it is not `host` (e.g. elf local --advertise-host) */
  certificateName?: string;
  caPem: string;
  identity: () => Promise<ConsoleIdentity>;
  log: Logger;
}

export class ConsoleRefusal extends Error {}

export class LiveClient {
  private client: Promise<MqttClient> | undefined;
  private readonly watchers = new Map<string, Set<Listener>>();

  constructor(private readonly o: LiveClientOptions) {}

  /** Watch a filter; resolves once the broker granted it, with the function that stops watching. */
  async watch(filter: string, listener: Listener): Promise<() => void> {
    const c = await this.connection();
    let set = this.watchers.get(filter);
    if (!set) {
      this.watchers.set(filter, (set = new Set()));
      try {
        const granted = await c.subscribeAsync(filter, { qos: 0 });
        const code = granted[0]?.qos ?? 0x80;
        if (code >= 0x80) throw new ConsoleRefusal(`the broker refused the subscription to ${filter} (reason 0x${code.toString(16)}): check the ${CONSOLE_CLIENT_ID} policy`);
      } catch (e) {
        this.watchers.delete(filter);
        throw e;
      }
    }
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size > 0 || this.watchers.get(filter) !== set) return;
      this.watchers.delete(filter);
      c.unsubscribeAsync(filter).catch((e: Error) => this.o.log.debug({ filter, err: e.message }, 'console unsubscribe failed'));
    };
  }

  async publish(topic: string, payload: string, qos: 0 | 1): Promise<void> {
    const c = await this.connection();
    try {
      await c.publishAsync(topic, payload, { qos });
    } catch (e) {
      throw new ConsoleRefusal(`the broker refused the publish to ${topic}: ${(e as Error).message}`);
    }
  }

  async close(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    if (c) await (await c.catch(() => undefined))?.endAsync(true);
  }

  private connection(): Promise<MqttClient> {
    this.client ??= this.connect().catch((e: unknown) => {
      this.client = undefined;
      throw e;
    });
    return this.client;
  }

  private async connect(): Promise<MqttClient> {
    const id = await this.o.identity();
    const c = await connectAsync({
      protocol: 'mqtts',
      host: this.o.host,
      port: this.o.port,
      protocolVersion: 5,
      clientId: CONSOLE_CLIENT_ID,
      ca: this.o.caPem,
      cert: id.certPem,
      key: id.keyPem,
      rejectUnauthorized: true,
      ...(this.o.certificateName ? { checkServerIdentity: (_host: string, cert: PeerCertificate) => checkServerIdentity(this.o.certificateName!, cert) } : {}),
      reconnectPeriod: 1000,
      keepalive: 60,
      clean: true,
    });
    c.on('message', (topic, payload) => {
      const m: LiveMessage = { topic, payload: payload.toString('utf8'), bytes: payload.length, time: Date.now() };
      for (const [filter, set] of this.watchers) {
        if (!topicFilterMatches(filter, topic, 'aws')) continue;
        for (const l of set) l(m);
      }
    });
    // after a reconnect (clean session) the filters are subscribed again
    c.on('connect', () => {
      for (const filter of this.watchers.keys()) c.subscribe(filter, { qos: 0 });
    });
    c.on('error', (e) => this.o.log.warn({ err: e.message }, 'console MQTT client error'));
    return c;
  }
}
