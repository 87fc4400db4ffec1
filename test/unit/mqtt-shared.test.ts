import { afterEach, describe, expect, it } from 'vitest';
import { buildWithOwnTrust } from '../../src/mqtt/shared.js';

describe('buildWithOwnTrust', () => {
  const saved = { file: process.env.SSL_CERT_FILE, dir: process.env.SSL_CERT_DIR };
  afterEach(() => {
    for (const [k, v] of [['SSL_CERT_FILE', saved.file], ['SSL_CERT_DIR', saved.dir]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  it('hides the default trust store from a build that trusts its own CA file, and restores it after', () => {
    process.env.SSL_CERT_FILE = '/etc/ssl/certs/ca-certificates.crt';
    process.env.SSL_CERT_DIR = '/etc/ssl/certs';
    const seen = buildWithOwnTrust('/tmp/ca.pem', () => [process.env.SSL_CERT_FILE, process.env.SSL_CERT_DIR]);
    expect(seen).toEqual([undefined, undefined]);
    expect(process.env.SSL_CERT_FILE).toBe('/etc/ssl/certs/ca-certificates.crt');
    expect(process.env.SSL_CERT_DIR).toBe('/etc/ssl/certs');
  });

  it('restores the variables when the build throws', () => {
    process.env.SSL_CERT_FILE = '/x/bundle.pem';
    expect(() =>
      buildWithOwnTrust('/tmp/ca.pem', () => {
        throw new Error('bad key');
      }),
    ).toThrow('bad key');
    expect(process.env.SSL_CERT_FILE).toBe('/x/bundle.pem');
  });

  it('leaves the trust store alone without a CA file (the system store is what verifies the broker)', () => {
    process.env.SSL_CERT_FILE = '/x/bundle.pem';
    expect(buildWithOwnTrust(undefined, () => process.env.SSL_CERT_FILE)).toBe('/x/bundle.pem');
  });
});
