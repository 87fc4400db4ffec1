/**
 * What the stand-in's MQTT broker asks of the control-plane registry: the contract between
 * src/local/registry.ts (which implements it) and src/local/broker/ (which uses it).
 */
export type CertificateStatus = 'ACTIVE' | 'INACTIVE' | 'REVOKED' | 'PENDING_TRANSFER' | 'REGISTER_INACTIVE' | 'PENDING_ACTIVATION';

export interface AuthorityThing {
  thingName: string;
  thingTypeName?: string;
  attributes: Record<string, string>;
}

export interface BrokerAuthority {
  readonly region: string;
  readonly account: string;
  /** the registered certificate with this id (SHA-256 of its DER), or undefined */
  certificate(certificateId: string): { certificateArn: string; status: CertificateStatus } | undefined;
  /**
   * the policy documents (JSON text) in force for a certificate, by its ARN: those attached to it and,
   * when `clientId` names a thing attached to it, those of the thing's groups
   */
  policyDocuments(certificateArn: string, clientId?: string): string[];
  /** the things a certificate is attached to */
  thingsOf(certificateArn: string): AuthorityThing[];
  /**
   * Called whenever a certificate stops being usable (status leaves ACTIVE, or it is deleted), or its
   * policies change; the broker closes or re-checks the connections that use it. Returns an unsubscribe.
   */
  onCertificateChange(listener: (certificateId: string) => void): () => void;
  /**
   * Certificates (PEM) the broker's TLS trusts besides the stand-in's own CA: registered CA
   * certificates, and certificates registered without a CA (each trusted as itself).
   */
  trustedCertificates?(): string[];
  /** Called whenever trustedCertificates() changes. Returns an unsubscribe. */
  onTrustChange?(listener: () => void): () => void;
}
