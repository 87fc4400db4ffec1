import type { IncomingHttpHeaders } from 'node:http';
import { invalid } from '../api-error.js';
import type { CertificateAuthority, IssuedCertificate } from '../ca.js';
import type { FaultInjector } from '../faults.js';
import type { EventConfigurations } from '../registry-events.js';
import type { Registry } from '../registry/index.js';
import type { TopicRules } from '../rules/topic-rules.js';
import type { TokenBuckets } from '../throttle.js';

/**
 * What a route of the control plane is, and what routes are given: the pieces src/local/api.ts and the
 * route files of each resource area (things.ts, certificates.ts, policies.ts, rules.ts, elf.ts) share.
 */

export interface ApiOptions {
  registry: Registry;
  ca: CertificateAuthority;
  /** issues a device certificate with a fresh key pair (src/local/ca.ts issueDeviceCertificate) */
  issue: (ca: CertificateAuthority) => Promise<IssuedCertificate>;
  /** persists the registry; awaited after every mutating call, before the response */
  save: () => Promise<void>;
  /** the host and MQTT port DescribeEndpoint and /elf/info announce */
  endpoint: () => { host: string; mqttPort: number; httpPort?: number };
  /** key pairs ready in the pool and its size, reported by /elf/info (the bench waits for a full pool) */
  keyPool?: () => { ready: number; size: number };
  throttle?: TokenBuckets;
  faults?: FaultInjector;
  /** topic rules and how to persist them (awaited after every change, before the answer) */
  rules?: { rules: TopicRules; save: () => Promise<void>; stats?: () => unknown };
  /** which registry events are published (UpdateEventConfigurations) */
  eventConfigurations?: EventConfigurations;
}

export interface Ctx {
  params: Record<string, string>;
  query: Query;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
  region: string;
}

export interface Route {
  op: string;
  method: string;
  segments: string[];
  /** true when a successful call changes the registry (then it is saved before the answer) */
  mutates: boolean;
  /** AWS operations are throttled and faulted; elf's own routes are not */
  aws: boolean;
  run: (c: Ctx) => unknown;
}

/** A route from its operation name, method and path template (`/things/{thingName}`). */
export function route(op: string, method: string, path: string, mutates: boolean, run: (c: Ctx) => unknown, aws = true): Route {
  return { op, method, segments: path.split('/').slice(1), mutates, aws, run };
}

/** Typed access to query parameters; a bad value is an InvalidRequestException naming it. */
export class Query {
  constructor(private readonly params: URLSearchParams) {}
  str(name: string): string | undefined {
    return this.params.get(name) ?? undefined;
  }
  int(name: string): number | undefined {
    const v = this.params.get(name);
    if (v === null) return undefined;
    if (!/^-?\d{1,15}$/.test(v)) throw invalid(`Invalid value for ${name}: ${v.slice(0, 50)}; expected an integer`);
    return Number(v);
  }
  bool(name: string): boolean | undefined {
    const v = this.params.get(name);
    if (v === null) return undefined;
    if (v === 'true') return true;
    if (v === 'false') return false;
    throw invalid(`Invalid value for ${name}: ${v.slice(0, 50)}; expected true or false`);
  }
}

export function header(h: IncomingHttpHeaders, name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}

/** A body member that must be a string when present. */
export function str(v: unknown, name: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw invalid(`${name} must be a string`);
  return v;
}

/** A body member that must be a boolean when present. */
export function bool(v: unknown, name: string): boolean | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw invalid(`${name} must be a boolean`);
  return v;
}

/** A body member that must be an integer when present. */
export function int(v: unknown, name: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw invalid(`${name} must be an integer`);
  return v;
}

/** A body member that must be a JSON object when present. */
export function obj(v: unknown, name: string): Record<string, unknown> | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) throw invalid(`${name} must be an object`);
  return v as Record<string, unknown>;
}

/** An AttributePayload `{attributes, merge}` (the attributes themselves are checked by the registry). */
export function attributePayload(v: unknown, name = 'attributePayload'): { attributes?: Record<string, string>; merge?: boolean } | undefined {
  const p = obj(v, name);
  if (!p) return undefined;
  return { attributes: p.attributes as Record<string, string> | undefined, merge: bool(p.merge, `${name}.merge`) };
}

export const tokenPaging = (c: Ctx) => ({ nextToken: c.query.str('nextToken'), maxResults: c.query.int('maxResults') });
export const markerPaging = (c: Ctx, asc = 'ascendingOrder') => ({ marker: c.query.str('marker'), pageSize: c.query.int('pageSize'), ascendingOrder: c.query.bool(asc) });
