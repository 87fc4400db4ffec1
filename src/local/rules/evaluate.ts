import type { BinaryOp, Expr, SelectItem } from './ast.js';
import { lookupFunction, remainder, type MessageContext } from './functions.js';
import { castTo, decimal, isInt, isNumber, isObject, sqlEquals, toBoolean, toDecimal, toInt, toStringValue, type SqlValue } from './values.js';

/**
 * Evaluates an expression against one message with AWS IoT SQL's operator semantics (2016-03-23):
 * https://docs.aws.amazon.com/iot/latest/developerguide/iot-sql-operators.html
 * Pure: everything the message offers comes in the environment.
 */

export interface Env {
  ctx: MessageContext;
  /** the payload parsed as JSON, or undefined when it is not JSON */
  doc: SqlValue;
  /** whether the payload parsed as JSON */
  isJson: boolean;
}

function arithmetic(op: '-' | '*' | '/', a: SqlValue, b: SqlValue): SqlValue {
  const x = toDecimal(a);
  const y = toDecimal(b);
  if (typeof x !== 'number' || typeof y !== 'number') return undefined;
  const ints = isInt(x) && isInt(y) && typeof a !== 'string' && typeof b !== 'string';
  switch (op) {
    case '-':
      return ints ? x - y : decimal(x - y);
    case '*':
      return ints ? x * y : decimal(x * y);
    case '/':
      if (y === 0) return undefined;
      return ints ? Math.trunc(x / y) : decimal(x / y);
  }
}

function plus(a: SqlValue, b: SqlValue): SqlValue {
  if (typeof a === 'string' || typeof b === 'string') {
    const x = toStringValue(a);
    const y = toStringValue(b);
    return x === undefined || y === undefined ? undefined : x + y;
  }
  if (!isNumber(a) || !isNumber(b)) return undefined;
  return isInt(a) && isInt(b) ? a + b : decimal(a + b);
}

function compare(op: '<' | '<=' | '>' | '>=', a: SqlValue, b: SqlValue): SqlValue {
  const x = toDecimal(a);
  const y = toDecimal(b);
  if (typeof x !== 'number' || typeof y !== 'number') return undefined;
  return op === '<' ? x < y : op === '<=' ? x <= y : op === '>' ? x > y : x >= y;
}

function logical(op: 'AND' | 'OR', a: SqlValue, b: SqlValue): SqlValue {
  const x = toBoolean(a);
  const y = toBoolean(b);
  if (x === undefined || y === undefined) return undefined;
  return op === 'AND' ? x && y : x || y;
}

export function binary(op: BinaryOp, a: SqlValue, b: SqlValue): SqlValue {
  switch (op) {
    case 'AND':
    case 'OR':
      return logical(op, a, b);
    case '=':
      return sqlEquals(a, b);
    case '<>': {
      const eq = sqlEquals(a, b);
      return eq === undefined ? undefined : !eq;
    }
    case '<':
    case '<=':
    case '>':
    case '>=':
      return compare(op, a, b);
    case '+':
      return plus(a, b);
    case '-':
    case '*':
    case '/':
      return arithmetic(op, a, b);
    case '%':
      return remainder(a, b);
  }
}

function member(object: SqlValue, key: SqlValue): SqlValue {
  if (Array.isArray(object)) {
    const i = toInt(key);
    return typeof i === 'number' && i >= 0 ? object[i] : undefined;
  }
  if (isObject(object) && typeof key === 'string') return Object.hasOwn(object, key) ? object[key] : undefined;
  return undefined;
}

function caseOf(e: Extract<Expr, { kind: 'case' }>, env: Env): SqlValue {
  if (e.subject) {
    const subject = evaluate(e.subject, env);
    if (subject === undefined) return undefined;
    for (const w of e.whens) if (sqlEquals(subject, evaluate(w.when, env)) === true) return evaluate(w.then, env);
  } else {
    for (const w of e.whens) if (toBoolean(evaluate(w.when, env)) === true) return evaluate(w.then, env);
  }
  return e.otherwise ? evaluate(e.otherwise, env) : undefined;
}

/** The key of an item without an alias: a field's own name (`b` for `a.b`), a function's name, else `_<position>`. */
function keyOf(item: Extract<SelectItem, { kind: 'expr' }>, position: number): string {
  if (item.alias !== undefined) return item.alias;
  const e = item.expr;
  if (e.kind === 'field' || e.kind === 'member') return e.name;
  if (e.kind === 'call') return e.name;
  return `_${position}`;
}

/**
 * SELECT's items over one document: `SELECT VALUE x` is x itself, otherwise an object of the items
 * (`*` spreads an object document). A document that is not an object under a lone `*` is itself.
 */
export function project(value: boolean, items: SelectItem[], env: Env): SqlValue {
  if (value) {
    const item = items[0]!;
    return item.kind === 'star' ? env.doc : evaluate(item.expr, env);
  }
  if (items.length === 1 && items[0]!.kind === 'star' && !isObject(env.doc)) return env.doc;
  const out: Record<string, SqlValue> = {};
  items.forEach((item, i) => {
    if (item.kind === 'star') {
      if (isObject(env.doc)) Object.assign(out, env.doc);
      return;
    }
    out[keyOf(item, i + 1)] = evaluate(item.expr, env);
  });
  return out;
}

/**
 * A nested SELECT: its FROM names an array of the document (an object counts as an array of one),
 * each element is the document of the inner SELECT and WHERE, and the result is the array of what
 * the elements give (an Undefined one drops out). FROM naming anything else is Undefined.
 * https://docs.aws.amazon.com/iot/latest/developerguide/iot-sql-nested-queries.html
 */
function nestedSelect(e: Extract<Expr, { kind: 'select' }>, env: Env): SqlValue {
  const source = evaluate(e.from, env);
  const rows = Array.isArray(source) ? source : isObject(source) ? [source] : undefined;
  if (!rows) return undefined;
  const out: SqlValue[] = [];
  for (const row of rows) {
    const inner: Env = { ctx: env.ctx, doc: row, isJson: true };
    if (e.where && evaluate(e.where, inner) !== true) continue;
    const v = project(e.value, e.items, inner);
    if (v !== undefined) out.push(v);
  }
  return out;
}

export function evaluate(e: Expr, env: Env): SqlValue {
  switch (e.kind) {
    case 'literal':
      return e.value;
    case 'field':
      return member(env.doc, e.name);
    case 'star':
      // the whole payload: the parsed document, or the raw bytes when it is not JSON
      return env.isJson ? env.doc : env.ctx.payload;
    case 'member':
      return member(evaluate(e.object, env), e.name);
    case 'index':
      return member(evaluate(e.object, env), evaluate(e.index, env));
    case 'call': {
      const spec = lookupFunction(e.name);
      if (!spec) return undefined; // refused when the rule was created (engine.ts)
      // encode(*, 'base64') encodes the payload's bytes as they arrived, JSON or not
      const star = e.name.toLowerCase() === 'encode' ? env.ctx.payload : undefined;
      return spec.fn(
        e.args.map((a) => (a.kind === 'star' && star ? star : evaluate(a, env))),
        env.ctx,
      );
    }
    case 'cast':
      return castTo(evaluate(e.value, env), e.type);
    case 'unary': {
      const v = evaluate(e.operand, env);
      if (e.op === 'NOT') {
        const b = toBoolean(v);
        return b === undefined ? undefined : !b;
      }
      const d = toDecimal(v);
      return typeof d === 'number' ? -d : undefined;
    }
    case 'binary':
      return binary(e.op, evaluate(e.left, env), evaluate(e.right, env));
    case 'case':
      return caseOf(e, env);
    case 'object': {
      const out: Record<string, SqlValue> = {};
      for (const { key, value } of e.entries) out[key] = evaluate(value, env);
      return out;
    }
    case 'array':
      return e.items.map((i) => evaluate(i, env));
    case 'select':
      return nestedSelect(e, env);
  }
}
