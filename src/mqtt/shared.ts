import { readFileSync } from 'node:fs';
import type { ConnectionEvent, DeviceConnection, PemSource } from './types.js';

/** The text of a PEM given by path or inline (read synchronously: a few KB, once per connection). */
export function pemText(src: PemSource): string {
  return 'pem' in src ? src.pem : readFileSync(src.path, 'utf8');
}

/** A CRT error (or anything thrown) as one line. */
export function errorText(e: unknown): string {
  if (e instanceof Error) return e.message;
  if (typeof e === 'object' && e !== null) {
    const o = e as { error_name?: string; error_code?: number; message?: string };
    if (o.error_name) return `${o.error_name}${o.message ? `: ${o.message}` : ''}`;
    if (o.message) return o.message;
  }
  return String(e);
}

export function abortError(): Error {
  const e = new Error('aborted');
  e.name = 'AbortError';
  return e;
}

export { sleep } from '../util/clock.js';

/** Resolves with the promise's value, or with `fallback` after ms. */
export function withTimeout<T>(p: Promise<T>, ms: number, fallback: T): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  const timer = new Promise<T>((resolve) => {
    t = setTimeout(() => resolve(fallback), ms);
  });
  return Promise.race([p, timer]).finally(() => clearTimeout(t));
}

/** Listener plumbing shared by both protocol implementations. */
export abstract class ConnectionBase implements Pick<DeviceConnection, 'on'> {
  private listeners: Array<(event: ConnectionEvent) => void> = [];
  on(listener: (event: ConnectionEvent) => void): void {
    this.listeners.push(listener);
  }
  protected emit(event: ConnectionEvent): void {
    for (const l of this.listeners) l(event);
  }
}

/**
 * Runs `build` (which creates the CRT's TLS context) without SSL_CERT_FILE and SSL_CERT_DIR in the
 * environment when the connection trusts its own CA file.
 *
 * Every CRT TLS context starts from a fresh s2n config, which loads the default trust store named by
 * those variables before the CA file replaces it: with SSL_CERT_FILE pointing at a full bundle
 * (as many containers and CI images set it) that is ~140 certificates parsed per connection,
 * 8 ms of CPU against 1 ms without (bench/, BENCHMARKS.md; 10,000 things: 80 s against 10 s).
 * The trust store is unused when a CA file is given, so the variables are hidden for the
 * synchronous call only and restored at once. Without a CA file nothing changes.
 */
export function buildWithOwnTrust<T>(caFile: string | undefined, build: () => T): T {
  if (!caFile) return build();
  const saved = { SSL_CERT_FILE: process.env.SSL_CERT_FILE, SSL_CERT_DIR: process.env.SSL_CERT_DIR };
  if (saved.SSL_CERT_FILE === undefined && saved.SSL_CERT_DIR === undefined) return build();
  delete process.env.SSL_CERT_FILE;
  delete process.env.SSL_CERT_DIR;
  try {
    return build();
  } finally {
    for (const [k, v] of Object.entries(saved)) if (v !== undefined) process.env[k] = v;
  }
}
