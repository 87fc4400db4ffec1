import { invalid } from '../api-error.js';
import type { CertificateStatus } from '../authority.js';
import type { CaCertificates } from './ca-certificates.js';
import { checkValidity, parseCertificate } from './ca-rules.js';
import type { Certificates } from './certificates.js';
import type { RegistryState } from './types.js';

/**
 * Device certificates made outside the stand-in: RegisterCertificate (signed by a registered CA,
 * https://docs.aws.amazon.com/iot/latest/apireference/API_RegisterCertificate.html) and
 * RegisterCertificateWithoutCA (https://docs.aws.amazon.com/iot/latest/apireference/API_RegisterCertificateWithoutCA.html).
 */

/** The statuses a registration may ask for (model doc of RegisterCertificate's `status`). */
const REGISTER_STATUSES: readonly CertificateStatus[] = ['ACTIVE', 'INACTIVE', 'REVOKED'];

function statusOf(status: unknown, setAsActive: boolean | undefined): CertificateStatus {
  if (status === undefined || status === null) return setAsActive ? 'ACTIVE' : 'INACTIVE';
  if (typeof status !== 'string' || !(REGISTER_STATUSES as readonly string[]).includes(status)) {
    throw invalid(`Invalid status ${String(status).slice(0, 50)}: a certificate can be registered as ${REGISTER_STATUSES.join(', ')}`);
  }
  return status as CertificateStatus;
}

export class Registration {
  constructor(
    private readonly s: RegistryState,
    private readonly certs: Certificates,
    private readonly cas: CaCertificates,
  ) {}

  registerCertificate(input: { certificatePem: unknown; caCertificatePem?: unknown; status?: unknown; setAsActive?: boolean }, region = this.s.region) {
    const x = parseCertificate(input.certificatePem, 'certificatePem');
    const status = statusOf(input.status, input.setAsActive);
    checkValidity(x, this.s.now(), 'certificate');
    const ca = this.cas.signerOf(x, input.caCertificatePem ?? undefined);
    // registered in the same certificate mode as the signing CA (model doc)
    return this.certs.register({ x509: x, status, caCertificateId: ca.certificateId, certificateMode: ca.certificateMode }, region);
  }

  registerWithoutCa(input: { certificatePem: unknown; status?: unknown }, region = this.s.region) {
    const x = parseCertificate(input.certificatePem, 'certificatePem');
    const status = statusOf(input.status, undefined);
    checkValidity(x, this.s.now(), 'certificate');
    return this.certs.register({ x509: x, status, certificateMode: 'SNI_ONLY' }, region);
  }

  /** what the broker's TLS trusts besides the stand-in's CA: registered CAs, and CA-less certificates as themselves */
  trusted(): string[] {
    const caLess = [...this.s.certificates.values()].filter((c) => c.certificateMode === 'SNI_ONLY' && c.caCertificateId === undefined).map((c) => c.certificatePem);
    return [...this.cas.pems(), ...caLess];
  }
}
