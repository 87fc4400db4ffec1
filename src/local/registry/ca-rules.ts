import { X509Certificate } from 'node:crypto';
import { ApiError, invalid } from '../api-error.js';

/**
 * The certificate checks of CA registration and device-certificate registration, AWS IoT's way
 * (https://docs.aws.amazon.com/iot/latest/developerguide/manage-your-CA-certs.html,
 * https://docs.aws.amazon.com/iot/latest/developerguide/manual-cert-registration.html;
 * docs/aws-iot-facts.md#ca-certificates): a CA certificate is an X.509 CA; in DEFAULT mode its owner
 * proves it holds the CA's key with a verification certificate whose subject CN is the account's
 * registration code, signed by the CA; a device certificate registered with RegisterCertificate must
 * be signed by a registered CA. Pure: certificates in, decisions out.
 */

export type CertificateMode = 'DEFAULT' | 'SNI_ONLY';
export const CERTIFICATE_MODES: readonly CertificateMode[] = ['DEFAULT', 'SNI_ONLY'];

/** What these rules need of a registered CA. */
export interface RegisteredCa {
  certificateId: string;
  certificatePem: string;
  status: 'ACTIVE' | 'INACTIVE';
}

const validation = (message: string): ApiError => new ApiError('CertificateValidationException', message);

/** A PEM certificate, parsed; anything else is CertificateValidationException naming `what`. */
export function parseCertificate(pem: unknown, what: string): X509Certificate {
  if (typeof pem !== 'string' || pem.trim() === '') throw invalid(`${what} is required`);
  if (pem.length > 65536) throw invalid(`${what} is longer than 65536 characters`);
  try {
    return new X509Certificate(pem);
  } catch {
    throw validation(`The ${what} is not a valid PEM-encoded X.509 certificate`);
  }
}

/** The subject's common name, or undefined. */
export function commonName(x: X509Certificate): string | undefined {
  for (const line of x.subject.split('\n')) if (line.startsWith('CN=')) return line.slice(3);
  return undefined;
}

/** RegisterCACertificate's checks of the CA itself and of the mode's verification rule. */
export function checkCaRegistration(input: { ca: X509Certificate; verificationCertificate?: unknown; mode: CertificateMode; registrationCode: string; now: number }): void {
  const { ca } = input;
  if (!ca.ca) throw validation('The certificate is not a CA certificate (basicConstraints CA:TRUE is missing)');
  checkValidity(ca, input.now, 'CA certificate');
  if (input.mode === 'SNI_ONLY') {
    // model doc of RegisterCACertificate: the verification certificate is not used in SNI_ONLY mode
    if (input.verificationCertificate !== undefined) throw invalid('verificationCertificate must not be given with certificateMode SNI_ONLY');
    return;
  }
  if (input.verificationCertificate === undefined) throw invalid('verificationCertificate is required with certificateMode DEFAULT');
  const v = parseCertificate(input.verificationCertificate, 'verification certificate');
  if (!v.checkIssued(ca) || !v.verify(ca.publicKey)) {
    throw new ApiError('RegistrationCodeValidationException', 'The verification certificate is not signed by the CA certificate');
  }
  if (commonName(v) !== input.registrationCode) {
    throw new ApiError('RegistrationCodeValidationException', 'The common name of the verification certificate is not the registration code (GetRegistrationCode)');
  }
}

export function checkValidity(x: X509Certificate, now: number, what: string): void {
  if (Date.parse(x.validTo) < now) throw validation(`The ${what} has expired`);
  if (Date.parse(x.validFrom) > now) throw validation(`The ${what} is not valid yet`);
}

/**
 * RegisterCertificate: the registered CA that signed `device`. With `caPem` only that CA is
 * considered (the model doc: needed when several registered CAs share a subject).
 */
export function signingCa<T extends RegisteredCa>(device: X509Certificate, cas: readonly T[], caPem?: unknown): T {
  let candidates = cas;
  if (caPem !== undefined && caPem !== null) {
    const given = parseCertificate(caPem, 'CA certificate');
    candidates = cas.filter((c) => new X509Certificate(c.certificatePem).fingerprint256 === given.fingerprint256);
    if (candidates.length === 0) throw validation('The CA certificate given in caCertificatePem is not registered');
  }
  const signers = candidates.filter((c) => {
    const x = new X509Certificate(c.certificatePem);
    return device.checkIssued(x) && device.verify(x.publicKey);
  });
  if (signers.length === 0) throw validation('The certificate is not signed by a registered CA certificate');
  if (signers.length > 1) {
    throw new ApiError('CertificateConflictException', 'Several registered CA certificates could have signed the certificate; give the signing one in caCertificatePem');
  }
  const ca = signers[0]!;
  if (ca.status !== 'ACTIVE') throw new ApiError('CertificateStateException', `The CA certificate ${ca.certificateId} that signed the certificate is not ACTIVE`);
  return ca;
}
