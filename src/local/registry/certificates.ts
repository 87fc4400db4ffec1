import type { X509Certificate } from 'node:crypto';
import { ApiError, invalid, notFound } from '../api-error.js';
import { certificateIdOf } from '../ca.js';
import type { CertificateMode } from './ca-rules.js';
import type { CertificateStatus } from '../authority.js';
import { page, pageSize } from '../page.js';
import * as valid from '../validate.js';
import { arn, byName, CERTIFICATE_STATUSES, seconds, type CertificateRecord, type MarkerPaging, type RegistryState } from './types.js';

const CERT_ARN = /^arn:aws[a-z-]*:iot:[^:]*:[^:]*:cert\/([0-9a-fA-F]{64})$/;

const copy = (c: CertificateRecord): CertificateRecord => ({ ...c });

/** Certificates: the CA's issued ones (CreateKeysAndCertificate), Describe/Update/Delete/ListCertificates. */
export class Certificates {
  constructor(private readonly s: RegistryState) {}

  get(id: string): CertificateRecord {
    const c = this.s.certificates.get(valid.certificateId(id));
    if (!c) throw notFound(`The certificate given in the resource id is not registered: ${id}`);
    return c;
  }

  /** A principal/target given as a certificate ARN → the registered certificate. */
  principal(certArn: unknown, what = 'principal'): CertificateRecord {
    if (typeof certArn !== 'string' || certArn === '') throw invalid(`${what} is required`);
    const m = CERT_ARN.exec(certArn);
    if (!m) {
      if (certArn.startsWith('arn:')) throw notFound(`The ${what} does not exist: ${certArn}`);
      throw invalid(`Invalid ${what}: ${certArn.slice(0, 200)}; the stand-in accepts certificate ARNs`);
    }
    const c = this.s.certificates.get(m[1]!.toLowerCase());
    if (!c) throw notFound(`The certificate given in the ${what} does not exist: ${certArn}`);
    return c;
  }

  /** Registers a certificate the CA has just issued (CreateKeysAndCertificate). */
  add(input: { certificateId: string; certificatePem: string; active: boolean; notBefore: number; notAfter: number }, region = this.s.region) {
    const id = valid.certificateId(input.certificateId);
    const existing = this.s.certificates.get(id);
    if (existing) throw new ApiError('ResourceAlreadyExistsException', `The certificate is already provisioned or registered`, { resourceId: id, resourceArn: existing.certificateArn });
    const now = this.s.now();
    const c: CertificateRecord = {
      certificateId: id,
      certificateArn: arn(this.s, region, `cert/${id}`),
      status: input.active ? 'ACTIVE' : 'INACTIVE',
      certificatePem: input.certificatePem,
      creationDate: now,
      lastModifiedDate: now,
      customerVersion: 1,
      generationId: this.s.newId(),
      notBefore: input.notBefore,
      notAfter: input.notAfter,
    };
    this.s.certificates.set(id, c);
    this.s.changed({ kind: 'certificate', op: 'created', id, certificate: copy(c) });
    return { certificateArn: c.certificateArn, certificateId: id, certificatePem: c.certificatePem };
  }

  /** RegisterCertificate / RegisterCertificateWithoutCA: a certificate made elsewhere, already checked (ca-rules.ts). */
  register(input: { x509: X509Certificate; status: CertificateStatus; caCertificateId?: string; certificateMode: CertificateMode }, region = this.s.region) {
    const id = certificateIdOf(input.x509.raw);
    const existing = this.s.certificates.get(id);
    if (existing) throw new ApiError('ResourceAlreadyExistsException', `The certificate is already provisioned or registered`, { resourceId: id, resourceArn: existing.certificateArn });
    const now = this.s.now();
    const c: CertificateRecord = {
      certificateId: id,
      certificateArn: arn(this.s, region, `cert/${id}`),
      status: input.status,
      certificatePem: input.x509.toString(),
      creationDate: now,
      lastModifiedDate: now,
      customerVersion: 1,
      generationId: this.s.newId(),
      notBefore: Date.parse(input.x509.validFrom),
      notAfter: Date.parse(input.x509.validTo),
      ...(input.caCertificateId !== undefined ? { caCertificateId: input.caCertificateId } : {}),
      certificateMode: input.certificateMode,
    };
    this.s.certificates.set(id, c);
    this.s.changed({ kind: 'certificate', op: 'created', id, certificate: copy(c) });
    return { certificateArn: c.certificateArn, certificateId: id };
  }

  /** how many registered certificates this CA signed (DeleteCACertificate refuses while any are) */
  signedBy(caCertificateId: string): number {
    let n = 0;
    for (const c of this.s.certificates.values()) if (c.caCertificateId === caCertificateId) n++;
    return n;
  }

  describe(id: string) {
    const c = this.get(id);
    return {
      certificateDescription: {
        certificateArn: c.certificateArn,
        certificateId: c.certificateId,
        caCertificateId: c.caCertificateId,
        status: c.status,
        certificatePem: c.certificatePem,
        ownedBy: this.s.account,
        creationDate: seconds(c.creationDate),
        lastModifiedDate: seconds(c.lastModifiedDate),
        customerVersion: c.customerVersion,
        transferData: {},
        generationId: c.generationId,
        validity: { notBefore: seconds(c.notBefore), notAfter: seconds(c.notAfter) },
        certificateMode: c.certificateMode ?? 'DEFAULT',
      },
    };
  }

  update(id: string, newStatus: string | undefined): void {
    if (newStatus === undefined || newStatus === '') throw invalid('newStatus is required');
    if (!(CERTIFICATE_STATUSES as readonly string[]).includes(newStatus)) {
      throw invalid(`1 validation error detected: Value '${newStatus.slice(0, 100)}' at 'newStatus' failed to satisfy constraint: Member must satisfy enum value set: [${CERTIFICATE_STATUSES.join(', ')}]`);
    }
    const c = this.get(id);
    // model doc: PENDING_TRANSFER and PENDING_ACTIVATION "are not meant to be used by developers"
    if (newStatus === 'PENDING_TRANSFER' || newStatus === 'PENDING_ACTIVATION') throw invalid(`Setting the status to ${newStatus} is not allowed`);
    if (c.status === 'REVOKED' || c.status === 'PENDING_TRANSFER') {
      throw new ApiError('CertificateStateException', `Certificate ${c.certificateId} is ${c.status}; its status cannot be changed`);
    }
    if (c.status === newStatus) return;
    c.status = newStatus as CertificateStatus;
    c.lastModifiedDate = this.s.now();
    this.s.changed({ kind: 'certificate', op: 'updated', id: c.certificateId, certificate: copy(c) });
  }

  delete(id: string, forceDelete = false): void {
    const c = this.get(id);
    if (c.status === 'ACTIVE') {
      throw new ApiError('CertificateStateException', `Certificate must be deactivated (not ACTIVE) before deletion. Id: ${c.certificateId}`);
    }
    // forceDelete waives only the attached-policy check (model doc of DeleteCertificate)
    if (this.s.thingPrincipals.to(c.certificateArn).length > 0) {
      throw new ApiError('DeleteConflictException', `Things must be detached before deletion (arn: ${c.certificateArn})`);
    }
    const policies = this.s.policyTargets.to(c.certificateArn);
    if (policies.length > 0 && !forceDelete) {
      throw new ApiError('DeleteConflictException', `Certificate policies must be detached before deletion (arn: ${c.certificateArn})`);
    }
    for (const p of policies) {
      this.s.policyTargets.delete(p, c.certificateArn);
      this.s.changed({ kind: 'attachment', op: 'deleted', attachment: 'policy', name: p, target: c.certificateArn, certificateId: c.certificateId });
    }
    this.s.certificates.delete(c.certificateId);
    this.s.changed({ kind: 'certificate', op: 'deleted', id: c.certificateId, certificate: copy(c) });
  }

  list(q: MarkerPaging = {}) {
    const limit = pageSize(q.pageSize, 'pageSize');
    const key = (c: CertificateRecord) => `${String(c.creationDate).padStart(16, '0')}:${c.certificateId}`;
    const desc = q.ascendingOrder === false;
    const all = [...this.s.certificates.values()].sort((a, b) => byName(key(a), key(b)) * (desc ? -1 : 1));
    const p = page(all, key, q.marker, limit, desc, 'marker');
    return {
      certificates: p.items.map((c) => ({ certificateArn: c.certificateArn, certificateId: c.certificateId, status: c.status, creationDate: seconds(c.creationDate), certificateMode: c.certificateMode ?? 'DEFAULT' })),
      nextMarker: p.next,
    };
  }
}
