import { X509Certificate, createPrivateKey, createPublicKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { certificateIdOf, createCertificateAuthority, issueDeviceCertificate, issueServerCertificate } from '../../src/local/ca.js';

describe('local certificate authority', () => {
  it('issues device certificates that verify against the CA and match their private key', async () => {
    const ca = await createCertificateAuthority();
    const dev = await issueDeviceCertificate(ca);
    const caCert = new X509Certificate(ca.certPem);
    const cert = new X509Certificate(dev.certPem);
    expect(caCert.ca).toBe(true);
    expect(cert.verify(caCert.publicKey)).toBe(true);
    expect(cert.checkPrivateKey(createPrivateKey(dev.privateKey))).toBe(true);
    expect(createPublicKey(dev.publicKey).export({ type: 'spki', format: 'pem' })).toBe(dev.publicKey);
    expect(dev.privateKey).toMatch(/^-----BEGIN RSA PRIVATE KEY-----/);
    expect(dev.certificateId).toMatch(/^[0-9a-f]{64}$/);
    expect(certificateIdOf(dev.certPem)).toBe(dev.certificateId);
    // a certificate from another CA does not verify
    const other = await createCertificateAuthority('other');
    expect(cert.verify(new X509Certificate(other.certPem).publicKey)).toBe(false);
  });

  it('issues server certificates for localhost and 127.0.0.1', async () => {
    const ca = await createCertificateAuthority();
    const srv = await issueServerCertificate(ca);
    const cert = new X509Certificate(srv.certPem);
    expect(cert.checkHost('localhost')).toBe('localhost');
    expect(cert.checkIP('127.0.0.1')).toBe('127.0.0.1');
  });
});
