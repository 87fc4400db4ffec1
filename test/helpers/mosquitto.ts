import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  createCertificateAuthority,
  issueDeviceCertificate,
  issueServerCertificate,
  type CertificateAuthority,
} from '../../src/local/ca.js';
import { freePort } from './net.js';
import { within } from './mqtt-clients.js';
import { eventually } from './poll.js';

/**
 * A real mosquitto (Debian's, 2.0.x) on a free loopback port with mTLS: client certificates must
 * be signed by a throwaway local CA (src/local/ca.ts). The broker keeps QoS 1 messages for slow
 * subscribers (max_queued_messages high: docs/aws-iot-facts.md#mosquitto) and persists sessions to disk so that a
 * restart keeps subscriptions.
 */
export interface ClientCert {
  name: string;
  certPath: string;
  keyPath: string;
  certPem: string;
  keyPem: string;
}

export interface Mosquitto {
  host: string;
  port: number;
  dir: string;
  caFile: string;
  caPem: string;
  /** issues a device certificate signed by the broker's CA, written under dir */
  issueClient(name: string): Promise<ClientCert>;
  /** SIGTERM; waits for the exit */
  stop(): Promise<void>;
  /** SIGKILL; waits for the exit */
  kill(): Promise<void>;
  /** starts again on the same port (after stop or kill) */
  restart(): Promise<void>;
  /** resolves once mosquitto has written its sessions to disk after `sinceMs` (epoch ms): a SIGKILL then keeps them */
  savedSince(sinceMs: number): Promise<void>;
  /** stop and remove the temp dir */
  teardown(): Promise<void>;
  /** what mosquitto wrote to stderr/stdout */
  readonly log: string;
}

export interface MosquittoOptions {
  /** persist sessions on disk (autosave every second); default true */
  persistence?: boolean;
}

export async function startMosquitto(opts: MosquittoOptions = {}): Promise<Mosquitto> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'elf-mosquitto-'));
  // mosquitto started as root drops to user `mosquitto` unless told `user root` (https://mosquitto.org/man/mosquitto-conf-5.html);
  // keep the dir readable anyway in case a build refuses that.
  await chmod(dir, 0o755);
  const ca: CertificateAuthority = await createCertificateAuthority('elf test mosquitto CA');
  const server = await issueServerCertificate(ca, ['localhost', '127.0.0.1']);
  const caFile = path.join(dir, 'ca.pem');
  await writeFile(caFile, ca.certPem);
  await writeFile(path.join(dir, 'server.pem'), server.certPem);
  await writeFile(path.join(dir, 'server.key'), server.privateKey, { mode: 0o644 });
  const host = '127.0.0.1';
  let port = await freePort(host);
  const persistence = opts.persistence ?? true;
  const conf = () => [
    ...(process.getuid?.() === 0 ? ['user root'] : []),
    `listener ${port} ${host}`,
    `cafile ${caFile}`,
    `certfile ${path.join(dir, 'server.pem')}`,
    `keyfile ${path.join(dir, 'server.key')}`,
    'require_certificate true',
    'allow_anonymous true',
    'max_queued_messages 1000000',
    'max_inflight_messages 1000',
    'max_keepalive 1200',
    `persistence ${persistence}`,
    `persistence_location ${dir}/`,
    'autosave_interval 1',
    'log_dest stderr',
    'log_type error',
    'log_type warning',
    // connections and disconnections: tests read them from `log`
    'log_type notice',
    // "mosquitto version … running": the listener is bound (launch() waits for it)
    'log_type information',
    '',
  ].join('\n');
  const confFile = path.join(dir, 'mosquitto.conf');

  let child: ChildProcess | undefined;
  let log = '';
  const launch = async () => {
    const c = spawn('mosquitto', ['-c', confFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = c;
    // ready when mosquitto says it runs (its listener is bound then): a connect to the port could
    // reach another process that took the port first
    const from = log.length;
    let ready = () => {};
    const running = new Promise<void>((resolve) => (ready = resolve));
    const onData = (d: Buffer) => {
      log += d.toString();
      if (/mosquitto version \S+ running/.test(log.slice(from))) ready();
    };
    c.stdout!.on('data', onData);
    c.stderr!.on('data', onData);
    const exited = new Promise<never>((_, reject) =>
      c.once('exit', (code) => reject(new Error(`mosquitto exited with ${code} at start:\n${log}`))),
    );
    exited.catch(() => {});
    await Promise.race([within(running, 10_000, `mosquitto running on ${host}:${port}`), exited]);
  };
  const end = async (signal: NodeJS.Signals) => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => c.once('exit', () => resolve()));
    c.kill(signal);
    await gone;
  };
  // mosquitto 2.0 cannot listen on port 0 (`listener 0 <x>` is a unix socket): the port is picked
  // free, released, and taken by mosquitto; when someone took it in between, pick another
  for (let attempt = 1; ; attempt++) {
    await writeFile(confFile, conf());
    try {
      await launch();
      break;
    } catch (e) {
      if (attempt >= 5 || !/Address already in use/i.test(log)) throw e;
      log = '';
      port = await freePort(host);
    }
  }

  return {
    host,
    port,
    dir,
    caFile,
    caPem: ca.certPem,
    get log() {
      return log;
    },
    async issueClient(name) {
      const cert = await issueDeviceCertificate(ca);
      const certPath = path.join(dir, `${name}.pem`);
      const keyPath = path.join(dir, `${name}.prv`);
      await writeFile(certPath, cert.certPem);
      await writeFile(keyPath, cert.privateKey, { mode: 0o600 });
      return { name, certPath, keyPath, certPem: cert.certPem, keyPem: cert.privateKey };
    },
    stop: () => end('SIGTERM'),
    kill: () => end('SIGKILL'),
    async restart() {
      await end('SIGTERM');
      await launch();
    },
    async savedSince(sinceMs) {
      const db = path.join(dir, 'mosquitto.db');
      await eventually(async () => ((await stat(db).catch(() => undefined))?.mtimeMs ?? 0) > sinceMs, `mosquitto to save its sessions to ${db}`, { timeoutMs: 10_000 });
    },
    async teardown() {
      await end('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A fleet state dir in elf's format (src/fleet/types.ts) whose certificates come from the broker's
 * CA: `elf send` and `elf subscribe` use it with `--mqtt-endpoint` and `--ca-file` (mosquittoFlags).
 */
export async function mosquittoFleet(broker: Mosquitto, dir: string, names: string[]): Promise<string[]> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const things = [];
  for (const name of names) {
    const c = await broker.issueClient(name);
    await writeFile(path.join(dir, `${name}.pem`), c.certPem);
    await writeFile(path.join(dir, `${name}.prv`), c.keyPem, { mode: 0o600 });
    things.push({
      name,
      thingArn: `arn:aws:iot:us-east-1:123456789012:thing/${name}`,
      certificateId: name.padEnd(64, '0'),
      certificateArn: `arn:aws:iot:us-east-1:123456789012:cert/${name}`,
      policyName: `elf-${name}`,
      policyArn: `arn:aws:iot:us-east-1:123456789012:policy/elf-${name}`,
      principalAttached: true,
      policyAttached: true,
      files: { cert: `${name}.pem`, publicKey: `${name}.pub`, privateKey: `${name}.prv` },
    });
  }
  await writeFile(path.join(dir, 'things.json'), JSON.stringify({ version: 1, target: { region: 'us-east-1', local: false }, prefix: 'thing_', topicRoot: 'elf', things }));
  return ['--mqtt-endpoint', `${broker.host}:${broker.port}`, '--ca-file', broker.caFile, '--state-dir', dir];
}

export interface Received {
  topic: string;
  payload: Buffer;
}

export interface Collector {
  readonly messages: Received[];
  /** resolves when at least n messages arrived (rejects after timeoutMs showing the count) */
  waitForCount(n: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * An independent subscriber (MQTT.js, not the device SDK under test) with its own certificate,
 * persistent session and fast reconnects, so it survives a broker restart with its subscription.
 */
export async function collect(broker: Mosquitto, filter: string, clientId = `collector-${Math.random().toString(16).slice(2, 10)}`): Promise<Collector> {
  const { connectAsync } = await import('mqtt');
  const cert = await broker.issueClient(clientId);
  const client = await connectAsync({
    protocol: 'mqtts',
    host: broker.host,
    port: broker.port,
    ca: broker.caPem,
    cert: cert.certPem,
    key: cert.keyPem,
    clientId,
    clean: false,
    protocolVersion: 4,
    reconnectPeriod: 200,
    connectTimeout: 5000,
  });
  const messages: Received[] = [];
  const waiters = new Set<() => void>();
  client.on('message', (topic, payload) => {
    messages.push({ topic, payload: Buffer.from(payload) });
    for (const w of waiters) w();
  });
  await client.subscribeAsync(filter, { qos: 1 });
  return {
    messages,
    waitForCount(n, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (messages.length >= n) {
            waiters.delete(check);
            clearTimeout(t);
            resolve();
          }
        };
        const t = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`collector on ${filter}: ${messages.length} of ${n} messages after ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    async close() {
      await client.endAsync(true);
    },
  };
}
