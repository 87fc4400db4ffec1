import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

/**
 * A user's own certificate authority made with the `openssl` command, as AWS's guide to registering a
 * CA does (https://docs.aws.amazon.com/iot/latest/developerguide/manage-your-CA-certs.html): nothing
 * of elf's own CA code is involved. Files live under `dir`; the caller removes it.
 */

const run = promisify(execFile);
const openssl = (args: string[], cwd: string) => run('openssl', args, { cwd });

export interface OpensslCertificate {
  certPath: string;
  keyPath: string;
  certPem: string;
}

export interface OpensslCa extends OpensslCertificate {
  /** a certificate with subject CN=`cn`, signed by this CA (a verification certificate when cn is the registration code) */
  issue(name: string, cn: string): Promise<OpensslCertificate>;
}

async function signed(dir: string, name: string, cn: string, ca: { certPath: string; keyPath: string }): Promise<OpensslCertificate> {
  const keyPath = path.join(dir, `${name}.key`);
  const csr = path.join(dir, `${name}.csr`);
  const certPath = path.join(dir, `${name}.pem`);
  await openssl(['genrsa', '-out', keyPath, '2048'], dir);
  await openssl(['req', '-new', '-key', keyPath, '-subj', `/CN=${cn}`, '-out', csr], dir);
  await writeFile(path.join(dir, `${name}.ext`), 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n');
  await openssl(['x509', '-req', '-in', csr, '-CA', ca.certPath, '-CAkey', ca.keyPath, '-CAcreateserial', '-out', certPath, '-days', '30', '-sha256', '-extfile', `${name}.ext`], dir);
  return { certPath, keyPath, certPem: await readFile(certPath, 'utf8') };
}

/** A self-signed root CA (`openssl req -x509`), named `name` under `dir`. */
export async function opensslCa(dir: string, name: string, subject = `/CN=${name} root/O=elf test user`): Promise<OpensslCa> {
  const keyPath = path.join(dir, `${name}.key`);
  const certPath = path.join(dir, `${name}.pem`);
  await openssl(['genrsa', '-out', keyPath, '2048'], dir);
  await openssl(['req', '-x509', '-new', '-nodes', '-key', keyPath, '-sha256', '-days', '365', '-subj', subject, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign', '-out', certPath], dir);
  const ca = { certPath, keyPath, certPem: await readFile(certPath, 'utf8') };
  return { ...ca, issue: (n, cn) => signed(dir, `${name}-${n}`, cn, ca) };
}
