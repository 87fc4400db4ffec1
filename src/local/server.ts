import { writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Server as NetServer } from 'node:net';
import path from 'node:path';
import { ElfError } from '../errors.js';
import { createLogger, type Logger } from '../log.js';
import { ControlPlaneApi } from './api.js';
import { createCertificateAuthority, generateRsaKeyPair, issueDeviceCertificate, type CertificateAuthority } from './ca.js';
import { FaultInjector } from './faults.js';
import type { RunningBroker } from './broker/index.js';
import { createControlPlaneServer } from './http.js';
import { KeyPool } from './key-pool.js';
import { startLocalBroker } from './local-broker.js';
import { Registry, type RegistrySnapshot } from './registry.js';
import { readIfExists, writeFileAtomic } from '../util/atomic-write.js';
import { loadRuleService } from './rules/index.js';
import { CoalescingWriter } from './store.js';
import { claimStateDir, ensureStateDir, writeRecreating } from './state-dir.js';
import { TokenBuckets } from './throttle.js';
import { attachTraffic, Traffic } from './traffic.js';
import type { ExecutorStats } from './rules/executor.js';
import { startConsole, type Console } from './console/index.js';

/**
 * `elf local`: the local IoT Core stand-in. Wires the state dir (CA + registry.json), the registry,
 * the control-plane HTTP server and the MQTT broker (local-broker.ts) together, and takes them down again.
 */

export interface StandInOptions {
  /** address to listen on (control plane and broker); a wildcard (0.0.0.0, ::) listens on every interface */
  host: string;
  /**
   * the host name clients are told to dial (DescribeEndpoint, /elf/info) and the broker's
   * certificate names besides localhost, 127.0.0.1 and ::1; default: `host`, or 127.0.0.1 for a wildcard
   */
  advertiseHost?: string;
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
  /** key pairs kept ready for CreateKeysAndCertificate once the first is asked for (key-pool.ts); default 32, 0 = none */
  keyPoolSize?: number;
  /** the web console: on the control-plane port at /console, and on its own port when consolePort is set */
  console?: { port?: number; host?: string };
  logger?: Logger;
}

export interface StandIn {
  controlPlaneUrl: string;
  port: number;
  mqttPort: number;
  /** the host elf's clients should dial (--advertise-host, else the bind host, or loopback for a wildcard bind) */
  advertisedHost: string;
  stateDir: string;
  caPath: string;
  registry: Registry;
  ca: CertificateAuthority;
  /** the broker's traffic counters (messages in/out by topic and client, connections, the last minutes) */
  traffic: Traffic;
  /** the topic rules' executions so far */
  ruleStats(): ExecutorStats | undefined;
  /** the console's URL (its own port when asked for one, else the control plane's /console) */
  consoleUrl: string;
  close(): Promise<void>;
}

export const REGISTRY_FILE = 'registry.json';

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
      reject(
        e.code === 'EADDRINUSE'
          ? new ElfError(`port ${port} on ${host} is already in use`)
          : e.code === 'EADDRNOTAVAIL'
            ? new ElfError(`cannot listen on ${host}: address not available`)
            : e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN'
              ? new ElfError(`cannot listen on ${host}: no such host (${e.code}); pass an address of this machine with --host`)
              : e.code === 'EACCES'
                ? new ElfError(`cannot listen on port ${port} of ${host}: permission denied (EACCES)`)
                : e,
      );
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

const WILDCARDS = new Set(['0.0.0.0', '::', '']);

/** A file-system failure in the state dir (full disk, read-only, …) as one line, not a stack trace. */
function stateDirFailure(e: unknown, stateDir: string): unknown {
  const err = e as NodeJS.ErrnoException;
  if (e instanceof ElfError || typeof err?.code !== 'string' || ['listen', 'bind', 'getaddrinfo'].includes(err.syscall ?? '')) return e;
  const hint = err.code === 'ENOSPC' || err.code === 'EDQUOT' ? 'free some space and start again' : 'fix it or choose another directory with --state-dir';
  return new ElfError(`--state-dir ${stateDir}: ${err.syscall ?? 'access'} failed (${err.code}); ${hint}`, 'ELF_STATE_DIR');
}

/** The host clients dial by default: the bind host, or loopback when it binds every interface. */
export function defaultAdvertisedHost(host: string): string {
  return WILDCARDS.has(host) ? '127.0.0.1' : host;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
const DEFAULT_KEY_POOL = 32;

/** The console on its own port (--console-port); any other path there redirects to /console. */
async function listenConsole(app: Console, port: number, host: string, hostInUrl: string): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    if (!app.handle(req, res)) res.writeHead(302, { location: '/console' }).end();
  });
  const bound = await listen(server, port, host);
  const shown = WILDCARDS.has(host) ? hostInUrl : host.includes(':') ? `[${host}]` : host;
  return { server, url: `http://${shown}:${bound}/console` };
}

export async function startStandIn(options: StandInOptions): Promise<StandIn> {
  const log = options.logger ?? createLogger();
  const stateDir = options.stateDir;
  const registryFile = path.join(stateDir, REGISTRY_FILE);
  const { ca, registry, release } = await (async () => {
    await ensureStateDir(stateDir);
    const release = await claimStateDir(stateDir);
    const ca = await loadOrCreateCa(stateDir, log);
    return { ca, registry: await loadRegistry(registryFile, options.region, options.account), release };
  })().catch((e: unknown) => {
    throw stateDirFailure(e, stateDir);
  });
  // a state dir removed under the running stand-in is put back, not answered with 500s
  const writer = new CoalescingWriter(() => writeRecreating(() => writeFileAtomic(registryFile, JSON.stringify(registry.snapshot())), stateDir, ca, log));
  const advertisedHost = options.advertiseHost ?? defaultAdvertisedHost(options.host);
  if (!isLoopback(options.host)) {
    log.warn(
      { host: options.host },
      WILDCARDS.has(options.host)
        ? 'listening on every interface, not only loopback: anyone who can reach this machine may call the control plane (it does not check credentials)'
        : 'listening on an address that is not loopback: anyone who can reach it may call the control plane (it does not check credentials)',
    );
  }
  // the port the broker actually bound (options.mqttPort may be 0)
  let mqttPort = options.mqttPort;

  const keyPoolSize = options.keyPoolSize ?? DEFAULT_KEY_POOL;
  const keys = new KeyPool({
    size: keyPoolSize,
    generate: () => generateRsaKeyPair(2048),
    onError: (e) => log.warn({ err: (e as Error).message }, 'could not generate a key pair for the pool'),
  });
  // a pool asked for fills from the start; the default one from the first call (tests start many stand-ins)
  if (options.keyPoolSize !== undefined) keys.fill();
  const rules = await loadRuleService({ stateDir, region: options.region, account: options.account, log });
  const api = new ControlPlaneApi({
    registry,
    ca,
    issue: async (authority) => issueDeviceCertificate(authority, await keys.take()),
    save: () => writer.save(),
    endpoint: () => ({ host: advertisedHost, mqttPort }),
    keyPool: () => ({ ready: keys.available, size: keyPoolSize }),
    throttle: options.throttle ? new TokenBuckets() : undefined,
    faults: options.faultRate ? new FaultInjector(options.faultRate, options.faultSeed) : undefined,
    rules: { rules: rules.rules, save: () => rules.save(), stats: () => rules.stats() },
  });
  // the console is wired to the broker once it runs; until then /console answers 503
  const wired: { console?: Console } = {};
  const consoleHook = (req: IncomingMessage, res: ServerResponse): boolean => {
    if (wired.console) return wired.console.handle(req, res);
    if (!req.url?.startsWith('/console')) return false;
    res.writeHead(503, { 'content-type': 'text/plain' }).end('the console is starting\n');
    return true;
  };
  const http = createControlPlaneServer(api, log, consoleHook);
  const port = await listen(http, options.port, options.host).catch(async (e: unknown) => {
    keys.close();
    await release();
    throw e;
  });

  // the mTLS MQTT broker (MQTT 3.1.1), with the registry as its authority
  let broker: RunningBroker;
  try {
    broker = await startLocalBroker({ stateDir, host: options.host, port: options.mqttPort, advertisedHost, ca, authority: registry, logger: log });
  } catch (e) {
    keys.close();
    await new Promise<void>((resolve) => http.close(() => resolve()));
    await release();
    throw stateDirFailure(e, stateDir);
  }
  mqttPort = broker.port;
  rules.attach(broker);
  const traffic = new Traffic();
  attachTraffic(traffic, broker.events);
  const consoleHost = options.console?.host ?? '127.0.0.1';
  const consoleApp = startConsole({
    registry,
    traffic,
    shadows: broker.shadows,
    rules,
    ca,
    stateDir,
    mqtt: { host: '127.0.0.1', port: () => mqttPort },
    save: () => writer.save(),
    log: log.child({ component: 'console' }),
    allowRemote: !isLoopback(consoleHost),
  });
  wired.console = consoleApp;
  const hostInUrl = advertisedHost.includes(':') ? `[${advertisedHost}]` : advertisedHost;
  let own: { server: Server; url: string } | undefined;
  if (options.console?.port !== undefined) {
    own = await listenConsole(consoleApp, options.console.port, consoleHost, hostInUrl).catch(async (e: unknown) => {
      await consoleApp.close();
      keys.close();
      await broker.close();
      await new Promise<void>((resolve) => http.close(() => resolve()));
      await release();
      throw e;
    });
  }
  const consoleServer = own?.server;

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
    traffic,
    ruleStats: () => rules.stats(),
    consoleUrl: own?.url ?? `http://${hostInUrl}:${port}/console`,
    close() {
      closing ??= (async () => {
        keys.close();
        await consoleApp.close();
        if (consoleServer) {
          const server = consoleServer;
          await new Promise<void>((resolve) => {
            server.close(() => resolve());
            server.closeAllConnections();
          });
        }
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
        await rules.close();
        await writer.idle();
        try {
          await writer.save();
        } finally {
          await release();
        }
      })().catch((e: unknown) => {
        throw stateDirFailure(e, stateDir);
      });
      return closing;
    },
  };
}
