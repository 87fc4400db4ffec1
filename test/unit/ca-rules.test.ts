import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkCaRegistration, parseCertificate, signingCa } from '../../src/local/registry/ca-rules.js';
import { opensslCa, type OpensslCa, type OpensslCertificate } from '../helpers/openssl-ca.js';
import { errorOf } from '../helpers/api-errors.js';

const CODE = 'a'.repeat(64);
let dir: string;
let ca: OpensslCa;
let other: OpensslCa;
let twin: OpensslCa; // same subject as `ca`, another key
let device: OpensslCertificate;
let verification: OpensslCertificate;


beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'elf-ca-rules-'));
  [ca, other, twin] = await Promise.all([opensslCa(dir, 'user'), opensslCa(dir, 'other'), opensslCa(dir, 'twin', '/CN=user root/O=elf test user')]);
  [device, verification] = await Promise.all([ca.issue('device', 'device-1'), ca.issue('verify', CODE)]);
  now = Date.now() + 1000;
}, 60_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

const x = (pem: string) => new X509Certificate(pem);
let now = 0;

describe('CA registration', () => {
  it('DEFAULT mode wants a verification certificate with the registration code as CN, signed by the CA', () => {
    expect(() => checkCaRegistration({ ca: x(ca.certPem), verificationCertificate: verification.certPem, mode: 'DEFAULT', registrationCode: CODE, now })).not.toThrow();
    expect(errorOf(() => checkCaRegistration({ ca: x(ca.certPem), mode: 'DEFAULT', registrationCode: CODE, now })).errorName).toBe('InvalidRequestException');
    expect(errorOf(() => checkCaRegistration({ ca: x(ca.certPem), verificationCertificate: verification.certPem, mode: 'DEFAULT', registrationCode: 'b'.repeat(64), now })).errorName).toBe('RegistrationCodeValidationException');
    expect(errorOf(() => checkCaRegistration({ ca: x(other.certPem), verificationCertificate: verification.certPem, mode: 'DEFAULT', registrationCode: CODE, now })).errorName).toBe('RegistrationCodeValidationException');
  });

  it('SNI_ONLY mode takes no verification certificate', () => {
    expect(() => checkCaRegistration({ ca: x(ca.certPem), mode: 'SNI_ONLY', registrationCode: CODE, now })).not.toThrow();
    expect(errorOf(() => checkCaRegistration({ ca: x(ca.certPem), verificationCertificate: verification.certPem, mode: 'SNI_ONLY', registrationCode: CODE, now })).errorName).toBe('InvalidRequestException');
  });

  it('refuses a certificate that is not a CA, an expired CA, and text that is no certificate', () => {
    expect(errorOf(() => checkCaRegistration({ ca: x(device.certPem), mode: 'SNI_ONLY', registrationCode: CODE, now })).errorName).toBe('CertificateValidationException');
    expect(errorOf(() => checkCaRegistration({ ca: x(ca.certPem), mode: 'SNI_ONLY', registrationCode: CODE, now: now + 2 * 365 * 86400_000 })).errorName).toBe('CertificateValidationException');
    expect(errorOf(() => parseCertificate('-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----', 'CA certificate')).errorName).toBe('CertificateValidationException');
    expect(errorOf(() => parseCertificate(undefined, 'caCertificate')).errorName).toBe('InvalidRequestException');
  });
});

describe('RegisterCertificate: the signing CA', () => {
  const reg = (c: OpensslCa, id: string, status: 'ACTIVE' | 'INACTIVE' = 'ACTIVE') => ({ certificateId: id, certificatePem: c.certPem, status });

  it('is the registered CA whose key signed the certificate', () => {
    expect(signingCa(x(device.certPem), [reg(other, 'o'), reg(ca, 'u')]).certificateId).toBe('u');
    expect(signingCa(x(device.certPem), [reg(twin, 't'), reg(ca, 'u')]).certificateId).toBe('u');
    expect(signingCa(x(device.certPem), [reg(twin, 't'), reg(ca, 'u')], ca.certPem).certificateId).toBe('u');
  });

  it('none registered, or a caCertificatePem that is not registered: CertificateValidationException', () => {
    expect(errorOf(() => signingCa(x(device.certPem), [reg(other, 'o')])).errorName).toBe('CertificateValidationException');
    expect(errorOf(() => signingCa(x(device.certPem), [reg(ca, 'u')], other.certPem)).errorName).toBe('CertificateValidationException');
  });

  it('an INACTIVE signing CA: CertificateStateException', () => {
    expect(errorOf(() => signingCa(x(device.certPem), [reg(ca, 'u', 'INACTIVE')])).errorName).toBe('CertificateStateException');
  });
});
