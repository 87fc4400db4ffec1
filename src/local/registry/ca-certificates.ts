import type { X509Certificate } from 'node:crypto';
import { randomBytes } from 'node:crypto';
import { ApiError, invalid, notFound } from '../api-error.js';
import { certificateIdOf } from '../ca.js';
import { page, pageSize } from '../page.js';
import * as valid from '../validate.js';
import { CERTIFICATE_MODES, checkCaRegistration, parseCertificate, signingCa, type CertificateMode } from './ca-rules.js';

/**
 * The CA certificates a user registered (RegisterCACertificate and the rest,
 * https://docs.aws.amazon.com/iot/latest/developerguide/manage-your-CA-certs.html) and the account's
 * registration code. Pure state: the clock and the id source are injected; every method validates
 * completely before it changes anything.
 */

export type CaStatus = 'ACTIVE' | 'INACTIVE';
export type AutoRegistrationStatus = 'ENABLE' | 'DISABLE';

export interface CaCertificateRecord {
  certificateId: string;
  certificateArn: string;
  status: CaStatus;
  certificatePem: string;
  autoRegistrationStatus: AutoRegistrationStatus;
  certificateMode: CertificateMode;
  creationDate: number;
  lastModifiedDate: number;
  customerVersion: number;
  generationId: string;
  notBefore: number;
  notAfter: number;
}

export interface CaSnapshot {
  registrationCode: string;
  caCertificates: CaCertificateRecord[];
}

const seconds = (ms: number): number => ms / 1000;
const byKey = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function oneOf<T extends string>(value: string | undefined, allowed: readonly T[], name: string): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) {
    throw invalid(`1 validation error detected: Value '${value.slice(0, 100)}' at '${name}' failed to satisfy constraint: Member must satisfy enum value set: [${allowed.join(', ')}]`);
  }
  return value as T;
}

export interface RegisterCaInput {
  caCertificate: unknown;
  verificationCertificate?: unknown;
  certificateMode?: string;
  setAsActive?: boolean;
  allowAutoRegistration?: boolean;
}

export class CaCertificates {
  private readonly cas = new Map<string, CaCertificateRecord>();
  private code: string;

  constructor(
    private readonly o: { now: () => number; newId: () => string; arn: (region: string, resource: string) => string; snapshot?: CaSnapshot | undefined },
  ) {
    this.code = o.snapshot?.registrationCode ?? randomBytes(32).toString('hex');
    for (const c of o.snapshot?.caCertificates ?? []) this.cas.set(c.certificateId, { ...c });
  }

  snapshot(): CaSnapshot {
    return { registrationCode: this.code, caCertificates: [...this.cas.values()] };
  }

  /** GetRegistrationCode: the CN a DEFAULT-mode verification certificate must carry. */
  registrationCode(): { registrationCode: string } {
    return { registrationCode: this.code };
  }

  /** DeleteRegistrationCode: a new code from now on. */
  deleteRegistrationCode(): void {
    this.code = randomBytes(32).toString('hex');
  }

  register(input: RegisterCaInput, region: string): { certificateArn: string; certificateId: string } {
    const mode = oneOf(input.certificateMode, CERTIFICATE_MODES, 'certificateMode') ?? 'DEFAULT';
    const x = parseCertificate(input.caCertificate, 'caCertificate');
    const now = this.o.now();
    checkCaRegistration({ ca: x, verificationCertificate: input.verificationCertificate ?? undefined, mode, registrationCode: this.code, now });
    const id = certificateIdOf(x.raw);
    const existing = this.cas.get(id);
    if (existing) throw new ApiError('ResourceAlreadyExistsException', 'The CA certificate is already registered', { resourceId: id, resourceArn: existing.certificateArn });
    const c: CaCertificateRecord = {
      certificateId: id,
      certificateArn: this.o.arn(region, `cacert/${id}`),
      status: input.setAsActive ? 'ACTIVE' : 'INACTIVE',
      certificatePem: x.toString(),
      autoRegistrationStatus: input.allowAutoRegistration ? 'ENABLE' : 'DISABLE',
      certificateMode: mode,
      creationDate: now,
      lastModifiedDate: now,
      customerVersion: 1,
      generationId: this.o.newId(),
      notBefore: Date.parse(x.validFrom),
      notAfter: Date.parse(x.validTo),
    };
    this.cas.set(id, c);
    return { certificateArn: c.certificateArn, certificateId: id };
  }

  get(id: string): CaCertificateRecord {
    const c = this.cas.get(valid.certificateId(id));
    if (!c) throw notFound(`The CA certificate given in the resource id is not registered: ${id}`);
    return c;
  }

  /** the ARN of a registered CA certificate, undefined when there is none with this id */
  arnOf(id: string): string | undefined {
    return /^[0-9a-f]{64}$/.test(id) ? this.cas.get(id)?.certificateArn : undefined;
  }

  describe(id: string) {
    const c = this.get(id);
    return {
      certificateDescription: {
        certificateArn: c.certificateArn,
        certificateId: c.certificateId,
        status: c.status,
        certificatePem: c.certificatePem,
        ownedBy: c.certificateArn.split(':')[4],
        creationDate: seconds(c.creationDate),
        autoRegistrationStatus: c.autoRegistrationStatus,
        lastModifiedDate: seconds(c.lastModifiedDate),
        customerVersion: c.customerVersion,
        generationId: c.generationId,
        validity: { notBefore: seconds(c.notBefore), notAfter: seconds(c.notAfter) },
        certificateMode: c.certificateMode,
      },
      registrationConfig: {},
    };
  }

  list(q: { marker?: string; pageSize?: number; ascendingOrder?: boolean }) {
    const limit = pageSize(q.pageSize, 'pageSize');
    const key = (c: CaCertificateRecord) => `${String(c.creationDate).padStart(16, '0')}:${c.certificateId}`;
    const desc = q.ascendingOrder === false;
    const all = [...this.cas.values()].sort((a, b) => byKey(key(a), key(b)) * (desc ? -1 : 1));
    const p = page(all, key, q.marker, limit, desc, 'marker');
    return {
      certificates: p.items.map((c) => ({ certificateArn: c.certificateArn, certificateId: c.certificateId, status: c.status, creationDate: seconds(c.creationDate) })),
      nextMarker: p.next,
    };
  }

  /** UpdateCACertificate; true when something changed. */
  update(id: string, q: { newStatus?: string; newAutoRegistrationStatus?: string }): boolean {
    const status = oneOf<CaStatus>(q.newStatus, ['ACTIVE', 'INACTIVE'], 'newStatus');
    const auto = oneOf<AutoRegistrationStatus>(q.newAutoRegistrationStatus, ['ENABLE', 'DISABLE'], 'newAutoRegistrationStatus');
    const c = this.get(id);
    const changed = (status !== undefined && status !== c.status) || (auto !== undefined && auto !== c.autoRegistrationStatus);
    if (!changed) return false;
    if (status !== undefined) c.status = status;
    if (auto !== undefined) c.autoRegistrationStatus = auto;
    c.lastModifiedDate = this.o.now();
    c.customerVersion += 1;
    return true;
  }

  /** DeleteCACertificate: refused while ACTIVE, or while certificates it signed are registered (`signed` counts them). */
  delete(id: string, signed: (caCertificateId: string) => number): void {
    const c = this.get(id);
    if (c.status === 'ACTIVE') throw new ApiError('CertificateStateException', `The CA certificate must be deactivated (not ACTIVE) before deletion. Id: ${c.certificateId}`);
    const n = signed(c.certificateId);
    if (n > 0) throw new ApiError('CertificateStateException', `The CA certificate ${c.certificateId} cannot be deleted: ${n} registered certificate(s) it signed must be deleted first`);
    this.cas.delete(c.certificateId);
  }

  /** RegisterCertificate: the registered, ACTIVE CA that signed `device` (see ca-rules.ts). */
  signerOf(device: X509Certificate, caCertificatePem?: unknown): CaCertificateRecord {
    return signingCa(device, [...this.cas.values()], caCertificatePem);
  }

  /** every registered CA certificate (PEM), whatever its status: certificates it signed keep working when it is INACTIVE */
  pems(): string[] {
    return [...this.cas.values()].map((c) => c.certificatePem);
  }

  count(): number {
    return this.cas.size;
  }
}
