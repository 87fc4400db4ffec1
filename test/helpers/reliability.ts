import net from 'node:net';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ListCertificatesCommand, ListPoliciesCommand, ListThingsCommand, type IoTClient, type ListPoliciesCommandOutput } from '@aws-sdk/client-iot';

/**
 * Helpers for the reliability and security suites (test/e2e/reliability-*, security-*, bad-input-*):
 * raw sockets for hostile HTTP peers, a control-plane snapshot to compare before and after, and the
 * addresses a port is bound to (from /proc/net/tcp*).
 */

export interface RawResult {
  /** everything the server sent before it closed (or before the time ran out) */
  text: string;
  /** the status code of the first response, if one arrived */
  status?: number;
  /** true when the server closed the connection (false: the time ran out) */
  closed: boolean;
  /** x-amzn-ErrorType of the first response, if any */
  errorType?: string;
  /** the body of the first response */
  body: string;
}

/**
 * Writes `payload` (pieces written one after the other) on a fresh TCP connection and collects what
 * comes back until the server closes or `timeoutMs` passes. `end: true` half-closes after writing.
 */
export function rawHttp(port: number, payload: (string | Buffer)[] | string | Buffer, opts: { timeoutMs?: number; end?: boolean; host?: string } = {}): Promise<RawResult> {
  const pieces = Array.isArray(payload) ? payload : [payload];
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: opts.host ?? '127.0.0.1' });
    const chunks: Buffer[] = [];
    let settled = false;
    const finish = (closed: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(parseRaw(Buffer.concat(chunks).toString('latin1'), closed));
    };
    const timer = setTimeout(() => finish(false), opts.timeoutMs ?? 5000);
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('close', () => finish(true));
    socket.on('error', () => finish(true));
    socket.on('connect', () => {
      for (const p of pieces) socket.write(p);
      if (opts.end) socket.end();
    });
  });
}

export function parseRaw(text: string, closed: boolean): RawResult {
  const m = /^HTTP\/1\.[01] (\d{3})[^\r\n]*\r\n/.exec(text);
  if (!m) return { text, closed, body: '' };
  const headEnd = text.indexOf('\r\n\r\n');
  const head = headEnd < 0 ? text : text.slice(0, headEnd);
  const errorType = /\r\nx-amzn-errortype: *([^\r\n]*)/i.exec(head)?.[1];
  const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
  const body = headEnd < 0 ? '' : text.slice(headEnd + 4, headEnd + 4 + length);
  return { text, closed, status: Number(m[1]), errorType, body };
}

export interface ControlPlaneSnapshot {
  things: string[];
  certificates: string[];
  policies: string[];
}

/** Every thing (name@version), certificate (id:status) and policy name, sorted; pages through all. */
export async function controlPlaneSnapshot(iot: IoTClient): Promise<ControlPlaneSnapshot> {
  const things: string[] = [];
  let nextToken: string | undefined;
  do {
    const r = await iot.send(new ListThingsCommand({ maxResults: 250, nextToken }));
    things.push(...(r.things ?? []).map((t) => `${t.thingName}@${t.version}`));
    nextToken = r.nextToken;
  } while (nextToken);
  const certificates: string[] = [];
  let marker: string | undefined;
  do {
    const r = await iot.send(new ListCertificatesCommand({ pageSize: 250, marker }));
    certificates.push(...(r.certificates ?? []).map((c) => `${c.certificateId}:${c.status}`));
    marker = r.nextMarker;
  } while (marker);
  const policies: string[] = [];
  marker = undefined;
  do {
    const r: ListPoliciesCommandOutput = await iot.send(new ListPoliciesCommand({ pageSize: 250, marker }));
    policies.push(...(r.policies ?? []).map((p) => p.policyName!));
    marker = r.nextMarker;
  } while (marker);
  return { things: things.sort(), certificates: certificates.sort(), policies: policies.sort() };
}

export interface RegistryFile {
  format: string;
  things: { thingName: string }[];
  certificates: { certificateId: string; status: string }[];
  policies: { policyName: string }[];
  policyTargets: [string, string][];
  thingPrincipals: [string, string][];
}

/** registry.json of a stand-in's state dir, parsed (throws when it does not parse). */
export async function readRegistry(stateDir: string): Promise<RegistryFile> {
  return JSON.parse(await readFile(path.join(stateDir, 'registry.json'), 'utf8')) as RegistryFile;
}

/**
 * The local addresses on which something LISTENs on `port`, from /proc/net/tcp and /proc/net/tcp6
 * (Linux), e.g. ['127.0.0.1'] or ['0.0.0.0'] or ['::'].
 */
export async function listeningAddresses(port: number): Promise<string[]> {
  const out: string[] = [];
  for (const [file, v6] of [
    ['/proc/net/tcp', false],
    ['/proc/net/tcp6', true],
  ] as const) {
    const text = await readFile(file, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 4 || f[3] !== '0A') continue; // 0A = TCP_LISTEN
      const [addrHex, portHex] = f[1]!.split(':') as [string, string];
      if (parseInt(portHex, 16) !== port) continue;
      out.push(v6 ? decodeV6(addrHex) : decodeV4(addrHex));
    }
  }
  return out;
}

function decodeV4(hex: string): string {
  // little-endian 32-bit word
  const n = parseInt(hex, 16);
  return [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, (n >>> 24) & 255].join('.');
}

function decodeV6(hex: string): string {
  // four little-endian 32-bit words
  const bytes: number[] = [];
  for (let w = 0; w < 4; w++) {
    const word = hex.slice(w * 8, w * 8 + 8);
    for (let b = 3; b >= 0; b--) bytes.push(parseInt(word.slice(b * 2, b * 2 + 2), 16));
  }
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  const s = groups.join(':');
  if (s === '0:0:0:0:0:0:0:0') return '::';
  if (s === '0:0:0:0:0:0:0:1') return '::1';
  return s;
}

/** Resolves once `p` settles or rejects after `ms` (a hang is a failure, not a stuck suite). */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(t)),
    new Promise<never>((_, reject) => {
      t = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
    }),
  ]);
}

/** The error lines a CLI run printed (`elf: …` from elf, `error: …` from commander). */
export function errorLines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => /^(elf|error):/.test(l));
}

/**
 * A user error done right: non-zero exit (not a signal, not the internal-error 70), exactly one
 * error line matching `pattern`, no stack trace, no control characters in the line.
 */
export function cleanFailureProblem(r: { exitCode: number | null; signal: NodeJS.Signals | null; stderr: string }, pattern: RegExp): string | undefined {
  if (r.signal) return `killed by ${r.signal} (a hang?)`;
  if (r.exitCode === 0) return 'exit 0';
  if (r.exitCode === 70) return 'internal error (exit 70)';
  if (/\n\s+at /.test(r.stderr)) return 'stack trace on stderr';
  const lines = errorLines(r.stderr);
  if (lines.length !== 1) return `${lines.length} error lines`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/.test(lines[0]!)) return 'control characters in the error line';
  if (!pattern.test(lines[0]!)) return `error line does not match ${pattern}`;
  return undefined;
}

/** Runs `fn` over `items` with at most `limit` at once, keeping order. */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!, i);
      }
    }),
  );
  return out;
}
