import type { Logger } from '../../log.js';
import type { BrokerClient, BrokerEvents, ClientDisconnected } from './events.js';

/**
 * AWS IoT Core's lifecycle events, always on
 * (https://docs.aws.amazon.com/iot/latest/developerguide/life-cycle-events.html): the stand-in publishes
 * them as AWS IoT's own messages, so a subscriber needs iot:Subscribe and iot:Receive on them like on any
 * topic. The message shapes are pure (lifecycleMessage); startLifecycleEvents wires them to the broker.
 */

export type LifecycleEvent =
  | { eventType: 'connected'; client: BrokerClient; versionNumber: number }
  | { eventType: 'disconnected'; client: ClientDisconnected; versionNumber: number }
  | { eventType: 'connect_failed'; client: BrokerClient }
  | { eventType: 'subscribed' | 'unsubscribed'; client: BrokerClient; topics: string[] };

export interface LifecycleMessage {
  topic: string;
  payload: Record<string, unknown>;
}

/** The topic and JSON document AWS publishes for an event, or undefined when AWS publishes none. */
export function lifecycleMessage(e: LifecycleEvent, timestamp: number): LifecycleMessage | undefined {
  const { clientId } = e.client;
  // "Clients whose client ID contains # or + receive no lifecycle events"
  if (clientId.includes('#') || clientId.includes('+')) return undefined;
  const common = { clientId, timestamp, eventType: e.eventType, sessionIdentifier: e.client.sessionIdentifier, principalIdentifier: e.client.certificateId };
  const ip = e.client.ipAddress !== undefined ? { ipAddress: e.client.ipAddress } : {};
  switch (e.eventType) {
    case 'connected':
      return { topic: `$aws/events/presence/connected/${clientId}`, payload: { ...common, ...ip, versionNumber: e.versionNumber } };
    case 'disconnected':
      return {
        topic: `$aws/events/presence/disconnected/${clientId}`,
        payload: { ...common, clientInitiatedDisconnect: e.client.reason === 'CLIENT_INITIATED_DISCONNECT', disconnectReason: e.client.reason, versionNumber: e.versionNumber },
      };
    case 'connect_failed':
      return { topic: `$aws/events/presence/connect_failed/${clientId}`, payload: { ...common, ...ip, connectFailureReason: 'AUTHORIZATION_FAILED' } };
    case 'subscribed':
    case 'unsubscribed':
      return { topic: `$aws/events/subscriptions/${e.eventType}/${clientId}`, payload: { ...common, topics: e.topics } };
  }
}

export interface LifecycleDeps {
  events: Pick<BrokerEvents, 'on'>;
  publish(topic: string, payload: Buffer): Promise<void>;
  now(): number;
  log: Logger;
}

/**
 * Publish lifecycle events for what the broker reports. versionNumber grows with each connection of a
 * client id; a connection's connected and disconnected events share it. Returns the function that stops.
 */
export function startLifecycleEvents({ events, publish, now, log }: LifecycleDeps): () => void {
  const versions = new Map<string, number>();
  const bySession = new Map<string, number>();
  const send = (e: LifecycleEvent) => {
    const msg = lifecycleMessage(e, now());
    if (!msg) return;
    publish(msg.topic, Buffer.from(JSON.stringify(msg.payload))).catch((err: Error) => log.debug({ topic: msg.topic, err: err.message }, 'could not publish a lifecycle event'));
  };
  const offs = [
    events.on('connect', (client) => {
      const versionNumber = (versions.get(client.clientId) ?? -1) + 1;
      versions.set(client.clientId, versionNumber);
      bySession.set(client.sessionIdentifier, versionNumber);
      send({ eventType: 'connected', client, versionNumber });
    }),
    events.on('disconnect', (client) => {
      const versionNumber = bySession.get(client.sessionIdentifier) ?? versions.get(client.clientId) ?? 0;
      bySession.delete(client.sessionIdentifier);
      send({ eventType: 'disconnected', client, versionNumber });
    }),
    events.on('connectFailed', (client) => send({ eventType: 'connect_failed', client })),
    events.on('subscribe', ({ client, filters }) => send({ eventType: 'subscribed', client, topics: filters })),
    events.on('unsubscribe', ({ client, filters }) => send({ eventType: 'unsubscribed', client, topics: filters })),
  ];
  return () => {
    for (const off of offs) off();
  };
}
