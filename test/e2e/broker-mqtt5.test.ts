import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IssuedCertificate } from '../../src/local/ca.js';
import { everything, R, startTestBroker, type TestBroker } from '../helpers/broker.js';
import { allow } from '../helpers/fake-authority.js';
import { mosquitto, mqttjsTry, within, type Endpoint } from '../helpers/mqtt-clients.js';
import { js5Connect, sdk5Connect } from '../helpers/mqtt5-clients.js';

/**
 * MQTT 5 on the stand-in's broker, with three clients nobody here wrote (the device SDK's Mqtt5Client,
 * MQTT.js v5, mosquitto -V 5): the same certificate and policy enforcement as MQTT 3.1.1, the reason
 * codes AWS documents (https://docs.aws.amazon.com/iot/latest/developerguide/mqtt.html#mqtt5-reason-codes)
 * and AWS's MQTT 5 limits.
 */

/** connect as anything; publish, subscribe and receive only under ok/ */
const narrow = allow(
  [['iot:Connect'], `${R}:client/*`],
  [['iot:Publish', 'iot:Receive'], `${R}:topic/ok/*`],
  [['iot:Subscribe'], `${R}:topicfilter/ok/*`],
);

let t: TestBroker;
let ep: Endpoint;
let dir: string;

const registered = (policy: object): Promise<IssuedCertificate> => t.registered(policy);

beforeAll(async () => {
  t = await startTestBroker({ dirPrefix: 'elf-broker5-' });
  ({ ep, dir } = t);
});

afterAll(() => t?.close());

describe('MQTT.js v5', () => {
  it('connects, subscribes and publishes; CONNACK carries AWS limits; properties reach the subscriber', async () => {
    const c = await registered(everything);
    const sub = await js5Connect(ep, c, 'js5-sub', { properties: { sessionExpiryInterval: 7200 }, keepalive: 0 });
    const pub = await js5Connect(ep, c, 'js5-pub');
    try {
      expect(sub.outcome).toBe('connected');
      // https://docs.aws.amazon.com/iot/latest/developerguide/mqtt.html#mqtt5-properties: 8 aliases, 100 in flight,
      // session expiry lowered to 1 hour, keep-alive 0 lowered to 1200 s
      expect(sub.connack?.properties).toMatchObject({ topicAliasMaximum: 8, receiveMaximum: 100, sessionExpiryInterval: 3600, serverKeepAlive: 1200 });
      await sub.client.subscribeAsync('ok/#', { qos: 1 });
      const got = new Promise<{ topic: string; payload: string; props: object | undefined }>((resolve) =>
        sub.client.once('message', (topic, payload, packet) => resolve({ topic, payload: payload.toString(), props: packet.properties })),
      );
      await pub.client.publishAsync('ok/a', 'hello', {
        qos: 1,
        properties: {
          userProperties: { site: 'north', unit: ['1', '2'] },
          contentType: 'text/plain',
          payloadFormatIndicator: true,
          responseTopic: 'ok/reply',
          correlationData: Buffer.from('c-1'),
          messageExpiryInterval: 999_999,
        },
      });
      const m = await within(got, 10_000, 'the message');
      expect(m.topic).toBe('ok/a');
      expect(m.payload).toBe('hello');
      expect(m.props).toMatchObject({
        userProperties: { site: 'north', unit: ['1', '2'] },
        contentType: 'text/plain',
        payloadFormatIndicator: true,
        responseTopic: 'ok/reply',
        correlationData: Buffer.from('c-1'),
      });
      // AWS lowers a Message Expiry Interval above 7 days to 7 days; the forwarded copy carries what remains
      const expiry = (m.props as { messageExpiryInterval?: number }).messageExpiryInterval!;
      expect(expiry).toBeGreaterThan(604_700);
      expect(expiry).toBeLessThanOrEqual(604_800);
    } finally {
      await Promise.all([sub.end(), pub.end()]);
    }
  });

  it('a CONNECT the policy denies gets CONNACK 0x87; a client id starting with $ gets 0x85', async () => {
    const c = await registered(allow([['iot:Connect'], `${R}:client/only-me`]));
    const denied = await js5Connect(ep, c, 'someone-else');
    expect(denied.outcome).toBe('refused');
    expect(denied.reasonCode).toBe(0x87);
    const bad = await js5Connect(ep, c, '$reserved');
    expect(bad.outcome).toBe('refused');
    expect(bad.reasonCode).toBe(0x85);
    const ok = await js5Connect(ep, c, 'only-me');
    expect(ok.outcome).toBe('connected');
    await ok.end();
  });

  it('an empty client id is assigned one, and iot:Connect is checked on it', async () => {
    const c = await registered(everything);
    const x = await js5Connect(ep, c, '');
    expect(x.outcome).toBe('connected');
    expect(x.connack?.properties?.assignedClientIdentifier).toMatch(/./);
    await x.end();
  });

  it('a QoS 1 publish the policy denies gets PUBACK 0x87 and the connection stays; QoS 0 ends it with DISCONNECT 0x87', async () => {
    const c = await registered(narrow);
    const watcher = await js5Connect(ep, await registered(everything), 'js5-watch');
    const x = await js5Connect(ep, c, 'js5-deny-pub');
    try {
      const seen: string[] = [];
      watcher.client.on('message', (t) => seen.push(t));
      await watcher.client.subscribeAsync('#', { qos: 1 });
      const err = await x.client.publishAsync('no/a', 'x', { qos: 1 }).then(
        () => undefined,
        (e: { code?: number }) => e,
      );
      expect(err?.code).toBe(0x87);
      await x.client.publishAsync('ok/after', 'still here', { qos: 1 });
      await within(new Promise<void>((r) => watcher.client.on('message', (t) => t === 'ok/after' && r())), 10_000, 'the allowed publish');
      x.client.publish('no/b', 'y', { qos: 0 });
      expect(await within(x.closed, 10_000, 'the DISCONNECT')).toBe(0x87);
      expect(seen).not.toContain('no/a');
      expect(seen).not.toContain('no/b');
    } finally {
      await Promise.all([watcher.end(), x.end()]);
    }
  });

  it('a SUBSCRIBE the policy denies gets SUBACK 0x87 for that filter only, and the connection stays', async () => {
    const x = await js5Connect(ep, await registered(narrow), 'js5-deny-sub');
    try {
      const suback = new Promise<number[]>((resolve) => x.client.on('packetreceive', (p) => p.cmd === 'suback' && resolve(p.granted as number[])));
      x.client.subscribe({ 'ok/#': { qos: 1 }, 'no/#': { qos: 1 }, 'ok/two': { qos: 2 } }, () => undefined);
      expect(await within(suback, 10_000, 'the SUBACK')).toEqual([1, 0x87, 1]);
      await x.client.publishAsync('ok/x', 'fine', { qos: 1 });
      expect(x.client.connected).toBe(true);
    } finally {
      await x.end();
    }
  });

  it('limits end the connection with the DISCONNECT reason AWS lists: 0x95 payload, 0x90 topic, 0x9B QoS 2, 0x94 topic alias', async () => {
    const c = await registered(everything);
    const cases: [string, (x: Awaited<ReturnType<typeof js5Connect>>) => void, number][] = [
      ['js5-big', (x) => x.client.publish('ok/big', Buffer.alloc(128 * 1024 + 1), { qos: 1 }), 0x95],
      ['js5-deep', (x) => x.client.publish('a/b/c/d/e/f/g/h/i', 'x', { qos: 1 }), 0x90],
      ['js5-qos2', (x) => x.client.publish('ok/q2', 'x', { qos: 2 }), 0x9b],
      // MQTT.js will not send an alias above the CONNACK's maximum: write the PUBLISH (QoS 0, topic ok/alias, alias 9) by hand
      ['js5-alias', (x) => x.client.stream.write(Buffer.from([0x30, 15, 0, 8, ...Buffer.from('ok/alias'), 3, 0x23, 0, 9, 0x78])), 0x94],
    ];
    for (const [id, act, code] of cases) {
      const x = await js5Connect(ep, c, id);
      expect(x.outcome).toBe('connected');
      act(x);
      expect(await within(x.closed, 10_000, `${id} to be disconnected`), id).toBe(code);
      await x.end();
    }
  });

  it('topic aliases 1..8 work', async () => {
    const c = await registered(everything);
    const sub = await js5Connect(ep, c, 'js5-alias-sub');
    const pub = await js5Connect(ep, c, 'js5-alias-pub');
    try {
      await sub.client.subscribeAsync('ok/#', { qos: 1 });
      const got: string[] = [];
      const all = new Promise<void>((resolve) =>
        sub.client.on('message', (t, p) => {
          got.push(`${t} ${p.toString()}`);
          if (got.length === 2) resolve();
        }),
      );
      await pub.client.publishAsync('ok/aliased', 'first', { qos: 1, properties: { topicAlias: 8 } });
      await pub.client.publishAsync('', 'second', { qos: 1, properties: { topicAlias: 8 } });
      await within(all, 10_000, 'both messages');
      expect(got).toEqual(['ok/aliased first', 'ok/aliased second']);
    } finally {
      await Promise.all([sub.end(), pub.end()]);
    }
  });

  it('a 3.1.1 publisher reaches a 5 subscriber and the other way round', async () => {
    const c = await registered(everything);
    const v5 = await js5Connect(ep, c, 'cross-5');
    const v4 = await mqttjsTry(ep, c, 'cross-4');
    try {
      await v5.client.subscribeAsync('ok/from4', { qos: 1 });
      // QoS 2 is granted as QoS 1 on both versions
      expect((await v4.client.subscribeAsync('ok/from5', { qos: 2 })).map((g) => g.qos)).toEqual([1]);
      const at5 = new Promise<string>((r) => v5.client.once('message', (_t, p) => r(p.toString())));
      const at4 = new Promise<string>((r) => v4.client.once('message', (_t, p) => r(p.toString())));
      await v4.client.publishAsync('ok/from4', 'four', { qos: 1 });
      await v5.client.publishAsync('ok/from5', 'five', { qos: 1 });
      expect(await within(at5, 10_000, 'at 5')).toBe('four');
      expect(await within(at4, 10_000, 'at 4')).toBe('five');
    } finally {
      await Promise.all([v5.end(), v4.end()]);
    }
  });
});

describe('the device SDK Mqtt5Client (as its pub_sub sample builds it)', () => {
  it('connects, subscribes, publishes and receives', async () => {
    const c = await registered(everything);
    const r = await sdk5Connect(ep, c, 'sdk5-ok');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    try {
      const suback = await r.sdk.client.subscribe({ subscriptions: [{ topicFilter: 'ok/sdk', qos: 1 }] });
      expect(suback.reasonCodes).toEqual([1]);
      const puback = await r.sdk.client.publish({ topicName: 'ok/sdk', qos: 1, payload: JSON.stringify({ msg: 'IoT ELF Hello' }), userProperties: [{ name: 'k', value: 'v' }] });
      expect(puback?.reasonCode).toBe(0);
      const m = await r.sdk.next('ok/sdk');
      expect(Buffer.from(m.payload as ArrayBuffer).toString()).toBe('{"msg":"IoT ELF Hello"}');
      expect(m.userProperties).toEqual([{ name: 'k', value: 'v' }]);
    } finally {
      await r.sdk.close();
    }
  });

  it('a denied connect fails with CONNACK 0x87; denied publish and subscribe get 0x87 in PUBACK and SUBACK', async () => {
    const denied = await sdk5Connect(ep, await registered(allow([['iot:Connect'], `${R}:client/nobody`])), 'sdk5-denied');
    expect(denied.ok).toBe(false);
    if (!denied.ok) expect(denied.connack?.reasonCode).toBe(0x87);

    const r = await sdk5Connect(ep, await registered(narrow), 'sdk5-narrow');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    try {
      const suback = await r.sdk.client.subscribe({ subscriptions: [{ topicFilter: 'no/sdk', qos: 1 }] });
      expect(suback.reasonCodes).toEqual([0x87]);
      const puback = await r.sdk.client.publish({ topicName: 'no/sdk', qos: 1, payload: 'x' });
      expect(puback?.reasonCode).toBe(0x87);
    } finally {
      await r.sdk.close();
    }
  });
});

describe('mosquitto -V 5', () => {
  it('mosquitto_sub and mosquitto_pub round trip; a denied subscription is reported', async () => {
    const c = await registered(narrow);
    const cert = path.join(dir, 'm.pem');
    const key = path.join(dir, 'm.key');
    writeFileSync(cert, c.certPem);
    writeFileSync(key, c.privateKey, { mode: 0o600 });
    const base = (id: string) => ['-h', ep.host, '-p', String(ep.port), '--cafile', path.join(dir, 'ca.pem'), '--cert', cert, '--key', key, '-i', id, '-V', 'mqttv5'];
    const sub = mosquitto('mosquitto_sub', [...base('m5-sub'), '-t', 'ok/m', '-q', '1', '-C', '1', '-d'], /SUBACK/);
    await sub.ready;
    const pub = await mosquitto('mosquitto_pub', [...base('m5-pub'), '-t', 'ok/m', '-q', '1', '-m', 'from mosquitto', '-D', 'publish', 'user-property', 'k', 'v']).done;
    expect(pub.code).toBe(0);
    const got = await sub.done;
    expect(got.stdout).toContain('from mosquitto');

    const denied = await mosquitto('mosquitto_sub', [...base('m5-denied'), '-t', 'no/m', '-q', '1', '-C', '1', '-W', '5']).done;
    expect(denied.stderr).toMatch(/denied|not authori[sz]ed/i);
  });
});
