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

export { sleep } from '../sleep.js';

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
