import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ElfError } from '../../src/errors.js';
import { loadOrCreateCa, stateDirFailure } from '../../src/local/server.js';
import { createLogger } from '../../src/log.js';

const log = createLogger({ level: 'silent', pretty: false });
const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(path.join(os.tmpdir(), 'elf-ca-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("the stand-in's CA files", () => {
  it('two starts making the CA at once end with one CA, whole files, and the same CA in both', async () => {
    const dir = tempDir();
    const [a, b] = await Promise.all([loadOrCreateCa(dir, log), loadOrCreateCa(dir, log)]);
    expect(a.certPem).toBe(b.certPem);
    expect(a.keyPem).toBe(b.keyPem);
    expect(readFileSync(path.join(dir, 'ca.pem'), 'utf8')).toBe(a.certPem);
    expect(readFileSync(path.join(dir, 'ca.key'), 'utf8')).toBe(a.keyPem);
  });

  it('an empty ca.pem or ca.key is named in a one-line error, not an OpenSSL one', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'ca.pem'), '');
    writeFileSync(path.join(dir, 'ca.key'), '-----BEGIN PRIVATE KEY-----\n');
    await expect(loadOrCreateCa(dir, log)).rejects.toThrow(/ca\.pem is empty/);
  });
});

describe('stateDirFailure', () => {
  it('turns a file-system error into the --state-dir hint; leaves OpenSSL and other errors alone', async () => {
    const dir = tempDir();
    const fsError = await readFile(path.join(dir, 'missing', 'x')).catch((e: unknown) => e);
    const mapped = stateDirFailure(fsError, dir);
    expect(mapped).toBeInstanceOf(ElfError);
    expect((mapped as Error).message).toMatch(/--state-dir .*open failed \(ENOENT\)/);
    const openssl = Object.assign(new Error('error:1E08010C:DECODER routines::unsupported'), { code: 'ERR_OSSL_PEM_NO_START_LINE', library: 'PEM routines' });
    expect(stateDirFailure(openssl, dir)).toBe(openssl);
  });
});
