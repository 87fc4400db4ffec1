import type { AuthorityThing, BrokerAuthority, CertificateStatus } from '../../src/local/authority.js';
import type { IssuedCertificate } from '../../src/local/ca.js';

interface Entry {
  certificateArn: string;
  status: CertificateStatus;
  policies: string[];
  things: AuthorityThing[];
}

export interface RegisterOptions {
  status?: CertificateStatus;
  /** policy documents, as objects or JSON text */
  policies?: (object | string)[];
  /** thing names (no type, no attributes) or full things */
  things?: (string | AuthorityThing)[];
}

/** An in-memory BrokerAuthority: what the control-plane registry would say, driven by the test. */
export class FakeAuthority implements BrokerAuthority {
  readonly region = 'us-east-1';
  readonly account = '123456789012';
  private readonly entries = new Map<string, Entry>();
  private readonly listeners = new Set<(certificateId: string) => void>();

  register(cert: Pick<IssuedCertificate, 'certificateId'>, opts: RegisterOptions = {}): string {
    const certificateArn = `arn:aws:iot:${this.region}:${this.account}:cert/${cert.certificateId}`;
    this.entries.set(cert.certificateId, {
      certificateArn,
      status: opts.status ?? 'ACTIVE',
      policies: (opts.policies ?? []).map((p) => (typeof p === 'string' ? p : JSON.stringify(p))),
      things: (opts.things ?? []).map((t) => (typeof t === 'string' ? { thingName: t, attributes: {} } : t)),
    });
    return certificateArn;
  }

  setStatus(certificateId: string, status: CertificateStatus): void {
    this.entry(certificateId).status = status;
    this.fire(certificateId);
  }

  setPolicies(certificateId: string, policies: (object | string)[]): void {
    this.entry(certificateId).policies = policies.map((p) => (typeof p === 'string' ? p : JSON.stringify(p)));
    this.fire(certificateId);
  }

  remove(certificateId: string): void {
    this.entries.delete(certificateId);
    this.fire(certificateId);
  }

  certificate(certificateId: string) {
    const e = this.entries.get(certificateId);
    return e ? { certificateArn: e.certificateArn, status: e.status } : undefined;
  }

  policyDocuments(certificateArn: string): string[] {
    return [...this.entries.values()].find((e) => e.certificateArn === certificateArn)?.policies ?? [];
  }

  thingsOf(certificateArn: string): AuthorityThing[] {
    return [...this.entries.values()].find((e) => e.certificateArn === certificateArn)?.things ?? [];
  }

  onCertificateChange(listener: (certificateId: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get listenerCount(): number {
    return this.listeners.size;
  }

  private entry(certificateId: string): Entry {
    const e = this.entries.get(certificateId);
    if (!e) throw new Error(`no certificate ${certificateId}`);
    return e;
  }

  private fire(certificateId: string): void {
    for (const l of this.listeners) l(certificateId);
  }
}

/** A policy document with one Allow statement per [actions, resources] pair. */
export function allow(...grants: [string | string[], string | string[]][]): object {
  return { Version: '2012-10-17', Statement: grants.map(([Action, Resource]) => ({ Effect: 'Allow', Action, Resource })) };
}
