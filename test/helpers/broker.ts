import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startBroker, type RunningBroker } from '../../src/local/broker/index.js';
import { createCertificateAuthority, issueDeviceCertificate, issueServerCertificate, type CertificateAuthority, type IssuedCertificate } from '../../src/local/ca.js';
import { createLogger } from '../../src/log.js';
import { allow, FakeAuthority } from './fake-authority.js';
import type { Endpoint, Files } from './mqtt-clients.js';

/**
 * The stand-in's broker in-process, for broker tests: a fresh CA, a server certificate, a
 * FakeAuthority to register device certificates and policies in, the broker on a free loopback
 * port, and a temp dir holding `ca.pem` (for mosquitto clients). Typical use:
 *
 *   let b: TestBroker;
 *   beforeAll(async () => { b = await startTestBroker(); });
 *   afterAll(() => b?.close());
 *   ... const c = await b.registered(everything); await mqttjsTry(b.ep, c, 'id');
 *
 * ELF_TEST_LOG=debug shows the broker's log.
 */

/** The ARN prefix of the FakeAuthority's region and account. */
export const R = 'arn:aws:iot:us-east-1:123456789012';
/** A policy allowing connect, publish, subscribe and receive on everything. */
export const everything = allow([['iot:Connect', 'iot:Publish', 'iot:Subscribe', 'iot:Receive'], 'arn:aws:iot:us-east-1:*:*']);

export interface TestBroker {
  ca: CertificateAuthority;
  broker: RunningBroker;
  authority: FakeAuthority;
  ep: Endpoint;
  /** a temp dir with `ca.pem`, removed by close() */
  dir: string;
  /** a fresh device certificate from the CA, not registered (RSA-2048: ~80 ms) */
  cert(): Promise<IssuedCertificate>;
  /** a fresh device certificate, registered ACTIVE with these policies */
  registered(...policies: object[]): Promise<IssuedCertificate>;
  /** writes a certificate and its key (0600) into dir, for mosquitto clients */
  files(c: IssuedCertificate): Files;
  close(): Promise<void>;
}

export async function startTestBroker(opts: { now?: () => number; dirPrefix?: string } = {}): Promise<TestBroker> {
  const ca = await createCertificateAuthority();
  const server = await issueServerCertificate(ca);
  const authority = new FakeAuthority();
  const broker = await startBroker({
    host: '127.0.0.1',
    port: 0,
    ca,
    server: { certPem: server.certPem, keyPem: server.privateKey },
    authority,
    logger: createLogger({ level: (process.env.ELF_TEST_LOG as 'debug' | undefined) ?? 'silent', pretty: false }),
    ...(opts.now ? { now: opts.now } : {}),
  });
  const dir = mkdtempSync(path.join(os.tmpdir(), opts.dirPrefix ?? 'elf-broker-'));
  writeFileSync(path.join(dir, 'ca.pem'), ca.certPem);
  const cert = () => issueDeviceCertificate(ca);
  return {
    ca,
    broker,
    authority,
    ep: { host: '127.0.0.1', port: broker.port, caPem: ca.certPem },
    dir,
    cert,
    async registered(...policies) {
      const c = await cert();
      authority.register(c, { policies });
      return c;
    },
    files(c) {
      const certPath = path.join(dir, `${c.certificateId}.pem`);
      const keyPath = path.join(dir, `${c.certificateId}.key`);
      writeFileSync(certPath, c.certPem);
      writeFileSync(keyPath, c.privateKey, { mode: 0o600 });
      return { ca: path.join(dir, 'ca.pem'), cert: certPath, key: keyPath };
    },
    async close() {
      await broker.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
