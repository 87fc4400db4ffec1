import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import {
  AttachPolicyCommand,
  AttachThingPrincipalCommand,
  CreateKeysAndCertificateCommand,
  CreatePolicyCommand,
  CreateThingCommand,
} from '@aws-sdk/client-iot';
import { runSend, type SendDevice } from '../../src/publish/run.js';
import { runSubscribe } from '../../src/publish/subscribe.js';
import { startStandInProcess, type StandInProcess } from '../helpers/standin.js';
import { linesSource } from '../helpers/lines-source.js';

/**
 * The engine against elf's own stand-in (aedes over mTLS, MQTT 3.1.1 and 5, registry-backed auth and
 * policies): things provisioned through the control plane as `elf create` will do it.
 */
const logger = pino({ level: 'silent' });
let standin: StandInProcess;
let dir: string;
let host: string;
const devices: SendDevice[] = [];

beforeAll(async () => {
  standin = await startStandInProcess();
  dir = await mkdtemp(path.join(os.tmpdir(), 'elf-send-standin-'));
  const info = (await (await fetch(`${standin.endpointUrl}/elf/info`)).json()) as { mqtt: { host: string } };
  host = info.mqtt.host;
  const iot = standin.client();
  await iot.send(
    new CreatePolicyCommand({
      policyName: 'elf-test-all',
      policyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iot:*', Resource: '*' }] }),
    }),
  );
  for (const name of ['thing_0', 'thing_1', 'listener']) {
    const cert = await iot.send(new CreateKeysAndCertificateCommand({ setAsActive: true }));
    await iot.send(new CreateThingCommand({ thingName: name }));
    await iot.send(new AttachThingPrincipalCommand({ thingName: name, principal: cert.certificateArn! }));
    await iot.send(new AttachPolicyCommand({ policyName: 'elf-test-all', target: cert.certificateArn! }));
    const certPath = path.join(dir, `${name}.pem`);
    const keyPath = path.join(dir, `${name}.prv`);
    await writeFile(certPath, cert.certificatePem!);
    await writeFile(keyPath, cert.keyPair!.PrivateKey!, { mode: 0o600 });
    devices.push({ name, certPath, keyPath });
  }
});
afterAll(async () => {
  await standin?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

// one stand-in and fleet for the file; the behaviour is asserted over MQTT 3.1.1 and 5, one after the other
describe.each(['3.1.1', '5'] as const)('elf send engine against the stand-in over MQTT %s', (protocol) => {
  it('2 things × 5 lines at QoS 1 reach a subscriber, byte-equal and in order', async () => {
    const lines = Array.from({ length: 5 }, (_, i) => `{"n": ${i}, "s": "standin ${protocol}"}`);
    const got: Array<{ topic: string; payload: string }> = [];
    let ready!: () => void;
    const isReady = new Promise<void>((r) => (ready = r));
    const sub = runSubscribe(
      { device: devices[2]!, host, port: standin.mqttPort, caFile: standin.caPath, protocol, qos: 1, filter: 'elf/#', count: 10, duration: 30 },
      { logger, onMessage: (topic, p) => got.push({ topic, payload: p.toString() }), onReady: ready },
    );
    await isReady;
    const summary = await runSend(
      {
        devices: devices.slice(0, 2),
        host,
        port: standin.mqttPort,
        caFile: standin.caPath,
        protocol,
        qos: 1,
        appendThingName: true,
        interval: 0.05,
        loop: false,
      },
      { source: linesSource(lines), logger },
    );
    expect(summary.totals).toMatchObject({ sent: 10, acked: 10, failed: 0 });
    const res = await sub;
    expect(res.received).toBe(10);
    for (const name of ['thing_0', 'thing_1']) {
      expect(got.filter((m) => m.topic === `elf/${name}`).map((m) => m.payload)).toEqual(lines);
    }
  });
});
