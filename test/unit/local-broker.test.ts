import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCertificateAuthority, type CertificateAuthority } from '../../src/local/ca.js';
import { loadOrIssueServerCertificate } from '../../src/local/local-broker.js';
import { createLogger } from '../../src/log.js';

const log = createLogger({ level: 'silent' });
let dir: string;
let ca: CertificateAuthority;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'elf-broker-cert-'));
  ca = await createCertificateAuthority();
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('the broker certificate in the state dir', () => {
  it('is issued once (key 0600), reused, and reissued for another CA or a host it does not name', async () => {
    const hosts = ['localhost', '127.0.0.1', '::1'];
    const first = await loadOrIssueServerCertificate(dir, ca, hosts, log);
    expect((await stat(path.join(dir, 'broker.key'))).mode & 0o777).toBe(0o600);
    expect(await readFile(path.join(dir, 'broker.pem'), 'utf8')).toBe(first.certPem);
    const x = new X509Certificate(first.certPem);
    expect(x.verify(new X509Certificate(ca.certPem).publicKey)).toBe(true);
    expect(x.checkIP('::1')).toBe('::1');

    expect((await loadOrIssueServerCertificate(dir, ca, hosts, log)).certPem).toBe(first.certPem);

    const wider = await loadOrIssueServerCertificate(dir, ca, [...hosts, 'elf.example'], log);
    expect(wider.certPem).not.toBe(first.certPem);
    expect(new X509Certificate(wider.certPem).checkHost('elf.example')).toBe('elf.example');

    const other = await createCertificateAuthority('another');
    const reissued = await loadOrIssueServerCertificate(dir, other, hosts, log);
    expect(new X509Certificate(reissued.certPem).verify(new X509Certificate(other.certPem).publicKey)).toBe(true);
  });
});
