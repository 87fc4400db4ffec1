import { MAX_THING_NAME_LENGTH, SHADOW_MAX_CLIENT_TOKEN_BYTES, SHADOW_MAX_DEPTH, SHADOW_MAX_NAME_LENGTH, SHADOW_MAX_STATE_BYTES } from '../aws/limits.js';

/**
 * Device Shadow service logic, pure (docs/aws-iot-facts.md#device-shadow; delta algorithm after moto's
 * `FakeShadow`). Takes a request topic and payload, returns the messages to publish. Clock injected.
 */

export type ShadowOp = 'update' | 'get' | 'delete';

export interface ShadowRequest {
  thingName: string;
  /** undefined for the classic (unnamed) shadow */
  shadowName?: string;
  op: ShadowOp;
}

export interface ShadowMessage {
  topic: string;
  payload: Record<string, unknown>;
}

type Json = null | boolean | number | string | Json[] | JsonObject;
interface JsonObject {
  [k: string]: Json;
}
type Meta = { timestamp: number } | Meta[] | { [k: string]: Meta };

interface ShadowRecord {
  desired?: JsonObject;
  reported?: JsonObject;
  metaDesired?: Record<string, Meta>;
  metaReported?: Record<string, Meta>;
  version: number;
  /** deleted shadows keep their version so that a new one continues the sequence (device-shadow-data-flow.md) */
  deleted: boolean;
}

/** AWS: thing names and shadow names are [a-zA-Z0-9:_-]+, 128 and 64 characters at most. */
const REQUEST_TOPIC = new RegExp(
  `^\\$aws/things/([a-zA-Z0-9:_-]{1,${MAX_THING_NAME_LENGTH}})/shadow(?:/name/([a-zA-Z0-9:_-]{1,${SHADOW_MAX_NAME_LENGTH}}))?/(update|get|delete)$`,
);

/** The shadow request a topic names, or undefined when it is not one. */
export function parseShadowTopic(topic: string): ShadowRequest | undefined {
  const m = REQUEST_TOPIC.exec(topic);
  if (!m) return undefined;
  const req: ShadowRequest = { thingName: m[1]!, op: m[3] as ShadowOp };
  if (m[2] !== undefined) req.shadowName = m[2];
  return req;
}

export function shadowTopicPrefix(thingName: string, shadowName?: string): string {
  return `$aws/things/${thingName}/shadow${shadowName === undefined ? '' : `/name/${shadowName}`}`;
}

/** State document limits (values and sources in aws/limits.ts): 8 KB without metadata; nesting of desired/reported contents. */
export const SHADOW_LIMITS = { maxStateBytes: SHADOW_MAX_STATE_BYTES, maxDepth: SHADOW_MAX_DEPTH, maxClientTokenBytes: SHADOW_MAX_CLIENT_TOKEN_BYTES } as const;

class Rejection {
  constructor(
    readonly code: number,
    readonly message: string,
  ) {}
}

const isObj = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

function deepEqual(a: Json | undefined, b: Json | undefined): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isObj(a) && isObj(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => k in b && deepEqual(a[k], b[k]));
  }
  return false;
}

function depth(v: Json): number {
  if (Array.isArray(v)) return 1 + Math.max(0, ...v.map(depth));
  if (isObj(v)) return 1 + Math.max(0, ...Object.values(v).map(depth));
  return 0;
}

/** Metadata mirroring a value: every leaf (and array element) becomes {timestamp}. */
function metaOf(v: Json, ts: number): Meta {
  if (Array.isArray(v)) return v.map((x) => metaOf(x, ts));
  if (isObj(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, metaOf(x, ts)]));
  return { timestamp: ts };
}

/** Merges a request section into a stored one: only the fields given; null removes; arrays replace wholesale. */
function merge(
  target: JsonObject,
  meta: Record<string, Meta>,
  patch: JsonObject,
  ts: number,
): void {
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) {
      delete target[k];
      delete meta[k];
    } else if (isObj(v)) {
      const t = target[k];
      const m = meta[k];
      const sub: JsonObject = isObj(t) ? t : {};
      // metadata mirrors the stored value, so an object value has an object of metadata
      const subMeta: Record<string, Meta> = isObj(t) && m !== undefined && !Array.isArray(m) ? (m as Record<string, Meta>) : {};
      merge(sub, subMeta, v, ts);
      target[k] = sub;
      meta[k] = subMeta;
    } else {
      target[k] = v;
      meta[k] = metaOf(v, ts);
    }
  }
}

/** moto's delta: every desired field whose value differs from reported; nested objects recurse to the differing leaves. */
export function computeDelta(desired: JsonObject | undefined, reported: JsonObject | undefined): JsonObject {
  const out: JsonObject = {};
  if (!desired) return out;
  for (const [k, d] of Object.entries(desired)) {
    const r = reported?.[k];
    if (deepEqual(d, r)) continue;
    if (isObj(d) && isObj(r)) {
      const sub = computeDelta(d, r);
      if (Object.keys(sub).length > 0) out[k] = sub;
    } else {
      out[k] = d;
    }
  }
  return out;
}

/** The desired metadata for the paths present in a delta. */
function deltaMeta(delta: JsonObject, meta: Record<string, Meta> | undefined): Record<string, Meta> {
  const out: Record<string, Meta> = {};
  for (const [k, v] of Object.entries(delta)) {
    const m = meta?.[k];
    if (m === undefined) continue;
    // an object in the delta is an object in desired, whose metadata is an object of the same keys
    out[k] = isObj(v) ? deltaMeta(v, m as Record<string, Meta>) : m;
  }
  return out;
}

const clone = <T>(v: T): T => (v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T));

function stateOf(r: ShadowRecord): { state: JsonObject; metadata: Record<string, unknown> } {
  const state: JsonObject = {};
  const metadata: Record<string, unknown> = {};
  if (r.desired) {
    state.desired = clone(r.desired);
    metadata.desired = clone(r.metaDesired);
  }
  if (r.reported) {
    state.reported = clone(r.reported);
    metadata.reported = clone(r.metaReported);
  }
  return { state, metadata };
}

interface ParsedBody {
  body: JsonObject;
  clientToken?: string;
}

function parseBody(payload: Buffer, allowEmpty: boolean): ParsedBody {
  if (payload.length === 0 && allowEmpty) return { body: {} };
  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payload));
  } catch (e) {
    if (e instanceof TypeError) throw new Rejection(415, 'Unsupported documented encoding; supported encoding is UTF-8');
    throw new Rejection(400, 'Invalid JSON');
  }
  if (!isObj(body)) throw new Rejection(400, 'Invalid JSON');
  const token = body.clientToken;
  if (token !== undefined && (typeof token !== 'string' || Buffer.byteLength(token) > SHADOW_LIMITS.maxClientTokenBytes)) {
    throw new Rejection(400, 'Invalid clientToken');
  }
  return token === undefined ? { body } : { body, clientToken: token };
}

export interface ShadowServiceOptions {
  /** milliseconds since the epoch; shadow timestamps are whole seconds */
  now?: () => number;
  /** called after every accepted update or delete (e.g. to persist `snapshot()`) */
  onChange?: () => void;
}

export class ShadowService {
  private readonly shadows = new Map<string, ShadowRecord>();
  private readonly now: () => number;
  private readonly onChange: () => void;

  constructor(opts: ShadowServiceOptions = {}) {
    this.now = opts.now ?? Date.now;
    this.onChange = opts.onChange ?? (() => undefined);
  }

  /** Handles one request published on `<prefix>/(update|get|delete)`; returns the replies in publish order. */
  handle(req: ShadowRequest, payload: Buffer): ShadowMessage[] {
    const prefix = shadowTopicPrefix(req.thingName, req.shadowName);
    const ts = Math.floor(this.now() / 1000);
    let clientToken: string | undefined;
    try {
      const parsed = parseBody(payload, req.op !== 'update');
      clientToken = parsed.clientToken;
      switch (req.op) {
        case 'update':
          return this.update(req, prefix, parsed, ts);
        case 'get':
          return this.get(req, prefix, parsed, ts);
        case 'delete':
          return this.delete(req, prefix, parsed, ts);
      }
    } catch (e) {
      if (!(e instanceof Rejection)) throw e;
      const doc: Record<string, unknown> = { code: e.code, message: e.message, timestamp: ts };
      if (clientToken !== undefined) doc.clientToken = clientToken;
      return [{ topic: `${prefix}/${req.op}/rejected`, payload: doc }];
    }
  }

  /** The current document of a shadow as `get` would return it, or undefined. */
  document(thingName: string, shadowName?: string): Record<string, unknown> | undefined {
    const r = this.shadows.get(key(thingName, shadowName));
    if (!r || r.deleted) return undefined;
    return this.fullDocument(r, Math.floor(this.now() / 1000));
  }

  /** Everything, for persistence. */
  snapshot(): Record<string, ShadowRecord> {
    return clone(Object.fromEntries(this.shadows));
  }

  restore(snapshot: Record<string, unknown>): void {
    this.shadows.clear();
    for (const [k, v] of Object.entries(snapshot)) {
      if (isObj(v as Json) && typeof (v as { version?: unknown }).version === 'number') this.shadows.set(k, clone(v as ShadowRecord));
    }
  }

  private fullDocument(r: ShadowRecord, ts: number): Record<string, unknown> {
    const { state, metadata } = stateOf(r);
    const delta = computeDelta(r.desired, r.reported);
    if (Object.keys(delta).length > 0) state.delta = delta;
    return { state, metadata, version: r.version, timestamp: ts };
  }

  private missing(req: ShadowRequest): Rejection {
    return new Rejection(404, `No shadow exists with name: '${req.shadowName ?? req.thingName}'`);
  }

  private update(req: ShadowRequest, prefix: string, { body, clientToken }: ParsedBody, ts: number): ShadowMessage[] {
    // validation, in the order of device-shadow-error-messages.md
    if (body.version !== undefined && (typeof body.version !== 'number' || !Number.isInteger(body.version) || body.version < 0)) {
      throw new Rejection(400, 'Invalid version');
    }
    if (!('state' in body)) throw new Rejection(400, 'Missing required node: state');
    const state = body.state;
    if (!isObj(state)) throw new Rejection(400, 'State node must be an object');
    for (const k of Object.keys(state)) {
      if (k !== 'desired' && k !== 'reported') throw new Rejection(400, `State contains an invalid node: '${k}'`);
    }
    if (state.desired !== undefined && state.desired !== null && !isObj(state.desired)) throw new Rejection(400, 'Desired node must be an object');
    if (state.reported !== undefined && state.reported !== null && !isObj(state.reported)) throw new Rejection(400, 'Reported node must be an object');
    for (const section of [state.desired, state.reported]) {
      if (section && depth(section) > SHADOW_LIMITS.maxDepth) {
        throw new Rejection(400, `JSON contains too many levels of nesting; maximum is ${SHADOW_LIMITS.maxDepth}`);
      }
    }

    const k = key(req.thingName, req.shadowName);
    const old = this.shadows.get(k);
    const live = old && !old.deleted ? old : undefined;
    // "if the request carries version and it ≠ current → 409" (a missing shadow has no current version)
    if (body.version !== undefined && (!live || live.version !== body.version)) throw new Rejection(409, 'Version conflict');

    const next: ShadowRecord = live ? clone(live) : { version: old?.version ?? 0, deleted: false };
    for (const section of ['desired', 'reported'] as const) {
      const patch = state[section];
      if (patch === undefined) continue;
      const metaKey = section === 'desired' ? 'metaDesired' : 'metaReported';
      if (patch === null) {
        delete next[section];
        delete next[metaKey];
        continue;
      }
      const target = next[section] ?? {};
      const meta = next[metaKey] ?? {};
      merge(target, meta, patch as JsonObject, ts);
      next[section] = target;
      next[metaKey] = meta;
    }
    const size = Buffer.byteLength(JSON.stringify({ desired: next.desired, reported: next.reported }));
    if (size > SHADOW_LIMITS.maxStateBytes) throw new Rejection(413, 'The payload exceeds the maximum size allowed');
    next.version += 1;
    next.deleted = false;
    this.shadows.set(k, next);
    this.onChange();

    const withToken = (doc: Record<string, unknown>): Record<string, unknown> => (clientToken === undefined ? doc : { ...doc, clientToken });
    // accepted: only the sections and fields sent, with their metadata
    const acceptedState: JsonObject = {};
    const acceptedMeta: Record<string, unknown> = {};
    for (const section of ['desired', 'reported'] as const) {
      if (state[section] === undefined) continue;
      acceptedState[section] = clone(state[section])!;
      acceptedMeta[section] = metaOf(state[section]!, ts);
    }
    const out: ShadowMessage[] = [
      { topic: `${prefix}/update/accepted`, payload: withToken({ state: acceptedState, metadata: acceptedMeta, version: next.version, timestamp: ts }) },
    ];
    const current = stateOf(next);
    const previous = live ? stateOf(live) : undefined;
    out.push({
      topic: `${prefix}/update/documents`,
      payload: withToken({
        previous: previous && live ? { ...previous, version: live.version } : null,
        current: { ...current, version: next.version },
        timestamp: ts,
      }),
    });
    const delta = computeDelta(next.desired, next.reported);
    if (Object.keys(delta).length > 0) {
      out.push({
        topic: `${prefix}/update/delta`,
        payload: withToken({ version: next.version, timestamp: ts, state: delta, metadata: deltaMeta(delta, next.metaDesired) }),
      });
    }
    return out;
  }

  private get(req: ShadowRequest, prefix: string, { clientToken }: ParsedBody, ts: number): ShadowMessage[] {
    const r = this.shadows.get(key(req.thingName, req.shadowName));
    if (!r || r.deleted) throw this.missing(req);
    const doc = this.fullDocument(r, ts);
    if (clientToken !== undefined) doc.clientToken = clientToken;
    return [{ topic: `${prefix}/get/accepted`, payload: doc }];
  }

  private delete(req: ShadowRequest, prefix: string, { clientToken }: ParsedBody, ts: number): ShadowMessage[] {
    const k = key(req.thingName, req.shadowName);
    const r = this.shadows.get(k);
    if (!r || r.deleted) throw this.missing(req);
    this.shadows.set(k, { version: r.version, deleted: true });
    this.onChange();
    const doc: Record<string, unknown> = { version: r.version, timestamp: ts };
    if (clientToken !== undefined) doc.clientToken = clientToken;
    return [{ topic: `${prefix}/delete/accepted`, payload: doc }];
  }
}

function key(thingName: string, shadowName?: string): string {
  return shadowName === undefined ? thingName : `${thingName}\u0000${shadowName}`;
}
