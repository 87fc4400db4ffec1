import { describe, expect, it } from 'vitest';
import { lifecycleMessage } from '../../src/local/broker/lifecycle.js';

const client = { clientId: 'c1', certificateId: 'abc', ipAddress: '::1', sessionIdentifier: 's-1' };

describe('lifecycleMessage', () => {
  it('names the topic after the event and the client id, and carries the fields AWS documents for it', () => {
    expect(lifecycleMessage({ eventType: 'disconnected', client: { ...client, reason: 'MQTT_KEEP_ALIVE_TIMEOUT' }, versionNumber: 3 }, 42)).toEqual({
      topic: '$aws/events/presence/disconnected/c1',
      payload: {
        clientId: 'c1',
        timestamp: 42,
        eventType: 'disconnected',
        sessionIdentifier: 's-1',
        principalIdentifier: 'abc',
        clientInitiatedDisconnect: false,
        disconnectReason: 'MQTT_KEEP_ALIVE_TIMEOUT',
        versionNumber: 3,
      },
    });
    expect(lifecycleMessage({ eventType: 'subscribed', client, topics: ['a/#'] }, 1)?.topic).toBe('$aws/events/subscriptions/subscribed/c1');
  });

  it('publishes nothing for client ids containing # or +', () => {
    for (const clientId of ['a#', 'a+b']) expect(lifecycleMessage({ eventType: 'connected', client: { ...client, clientId }, versionNumber: 0 }, 1)).toBeUndefined();
  });
});
