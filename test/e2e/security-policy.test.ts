import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { mqttjsTry, within, type Endpoint, type Identity } from '../helpers/mqtt-clients.js';
import { startStandInProcess, type StandInProcess } from '../helpers/standin.js';

/**
 * Issue 8, item 6: the policy `elf create` attaches lets a thing do nothing outside its topic root
 * and its client id — shown through the stand-in's enforcement, with the certificate and key that
 * `elf create` wrote to the state dir (the unit test provision-policy.test.ts checks the document).
 */

let s: StandInProcess;
let work: string;
let ep: Endpoint;
let me: Identity;

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'elf-sec-policy-'));
  s = await startStandInProcess();
  const dir = path.join(work, 'misc');
  const r = await runCli(['create', '2', '--topic-root', 'fleet/a', '--endpoint-url', s.endpointUrl, '--state-dir', dir], { cwd: work, timeoutMs: 90_000 });
  expect(r.exitCode, r.stderr).toBe(0);
  me = { certPem: fs.readFileSync(path.join(dir, 'thing_0.pem'), 'utf8'), privateKey: fs.readFileSync(path.join(dir, 'thing_0.prv'), 'utf8') };
  ep = { host: '127.0.0.1', port: s.mqttPort, caPem: s.caPem };
}, 120_000);

afterAll(async () => {
  await s?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

/** Connects as thing_0 with its own files, runs `act`, and says whether the broker closed the connection. */
async function closedAfter(act: (c: Awaited<ReturnType<typeof mqttjsTry>>['client']) => void): Promise<boolean> {
  const x = await mqttjsTry(ep, me, 'thing_0');
  expect(x.outcome).toBe('connected');
  try {
    act(x.client);
    return await within(
      new Promise<boolean>((resolve) => {
        x.client.once('close', () => resolve(true));
        setTimeout(() => resolve(false), 1500);
      }),
      5000,
      'the outcome',
    );
  } finally {
    await x.end();
  }
}

describe("the policy elf create attaches, enforced by the stand-in's broker", () => {
  it('connects only as its own client id', async () => {
    const own = await mqttjsTry(ep, me, 'thing_0');
    expect(own.outcome).toBe('connected');
    await own.end();
    for (const id of ['thing_1', 'thing_0x', 'other', '+', '#', '*']) {
      const x = await mqttjsTry(ep, me, id);
      expect(x.outcome, `client id ${id}`).toBe('closed');
      await x.end();
    }
  });

  it('publishes and subscribes under its topic root and on its own shadow', async () => {
    for (const [kind, topic] of [
      ['pub', 'fleet/a'],
      ['pub', 'fleet/a/thing_0'],
      ['pub', 'fleet/a/thing_1'],
      ['sub', 'fleet/a/#'],
      ['sub', 'fleet/a/thing_0'],
      ['pub', '$aws/things/thing_0/shadow/update'],
      ['sub', '$aws/things/thing_0/shadow/update/accepted'],
    ] as const) {
      // acknowledged (PUBACK / SUBACK with a granted QoS) and still connected
      const x = await mqttjsTry(ep, me, 'thing_0');
      try {
        if (kind === 'pub') await within(x.client.publishAsync(topic, '{}', { qos: 1 }), 5000, `PUBACK for ${topic}`);
        else expect((await within(x.client.subscribeAsync(topic, { qos: 1 }), 5000, `SUBACK for ${topic}`))[0]?.qos, topic).toBe(1);
        expect(x.client.connected, `${kind} ${topic} should be allowed`).toBe(true);
      } finally {
        await x.end();
      }
    }
  });

  it('can do nothing outside them: the connection is closed, as AWS does on MQTT 3.1.1', async () => {
    for (const [kind, topic] of [
      ['pub', 'fleet'],
      ['pub', 'fleet/b'],
      ['pub', 'fleet/ab'],
      ['pub', 'elf'],
      ['pub', 'other/topic'],
      ['sub', '#'],
      ['sub', '+/a/#'],
      ['sub', 'fleet/#'],
      ['pub', '$aws/things/thing_1/shadow/update'],
      ['sub', '$aws/things/thing_1/shadow/update/accepted'],
      ['sub', '$aws/things/+/shadow/update/accepted'],
    ] as const) {
      const closed = await closedAfter((c) => (kind === 'pub' ? c.publish(topic, '{}', { qos: 1 }) : c.subscribe(topic, { qos: 1 })));
      expect(closed, `${kind} ${topic} should be refused`).toBe(true);
    }
  }, 60_000);
});
