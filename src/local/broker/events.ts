import type { Logger } from '../../log.js';
import type { DisconnectReason } from './sessions.js';

/**
 * The seams where the rest of the stand-in sees what the broker does: every accepted PUBLISH (the
 * shadow service and topic rules listen here), each message forwarded to a subscriber, and each client's connect, disconnect, subscribe and
 * unsubscribe (for lifecycle events). Listeners run synchronously, after the broker has decided; a
 * listener that throws is logged and does not disturb the broker or the other listeners.
 */

/** Who sent a message, or holds a subscription. */
export interface BrokerClient {
  clientId: string;
  certificateId: string;
  ipAddress: string | undefined;
  /** unique for the life of the connection */
  sessionIdentifier: string;
}

export interface ClientDisconnected extends BrokerClient {
  reason: DisconnectReason;
}

export interface AcceptedPublish {
  topic: string;
  payload: Buffer;
  qos: 0 | 1;
  retain: boolean;
  /** the client that sent it; undefined for the stand-in's own messages (shadow responses and the like) */
  client?: BrokerClient;
}

/** A message forwarded to a subscriber (its iot:Receive allowed it). */
export interface Delivery {
  topic: string;
  bytes: number;
  /** the subscriber */
  clientId: string;
}

/** A packet the policies refused (connect, publish, subscribe), or a message a subscriber may not receive. */
export interface PolicyDenial {
  action: 'connect' | 'publish' | 'subscribe' | 'receive';
  clientId: string;
}

export interface SubscriptionChange {
  client: BrokerClient;
  filters: string[];
}

export interface BrokerEventMap {
  publish: AcceptedPublish;
  deliver: Delivery;
  denied: PolicyDenial;
  connect: BrokerClient;
  /** a CONNECT refused because the policy does not allow the client id or its will */
  connectFailed: BrokerClient;
  disconnect: ClientDisconnected;
  subscribe: SubscriptionChange;
  unsubscribe: SubscriptionChange;
}

export type BrokerEventName = keyof BrokerEventMap;

export class BrokerEvents {
  private readonly listeners = new Map<BrokerEventName, Set<(event: never) => void>>();

  constructor(private readonly log: Logger) {}

  /** Listen to one kind of event; returns the function that stops listening. */
  on<K extends BrokerEventName>(name: K, listener: (event: BrokerEventMap[K]) => void): () => void {
    let set = this.listeners.get(name);
    if (!set) this.listeners.set(name, (set = new Set()));
    const fn = listener as (event: never) => void;
    set.add(fn);
    return () => set.delete(fn);
  }

  emit<K extends BrokerEventName>(name: K, event: BrokerEventMap[K]): void {
    const set = this.listeners.get(name);
    if (!set) return;
    for (const fn of set) {
      try {
        (fn as (event: BrokerEventMap[K]) => void)(event);
      } catch (e) {
        this.log.warn({ event: name, err: (e as Error).message }, 'a broker event listener failed');
      }
    }
  }
}
