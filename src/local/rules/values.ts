/**
 * AWS IoT SQL values and their conversions (version 2016-03-23).
 * https://docs.aws.amazon.com/iot/latest/developerguide/iot-sql-data-types.html
 *
 * A value is plain JSON data plus `undefined` (SQL's Undefined: an absent field, or a function or
 * operator given arguments it cannot use). Numbers are one JS number: an integral one is an Int, any
 * other a Decimal, which is what 2016-03-23 does with `10.0` (an Int). Decimals are kept to 15
 * significant digits so that 0.1 + 0.2 is 0.3 as in AWS's decimal arithmetic; Ints beyond 2^53 lose
 * precision (AWS keeps 34 digits).
 */

export type SqlValue = unknown;

export const isInt = (v: SqlValue): v is number => typeof v === 'number' && Number.isInteger(v);
export const isNumber = (v: SqlValue): v is number => typeof v === 'number' && Number.isFinite(v);
export const isObject = (v: SqlValue): v is Record<string, SqlValue> => typeof v === 'object' && v !== null && !Array.isArray(v) && !Buffer.isBuffer(v);

/** A Decimal result rounded to 15 significant digits (double arithmetic noise removed). */
export function decimal(n: number): number | undefined {
  if (!Number.isFinite(n)) return undefined;
  return Number.isInteger(n) ? n : Number(n.toPrecision(15));
}

const DECIMAL_STRING = /^-?\d+(\.\d+)?([eE]-?\d+)?$/;

/** Implicit conversion to Decimal: numbers, and strings that look like one; Null stays Null. */
export function toDecimal(v: SqlValue): number | null | undefined {
  if (isNumber(v)) return v;
  if (typeof v === 'string' && DECIMAL_STRING.test(v.trim())) return Number(v.trim());
  if (v === null) return null;
  return undefined;
}

/** Implicit conversion to Int: Decimals round to nearest, strings are read as Decimal then truncated. */
export function toInt(v: SqlValue): number | null | undefined {
  if (isNumber(v)) return roundHalfAway(v);
  if (typeof v === 'string') {
    const d = toDecimal(v);
    return typeof d === 'number' ? Math.trunc(d) : undefined;
  }
  if (v === null) return null;
  return undefined;
}

/** Implicit conversion to Boolean: only booleans and the strings "true"/"false" (any case). */
export function toBoolean(v: SqlValue): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') {
    const s = v.toLowerCase();
    if (s === 'true') return true;
    if (s === 'false') return false;
  }
  return undefined;
}

/** Implicit conversion to String: numbers, Booleans, and Arrays/Objects as JSON; Null and Undefined give Undefined. */
export function toStringValue(v: SqlValue): string | undefined {
  if (typeof v === 'string') return v;
  if (isNumber(v) || typeof v === 'boolean') return String(v);
  if (Array.isArray(v) || isObject(v)) return JSON.stringify(stripUndefined(v));
  return undefined;
}

/** Half away from zero: round(1.5) = 2, round(-1.5) = -2. */
export function roundHalfAway(n: number): number {
  return Math.sign(n) * Math.round(Math.abs(n));
}

/** Undefined members of objects drop out (and Undefined items of arrays), recursively. */
export function stripUndefined(v: SqlValue): SqlValue {
  if (Array.isArray(v)) return v.filter((x) => x !== undefined).map(stripUndefined);
  if (isObject(v)) {
    const out: Record<string, SqlValue> = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = stripUndefined(x);
    return out;
  }
  return v;
}

/** SQL `=`: same-type comparison; mismatched types are false; an Undefined side is Undefined. */
export function sqlEquals(a: SqlValue, b: SqlValue): boolean | undefined {
  if (a === undefined || b === undefined) return undefined;
  if (typeof a === 'number' && typeof b === 'number') return a === b;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => sqlEquals(x, b[i]) === true);
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => sqlEquals(a[k], b[k]) === true);
  }
  return a === b;
}

/** cast(v AS type): the implicit conversions plus numbers↔Booleans; Decimal→Int truncates. */
export function castTo(v: SqlValue, type: string): SqlValue {
  switch (type.toLowerCase()) {
    case 'string':
    case 'nvarchar':
    case 'text':
    case 'ntext':
    case 'varchar':
      return toStringValue(v);
    case 'int':
    case 'integer':
      if (typeof v === 'boolean') return v ? 1 : 0;
      if (isNumber(v)) return Math.trunc(v);
      return toInt(v) ?? undefined;
    case 'double':
    case 'decimal':
      if (typeof v === 'boolean') return v ? 1 : 0;
      return toDecimal(v) ?? undefined;
    case 'bool':
    case 'boolean':
      if (isNumber(v)) return v !== 0;
      return toBoolean(v);
    default:
      return undefined;
  }
}

export const CAST_TYPES = ['string', 'nvarchar', 'text', 'ntext', 'varchar', 'int', 'integer', 'double', 'decimal', 'bool', 'boolean'];
