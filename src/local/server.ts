import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Server as NetServer } from 'node:net';
import path from 'node:path';
import { ElfError } from '../errors.js';
import { createLogger, type Logger } from '../log.js';
import { ControlPlaneApi } from './api.js';
import { createCertificateAuthority, generateRsaKeyPair, issueDeviceCertificate, type CertificateAuthority } from './ca.js';
import { FaultInjector } from './faults.js';
import { createControlPlaneServer } from './http.js';
import { KeyPool } from './key-pool.js';
import { startLocalBroker } from './local-broker.js';
import { EventConfigurations, startRegistryEvents } from './registry-events.js';
import { Registry, type RegistrySnapshot } from './registry/index.js';
import { createFileAtomic, readIfExists, writeFileAtomic } from '../util/atomic-write.js';
import { loadRuleService } from './rules/index.js';
import { CoalescingWriter } from './store.js';
import { claimStateDir, ensureStateDir, writeRecreating } from './state-dir.js';
import { TokenBuckets } from './throttle.js';
import { attachTraffic, Traffic } from './traffic.js';
import type { ExecutorStats, RuleCounters } from './rules/executor.js';
import { startConsole, type Console, type ConsoleDeps } from './console/index.js';

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
  /** each rule's figures so far, by rule name */
  ruleCounters(): Record<string, RuleCounters>;
  /** the console's URL (its own port when asked for one, else the control plane's /console) */
  consoleUrl: string;
  close(): Promise<void>;
}

export const REGISTRY_FILE = 'registry.json';

/** The CA in `<dir>/ca.pem` + `<dir>/ca.key` (0600): made on first start, reused afterwards. */
export async function loadOrCreateCa(dir: string, log: Logger): Promise<CertificateAuthority> {
  const certFile = path.join(dir, 'ca.pem');
  const keyFile = path.join(dir, 'ca.key');
  const existing = await readCa(certFile, keyFile);
  if (existing) return existing;
  const ca = await createCertificateAuthority();
  // each file appears whole or not at all (a concurrent start never reads an empty PEM); the key first, so a CA is never a certificate without its key
  try {
    await createFileAtomic(keyFile, ca.keyPem, { mode: 0o600 });
    await createFileAtomic(certFile, ca.certPem, { mode: 0o644 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    // another start made the CA at the same moment: use its CA
    return eventually(() => readCa(certFile, keyFile), `${certFile} and ${keyFile}`);
  }
  log.info({ ca: certFile }, 'created a new local certificate authority');
  return ca;
}

/** The CA's files, both present and not empty; undefined when neither exists. */
async function readCa(certFile: string, keyFile: string): Promise<CertificateAuthority | undefined> {
  const [certPem, keyPem] = await Promise.all([readIfExists(certFile), readIfExists(keyFile)]);
  if (certPem !== undefined && keyPem !== undefined) {
    const empty = certPem.trim() === '' ? certFile : keyPem.trim() === '' ? keyFile : undefined;
    if (empty) throw new ElfError(`${empty} is empty; restore it, or remove ${certFile} and ${keyFile} to make a new CA`);
    return { certPem, keyPem };
  }
  if (certPem !== undefined || keyPem !== undefined) {
    throw new ElfError(`${certPem === undefined ? certFile : keyFile} is missing while ${certPem === undefined ? keyFile : certFile} exists; restore it or remove both to make a new CA`);
  }
  return undefined;
}

/** Polls briefly for a CA another process is writing (its key appears a moment before its certificate). */
async function eventually(read: () => Promise<CertificateAuthority | undefined>, what: string): Promise<CertificateAuthority> {
  for (let i = 0; ; i++) {
    try {
      const ca = await read();
      if (ca) return ca;
    } catch (e) {
      if (i >= 50) throw e;
    }
    if (i >= 50) throw new ElfError(`${what}: another process began to make a CA here and did not finish`);
    await new Promise((r) => setTimeout(r, 100));
  }
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
export function stateDirFailure(e: unknown, stateDir: string): unknown {
  const err = e as NodeJS.ErrnoException;
  // only a file-system call's failure (a code, a syscall and an errno); OpenSSL's errors (ERR_OSSL_…) and others carry a code alone
  const fsError = typeof err?.code === 'string' && typeof err.syscall === 'string' && typeof err.errno === 'number';
  if (e instanceof ElfError || !fsError || ['listen', 'bind', 'getaddrinfo'].includes(err.syscall ?? '')) return e;
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

/** What has been started so far, stopped in reverse order: on a failed start and on close. */
class Teardown {
  private readonly steps: Array<() => unknown> = [];
  add(step: () => unknown): void {
    this.steps.push(step);
  }
  /** runs every step even when one fails; throws the first failure */
  async run(): Promise<void> {
    let failure: { e: unknown } | undefined;
    for (let step = this.steps.pop(); step; step = this.steps.pop()) {
      try {
        await step();
      } catch (e) {
        failure ??= { e };
      }
    }
    if (failure) throw failure.e;
  }
}

/** The state dir claimed, its CA and registry loaded, and the registry's writer; one-line errors. */
async function openState(options: StandInOptions, log: Logger, teardown: Teardown, started: () => boolean) {
  const { stateDir } = options;
  const registryFile = path.join(stateDir, REGISTRY_FILE);
  try {
    await ensureStateDir(stateDir);
    teardown.add(await claimStateDir(stateDir));
    const ca = await loadOrCreateCa(stateDir, log);
    const registry = await loadRegistry(registryFile, options.region, options.account);
    // a state dir removed under the running stand-in is put back, not answered with 500s
    const writer = new CoalescingWriter(() => writeRecreating(() => writeFileAtomic(registryFile, JSON.stringify(registry.snapshot())), stateDir, ca, log));
    teardown.add(async () => {
      await writer.idle();
      if (started()) await writer.save();
    });
    return { ca, registry, writer };
  } catch (e) {
    throw stateDirFailure(e, stateDir);
  }
}

function warnIfExposed(host: string, log: Logger): void {
  if (isLoopback(host)) return;
  log.warn(
    { host },
    WILDCARDS.has(host)
      ? 'listening on every interface, not only loopback: anyone who can reach this machine may call the control plane (it does not check credentials)'
      : 'listening on an address that is not loopback: anyone who can reach it may call the control plane (it does not check credentials)',
  );
}

/** Key pairs for CreateKeysAndCertificate: a pool asked for fills from the start, the default one from the first call (tests start many stand-ins). */
function startKeyPool(options: StandInOptions, log: Logger, teardown: Teardown) {
  const size = options.keyPoolSize ?? DEFAULT_KEY_POOL;
  const keys = new KeyPool({
    size,
    generate: () => generateRsaKeyPair(2048),
    onError: (e) => log.warn({ err: (e as Error).message }, 'could not generate a key pair for the pool'),
  });
  if (options.keyPoolSize !== undefined) keys.fill();
  teardown.add(() => keys.close());
  return { keys, size };
}

/** The console is wired to the broker once it runs; until then /console answers 503. */
function consoleRoute(wired: { console?: Console }) {
  return (req: IncomingMessage, res: ServerResponse): boolean => {
    if (wired.console) return wired.console.handle(req, res);
    if (!req.url?.startsWith('/console')) return false;
    res.writeHead(503, { 'content-type': 'text/plain' }).end('the console is starting\n');
    return true;
  };
}

/** Requests in flight are answered; keep-alive connections do not hold the exit up for long. */
function closeGracefully(http: Server): Promise<void> {
  return new Promise<void>((resolve) => {
    const force = setTimeout(() => http.closeAllConnections(), 2000);
    http.close(() => {
      clearTimeout(force);
      resolve();
    });
    http.closeIdleConnections();
  });
}

type ConsoleParts = Omit<ConsoleDeps, 'allowRemote' | 'mqtt'> & { mqttPort: () => number; advertisedHost: string };

/** The console app, on the control plane's /console and, with --console-port, on its own port. */
async function openConsole(parts: ConsoleParts, options: StandInOptions, hostInUrl: string, port: number, teardown: Teardown): Promise<{ app: Console; url: string }> {
  const host = options.console?.host ?? '127.0.0.1';
  const { mqttPort, advertisedHost, log, ...rest } = parts;
  // the console's MQTT client dials the address the broker listens on (loopback for a wildcard) and
  // checks the broker's certificate for the advertised name, which the certificate always carries
  const mqtt = { host: defaultAdvertisedHost(options.host), port: mqttPort, certificateName: advertisedHost };
  const app = startConsole({ ...rest, mqtt, log: log.child({ component: 'console' }), allowRemote: !isLoopback(host) });
  teardown.add(() => app.close());
  if (options.console?.port === undefined) return { app, url: `http://${hostInUrl}:${port}/console` };
  const own = await listenConsole(app, options.console.port, host, hostInUrl);
  teardown.add(
    () =>
      new Promise<void>((resolve) => {
        own.server.close(() => resolve());
        own.server.closeAllConnections();
      }),
  );
  return { app, url: own.url };
}

export async function startStandIn(options: StandInOptions): Promise<StandIn> {
  const log = options.logger ?? createLogger();
  const { stateDir } = options;
  const teardown = new Teardown();
  let started = false;
  try {
    const { ca, registry, writer } = await openState(options, log, teardown, () => started);
    warnIfExposed(options.host, log);
    const advertisedHost = options.advertiseHost ?? defaultAdvertisedHost(options.host);
    const hostInUrl = advertisedHost.includes(':') ? `[${advertisedHost}]` : advertisedHost;
    // the port the broker actually bound (options.mqttPort may be 0)
    let mqttPort = options.mqttPort;
    let httpPort = options.port;
    const keys = startKeyPool(options, log, teardown);
    const eventConfigurations = new EventConfigurations();
    const rules = await loadRuleService({ stateDir, region: options.region, account: options.account, log });
    teardown.add(() => rules.close());
    const api = new ControlPlaneApi({
      registry,
      ca,
      issue: async (authority) => issueDeviceCertificate(authority, await keys.keys.take()),
      save: () => writer.save(),
      endpoint: () => ({ host: advertisedHost, mqttPort, httpPort }),
      keyPool: () => ({ ready: keys.keys.available, size: keys.size }),
      throttle: options.throttle ? new TokenBuckets() : undefined,
      faults: options.faultRate ? new FaultInjector(options.faultRate, options.faultSeed) : undefined,
      rules: { rules: rules.rules, save: () => rules.save(), stats: () => rules.stats() },
      eventConfigurations,
    });
    const wired: { console?: Console } = {};
    const http = createControlPlaneServer(api, log, consoleRoute(wired));
    const port = await listen(http, options.port, options.host);
    httpPort = port;
    teardown.add(() => closeGracefully(http));
    // the mTLS MQTT broker (MQTT 3.1.1 and 5), with the registry as its authority
    const broker = await startLocalBroker({ stateDir, host: options.host, port: options.mqttPort, advertisedHost, ca, authority: registry, logger: log }).catch((e: unknown) => {
      throw stateDirFailure(e, stateDir);
    });
    teardown.add(() => broker.close());
    mqttPort = broker.port;
    rules.attach(broker);
    teardown.add(startRegistryEvents({ onChange: (l) => registry.onChange(l), accountId: registry.account, config: eventConfigurations, publish: (topic, payload) => broker.publish({ topic, payload, qos: 1 }), now: Date.now, onError: (topic, err) => log.debug({ topic, err: err.message }, 'could not publish a registry event') }));
    const traffic = new Traffic();
    attachTraffic(traffic, broker.events);
    const shown = await openConsole({ registry, traffic, shadows: broker.shadows, rules, ca, stateDir, mqttPort: () => mqttPort, advertisedHost, save: () => writer.save(), log }, options, hostInUrl, port, teardown);
    wired.console = shown.app;
    started = true;
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
      ruleCounters: () => rules.ruleCounters(),
      consoleUrl: shown.url,
      close() {
        closing ??= teardown.run().catch((e: unknown) => {
          throw stateDirFailure(e, stateDir);
        });
        return closing;
      },
    };
  } catch (e) {
    await teardown.run().catch(() => undefined);
    throw e;
  }
}
