import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { RunningBroker } from '../../src/local/broker/index.js';
import { createCertificateAuthority, issueDeviceCertificate, type IssuedCertificate } from '../../src/local/ca.js';
import { everything, R, startTestBroker, type TestBroker } from '../helpers/broker.js';
import { allow, type FakeAuthority } from '../helpers/fake-authority.js';
import { mosquitto, mosquittoArgs, mqttjsTry, sdkConnect, within, type Endpoint } from '../helpers/mqtt-clients.js';
import { eventually } from '../helpers/poll.js';


let t: TestBroker;
let broker: RunningBroker;
let authority: FakeAuthority;
let ep: Endpoint;
let dir: string;

/** A fresh device certificate from the stand-in's CA (RSA-2048: ~80 ms). */
const cert = (): Promise<IssuedCertificate> => t.cert();
const files = (c: IssuedCertificate) => t.files(c);

beforeAll(async () => {
  t = await startTestBroker();
  ({ broker, authority, ep, dir } = t);
});

afterAll(async () => {
  await t?.close();
  expect(authority.listenerCount).toBe(0);
});

/** The broker still serves a good client. */
async function assertAlive() {
  const c = await cert();
  authority.register(c, { policies: [everything] });
  const probe = await mqttjsTry(ep, c, `alive-${c.certificateId.slice(0, 6)}`);
  expect(probe.outcome).toBe('connected');
  await probe.end();
}

describe('allowed clients', () => {
  it('a registered ACTIVE certificate with a policy connects, subscribes and publishes (device SDK, 127.0.0.1 and localhost)', async () => {
    const a = await cert();
    const b = await cert();
    authority.register(a, { policies: [everything] });
    authority.register(b, { policies: [everything] });
    const sub = await sdkConnect(ep, a, 'sdk-sub');
    const pub = await sdkConnect({ ...ep, host: 'localhost' }, b, 'sdk-pub');
    try {
      await sub.conn.subscribe('elf/#', 1);
      await pub.conn.publish('elf/thing_0', JSON.stringify({ msg: 'IoT ELF Hello' }), 1);
      expect(JSON.parse(await sub.next('elf/thing_0'))).toEqual({ msg: 'IoT ELF Hello' });
    } finally {
      await Promise.all([sub.close(), pub.close()]);
    }
  });

  it('the same kind of certificate works with mosquitto_sub and mosquitto_pub', async () => {
    const a = await cert();
    const b = await cert();
    authority.register(a, { policies: [everything] });
    authority.register(b, { policies: [everything] });
    const sub = mosquitto('mosquitto_sub', [...mosquittoArgs(ep, files(a), 'mosq-sub'), '-t', 'elf/mosq', '-q', '1', '-C', '1', '-d'], /SUBACK/);
    try {
      await sub.ready;
      const pub = await mosquitto('mosquitto_pub', [...mosquittoArgs(ep, files(b), 'mosq-pub'), '-t', 'elf/mosq', '-q', '1', '-m', 'hello from mosquitto']).done;
      expect(pub.code, pub.stderr).toBe(0);
      const got = await sub.done;
      expect(got.code).toBe(0);
      expect(got.stdout).toContain('hello from mosquitto');
    } finally {
      sub.kill();
    }
  });
});

describe.each([4, 5] as const)('overlapping filters `elf` and `elf/#` on a persistent session (MQTT.js, protocol version %i)', (v) => {
  it('each QoS 1 message arrives once, the connection stays, nothing comes again after a reconnect', async () => {
    const a = await cert();
    const b = await cert();
    authority.register(a, { policies: [everything] });
    authority.register(b, { policies: [everything] });
    const session = { protocolVersion: v, clean: false, ...(v === 5 ? { properties: { sessionExpiryInterval: 600 } } : {}) };
    const sub = await mqttjsTry(ep, a, `overlap-sub-${v}`, session);
    const pub = await mqttjsTry(ep, b, `overlap-pub-${v}`, { protocolVersion: v });
    const got: { topic: string; payload: string }[] = [];
    try {
      sub.client.on('message', (topic, payload) => got.push({ topic, payload: payload.toString() }));
      await sub.client.subscribeAsync('elf/#', { qos: 1 });
      await sub.client.subscribeAsync('elf', { qos: 1 });
      // back to back, not each after its PUBACK: the broker handles the next before it has sent the last
      await Promise.all([0, 1, 2].map((i) => pub.client.publishAsync('elf', `root-${i}`, { qos: 1 })));
      await pub.client.publishAsync('elf/x', 'below', { qos: 1 });
      await eventually(() => got.some((m) => m.payload === 'below'), () => `the last message; got ${JSON.stringify(got)}`);
      expect(got.map((m) => `${m.topic} ${m.payload}`)).toStrictEqual(['elf root-0', 'elf root-1', 'elf root-2', 'elf/x below']);
      expect(sub.client.connected).toBe(true);
      await sub.end();
      // the session is resumed: anything still queued for it would arrive now
      const again = await mqttjsTry(ep, a, `overlap-sub-${v}`, session);
      const more: string[] = [];
      again.client.on('message', (_t, payload) => more.push(payload.toString()));
      await pub.client.publishAsync('elf/x', 'marker', { qos: 1 });
      await eventually(() => more.includes('marker'), () => `the marker; got ${JSON.stringify(more)}`);
      expect(more).toStrictEqual(['marker']);
      await again.end();
    } finally {
      await Promise.all([sub.end(), pub.end()]);
    }
  });
});

describe('refused like AWS', () => {
  it('no client certificate: the TLS handshake fails', async () => {
    const r = await mqttjsTry(ep, {}, 'no-cert');
    expect(r.outcome).toBe('closed');
    const mp = await mosquitto('mosquitto_pub', ['-h', ep.host, '-p', String(ep.port), '--cafile', path.join(dir, 'ca.pem'), '-i', 'no-cert', '-t', 'elf', '-m', 'x']).done;
    expect(mp.code).not.toBe(0);
  });

  it('a certificate from another CA: the TLS handshake fails', async () => {
    const other = await createCertificateAuthority('some other CA');
    const foreign = await issueDeviceCertificate(other);
    authority.register(foreign, { policies: [everything] }); // even if its id were registered
    const r = await mqttjsTry(ep, foreign, 'foreign');
    expect(r.outcome).toBe('closed');
  });

  it.each(['INACTIVE', 'REVOKED', 'unregistered'] as const)('an %s certificate is refused', async (status) => {
    const c = await cert();
    if (status !== 'unregistered') authority.register(c, { status, policies: [everything] });
    const r = await mqttjsTry(ep, c, `status-${status}`);
    expect(r.outcome).toBe('closed');
    await assertAlive();
  });

  it('a certificate made INACTIVE while connected is disconnected, and cannot come back (device SDK)', async () => {
    const c = await cert();
    authority.register(c, { policies: [everything] });
    const dev = await sdkConnect(ep, c, 'to-deactivate');
    try {
      authority.setStatus(c.certificateId, 'INACTIVE');
      await within(dev.interrupted, 10_000, 'the SDK to see its connection closed');
      // the SDK reconnects on its own; the broker keeps refusing
      const again = await mqttjsTry(ep, c, 'to-deactivate-2');
      expect(again.outcome).toBe('closed');
    } finally {
      await dev.close();
    }
  });

  it('a certificate deleted while connected is disconnected (MQTT.js)', async () => {
    const c = await cert();
    authority.register(c, { policies: [everything] });
    const r = await mqttjsTry(ep, c, 'to-delete');
    expect(r.outcome).toBe('connected');
    authority.remove(c.certificateId);
    await within(r.closed, 10_000, 'the connection to close');
  });

  it('a client id the policy does not allow is refused without a CONNACK; ${iot:Connection.Thing.ThingName} allows the thing', async () => {
    const c = await cert();
    authority.register(c, {
      things: ['thing_a'],
      policies: [allow(['iot:Connect', `${R}:client/\${iot:Connection.Thing.ThingName}`])],
    });
    const wrong = await mqttjsTry(ep, c, 'not_my_thing');
    expect(wrong.outcome).toBe('closed');
    const right = await mqttjsTry(ep, c, 'thing_a');
    expect(right.outcome).toBe('connected');
    await right.end();
    // the device SDK sees the refusal as a failed connect
    await expect(sdkConnect(ep, c, 'not_my_thing')).rejects.toThrow();
  });

  it('a publish outside the policy closes the connection and is not delivered', async () => {
    const c = await cert();
    const watcher = await cert();
    authority.register(c, { policies: [allow(['iot:Connect', '*'], ['iot:Publish', `${R}:topic/allowed/*`])] });
    authority.register(watcher, { policies: [everything] });
    const w = await mqttjsTry(ep, watcher, 'watcher-pub');
    await w.client.subscribeAsync('#', { qos: 1 });
    const got: string[] = [];
    w.client.on('message', (t) => got.push(t));
    const r = await mqttjsTry(ep, c, 'publisher');
    expect(r.outcome).toBe('connected');
    await r.client.publishAsync('allowed/x', 'ok', { qos: 1 });
    r.client.publish('forbidden/x', 'no', { qos: 1 });
    await within(r.closed, 10_000, 'the connection to close');
    await within(new Promise<void>((res) => (got.includes('allowed/x') ? res() : w.client.once('message', () => res()))), 5000, 'allowed message');
    expect(got).toEqual(['allowed/x']);
    await w.end();
  });

  it('a subscribe outside the policy closes the connection', async () => {
    const c = await cert();
    authority.register(c, { policies: [allow(['iot:Connect', '*'], ['iot:Subscribe', `${R}:topicfilter/mine/+`])] });
    const r = await mqttjsTry(ep, c, 'subscriber');
    await r.client.subscribeAsync('mine/+', { qos: 1 }); // the literal filter is allowed
    await expect(within(r.client.subscribeAsync('mine/#', { qos: 1 }), 10_000, 'subscribe')).rejects.toThrow();
    await within(r.closed, 10_000, 'the connection to close');
  });

  it('a payload of 128 KB passes, one byte more closes the connection', async () => {
    const c = await cert();
    authority.register(c, { policies: [everything] });
    const r = await mqttjsTry(ep, c, 'big');
    await r.client.publishAsync('elf/big', Buffer.alloc(128 * 1024, 1), { qos: 1 });
    r.client.publish('elf/big', Buffer.alloc(128 * 1024 + 1, 1), { qos: 1 });
    await within(r.closed, 10_000, 'the connection to close');
  });

  it('a topic with more than 7 slashes, a reserved $ topic, or a shadow response topic closes the connection', async () => {
    for (const topic of ['a/b/c/d/e/f/g/h/i', '$SYS/x', '$aws/things/t/shadow/update/accepted']) {
      const c = await cert();
      authority.register(c, { policies: [everything] });
      const r = await mqttjsTry(ep, c, `deep-${topic.length}`);
      r.client.publish(topic, 'x', { qos: 1 });
      await within(r.closed, 10_000, `the connection to close after ${topic}`);
    }
  });

  it('Receive is checked at each delivery (AWS NotResource example) and sensor/# does not match sensor', async () => {
    const c = await cert();
    const p = await cert();
    authority.register(c, {
      policies: [
        {
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Action: ['iot:Connect'], Resource: '*' },
            { Effect: 'Allow', Action: ['iot:Subscribe'], Resource: `${R}:topicfilter/a/*` },
            { Effect: 'Allow', Action: ['iot:Receive'], NotResource: `${R}:topic/a/restricted/*` },
          ],
        },
      ],
    });
    authority.register(p, { policies: [everything] });
    const r = await mqttjsTry(ep, c, 'receiver');
    const pub = await mqttjsTry(ep, p, 'sender');
    const got: string[] = [];
    r.client.on('message', (t) => got.push(t));
    await r.client.subscribeAsync('a/#', { qos: 1 });
    for (const t of ['a/restricted/x', 'a', 'a/open/x']) await pub.client.publishAsync(t, t, { qos: 1 });
    await within(new Promise<void>((res) => (got.length ? res() : r.client.once('message', () => res()))), 5000, 'a/open/x');
    // a/open/x was published last; its delivery arriving means the earlier ones were dropped
    expect(got).toEqual(['a/open/x']);
    await Promise.all([r.end(), pub.end()]);
  });
  it('a policy change applies at once: Receive taken away from a live subscription stops deliveries', async () => {
    const c = await cert();
    const p = await cert();
    authority.register(c, { policies: [everything] });
    authority.register(p, { policies: [everything] });
    const r = await mqttjsTry(ep, c, 'policy-change');
    const pub = await mqttjsTry(ep, p, 'policy-change-pub');
    const got: string[] = [];
    r.client.on('message', (_t, m) => got.push(m.toString()));
    await r.client.subscribeAsync('elf/change/#', { qos: 1 });
    const arrived = (n: number) => within(new Promise<void>((res) => (got.length >= n ? res() : r.client.once('message', () => res()))), 5000, `${n} messages`);
    await pub.client.publishAsync('elf/change/a', 'before', { qos: 1 });
    await arrived(1);
    authority.setPolicies(c.certificateId, [allow([['iot:Connect', 'iot:Publish', 'iot:Subscribe'], '*'], ['iot:Receive', `${R}:topic/elf/change/ok`])]);
    await pub.client.publishAsync('elf/change/a', 'after', { qos: 1 });
    await pub.client.publishAsync('elf/change/ok', 'still allowed', { qos: 1 });
    await arrived(2);
    expect(got).toEqual(['before', 'still allowed']);
    await Promise.all([r.end(), pub.end()]);
  });
});

describe('device shadow', () => {
  it('round trip: reported update, desired update from another client, delta to the device, versions increasing, stale version rejected', async () => {
    const d = await cert();
    const app = await cert();
    const thing = 'shadow_thing';
    const S = `$aws/things/${thing}/shadow`;
    authority.register(d, {
      things: [thing],
      policies: [
        allow(
          ['iot:Connect', `${R}:client/\${iot:Connection.Thing.ThingName}`],
          ['iot:Publish', `${R}:topic/$aws/things/\${iot:Connection.Thing.ThingName}/shadow/*`],
          [['iot:Subscribe'], `${R}:topicfilter/$aws/things/\${iot:Connection.Thing.ThingName}/shadow/*`],
          [['iot:Receive'], `${R}:topic/$aws/things/\${iot:Connection.Thing.ThingName}/shadow/*`],
        ),
      ],
    });
    authority.register(app, { policies: [allow([['iot:*'], '*'])] });
    const dev = await sdkConnect(ep, d, thing);
    const console_ = await mqttjsTry(ep, app, 'console');
    try {
      for (const t of ['update/accepted', 'update/rejected', 'update/delta']) await dev.conn.subscribe(`${S}/${t}`, 1);
      await dev.conn.publish(`${S}/update`, JSON.stringify({ state: { reported: { color: 'red', power: 1 } }, clientToken: 'r1' }), 1);
      const a1 = JSON.parse(await dev.next(`${S}/update/accepted`, (p) => p.includes('"r1"')));
      expect(a1).toMatchObject({ state: { reported: { color: 'red', power: 1 } }, version: 1, clientToken: 'r1' });

      await console_.client.publishAsync(`${S}/update`, JSON.stringify({ state: { desired: { color: 'green' } }, clientToken: 'd1' }), { qos: 1 });
      const delta = JSON.parse(await dev.next(`${S}/update/delta`, (p) => p.includes('"d1"')));
      expect(delta).toMatchObject({ state: { color: 'green' }, version: 2, clientToken: 'd1' });

      await dev.conn.publish(`${S}/update`, JSON.stringify({ state: { reported: { color: 'green' } }, version: 2, clientToken: 'r2' }), 1);
      expect(JSON.parse(await dev.next(`${S}/update/accepted`, (p) => p.includes('"r2"')))).toMatchObject({ version: 3 });

      await dev.conn.publish(`${S}/update`, JSON.stringify({ state: { reported: { color: 'blue' } }, version: 2, clientToken: 'stale' }), 1);
      expect(JSON.parse(await dev.next(`${S}/update/rejected`, (p) => p.includes('"stale"')))).toMatchObject({ code: 409, message: 'Version conflict' });

      expect(broker.shadows.document(thing)).toMatchObject({ state: { desired: { color: 'green' }, reported: { color: 'green', power: 1 } }, version: 3 });
      // another thing's shadow is outside the device's policy: publishing there closes its connection
      await dev.conn.publish(`$aws/things/other/shadow/update`, '{"state":{}}', 1).catch(() => undefined);
      await within(dev.interrupted, 10_000, 'the device to be disconnected');
    } finally {
      await Promise.all([dev.close(), console_.end()]);
    }
  });
});

describe('seams', () => {
  it('the stand-in sees each accepted publish once, not a refused one, and each connect, subscribe, unsubscribe and disconnect', async () => {
    const c = await cert();
    authority.register(c, { policies: [allow([['iot:Connect', 'iot:Subscribe', 'iot:Receive'], 'arn:aws:iot:us-east-1:*:*'], [['iot:Publish'], `${R}:topic/seam/ok`])] });
    const seen: string[] = [];
    const offs = [
      broker.events.on('publish', (m) => m.client?.clientId === 'seam' && seen.push(`publish ${m.topic} ${m.payload.toString()} qos${m.qos}`)),
      broker.events.on('connect', (e) => e.clientId === 'seam' && seen.push(`connect ${e.certificateId === c.certificateId}`)),
      broker.events.on('subscribe', (e) => e.client.clientId === 'seam' && seen.push(`subscribe ${e.filters.join(',')}`)),
      broker.events.on('unsubscribe', (e) => e.client.clientId === 'seam' && seen.push(`unsubscribe ${e.filters.join(',')}`)),
      broker.events.on('disconnect', (e) => e.clientId === 'seam' && seen.push('disconnect')),
      broker.events.on('publish', () => {
        throw new Error('a failing listener does not disturb the broker');
      }),
    ];
    try {
      const probe = await mqttjsTry(ep, c, 'seam');
      expect(probe.outcome).toBe('connected');
      await probe.client.subscribeAsync('seam/#', { qos: 1 });
      await probe.client.publishAsync('seam/ok', 'hello', { qos: 1 });
      await probe.client.unsubscribeAsync('seam/#');
      probe.client.publish('seam/denied', 'no', { qos: 0 });
      await within(probe.closed, 10_000, 'the refused publish to close the connection');
      await vi.waitFor(() => expect(seen).toContain('disconnect'), { timeout: 10_000 });
      expect(seen).toEqual(['connect true', 'subscribe seam/#', 'publish seam/ok hello qos1', 'unsubscribe seam/#', 'disconnect']);
    } finally {
      for (const off of offs) off();
    }
  });

  it('publish() sends as the service: subscribers receive it when their policy allows Receive', async () => {
    const c = await cert();
    authority.register(c, { policies: [everything] });
    const sub = await mqttjsTry(ep, c, 'service-sub');
    try {
      await sub.client.subscribeAsync('$aws/events/presence/connected/+', { qos: 1 });
      const got = new Promise<string>((resolve) => sub.client.once('message', (topic, payload) => resolve(`${topic} ${payload.toString()}`)));
      await broker.publish({ topic: '$aws/events/presence/connected/x', payload: Buffer.from('{}') });
      expect(await within(got, 10_000, 'the service message')).toBe('$aws/events/presence/connected/x {}');
    } finally {
      await sub.end();
    }
  });
});

describe('bad peers', () => {
  it('garbage bytes on the TLS port', async () => {
    for (let i = 0; i < 20; i++) {
      await new Promise<void>((resolve) => {
        const s = net.connect(ep.port, ep.host, () => s.write(Buffer.from(`GET / HTTP/1.1\r\n\r\n${'\u0000\u00ff'.repeat(i * 50)}`)));
        s.on('error', () => undefined);
        s.on('close', () => resolve());
        s.setTimeout(10_000, () => s.destroy());
      });
    }
    await assertAlive();
  });

  it('1,000 connect attempts without certificates', async () => {
    const started = Date.now();
    let handshakesFailed = 0;
    const attempt = () =>
      new Promise<void>((resolve) => {
        // the client skips verifying the server: the broker's work is what is under test
        const s = tls.connect({ host: ep.host, port: ep.port, rejectUnauthorized: false, servername: 'localhost' });
        s.on('error', () => (handshakesFailed++, undefined));
        s.on('close', () => resolve());
        s.setTimeout(10_000, () => s.destroy());
      });
    const queue = Array.from({ length: 1000 }, (_, i) => i);
    await Promise.all(
      Array.from({ length: 25 }, async () => {
        while (queue.pop() !== undefined) await attempt();
      }),
    );
    expect(handshakesFailed).toBe(1000);
    console.log(`1,000 refused TLS connects in ${Date.now() - started} ms`);
    await assertAlive();
  });

  it('clients that vanish mid-handshake or before CONNECT', async () => {
    const c = await cert();
    authority.register(c, { policies: [everything] });
    for (let i = 0; i < 30; i++) {
      await new Promise<void>((resolve) => {
        const s = tls.connect({ host: ep.host, port: ep.port, ca: ep.caPem, cert: c.certPem, key: c.privateKey, servername: 'localhost' });
        s.on('error', () => undefined);
        s.on('close', () => resolve());
        if (i % 3 === 0) s.once('connect', () => s.destroy()); // TCP up, ClientHello maybe sent
        else if (i % 3 === 1) setImmediate(() => s.destroy()); // during the handshake
        else s.once('secureConnect', () => s.end(Buffer.from([0x10, 0x7f]))); // half a CONNECT, then gone
      });
    }
    await assertAlive();
  });
});
