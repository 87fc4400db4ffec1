import type { X509Certificate } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { CreateKeysAndCertificateCommand, DescribeEndpointCommand, IoTClient } from '@aws-sdk/client-iot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startCli, type RunningCli } from '../helpers/cli.js';
import { DUMMY_CREDENTIALS } from '../helpers/standin.js';

/**
 * `elf local` in a container: `--host 0.0.0.0` listens on every interface, `--advertise-host`
 * names the stand-in as other containers reach it (DescribeEndpoint, /elf/info, the broker's
 * certificate), and `--mqtt-port 0` reports the port the broker really bound.
 */

const ADVERTISED = 'elf-standin.test';

/** An address of this machine that is not 127.0.0.1: a non-loopback interface, else 127.0.0.2 (Linux routes 127/8 to lo). */
function otherLocalAddress(): string {
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.2';
}

let dir: string;
let cli: RunningCli;
let port: number;
let iot: IoTClient;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'elf-advertise-'));
  cli = startCli(['local', '--host', '0.0.0.0', '--advertise-host', ADVERTISED, '--port', '0', '--mqtt-port', '0', '--state-dir', path.join(dir, 'state')], {
    timeoutMs: 300_000,
  });
  // the printed URL names the advertised host, which does not resolve here: dial loopback on its port
  port = Number((await cli.waitFor(/control plane http:\/\/elf-standin\.test:(\d+)/, { timeoutMs: 60_000 }))[1]);
  iot = new IoTClient({ endpoint: `http://127.0.0.1:${port}`, region: 'us-east-1', credentials: DUMMY_CREDENTIALS });
});

afterAll(async () => {
  iot?.destroy();
  await cli?.kill('SIGTERM');
  await rm(dir, { recursive: true, force: true });
});

describe('elf local --host 0.0.0.0 --advertise-host', () => {
  it('warns that it listens beyond loopback, and answers on another local address', async () => {
    await cli.waitFor(/every interface, not only loopback/, { stream: 'stderr', timeoutMs: 10_000 });
    const res = await fetch(`http://${otherLocalAddress()}:${port}/elf/info`);
    expect(res.status).toBe(200);
  });

  it('announces the advertised host and the bound MQTT port; the broker certificate names it beside localhost, 127.0.0.1 and ::1', async () => {
    const info = (await (await fetch(`http://127.0.0.1:${port}/elf/info`)).json()) as { mqtt: { host: string; port: number }; caPem: string };
    expect(info.mqtt.host).toBe(ADVERTISED);
    expect(info.mqtt.port).toBeGreaterThan(0);
    const { endpointAddress } = await iot.send(new DescribeEndpointCommand({ endpointType: 'iot:Data-ATS' }));
    expect(endpointAddress).toBe(`${ADVERTISED}:${info.mqtt.port}`);

    // a device certificate from the control plane completes mTLS on the announced port, on a
    // non-loopback address too; the client checks the server certificate against the advertised name
    const keys = await iot.send(new CreateKeysAndCertificateCommand({ setAsActive: true }));
    const x = await new Promise<X509Certificate>((resolve, reject) => {
      const socket = tls.connect({
        host: otherLocalAddress(),
        port: info.mqtt.port,
        servername: ADVERTISED,
        ca: info.caPem,
        cert: keys.certificatePem!,
        key: keys.keyPair!.PrivateKey!,
      });
      socket.once('secureConnect', () => {
        const x = socket.getPeerX509Certificate();
        socket.destroy();
        if (x === undefined) reject(new Error('no peer certificate'));
        else resolve(x);
      });
      socket.once('error', reject);
      socket.setTimeout(20_000, () => socket.destroy(new Error('TLS handshake timed out')));
    });
    expect(x.checkHost(ADVERTISED)).toBe(ADVERTISED);
    expect(x.checkHost('localhost')).toBe('localhost');
    expect(x.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(x.checkIP('::1')).toBe('::1');
    expect(x.checkHost('elsewhere.test')).toBeUndefined();
  });

  it('refuses an advertised host with a scheme or port, naming the flag', async () => {
    const r = await runCli(['local', '--advertise-host', 'http://local:8883', '--state-dir', path.join(dir, 'unused')]);
    expect(r.exitCode).not.toBe(0);
    expect(r.stderr).toMatch(/--advertise-host/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
