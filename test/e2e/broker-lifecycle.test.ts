import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { IssuedCertificate } from '../../src/local/ca.js';
import { R, startTestBroker, type TestBroker } from '../helpers/broker.js';
import { allow, type FakeAuthority } from '../helpers/fake-authority.js';
import { mqttjsTry, within, type Endpoint } from '../helpers/mqtt-clients.js';
import { js5Connect } from '../helpers/mqtt5-clients.js';

/**
 * Lifecycle events (https://docs.aws.amazon.com/iot/latest/developerguide/life-cycle-events.html) from the
 * stand-in's broker: AWS's topics and JSON fields, each disconnect reason the stand-in can tell, and the
 * subscriber's policy deciding what it receives.
 */

const device = allow([['iot:Connect'], `${R}:client/*`], [['iot:Publish', 'iot:Receive'], `${R}:topic/ok/*`], [['iot:Subscribe'], `${R}:topicfilter/ok/*`]);
const eventsWatcher = allow([['iot:Connect'], `${R}:client/*`], [['iot:Subscribe'], `${R}:topicfilter/$aws/events/*`], [['iot:Receive'], `${R}:topic/$aws/events/*`]);

let t: TestBroker;
let authority: FakeAuthority;
let ep: Endpoint;
let clock = 1_800_000_000_000;

const registered = (policy: object): Promise<IssuedCertificate> => t.registered(policy);

type Event = { topic: string } & Record<string, unknown>;

/** A client that subscribes to every lifecycle event and collects them. */
async function watch(policy: object = eventsWatcher, id = `watcher-${Math.random().toString(16).slice(2, 8)}`) {
  const w = await mqttjsTry(ep, await registered(policy), id);
  expect(w.outcome).toBe('connected');
  const got: Event[] = [];
  w.client.on('message', (topic, payload) => got.push({ topic, ...(JSON.parse(payload.toString()) as Record<string, unknown>) }));
  await w.client.subscribeAsync(['$aws/events/presence/+/+', '$aws/events/subscriptions/+/+'], { qos: 1 });
  const of = (clientId: string) => got.filter((e) => e.clientId === clientId);
  const until = async (clientId: string, n: number) => {
    await vi.waitFor(() => expect(of(clientId).length).toBeGreaterThanOrEqual(n), { timeout: 10_000 });
    return of(clientId);
  };
  return { w, got, of, until };
}

beforeAll(async () => {
  t = await startTestBroker({ now: () => clock++ });
  ({ authority, ep } = t);
});

afterAll(() => t?.close());

describe('lifecycle events', () => {
  it('connected, subscribed, unsubscribed, disconnected: AWS topics and fields; versionNumber grows per connection (MQTT 3.1.1)', async () => {
    const { w, until } = await watch();
    const c = await registered(device);
    try {
      const d = await mqttjsTry(ep, c, 'dev-1');
      await d.client.subscribeAsync(['ok/a', 'ok/b'], { qos: 1 });
      await d.client.unsubscribeAsync('ok/a');
      await d.client.endAsync(); // sends DISCONNECT
      const [connected, subscribed, unsubscribed, disconnected] = await until('dev-1', 4);
      const session = { clientId: 'dev-1', principalIdentifier: c.certificateId, sessionIdentifier: expect.stringMatching(/^[0-9a-f-]{36}$/) };
      expect(connected).toEqual({ topic: '$aws/events/presence/connected/dev-1', eventType: 'connected', ...session, ipAddress: '127.0.0.1', versionNumber: 0, timestamp: expect.any(Number) });
      expect(subscribed).toEqual({ topic: '$aws/events/subscriptions/subscribed/dev-1', eventType: 'subscribed', ...session, topics: ['ok/a', 'ok/b'], timestamp: expect.any(Number) });
      expect(unsubscribed).toMatchObject({ topic: '$aws/events/subscriptions/unsubscribed/dev-1', eventType: 'unsubscribed', topics: ['ok/a'] });
      expect(disconnected).toEqual({
        topic: '$aws/events/presence/disconnected/dev-1',
        eventType: 'disconnected',
        ...session,
        clientInitiatedDisconnect: true,
        disconnectReason: 'CLIENT_INITIATED_DISCONNECT',
        versionNumber: 0,
        timestamp: expect.any(Number),
      });
      expect(new Set([connected, subscribed, unsubscribed, disconnected].map((e) => e!.sessionIdentifier)).size).toBe(1);
      expect((connected!.timestamp as number) < (disconnected!.timestamp as number)).toBe(true);

      const again = await mqttjsTry(ep, c, 'dev-1');
      await again.client.endAsync();
      const more = await until('dev-1', 6);
      expect(more.slice(4).map((e) => [e.eventType, e.versionNumber])).toEqual([
        ['connected', 1],
        ['disconnected', 1],
      ]);
      expect(more[4]!.sessionIdentifier).not.toBe(connected!.sessionIdentifier);
    } finally {
      await w.end();
    }
  });

  it('disconnect reasons: CONNECTION_LOST, AUTH_ERROR (publish refused, certificate deactivated), CLIENT_ERROR, DUPLICATE_CLIENTID; connect_failed', async () => {
    const { w, until, of } = await watch();
    const c = await registered(device);
    const reasonOf = async (clientId: string) => (await until(clientId, 2)).find((e) => e.eventType === 'disconnected')?.disconnectReason;
    try {
      const lost = await mqttjsTry(ep, c, 'dev-lost');
      lost.client.stream.destroy();
      expect(await reasonOf('dev-lost')).toBe('CONNECTION_LOST');

      const refused = await mqttjsTry(ep, c, 'dev-refused');
      refused.client.publish('no/way', 'x', { qos: 1 });
      await within(refused.closed, 10_000, 'the refused publish to close the connection');
      expect(await reasonOf('dev-refused')).toBe('AUTH_ERROR');

      const big = await js5Connect(ep, c, 'dev-big');
      big.client.publish('ok/big', Buffer.alloc(128 * 1024 + 1), { qos: 1 });
      await within(big.closed, 10_000, 'the oversize publish to close the connection');
      expect(await reasonOf('dev-big')).toBe('CLIENT_ERROR');

      const first = await mqttjsTry(ep, c, 'dev-twice');
      const second = await mqttjsTry(ep, c, 'dev-twice');
      expect((await until('dev-twice', 3)).filter((e) => e.eventType === 'disconnected').map((e) => e.disconnectReason)).toEqual(['DUPLICATE_CLIENTID']);
      await Promise.all([first.end(), second.end()]);

      const doomed = await registered(device);
      const d = await mqttjsTry(ep, doomed, 'dev-doomed');
      authority.setStatus(doomed.certificateId, 'INACTIVE');
      await within(d.closed, 10_000, 'the deactivated certificate to be disconnected');
      expect(await reasonOf('dev-doomed')).toBe('AUTH_ERROR');

      const notAllowed = await registered(allow([['iot:Connect'], `${R}:client/someone-else`]));
      expect((await mqttjsTry(ep, notAllowed, 'dev-nope')).outcome).toBe('closed');
      const [failed] = await until('dev-nope', 1);
      expect(failed).toEqual({
        topic: '$aws/events/presence/connect_failed/dev-nope',
        eventType: 'connect_failed',
        clientId: 'dev-nope',
        principalIdentifier: notAllowed.certificateId,
        sessionIdentifier: expect.any(String),
        ipAddress: '127.0.0.1',
        connectFailureReason: 'AUTHORIZATION_FAILED',
        timestamp: expect.any(Number),
      });
      expect(of('dev-nope')).toHaveLength(1);
    } finally {
      await w.end();
    }
  });

  it("what a subscriber receives is its policy's decision: Receive on connected events only", async () => {
    const partial = allow([['iot:Connect'], `${R}:client/*`], [['iot:Subscribe'], `${R}:topicfilter/$aws/events/*`], [['iot:Receive'], `${R}:topic/$aws/events/presence/connected/*`]);
    const narrow = await watch(partial);
    const full = await watch();
    try {
      const d = await js5Connect(ep, await registered(device), 'dev-5');
      await d.client.subscribeAsync('ok/x', { qos: 1 });
      await d.client.endAsync();
      // the full watcher sees all three (MQTT 5 clients get the same events) ...
      expect((await full.until('dev-5', 3)).map((e) => e.eventType)).toEqual(['connected', 'subscribed', 'disconnected']);
      // ... by then the narrow one has had the chance to receive them too, and kept only what it may receive
      await vi.waitFor(() => expect(narrow.of('dev-5').map((e) => e.eventType)).toEqual(['connected']), { timeout: 10_000 });
      // a client may not publish lifecycle events itself
      const forger = await mqttjsTry(ep, await registered(allow([['iot:Connect', 'iot:Publish'], `${R}:*`])), 'forger');
      forger.client.publish('$aws/events/presence/connected/fake', '{}', { qos: 1 });
      await within(forger.closed, 10_000, 'the forged event to close the connection');
      expect(full.of('fake')).toHaveLength(0);
    } finally {
      await Promise.all([narrow.w.end(), full.w.end()]);
    }
  });
});
