import { X509Certificate } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { readIfExists } from '../../util/atomic-write.js';
import { certificateIdOf, issueDeviceCertificate, type CertificateAuthority } from '../ca.js';
import type { Registry } from '../registry/index.js';

/**
 * The console's own MQTT identity: the Test page subscribes and publishes through the broker as an
 * ordinary client, so the same certificate and policy checks apply to it as to any device.
 * - certificate: issued by the stand-in's CA, kept as <state-dir>/console.pem and console.key (0600),
 *   registered (ACTIVE) in the registry on first use, and again if it was deleted;
 * - policy CONSOLE_POLICY: Connect as client id CONSOLE_CLIENT_ID, Publish/Receive on any topic,
 *   Subscribe to any filter. Made on first use only if missing: narrow it (CreatePolicyVersion is not
 *   there yet, so delete and recreate it) and the Test page is held to it.
 */

export const CONSOLE_CLIENT_ID = 'elf-console';
export const CONSOLE_POLICY = 'elf-console';

export interface ConsoleIdentity {
  certPem: string;
  keyPem: string;
  certificateId: string;
}

export function consolePolicyDocument(arnPrefix: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Action: 'iot:Connect', Resource: `${arnPrefix}:client/${CONSOLE_CLIENT_ID}` },
      { Effect: 'Allow', Action: ['iot:Publish', 'iot:Receive'], Resource: `${arnPrefix}:topic/*` },
      { Effect: 'Allow', Action: 'iot:Subscribe', Resource: `${arnPrefix}:topicfilter/*` },
    ],
  });
}

/** Loads (or issues) the console's certificate and makes sure the registry knows it and its policy. */
export async function ensureConsoleIdentity(o: { stateDir: string; ca: CertificateAuthority; registry: Registry; save: () => Promise<void> }): Promise<ConsoleIdentity> {
  const certFile = path.join(o.stateDir, 'console.pem');
  const keyFile = path.join(o.stateDir, 'console.key');
  let [certPem, keyPem] = await Promise.all([readIfExists(certFile), readIfExists(keyFile)]);
  if (certPem === undefined || keyPem === undefined || !new X509Certificate(certPem).verify(new X509Certificate(o.ca.certPem).publicKey)) {
    const issued = await issueDeviceCertificate(o.ca);
    await writeFile(keyFile, issued.privateKey, { mode: 0o600 });
    await writeFile(certFile, issued.certPem, { mode: 0o644 });
    certPem = issued.certPem;
    keyPem = issued.privateKey;
  }
  const certificateId = certificateIdOf(new X509Certificate(certPem).raw);
  const reg = o.registry;
  let changed = false;
  let arn = reg.certificate(certificateId)?.certificateArn;
  if (arn === undefined) {
    const x = new X509Certificate(certPem);
    arn = reg.addCertificate({ certificateId, certificatePem: certPem, active: true, notBefore: Date.parse(x.validFrom), notAfter: Date.parse(x.validTo) }).certificateArn;
    changed = true;
  }
  if (!reg.snapshot().policies.some((p) => p.policyName === CONSOLE_POLICY)) {
    reg.createPolicy({ policyName: CONSOLE_POLICY, policyDocument: consolePolicyDocument(reg.arn(reg.region, '').slice(0, -1)) });
    changed = true;
  }
  if (!reg.listAttachedPolicies(arn).policies.some((p) => p.policyName === CONSOLE_POLICY)) {
    reg.attachPolicy(CONSOLE_POLICY, arn);
    changed = true;
  }
  if (changed) await o.save();
  return { certPem, keyPem, certificateId };
}
