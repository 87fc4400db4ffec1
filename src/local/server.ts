import { chmod, mkdir, stat, writeFile } from 'node:fs/promises';
import type { AddressInfo, Server as NetServer } from 'node:net';
import path from 'node:path';
import { ElfError } from '../errors.js';
import { createLogger, type Logger } from '../log.js';
import { ControlPlaneApi } from './api.js';
import { createCertificateAuthority, issueDeviceCertificate, type CertificateAuthority } from './ca.js';
import { FaultInjector } from './faults.js';
import type { RunningBroker } from './broker.js';
import { createControlPlaneServer } from './http.js';
import { startLocalBroker } from './local-broker.js';
import { Registry, type RegistrySnapshot } from './registry.js';
import { CoalescingWriter, readIfExists, writeFileAtomic } from './store.js';
import { TokenBuckets } from './throttle.js';

/**
 * `elf local`: the local IoT Core stand-in. Wires the state dir (CA + registry.json), the registry,
 * the control-plane HTTP server and the MQTT broker (local-broker.ts) together, and takes them down again.
 */

export interface StandInOptions {
  host: string;
  /** control-plane port; 0 picks a free one */
  port: number;
  /** MQTT (TLS) port; 0 picks a free one */
  mqttPort: number;
  stateDir: string;
  region: string;
  account: string;
  /** emulate AWS's per-API TPS quotas with token buckets */
  throttle?: boolean;
  /** share of API calls (0..1) answered with an injected fault */
  faultRate?: number;
  faultSeed?: number;
  logger?: Logger;
}

export interface StandIn {
  controlPlaneUrl: string;
  port: number;
  mqttPort: number;
  /** the host elf's clients should dial (the bind host, or loopback for a wildcard bind) */
  advertisedHost: string;
  stateDir: string;
  caPath: string;
  registry: Registry;
  ca: CertificateAuthority;
  close(): Promise<void>;
}

export const REGISTRY_FILE = 'registry.json';

async function ensureStateDir(dir: string): Promise<void> {
  const existed = await stat(dir).then(
    (s) => {
      if (!s.isDirectory()) throw new ElfError(`--state-dir ${dir} exists and is not a directory`);
      return true;
    },
    () => false,
  );
  if (!existed) {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await chmod(dir, 0o700);
  }
}

/** The CA in `<dir>/ca.pem` + `<dir>/ca.key` (0600): made on first start, reused afterwards. */
export async function loadOrCreateCa(dir: string, log: Logger): Promise<CertificateAuthority> {
  const certFile = path.join(dir, 'ca.pem');
  const keyFile = path.join(dir, 'ca.key');
  const [certPem, keyPem] = await Promise.all([readIfExists(certFile), readIfExists(keyFile)]);
  if (certPem !== undefined && keyPem !== undefined) return { certPem, keyPem };
  if (certPem !== undefined || keyPem !== undefined) {
    throw new ElfError(`${certPem === undefined ? certFile : keyFile} is missing while ${certPem === undefined ? keyFile : certFile} exists; restore it or remove both to make a new CA`);
  }
  const ca = await createCertificateAuthority();
  await writeFile(keyFile, ca.keyPem, { mode: 0o600, flag: 'wx' });
  await writeFile(certFile, ca.certPem, { mode: 0o644, flag: 'wx' });
  log.info({ ca: certFile }, 'created a new local certificate authority');
  return ca;
}

async function loadRegistry(file: string, region: string, account: string): Promise<Registry> {
  const text = await readIfExists(file);
  if (text === undefined) return new Registry({ region, account });
  let snapshot: RegistrySnapshot;
  try {
    snapshot = JSON.parse(text) as RegistrySnapshot;
    return new Registry({ region, account, snapshot });
  } catch (e) {
    throw new ElfError(`${file} is not a valid elf registry (${(e as Error).message}); move it away to start empty`);
  }
}

function listen(server: NetServer, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException) => {
      reject(e.code === 'EADDRINUSE' ? new ElfError(`port ${port} on ${host} is already in use`) : e.code === 'EADDRNOTAVAIL' ? new ElfError(`cannot listen on ${host}: address not available`) : e);
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

const WILDCARDS = new Set(['0.0.0.0', '::', '']);

export async function startStandIn(options: StandInOptions): Promise<StandIn> {
  const log = options.logger ?? createLogger();
  const stateDir = options.stateDir;
  await ensureStateDir(stateDir);
  const ca = await loadOrCreateCa(stateDir, log);
  const registryFile = path.join(stateDir, REGISTRY_FILE);
  const registry = await loadRegistry(registryFile, options.region, options.account);
  const writer = new CoalescingWriter(() => writeFileAtomic(registryFile, JSON.stringify(registry.snapshot())));
  const advertisedHost = WILDCARDS.has(options.host) ? '127.0.0.1' : options.host;
  // the port the broker actually bound (options.mqttPort may be 0)
  let mqttPort = options.mqttPort;

  const api = new ControlPlaneApi({
    registry,
    ca,
    issue: issueDeviceCertificate,
    save: () => writer.save(),
    endpoint: () => ({ host: advertisedHost, mqttPort }),
    throttle: options.throttle ? new TokenBuckets() : undefined,
    faults: options.faultRate ? new FaultInjector(options.faultRate, options.faultSeed) : undefined,
  });
  const http = createControlPlaneServer(api, log);
  const port = await listen(http, options.port, options.host);

  // the mTLS MQTT broker (MQTT 3.1.1), with the registry as its authority
  let broker: RunningBroker;
  try {
    broker = await startLocalBroker({ stateDir, host: options.host, port: options.mqttPort, advertisedHost, ca, authority: registry, logger: log });
  } catch (e) {
    await new Promise<void>((resolve) => http.close(() => resolve()));
    throw e;
  }
  mqttPort = broker.port;

  const hostInUrl = advertisedHost.includes(':') ? `[${advertisedHost}]` : advertisedHost;
  let closing: Promise<void> | undefined;
  return {
    controlPlaneUrl: `http://${hostInUrl}:${port}`,
    port,
    get mqttPort() {
      return mqttPort;
    },
    advertisedHost,
    stateDir,
    caPath: path.join(stateDir, 'ca.pem'),
    registry,
    ca,
    close() {
      closing ??= (async () => {
        await new Promise<void>((resolve) => {
          // requests in flight are answered; keep-alive connections do not hold the exit up for long
          const force = setTimeout(() => http.closeAllConnections(), 2000);
          http.close(() => {
            clearTimeout(force);
            resolve();
          });
          http.closeIdleConnections();
        });
        await broker.close();
        await writer.idle();
        await writer.save();
      })();
      return closing;
    },
  };
}
