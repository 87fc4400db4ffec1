import { createHash, randomUUID } from 'node:crypto';
import { parseTime } from './parse-time.js';
import { decimal, isObject, roundHalfAway, toDecimal, toInt, toStringValue, type SqlValue } from './values.js';

/**
 * The SQL functions the stand-in implements, with AWS IoT's semantics: a bad argument gives
 * Undefined, never an error. https://docs.aws.amazon.com/iot/latest/developerguide/iot-sql-functions.html
 * A function not in this table is refused when the rule is created (engine.ts), by name.
 */

/** What the functions know about the message being processed. */
export interface MessageContext {
  /** the topic, without a Basic Ingest `$aws/rules/<rule>/` prefix */
  topic: string;
  payload: Buffer;
  clientId?: string;
  principal?: string;
  /** when the rules engine got the message, epoch milliseconds */
  timestamp: number;
  ruleName: string;
  accountId: string;
  sqlVersion: string;
  newUuid?: () => string;
}

type Fn = (args: SqlValue[], ctx: MessageContext) => SqlValue;
interface FunctionSpec {
  min: number;
  max: number;
  fn: Fn;
}

const num = (f: (n: number) => number): Fn => (a) => {
  const d = toDecimal(a[0]);
  return typeof d === 'number' ? decimal(f(d)) : undefined;
};
const num2 = (f: (x: number, y: number) => number): Fn => (a) => {
  const x = toDecimal(a[0]);
  const y = toDecimal(a[1]);
  return typeof x === 'number' && typeof y === 'number' ? decimal(f(x, y)) : undefined;
};
const int = (f: (...n: number[]) => SqlValue): Fn => (a) => {
  const n = a.map(toInt);
  return n.every((x): x is number => typeof x === 'number') ? f(...n) : undefined;
};
const str = (f: (...s: string[]) => SqlValue): Fn => (a) => {
  const s = a.map((x) => (Buffer.isBuffer(x) ? x.toString('utf8') : toStringValue(x)));
  return s.every((x): x is string => x !== undefined) ? f(...s) : undefined;
};
const hash = (algorithm: string): Fn => str((s) => createHash(algorithm).update(s, 'utf8').digest('hex'));

/** SQL `%` and mod(): Int % Int is an Int with the dividend's sign; otherwise a Decimal. */
export function remainder(a: SqlValue, b: SqlValue): SqlValue {
  const x = toDecimal(a);
  const y = toDecimal(b);
  if (typeof x !== 'number' || typeof y !== 'number' || y === 0) return undefined;
  return decimal(x % y);
}

function get(coll: SqlValue, key: SqlValue): SqlValue {
  if (Array.isArray(coll) || typeof coll === 'string') {
    const i = toInt(key);
    return typeof i === 'number' && i >= 0 && i < coll.length ? coll[i] : undefined;
  }
  if (isObject(coll)) {
    const k = toStringValue(key);
    return k !== undefined && Object.hasOwn(coll, k) ? coll[k] : undefined;
  }
  return undefined;
}

function concat(args: SqlValue[]): SqlValue {
  if (args.some((a) => Array.isArray(a))) return args.flatMap((a) => (Array.isArray(a) ? a : [a]));
  const parts = args.map(toStringValue);
  return parts.every((p) => p !== undefined) ? parts.join('') : undefined;
}

/** substring(s, start[, end]): 0-based, end exclusive, indices truncated and clamped; non-strings are converted. */
function substring(args: SqlValue[]): SqlValue {
  const v = args[0];
  const s = typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? toStringValue(v) : undefined;
  const start = toDecimal(args[1]);
  const endArg = args.length > 2 ? toDecimal(args[2]) : s?.length;
  if (s === undefined || typeof start !== 'number' || typeof endArg !== 'number') return undefined;
  const clamp = (n: number) => Math.min(Math.max(Math.trunc(n), 0), s.length);
  const a = clamp(start);
  const b = clamp(endArg);
  return b <= a ? '' : s.slice(a, b);
}

function topic(args: SqlValue[], ctx: MessageContext): SqlValue {
  if (args.length === 0) return ctx.topic;
  const n = toInt(args[0]);
  if (typeof n !== 'number' || n < 1) return undefined;
  return ctx.topic.split('/')[n - 1];
}

function encode(args: SqlValue[]): SqlValue {
  if (String(args[1]).toLowerCase() !== 'base64') return undefined;
  const v = args[0];
  if (Buffer.isBuffer(v)) return v.toString('base64');
  const s = toStringValue(v);
  return s === undefined ? undefined : Buffer.from(s, 'utf8').toString('base64');
}

function decode(args: SqlValue[]): SqlValue {
  if (String(args[1]).toLowerCase() !== 'base64' || typeof args[0] !== 'string') return undefined;
  const text = Buffer.from(args[0], 'base64').toString('utf8');
  try {
    return JSON.parse(text) as SqlValue;
  } catch {
    return text;
  }
}

function regex(pattern: SqlValue): RegExp | undefined {
  if (typeof pattern !== 'string') return undefined;
  try {
    return new RegExp(pattern);
  } catch {
    return undefined;
  }
}

const pad = (side: 'start' | 'end'): Fn => (a) => {
  const s = toStringValue(a[0]);
  const n = toInt(a[1]);
  if (s === undefined || typeof n !== 'number') return undefined;
  const spaces = ' '.repeat(Math.min(Math.max(n, 0), 1000));
  return side === 'start' ? spaces + s : s + spaces;
};

const TABLE: Record<string, FunctionSpec> = {
  abs: { min: 1, max: 1, fn: num(Math.abs) },
  accountid: { min: 0, max: 0, fn: (_a, c) => c.accountId },
  acos: { min: 1, max: 1, fn: num(Math.acos) },
  asin: { min: 1, max: 1, fn: num(Math.asin) },
  atan: { min: 1, max: 1, fn: num(Math.atan) },
  atan2: { min: 2, max: 2, fn: num2(Math.atan2) },
  bitand: { min: 2, max: 2, fn: int((x, y) => Number(BigInt(x!) & BigInt(y!))) },
  bitor: { min: 2, max: 2, fn: int((x, y) => Number(BigInt(x!) | BigInt(y!))) },
  bitxor: { min: 2, max: 2, fn: int((x, y) => Number(BigInt(x!) ^ BigInt(y!))) },
  bitnot: { min: 1, max: 1, fn: int((x) => Number(~BigInt(x!))) },
  ceil: { min: 1, max: 1, fn: num(Math.ceil) },
  chr: { min: 1, max: 1, fn: int((x) => String.fromCharCode(x!)) },
  clientid: { min: 0, max: 0, fn: (_a, c) => c.clientId ?? 'n/a' },
  concat: { min: 1, max: 100, fn: concat },
  cos: { min: 1, max: 1, fn: num(Math.cos) },
  cosh: { min: 1, max: 1, fn: num(Math.cosh) },
  decode: { min: 2, max: 2, fn: decode },
  encode: { min: 2, max: 2, fn: encode },
  endswith: { min: 2, max: 2, fn: (a) => (typeof a[0] === 'string' && typeof a[1] === 'string' ? a[0].endsWith(a[1]) : undefined) },
  exp: { min: 1, max: 1, fn: num(Math.exp) },
  floor: { min: 1, max: 1, fn: num(Math.floor) },
  get: { min: 2, max: 2, fn: (a) => get(a[0], a[1]) },
  indexof: { min: 2, max: 2, fn: str((s, sub) => s!.indexOf(sub!)) },
  isnull: { min: 1, max: 1, fn: (a) => a[0] === null },
  isundefined: { min: 1, max: 1, fn: (a) => a[0] === undefined },
  length: { min: 1, max: 1, fn: (a) => (typeof a[0] === 'string' ? [...a[0]].length : undefined) },
  ln: { min: 1, max: 1, fn: num(Math.log) },
  log: { min: 1, max: 1, fn: num(Math.log10) },
  lower: { min: 1, max: 1, fn: (a) => (typeof a[0] === 'string' ? a[0].toLowerCase() : undefined) },
  lpad: { min: 2, max: 2, fn: pad('start') },
  ltrim: { min: 1, max: 1, fn: str((s) => s!.trimStart()) },
  md5: { min: 1, max: 1, fn: hash('md5') },
  mod: { min: 2, max: 2, fn: (a) => remainder(a[0], a[1]) },
  nanvl: { min: 2, max: 2, fn: (a) => (typeof toDecimal(a[0]) === 'number' ? a[0] : a[1]) },
  newuuid: { min: 0, max: 0, fn: (_a, c) => (c.newUuid ?? randomUUID)() },
  numbytes: { min: 1, max: 1, fn: (a) => (typeof a[0] === 'string' ? Buffer.byteLength(a[0], 'utf8') : undefined) },
  parse_time: {
    min: 2,
    max: 3,
    fn: (a) => {
      const ms = toDecimal(a[1]);
      if (typeof a[0] !== 'string' || typeof ms !== 'number' || (a.length > 2 && typeof a[2] !== 'string')) return undefined;
      return parseTime(a[0], Math.trunc(ms), a.length > 2 ? (a[2] as string) : 'UTC');
    },
  },
  power: { min: 2, max: 2, fn: num2(Math.pow) },
  principal: { min: 0, max: 0, fn: (_a, c) => c.principal },
  rand: { min: 0, max: 0, fn: () => Math.random() },
  regexp_matches: { min: 2, max: 2, fn: (a) => (typeof a[0] === 'string' ? regex(a[1])?.test(a[0]) : undefined) },
  regexp_replace: {
    min: 3,
    max: 3,
    fn: (a) => {
      const re = regex(a[1]);
      return typeof a[0] === 'string' && typeof a[2] === 'string' && re ? a[0].replace(new RegExp(re.source, 'g'), a[2]) : undefined;
    },
  },
  regexp_substr: { min: 2, max: 2, fn: (a) => (typeof a[0] === 'string' ? (regex(a[1])?.exec(a[0])?.[0] ?? '') : undefined) },
  remainder: { min: 2, max: 2, fn: (a) => remainder(a[0], a[1]) },
  replace: { min: 3, max: 3, fn: str((s, from, to) => s!.split(from!).join(to!)) },
  round: { min: 1, max: 1, fn: num(roundHalfAway) },
  rpad: { min: 2, max: 2, fn: pad('end') },
  rtrim: { min: 1, max: 1, fn: str((s) => s!.trimEnd()) },
  sha1: { min: 1, max: 1, fn: hash('sha1') },
  sha224: { min: 1, max: 1, fn: hash('sha224') },
  sha256: { min: 1, max: 1, fn: hash('sha256') },
  sha384: { min: 1, max: 1, fn: hash('sha384') },
  sha512: { min: 1, max: 1, fn: hash('sha512') },
  sign: { min: 1, max: 1, fn: num(Math.sign) },
  sin: { min: 1, max: 1, fn: num(Math.sin) },
  sinh: { min: 1, max: 1, fn: num(Math.sinh) },
  sql_version: { min: 0, max: 0, fn: (_a, c) => c.sqlVersion },
  sqrt: { min: 1, max: 1, fn: num(Math.sqrt) },
  startswith: { min: 2, max: 2, fn: (a) => (typeof a[0] === 'string' && typeof a[1] === 'string' ? a[0].startsWith(a[1]) : undefined) },
  substring: { min: 2, max: 3, fn: substring },
  tan: { min: 1, max: 1, fn: num(Math.tan) },
  tanh: { min: 1, max: 1, fn: num(Math.tanh) },
  timestamp: { min: 0, max: 0, fn: (_a, c) => c.timestamp },
  topic: { min: 0, max: 1, fn: topic },
  trim: { min: 1, max: 1, fn: str((s) => s!.trim()) },
  trunc: {
    min: 2,
    max: 2,
    fn: (a) => {
      const x = toDecimal(a[0]);
      const places = toInt(a[1]);
      if (typeof x !== 'number' || typeof places !== 'number' || places < 0 || places > 34) return undefined;
      const f = 10 ** Math.min(places, 15);
      return decimal(Math.trunc(x * f) / f);
    },
  },
  upper: { min: 1, max: 1, fn: (a) => (typeof a[0] === 'string' ? a[0].toUpperCase() : undefined) },
};

/** Every function in AWS's list that the stand-in does not implement (external services, MQTT 5 properties, …). */
export const UNSUPPORTED_AWS_FUNCTIONS = [
  'aws_lambda',
  'get_dynamodb',
  'get_mqtt_property',
  'get_or_default',
  'get_registry_data',
  'get_secret',
  'get_thing_shadow',
  'get_user_properties',
  'machinelearning_predict',
  'md2',
  'sourceip',
  'time_to_epoch',
  'traceid',
  'transform',
];

export const SUPPORTED_FUNCTIONS = Object.keys(TABLE).sort();

export function lookupFunction(name: string): FunctionSpec | undefined {
  return Object.hasOwn(TABLE, name.toLowerCase()) ? TABLE[name.toLowerCase()] : undefined;
}
