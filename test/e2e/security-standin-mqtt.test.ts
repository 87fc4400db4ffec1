import net from 'node:net';
import tls from 'node:tls';
import {
  AttachPolicyCommand,
  AttachThingPrincipalCommand,
  CreateKeysAndCertificateCommand,
  CreatePolicyCommand,
  CreateThingCommand,
  UpdateCertificateCommand,
  type IoTClient,
} from '@aws-sdk/client-iot';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCertificateAuthority, issueDeviceCertificate } from '../../src/local/ca.js';
import { mqttjsTry, type Endpoint, type Identity } from '../helpers/mqtt-clients.js';
import { controlPlaneSnapshot, readRegistry, within, type ControlPlaneSnapshot } from '../helpers/reliability.js';
import { eventually } from '../helpers/poll.js';
import { startStandInProcess, type StandInProcess } from '../helpers/standin.js';

/**
 * Issue 8, item 5 (second half): hostile MQTT peers against `elf local`'s broker, as a process with
 * its real registry. While they come, a legitimate device publishes 200 QoS 1 messages to itself:
 * it must receive every one and nothing else, the stand-in stays up and its state is unchanged.
 * (broker.test.ts covers each refusal one at a time against an in-process broker; this is the mix,
 * at once, through the control plane, plus subscription floods.)
 */

/** elf's least-privilege shape: the thing may be only itself and use only its own topics. */
const POLICY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Action: 'iot:Connect', Resource: 'arn:aws:iot:*:*:client/${iot:Connection.Thing.ThingName}' },
    { Effect: 'Allow', Action: ['iot:Publish', 'iot:Receive'], Resource: ['arn:aws:iot:*:*:topic/elf/${iot:Connection.Thing.ThingName}', 'arn:aws:iot:*:*:topic/$aws/things/${iot:Connection.Thing.ThingName}/shadow/*'] },
    { Effect: 'Allow', Action: 'iot:Subscribe', Resource: ['arn:aws:iot:*:*:topicfilter/elf/${iot:Connection.Thing.ThingName}', 'arn:aws:iot:*:*:topicfilter/$aws/things/${iot:Connection.Thing.ThingName}/shadow/*'] },
  ],
});

let s: StandInProcess;
let iot: IoTClient;
let ep: Endpoint;
let a: Identity;
let b: Identity;
let revoked: Identity;
let foreign: Identity;
let baseline: ControlPlaneSnapshot;

async function thing(name: string): Promise<Identity & { id: string }> {
  const keys = await iot.send(new CreateKeysAndCertificateCommand({ setAsActive: true }));
  await iot.send(new CreatePolicyCommand({ policyName: `policy-${name}`, policyDocument: POLICY }));
  await iot.send(new AttachPolicyCommand({ policyName: `policy-${name}`, target: keys.certificateArn! }));
  await iot.send(new CreateThingCommand({ thingName: name }));
  await iot.send(new AttachThingPrincipalCommand({ thingName: name, principal: keys.certificateArn! }));
  return { certPem: keys.certificatePem!, privateKey: keys.keyPair!.PrivateKey!, id: keys.certificateId! };
}

beforeAll(async () => {
  s = await startStandInProcess();
  iot = s.client();
  ep = { host: '127.0.0.1', port: s.mqttPort, caPem: s.caPem };
  a = await thing('dev_a');
  b = await thing('dev_b');
  const r = await thing('dev_r');
  await iot.send(new UpdateCertificateCommand({ certificateId: r.id, newStatus: 'REVOKED' }));
  revoked = r;
  const otherCa = await createCertificateAuthority('not the stand-in');
  const f = await issueDeviceCertificate(otherCa);
  foreign = { certPem: f.certPem, privateKey: f.privateKey };
  baseline = await controlPlaneSnapshot(iot);
});

afterAll(() => s?.stop());

/** Raw TCP: writes bytes, waits for the close (bounded). */
function rawTcp(bytes: Buffer): Promise<void> {
  return new Promise((resolve) => {
    const sock = net.connect(ep.port, ep.host, () => sock.write(bytes));
    sock.on('error', () => undefined);
    sock.on('close', () => resolve());
    sock.setTimeout(10_000, () => sock.destroy());
  });
}

/** An MQTT 3.1.1 CONNECT for client id "test". */
const CONNECT = Buffer.from('101000044d5154540402003c000474657374', 'hex');

/**
 * TLS with the given identity (or none), then `after` bytes; resolves with how many bytes of MQTT
 * came back before the broker closed. (With TLS 1.3 the client's handshake completes before the
 * server has checked its certificate; the refusal is an alert and a close.)
 */
function rawTls(id: Partial<Identity>, after: Buffer = CONNECT): Promise<{ received: number; tlsError: boolean }> {
  return new Promise((resolve) => {
    let received = 0;
    let tlsError = false;
    const sock = tls.connect({ host: ep.host, port: ep.port, ca: ep.caPem, servername: 'localhost', ...(id.certPem ? { cert: id.certPem, key: id.privateKey } : {}) });
    sock.on('secureConnect', () => sock.write(after));
    sock.on('data', (d: Buffer) => (received += d.length));
    sock.on('error', () => (tlsError = true));
    sock.on('close', () => resolve({ received, tlsError }));
    sock.setTimeout(10_000, () => sock.destroy());
  });
}

/** Resolves when the MQTT.js client is closed by the broker (bounded). */
const closedBy = (c: MqttClient, ms = 10_000) => within(new Promise<void>((r) => (c.disconnected ? r() : c.once('close', () => r()))), ms, 'the broker to close the connection');

async function expectIntact() {
  expect(s.cli.child.exitCode, s.cli.stderr).toBeNull();
  expect(await controlPlaneSnapshot(iot)).toEqual(baseline);
  expect((await readRegistry(s.stateDir)).format).toBe('elf-registry/1');
  expect(s.cli.stderr).not.toMatch(/internal error|Uncaught|\n {4}at /);
}

describe('hostile MQTT peers while a device works', () => {
  it('a legitimate device loses nothing and receives nothing foreign while the broker refuses every hostile peer', async () => {
    const dev = await mqttjsTry(ep, a, 'dev_a');
    expect(dev.outcome).toBe('connected');
    const got: string[] = [];
    dev.client.on('message', (topic, payload) => got.push(`${topic} ${payload.toString()}`));
    await dev.client.subscribeAsync('elf/dev_a', { qos: 1 });

    const attacks = {
      garbage: () => Promise.all(Array.from({ length: 100 }, (_, i) => rawTcp(Buffer.from(Array.from({ length: 64 + i * 16 }, (_, j) => (j * 31 + i) & 255))))),
      plainMqttNoTls: () => Promise.all(Array.from({ length: 50 }, () => rawTcp(CONNECT))),
      // a CONNECT after the handshake gets no CONNACK: the TLS layer refuses first
      noCertificate: async () => {
        const r = await Promise.all(Array.from({ length: 100 }, () => rawTls({})));
        return r.filter((x) => x.received === 0 && x.tlsError).length;
      },
      foreignCertificate: async () => {
        const r = await Promise.all(Array.from({ length: 30 }, () => mqttjsTry(ep, foreign, 'dev_a')));
        for (const x of r) await x.end();
        return r.filter((x) => x.outcome === 'closed').length;
      },
      revokedCertificate: async () => {
        const r = await Promise.all(Array.from({ length: 20 }, () => mqttjsTry(ep, revoked, 'dev_r')));
        for (const x of r) await x.end();
        return r.filter((x) => x.outcome === 'closed').length;
      },
      // b's own certificate, but a's client id: would take a's session over if it were let in
      impersonation: async () => {
        let refused = 0;
        for (let i = 0; i < 10; i++) {
          const x = await mqttjsTry(ep, b, 'dev_a');
          if (x.outcome === 'closed') refused++;
          await x.end();
        }
        return refused;
      },
      publishOutsidePolicy: async () => {
        let closed = 0;
        for (let i = 0; i < 10; i++) {
          const x = await mqttjsTry(ep, b, 'dev_b');
          expect(x.outcome).toBe('connected');
          x.client.publish('elf/dev_a', `forged ${i}`, { qos: 1 }, () => undefined);
          await closedBy(x.client);
          closed++;
          await x.end();
        }
        return closed;
      },
      subscribeOutsidePolicy: async () => {
        let closed = 0;
        for (const filter of ['elf/dev_a', 'elf/#', '#', '$aws/things/dev_a/shadow/update/accepted', 'elf/+']) {
          const x = await mqttjsTry(ep, b, 'dev_b');
          expect(x.outcome).toBe('connected');
          x.client.subscribe(filter, { qos: 1 }, () => undefined);
          await closedBy(x.client);
          closed++;
          await x.end();
        }
        return closed;
      },
      garbageAfterHandshake: async () => {
        const r = await Promise.all(Array.from({ length: 20 }, (_, i) => rawTls(b, Buffer.from(Array.from({ length: 200 }, (_, j) => (j * 17 + i) & 255)))));
        return r.filter((x) => x.received === 0).length;
      },
    };

    // the device publishes 200 QoS 1 messages to itself while all of the above runs
    const publishing = (async () => {
      for (let i = 0; i < 200; i++) {
        await dev.client.publishAsync('elf/dev_a', `m${i}`, { qos: 1 });
        // spread the publishes over the attacks' time on purpose: the pause is the load shape, not a wait for a result
        if (i % 20 === 0) await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const outsidePolicy = attacks.publishOutsidePolicy();
    const [, noCert, foreignRefused, revokedRefused, impersonations, pubClosed, subClosed, afterHandshake] = await within(
      Promise.all([
        Promise.all([attacks.garbage(), attacks.plainMqttNoTls()]),
        attacks.noCertificate(),
        attacks.foreignCertificate(),
        attacks.revokedCertificate(),
        attacks.impersonation(),
        outsidePolicy,
        // after the publishes: both connect as dev_b, and a second CONNECT with a client id in use takes
        // the first one's connection over (MQTT 3.1.1 §3.1.4), which would make this race with that
        outsidePolicy.then(() => attacks.subscribeOutsidePolicy()),
        attacks.garbageAfterHandshake(),
      ]),
      60_000,
      'the hostile peers',
    );
    await within(publishing, 30_000, 'the device to publish 200 messages');
    // QoS 1 round trip: every PUBACK is in; the broker delivers to the subscriber before it acks
    await eventually(() => got.length >= 200, () => `all 200 messages at the device (got ${got.length})`, { timeoutMs: 10_000 });

    expect(noCert).toBe(100);
    expect(foreignRefused).toBe(30);
    expect(revokedRefused).toBe(20);
    expect(impersonations).toBe(10);
    expect(pubClosed).toBe(10);
    expect(subClosed).toBe(5);
    expect(afterHandshake).toBe(20);
    // the device was never disturbed: still connected, every message once, in order, nothing forged
    expect(dev.client.connected).toBe(true);
    expect(got).toEqual(Array.from({ length: 200 }, (_, i) => `elf/dev_a m${i}`));
    await dev.end();
    await expectIntact();
  });
});

describe('subscription floods', () => {
  it('the 51st distinct subscription on one connection closes it (AWS: 50 per connection)', async () => {
    const x = await mqttjsTry(ep, b, 'dev_b');
    expect(x.outcome).toBe('connected');
    // named-shadow response topics: all inside b's policy, all distinct, within 7 slashes
    const filters = Array.from({ length: 50 }, (_, i) => `$aws/things/dev_b/shadow/name/s${i}/update/accepted`);
    for (let i = 0; i < 50; i += 5) {
      const granted = await x.client.subscribeAsync(filters.slice(i, i + 5), { qos: 1 });
      expect(granted.map((g) => g.qos)).toEqual([1, 1, 1, 1, 1]);
    }
    expect(x.client.connected).toBe(true);
    x.client.subscribe('$aws/things/dev_b/shadow/name/s50/update/accepted', { qos: 1 }, () => undefined);
    await closedBy(x.client);
    await x.end();
    expect(s.cli.stderr).toMatch(/more than 50 subscriptions on one connection/);
  });

  it('2,000 re-subscriptions to the same allowed filter and 50 connections of one client id at once: the broker keeps serving', async () => {
    const x = await mqttjsTry(ep, b, 'dev_b');
    expect(x.outcome).toBe('connected');
    const t0 = performance.now();
    await within(Promise.all(Array.from({ length: 2000 }, () => x.client.subscribeAsync('elf/dev_b', { qos: 1 }))), 30_000, '2,000 SUBACKs');
    console.log(`2,000 SUBSCRIBEs acknowledged in ${(performance.now() - t0).toFixed(0)} ms`);
    expect(x.client.connected).toBe(true);
    // the subscription still works once, not 2,000 times
    const got: string[] = [];
    x.client.on('message', (_t, p) => got.push(p.toString()));
    await x.client.publishAsync('elf/dev_b', 'once', { qos: 1 });
    // a second message on the same connection and topic arrives after every copy of the first, so
    // once it is in, a duplicate of 'once' would already be there
    await x.client.publishAsync('elf/dev_b', 'after', { qos: 1 });
    await eventually(() => got.includes('after'), () => `the messages (got ${JSON.stringify(got)})`, { timeoutMs: 5000 });
    expect(got).toEqual(['once', 'after']);
    await x.end();

    // many connections of the same thing at once: AWS keeps the newest, disconnects the others
    const many = await Promise.all(Array.from({ length: 50 }, () => mqttjsTry(ep, b, 'dev_b')));
    expect(many.filter((m) => m.outcome === 'connected').length).toBeGreaterThan(0);
    await eventually(() => many.filter((m) => m.client.connected).length <= 1, () => `at most one dev_b connection left (${many.filter((m) => m.client.connected).length} connected)`);
    for (const m of many) await m.end();
    // a fresh device still gets in and round-trips
    const fresh = await mqttjsTry(ep, a, 'dev_a');
    expect(fresh.outcome).toBe('connected');
    await fresh.end();
    await expectIntact();
  });
});
