import { createHash, createPrivateKey, generateKeyPair, randomBytes, sign as signNative, X509Certificate, type KeyObject } from 'node:crypto';
import { isIP } from 'node:net';
import { promisify } from 'node:util';
import forge from 'node-forge';

/**
 * The stand-in's certificate authority: RSA keys from Node's native crypto, X.509 certificates
 * assembled with node-forge (the TBSCertificate, RFC 5280 §4.1) and signed natively
 * (sha256WithRSAEncryption, RSASSA-PKCS1-v1_5): a forge signature costs ~30 ms of JS on the main
 * thread, a native one ~1 ms. Pure of disk: callers decide where PEMs are kept.
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

/** true for an IPv4 or IPv6 address (an iPAddress SAN), false for a DNS name */
export function isIpAddress(host: string): boolean {
  return isIP(host) !== 0;
}

function serial(): string {
  // positive, 16 bytes
  const b = randomBytes(16);
  b[0] = b[0]! & 0x7f;
  return b.toString('hex');
}

const YEAR_MS = 365 * 24 * 3600 * 1000;

/**
 * Signs `cert` with `key` natively and returns the certificate: forge's own `cert.sign` does the
 * same steps (x509.js) with a JS RSA implementation.
 */
// in node-forge (lib/x509.js) but not in @types/node-forge
const getTBSCertificate = (forge.pki as unknown as { getTBSCertificate(cert: forge.pki.Certificate): forge.asn1.Asn1 }).getTBSCertificate;

function signCertificate(cert: forge.pki.Certificate, key: KeyObject): X509Certificate {
  cert.signatureOid = cert.siginfo.algorithmOid = forge.pki.oids.sha256WithRSAEncryption!;
  cert.tbsCertificate = getTBSCertificate(cert);
  const tbsDer = Buffer.from(forge.asn1.toDer(cert.tbsCertificate).getBytes(), 'binary');
  cert.signature = signNative('sha256', tbsDer, key).toString('binary');
  return new X509Certificate(Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(cert)).getBytes(), 'binary'));
}

/** What issuing needs from a CA, parsed once per CA object (parsing the PEMs costs more than signing). */
interface Issuer {
  key: KeyObject;
  subject: forge.pki.CertificateField[];
  keyIdentifier: string;
}

const issuers = new WeakMap<CertificateAuthority, Issuer>();

function issuerOf(ca: CertificateAuthority): Issuer {
  let issuer = issuers.get(ca);
  if (issuer === undefined) {
    const caCert = forge.pki.certificateFromPem(ca.certPem);
    issuer = { key: createPrivateKey(ca.keyPem), subject: caCert.subject.attributes, keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() };
    issuers.set(ca, issuer);
  }
  return issuer;
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
  return { certPem: signCertificate(cert, createPrivateKey(keys.privateKey)).toString(), keyPem: keys.privateKey };
}

function issue(ca: CertificateAuthority, keys: KeyPairPem, subject: forge.pki.CertificateField[], extensions: object[], years: number): IssuedCertificate {
  const issuer = issuerOf(ca);
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(keys.publicKey);
  cert.serialNumber = serial();
  cert.validity.notBefore = new Date(Date.now() - 3600_000);
  cert.validity.notAfter = new Date(Date.now() + years * YEAR_MS);
  cert.setSubject(subject);
  cert.setIssuer(issuer.subject);
  cert.setExtensions([...extensions, { name: 'authorityKeyIdentifier', keyIdentifier: issuer.keyIdentifier }]);
  const x509 = signCertificate(cert, issuer.key);
  return { ...keys, certPem: x509.toString(), certificateId: certificateIdOf(x509.raw) };
}

/**
 * A device (client) certificate, like CreateKeysAndCertificate: for `keys` (e.g. from a KeyPool,
 * key-pool.ts), or a fresh key pair.
 */
export async function issueDeviceCertificate(ca: CertificateAuthority, keys?: KeyPairPem): Promise<IssuedCertificate> {
  return issue(
    ca,
    keys ?? (await generateRsaKeyPair(2048)),
    [{ name: 'commonName', value: 'AWS IoT Certificate' }],
    [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', clientAuth: true },
    ],
    30,
  );
}

/** A TLS server certificate for the given DNS names and IP addresses. */
export async function issueServerCertificate(ca: CertificateAuthority, hosts: string[] = ['localhost', '127.0.0.1', '::1']): Promise<IssuedCertificate> {
  const altNames = hosts.map((h) => (isIpAddress(h) ? { type: 7, ip: h } : { type: 2, value: h }));
  return issue(
    ca,
    await generateRsaKeyPair(2048),
    [{ name: 'commonName', value: hosts[0] ?? 'localhost' }],
    [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames },
    ],
    10,
  );
}
