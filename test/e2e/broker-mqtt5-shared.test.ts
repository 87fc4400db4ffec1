import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IssuedCertificate } from '../../src/local/ca.js';
import { everything, R, startTestBroker, type TestBroker } from '../helpers/broker.js';
import { allow } from '../helpers/fake-authority.js';
import { mosquitto, mqttjsTry, within } from '../helpers/mqtt-clients.js';
import { js5Connect, sdk5Connect } from '../helpers/mqtt5-clients.js';
import { eventually } from '../helpers/poll.js';

/**
 * What an MQTT 5 CONNACK from the stand-in announces, Subscription Identifiers refused, shared
 * subscriptions ($share/{ShareName}/{TopicFilter}, for MQTT 3.1.1 and 5) and the client's Maximum
 * Packet Size, as AWS IoT Core documents them
 * (https://docs.aws.amazon.com/iot/latest/developerguide/mqtt.html#mqtt5-shared-subscription,
 * #mqtt5-properties, #mqtt5-reason-codes), with MQTT.js, the device SDK's Mqtt5Client and mosquitto.
 */

let t: TestBroker;
const registered = (policy: object): Promise<IssuedCertificate> => t.registered(policy);

beforeAll(async () => {
  t = await startTestBroker({ dirPrefix: 'elf-broker5s-' });
});

afterAll(() => t?.close());

/** Collects the payloads a client receives. */
function collect(client: { on(e: 'message', f: (topic: string, payload: Buffer) => void): unknown }): string[] {
  const got: string[] = [];
  client.on('message', (_t, p) => got.push(p.toString()));
  return got;
}

describe('an MQTT 5 CONNACK', () => {
  it("announces AWS's capabilities: QoS 1, retain, wildcards and shared subscriptions yes, Subscription Identifiers no, packets up to 128 KB", async () => {
    const x = await js5Connect(t.ep, await registered(everything), 'caps');
    try {
      expect(x.connack?.properties).toMatchObject({
        maximumQoS: 1,
        retainAvailable: true,
        wildcardSubscriptionAvailable: true,
        subscriptionIdentifiersAvailable: false,
        sharedSubscriptionAvailable: true,
        maximumPacketSize: 131_072,
      });
    } finally {
      await x.end();
    }
  });

  it('a SUBSCRIBE with a Subscription Identifier is answered with DISCONNECT 0xA1', async () => {
    const x = await js5Connect(t.ep, await registered(everything), 'with-si');
    x.client.subscribe('ok/si', { qos: 1, properties: { subscriptionIdentifier: 3 } }, () => undefined);
    expect(await within(x.closed, 10_000, 'the DISCONNECT')).toBe(0xa1);
    await x.end();
  });

  it("a message larger than the subscriber's Maximum Packet Size is not sent to it; smaller ones are", async () => {
    const c = await registered(everything);
    const small = await js5Connect(t.ep, c, 'max-packet', { properties: { maximumPacketSize: 512 } });
    const pub = await js5Connect(t.ep, c, 'max-packet-pub');
    try {
      const got = collect(small.client);
      await small.client.subscribeAsync('ok/size', { qos: 1 });
      await pub.client.publishAsync('ok/size', 'x'.repeat(1000), { qos: 1 });
      await pub.client.publishAsync('ok/size', 'fits', { qos: 1 });
      await eventually(() => got.includes('fits'), () => `the small message; got ${got.length}`);
      expect(got).toEqual(['fits']);
      expect(small.client.connected).toBe(true);
    } finally {
      await Promise.all([small.end(), pub.end()]);
    }
  });
});

describe('shared subscriptions', () => {
  it('each message goes to one member of each group (MQTT 5 and 3.1.1 members alike), by AWS matching', async () => {
    const c = await registered(everything);
    const a = await js5Connect(t.ep, c, 'share-a');
    const b = await mqttjsTry(t.ep, c, 'share-b');
    const other = await js5Connect(t.ep, c, 'share-other');
    const pub = await js5Connect(t.ep, c, 'share-pub');
    try {
      const [gotA, gotB, gotOther] = [collect(a.client), collect(b.client), collect(other.client)];
      expect((await a.client.subscribeAsync('$share/g/ok/#', { qos: 1 })).map((s) => s.qos)).toEqual([1]);
      expect((await b.client.subscribeAsync('$share/g/ok/#', { qos: 1 })).map((s) => s.qos)).toEqual([1]);
      await other.client.subscribeAsync('$share/h/ok/#', { qos: 1 });
      // AWS matching: ok/# does not match ok
      await pub.client.publishAsync('ok', 'parent', { qos: 1 });
      for (let i = 0; i < 6; i++) await pub.client.publishAsync(`ok/${i}`, `m${i}`, { qos: 1 });
      await eventually(() => gotA.length + gotB.length === 6 && gotOther.length === 6, () => `a ${gotA.length}, b ${gotB.length}, other ${gotOther.length}`);
      expect([...gotA, ...gotB].sort()).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'm5']);
      expect(gotA.length).toBeGreaterThan(0);
      expect(gotB.length).toBeGreaterThan(0);
      expect(gotOther).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'm5']);

      // a member that leaves gets nothing more; the one left gets everything
      await b.client.unsubscribeAsync('$share/g/ok/#');
      const before = gotB.length;
      for (let i = 0; i < 3; i++) await pub.client.publishAsync(`ok/after`, `n${i}`, { qos: 1 });
      await eventually(() => gotA.filter((m) => m.startsWith('n')).length === 3, () => `a got ${JSON.stringify(gotA)}`);
      expect(gotB.length).toBe(before);
    } finally {
      await Promise.all([a.end(), b.end(), other.end(), pub.end()]);
    }
  });

  it('iot:Subscribe is checked on topicfilter/$share/<group>/<filter>; a member without iot:Receive on the topic is passed over', async () => {
    const plain = allow([['iot:Connect'], `${R}:client/*`], [['iot:Subscribe'], `${R}:topicfilter/ok/*`], [['iot:Receive', 'iot:Publish'], `${R}:topic/ok/*`]);
    const denied = await js5Connect(t.ep, await registered(plain), 'share-denied');
    try {
      const suback = new Promise<number[]>((resolve) => denied.client.on('packetreceive', (p) => p.cmd === 'suback' && resolve(p.granted as number[])));
      denied.client.subscribe({ '$share/g2/ok/x': { qos: 1 }, 'ok/x': { qos: 1 } }, () => undefined);
      expect(await within(suback, 10_000, 'the SUBACK')).toEqual([0x87, 1]);
    } finally {
      await denied.end();
    }

    const subscribeOnly = allow([['iot:Connect'], `${R}:client/*`], [['iot:Subscribe'], `${R}:topicfilter/$share/g2/*`]);
    const deaf = await js5Connect(t.ep, await registered(subscribeOnly), 'share-deaf');
    const hearing = await js5Connect(t.ep, await registered(everything), 'share-hearing');
    const pub = await js5Connect(t.ep, await registered(everything), 'share-pub2');
    try {
      const [gotDeaf, gotHearing] = [collect(deaf.client), collect(hearing.client)];
      await deaf.client.subscribeAsync('$share/g2/ok/#', { qos: 1 });
      await hearing.client.subscribeAsync('$share/g2/ok/#', { qos: 1 });
      for (let i = 0; i < 4; i++) await pub.client.publishAsync('ok/r', `r${i}`, { qos: 1 });
      await eventually(() => gotHearing.length === 4, () => `hearing got ${JSON.stringify(gotHearing)}`);
      expect(gotDeaf).toEqual([]);
    } finally {
      await Promise.all([deaf.end(), hearing.end(), pub.end()]);
    }
  });

  it('a malformed shared filter is refused: no ShareName, or no TopicFilter (DISCONNECT 0x8F)', async () => {
    const c = await registered(everything);
    for (const filter of ['$share//ok/x', '$share/g']) {
      const x = await js5Connect(t.ep, c, 'share-bad');
      x.client.subscribe(filter, { qos: 1 }, () => undefined);
      expect(await within(x.closed, 10_000, `${filter} refused`), filter).toBe(0x8f);
      await x.end();
    }
  });

  it('the device SDK Mqtt5Client and mosquitto_sub -V 5 share a subscription', async () => {
    const c = await registered(everything);
    const sdk = await sdk5Connect(t.ep, c, 'share-sdk');
    expect(sdk.ok).toBe(true);
    if (!sdk.ok) return;
    const files = t.files(c);
    const base = (id: string) => ['-h', t.ep.host, '-p', String(t.ep.port), '--cafile', files.ca, '--cert', files.cert, '--key', files.key, '-i', id, '-V', 'mqttv5'];
    const mosq = mosquitto('mosquitto_sub', [...base('share-mosq'), '-t', '$share/g3/ok/m', '-q', '1', '-d'], /SUBACK/);
    const pub = await js5Connect(t.ep, c, 'share-pub3');
    try {
      const suback = await sdk.sdk.client.subscribe({ subscriptions: [{ topicFilter: '$share/g3/ok/m', qos: 1 }] });
      expect(suback.reasonCodes).toEqual([1]);
      await within(mosq.ready, 20_000, 'mosquitto_sub subscribed');
      for (let i = 0; i < 4; i++) await pub.client.publishAsync('ok/m', `s${i}`, { qos: 1 });
      await eventually(
        () => sdk.sdk.messages.length + (mosq.stdout().match(/^s\d$/gm)?.length ?? 0) === 4,
        () => `sdk ${sdk.sdk.messages.length}, mosquitto:\n${mosq.stdout()}`,
      );
      expect(sdk.sdk.messages.length).toBeGreaterThan(0);
      expect(mosq.stdout()).toMatch(/^s\d$/m);
    } finally {
      mosq.kill();
      await Promise.all([sdk.sdk.close(), pub.end()]);
    }
  });
});
