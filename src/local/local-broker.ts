import { X509Certificate } from 'node:crypto';
import path from 'node:path';
import { ElfError } from '../errors.js';
import type { Logger } from '../log.js';
import type { BrokerAuthority } from './authority.js';
import { startBroker, type RunningBroker } from './broker/index.js';
import { isIpAddress, issueServerCertificate, type CertificateAuthority } from './ca.js';
import { ShadowService } from './shadow.js';
import { readIfExists, writeFileAtomic } from '../util/atomic-write.js';
import { CoalescingWriter } from './store.js';

/**
 * The broker as `elf local` runs it: its TLS server certificate (issued by the stand-in's CA for
 * localhost, 127.0.0.1, ::1 and the advertised host) and the device shadows are kept in the state
 * dir, so that restarts keep both.
 */

export const BROKER_CERT_FILE = 'broker.pem';
export const BROKER_KEY_FILE = 'broker.key';
export const SHADOWS_FILE = 'shadows.json';

export interface LocalBrokerOptions {
  stateDir: string;
  /** address to listen on */
  host: string;
  port: number;
  /** the host clients are told to dial (DescribeEndpoint); the server certificate names it */
  advertisedHost: string;
  ca: CertificateAuthority;
  authority: BrokerAuthority;
  logger: Logger;
}

const DEFAULT_HOSTS = ['localhost', '127.0.0.1', '::1'];

function usable(certPem: string, ca: CertificateAuthority, hosts: string[]): boolean {
  try {
    const cert = new X509Certificate(certPem);
    if (!cert.verify(new X509Certificate(ca.certPem).publicKey)) return false;
    if (Date.parse(cert.validTo) < Date.now() + 24 * 3600_000) return false;
    return hosts.every((h) => (isIpAddress(h) ? cert.checkIP(h) !== undefined : cert.checkHost(h) !== undefined));
  } catch {
    return false;
  }
}

/** The broker's certificate and key from the state dir, issued anew when missing, from another CA, or not naming every host. */
export async function loadOrIssueServerCertificate(stateDir: string, ca: CertificateAuthority, hosts: string[], log: Logger): Promise<{ certPem: string; keyPem: string }> {
  const certFile = path.join(stateDir, BROKER_CERT_FILE);
  const keyFile = path.join(stateDir, BROKER_KEY_FILE);
  const [certPem, keyPem] = await Promise.all([readIfExists(certFile), readIfExists(keyFile)]);
  if (certPem !== undefined && keyPem !== undefined && usable(certPem, ca, hosts)) return { certPem, keyPem };
  const issued = await issueServerCertificate(ca, hosts);
  await writeFileAtomic(keyFile, issued.privateKey, { mode: 0o600 });
  await writeFileAtomic(certFile, issued.certPem, { mode: 0o644 });
  log.info({ cert: certFile, hosts }, 'issued the broker a TLS certificate from the local CA');
  return { certPem: issued.certPem, keyPem: issued.privateKey };
}

async function loadShadows(file: string, service: ShadowService, log: Logger): Promise<void> {
  const text = await readIfExists(file);
  if (text === undefined) return;
  try {
    service.restore(JSON.parse(text) as Record<string, unknown>);
  } catch (e) {
    // shadows are a convenience, not the registry: start empty rather than refuse to start
    log.warn({ file, err: (e as Error).message }, 'ignoring a shadow file that does not parse');
  }
}

export async function startLocalBroker(opts: LocalBrokerOptions): Promise<RunningBroker> {
  const hosts = [...new Set([...DEFAULT_HOSTS, opts.advertisedHost])];
  const server = await loadOrIssueServerCertificate(opts.stateDir, opts.ca, hosts, opts.logger);
  const shadowFile = path.join(opts.stateDir, SHADOWS_FILE);
  const writer: CoalescingWriter = new CoalescingWriter(() => writeFileAtomic(shadowFile, JSON.stringify(shadows.snapshot())));
  const shadows: ShadowService = new ShadowService({
    onChange: () => {
      writer.save().catch((e: Error) => opts.logger.warn({ file: shadowFile, err: e.message }, 'could not save shadows'));
    },
  });
  await loadShadows(shadowFile, shadows, opts.logger);
  let broker: RunningBroker;
  try {
    broker = await startBroker({ host: opts.host, port: opts.port, ca: opts.ca, server, authority: opts.authority, logger: opts.logger, shadows });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new ElfError(`--mqtt-port ${opts.port} on ${opts.host} is already in use`);
    if (code === 'EADDRNOTAVAIL') throw new ElfError(`cannot listen on ${opts.host}: address not available`);
    if (code === 'EACCES') throw new ElfError(`not allowed to listen on port ${opts.port} (--mqtt-port); pick one above 1023`);
    throw e;
  }
  return {
    ...broker,
    async close() {
      await broker.close();
      await writer.idle();
    },
  };
}
