import { topicFilterMatches } from '../util/topic-filter.js';
import type { MessageHandler, QoS } from './types.js';

/** MQTT 5 §3.8.2.1.2: a Subscription Identifier is 1 .. 268,435,455 */
const MAX_SUBSCRIPTION_ID = 268_435_455;

interface Entry {
  id: number;
  /** the highest QoS it was subscribed with */
  qos: QoS;
  /** the filter messages are matched against: a shared subscription's `$share/<group>/` removed */
  match: string;
  handlers: MessageHandler[];
}

/**
 * The message handlers of one connection, by topic filter. Each message received is given to each
 * handler whose filter it matches, once, whatever other filters overlap it:
 *
 * - by subscription identifier when the message carries any (MQTT 5 §3.3.4: a broker that sends one
 *   copy per matching subscription, as mosquitto does over MQTT 5, labels each copy with its
 *   subscription's identifier, so each copy goes to that subscription's handlers only);
 * - otherwise by matching the topic against each filter with MQTT's rules (`elf/#` matches `elf`):
 *   the broker only sends what some subscription of this client matched, under its own rules.
 *
 * Subscribing to a filter again adds a handler to it (the broker replaces its subscription, MQTT
 * 3.1.1 §3.8.4, and the identifier stays the filter's).
 */
export class Subscriptions {
  private readonly byFilter = new Map<string, Entry>();
  private lastId = 0;

  /** adds a handler; returns its filter's subscription identifier */
  add(filter: string, qos: QoS, handler: MessageHandler): number {
    let entry = this.byFilter.get(filter);
    if (!entry) {
      this.lastId = (this.lastId % MAX_SUBSCRIPTION_ID) + 1;
      entry = { id: this.lastId, qos, match: sharedFilter(filter), handlers: [] };
      this.byFilter.set(filter, entry);
    }
    if (qos > entry.qos) entry.qos = qos;
    entry.handlers.push(handler);
    return entry.id;
  }

  /**
   * Subscribes to every filter again, after a reconnect to a broker that lost the session
   * (restarted without persistence, or the session expired): neither of the CRT's clients does
   * that by itself. A refusal now (the policy changed meanwhile) ends that filter's messages.
   */
  subscribeAgain(subscribe: (filter: string, qos: QoS, id: number) => Promise<unknown>): void {
    for (const [filter, e] of this.byFilter) subscribe(filter, e.qos, e.id).catch(() => {});
  }

  /** removes a handler again (its subscription was refused) */
  remove(filter: string, handler: MessageHandler): void {
    const entry = this.byFilter.get(filter);
    if (!entry) return;
    entry.handlers = entry.handlers.filter((h) => h !== handler);
    if (entry.handlers.length === 0) this.byFilter.delete(filter);
  }

  dispatch(topic: string, payload: Buffer, subscriptionIds?: readonly number[]): void {
    const byId = subscriptionIds !== undefined && subscriptionIds.length > 0;
    for (const entry of this.byFilter.values()) {
      if (byId ? subscriptionIds.includes(entry.id) : topicFilterMatches(entry.match, topic, 'mqtt')) {
        for (const handler of entry.handlers) handler(topic, payload);
      }
    }
  }
}

/** MQTT 5 §4.8.2: `$share/<group>/<filter>` matches what `<filter>` matches */
function sharedFilter(filter: string): string {
  if (!filter.startsWith('$share/')) return filter;
  const rest = filter.indexOf('/', '$share/'.length);
  return rest < 0 ? filter : filter.slice(rest + 1);
}
