import { createHash, generateKeyPair, randomBytes, X509Certificate } from 'node:crypto';
import { promisify } from 'node:util';
import forge from 'node-forge';

/**
 * The stand-in's certificate authority: RSA keys from Node's native crypto, X.509 certificates
 * assembled and signed with node-forge. Pure of disk: callers decide where PEMs are kept.
 */

const generateKeyPairAsync = promisify(generateKeyPair);

export interface KeyPairPem {
  /** SPKI "BEGIN PUBLIC KEY", as AWS returns it */
  publicKey: string;
  /** PKCS#1 "BEGIN RSA PRIVATE KEY", as AWS returns it */
  privateKey: string;
}

export interface CertificateAuthority {
  certPem: string;
  keyPem: string;
}

export interface IssuedCertificate extends KeyPairPem {
  certPem: string;
  /** SHA-256 of the certificate's DER, lower-case hex: AWS's certificateId */
  certificateId: string;
}

export async function generateRsaKeyPair(bits = 2048): Promise<KeyPairPem> {
  const { publicKey, privateKey } = await generateKeyPairAsync('rsa', {
    modulusLength: bits,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
  });
  return { publicKey, privateKey };
}

/** AWS's certificateId: the SHA-256 of the certificate's DER encoding. */
export function certificateIdOf(certPem: string | Buffer): string {
  const der = typeof certPem === 'string' ? new X509Certificate(certPem).raw : certPem;
  return createHash('sha256').update(der).digest('hex');
}

function serial(): string {
  // positive, 16 bytes
  const b = randomBytes(16);
  b[0] = b[0]! & 0x7f;
  return b.toString('hex');
}

const YEAR_MS = 365 * 24 * 3600 * 1000;

function sign(cert: forge.pki.Certificate, caKeyPem: string): string {
  cert.sign(forge.pki.privateKeyFromPem(caKeyPem), forge.md.sha256.create());
  return forge.pki.certificateToPem(cert);
}

export async function createCertificateAuthority(commonName = 'elf local IoT Core stand-in CA'): Promise<CertificateAuthority> {
  const keys = await generateRsaKeyPair(2048);
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(keys.publicKey);
  cert.serialNumber = serial();
  cert.validity.notBefore = new Date(Date.now() - 3600_000);
  cert.validity.notAfter = new Date(Date.now() + 20 * YEAR_MS);
  const name = [{ name: 'commonName', value: commonName }, { name: 'organizationName', value: 'elf' }];
  cert.setSubject(name);
  cert.setIssuer(name);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  return { certPem: sign(cert, keys.privateKey), keyPem: keys.privateKey };
}

function issue(ca: CertificateAuthority, publicKeyPem: string, subject: forge.pki.CertificateField[], extensions: object[], years: number): string {
  const caCert = forge.pki.certificateFromPem(ca.certPem);
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKeyPem);
  cert.serialNumber = serial();
  cert.validity.notBefore = new Date(Date.now() - 3600_000);
  cert.validity.notAfter = new Date(Date.now() + years * YEAR_MS);
  cert.setSubject(subject);
  cert.setIssuer(caCert.subject.attributes);
  cert.setExtensions([...extensions, { name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() }]);
  return sign(cert, ca.keyPem);
}

/** A device (client) certificate with a fresh key pair, like CreateKeysAndCertificate. */
export async function issueDeviceCertificate(ca: CertificateAuthority): Promise<IssuedCertificate> {
  const keys = await generateRsaKeyPair(2048);
  const certPem = issue(
    ca,
    keys.publicKey,
    [{ name: 'commonName', value: 'AWS IoT Certificate' }],
    [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', clientAuth: true },
    ],
    30,
  );
  return { ...keys, certPem, certificateId: certificateIdOf(certPem) };
}

/** A TLS server certificate for the given DNS names and IP addresses. */
export async function issueServerCertificate(ca: CertificateAuthority, hosts: string[] = ['localhost', '127.0.0.1', '::1']): Promise<IssuedCertificate> {
  const keys = await generateRsaKeyPair(2048);
  const altNames = hosts.map((h) => (/^[\d.]+$/.test(h) || h.includes(':') ? { type: 7, ip: h } : { type: 2, value: h }));
  const certPem = issue(
    ca,
    keys.publicKey,
    [{ name: 'commonName', value: hosts[0] ?? 'localhost' }],
    [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames },
    ],
    10,
  );
  return { ...keys, certPem, certificateId: certificateIdOf(certPem) };
}
