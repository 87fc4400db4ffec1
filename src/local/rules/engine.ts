import type { Expr, SelectItem, Statement } from './ast.js';
import { evaluate, project, type Env } from './evaluate.js';
import { lookupFunction, UNSUPPORTED_AWS_FUNCTIONS, type MessageContext } from './functions.js';
import { parseStatement, SqlSyntaxError } from './parser.js';
import { checkTopicFilter, topicMatches } from '../topics.js';
import { CAST_TYPES, stripUndefined, type SqlValue } from './values.js';

/**
 * A rule's SQL compiled once (at CreateTopicRule) and run per message: FROM's topic filter with AWS's
 * matching, WHERE (fires only on true), SELECT into a JSON result, or the raw bytes for `SELECT *`
 * over a payload that is not JSON.
 * https://docs.aws.amazon.com/iot/latest/developerguide/iot-sql-reference.html
 */

export const SQL_VERSIONS = ['2015-10-08', '2016-03-23', 'beta'] as const;

/** Why a rule's SQL is refused; the control plane answers it as a SqlParseException. */
export class SqlError extends Error {}

export type RuleResult = { kind: 'json'; value: SqlValue } | { kind: 'bytes'; bytes: Buffer };

export interface CompiledSql {
  statement: Statement;
  /** FROM's topic filter, or undefined for a rule fed only by Basic Ingest */
  from?: string;
  /** whether a message on this topic is for this rule */
  matches(topic: string): boolean;
  /** undefined when WHERE is not true */
  run(ctx: MessageContext): RuleResult | undefined;
}

function checkSelectList(value: boolean, items: SelectItem[]): void {
  if (value && (items.length !== 1 || items[0]!.kind === 'star')) throw new SqlError('SELECT VALUE takes exactly one expression');
  for (const item of items) if (item.kind === 'expr') checkExpression(item.expr);
}

/** Every function call and cast in an expression must be one the engine implements. */
export function checkExpression(e: Expr): void {
  switch (e.kind) {
    case 'call': {
      const spec = lookupFunction(e.name);
      if (!spec) {
        const known = UNSUPPORTED_AWS_FUNCTIONS.includes(e.name.toLowerCase());
        throw new SqlError(known ? `function ${e.name}() is not supported by the elf stand-in` : `unknown function ${e.name}()`);
      }
      if (e.args.length < spec.min || e.args.length > spec.max) {
        const want = spec.min === spec.max ? `${spec.min}` : `${spec.min} to ${spec.max}`;
        throw new SqlError(`function ${e.name}() takes ${want} argument${spec.max === 1 ? '' : 's'}, not ${e.args.length}`);
      }
      for (const a of e.args) if (a.kind !== 'star') checkExpression(a);
      return;
    }
    case 'cast':
      if (!CAST_TYPES.includes(e.type.toLowerCase())) throw new SqlError(`cast to unknown type ${e.type}`);
      return checkExpression(e.value);
    case 'member':
      return checkExpression(e.object);
    case 'index':
      checkExpression(e.object);
      return checkExpression(e.index);
    case 'unary':
      return checkExpression(e.operand);
    case 'binary':
      checkExpression(e.left);
      return checkExpression(e.right);
    case 'case':
      if (e.subject) checkExpression(e.subject);
      for (const w of e.whens) {
        checkExpression(w.when);
        checkExpression(w.then);
      }
      if (e.otherwise) checkExpression(e.otherwise);
      return;
    case 'object':
      return e.entries.forEach((x) => checkExpression(x.value));
    case 'array':
      return e.items.forEach(checkExpression);
    case 'select':
      checkSelectList(e.value, e.items);
      checkExpression(e.from);
      if (e.where) checkExpression(e.where);
      return;
    case 'star':
      throw new SqlError('* is only allowed as a SELECT item or a function argument');
    default:
      return;
  }
}

function parsePayload(payload: Buffer): { doc: SqlValue; isJson: boolean } {
  if (payload.length === 0) return { doc: {}, isJson: true };
  try {
    return { doc: JSON.parse(payload.toString('utf8')) as SqlValue, isJson: true };
  } catch {
    return { doc: undefined, isJson: false };
  }
}

function select(statement: Statement, env: Env): RuleResult {
  const onlyStar = !statement.value && statement.items.length === 1 && statement.items[0]!.kind === 'star';
  // https://docs.aws.amazon.com/iot/latest/developerguide/binary-payloads.html: SELECT * passes a non-JSON payload through as it is
  if (onlyStar && !env.isJson) return { kind: 'bytes', bytes: env.ctx.payload };
  return { kind: 'json', value: project(statement.value, statement.items, env) };
}

export function compileSql(sql: string): CompiledSql {
  let statement: Statement;
  try {
    statement = parseStatement(sql);
  } catch (e) {
    if (e instanceof SqlSyntaxError) throw new SqlError(`SQL does not parse: ${e.message}`);
    throw e;
  }
  checkSelectList(statement.value, statement.items);
  if (statement.where) checkExpression(statement.where);
  const from = statement.from;
  if (from !== undefined) {
    const filter = checkTopicFilter(from);
    if (!filter.ok) throw new SqlError(`FROM '${from}': ${filter.reason}`);
  }
  return {
    statement,
    ...(from !== undefined ? { from } : {}),
    matches: (topic) => from !== undefined && topicMatches(from, topic),
    run(ctx) {
      const env: Env = { ctx, ...parsePayload(ctx.payload) };
      if (statement.where && evaluate(statement.where, env) !== true) return undefined;
      return select(statement, env);
    },
  };
}

/** A result as the bytes an action delivers: JSON without Undefined members; Undefined as a whole is empty. */
export function resultBytes(r: RuleResult): Buffer {
  if (r.kind === 'bytes') return r.bytes;
  if (r.value === undefined) return Buffer.alloc(0);
  return Buffer.from(JSON.stringify(stripUndefined(r.value)), 'utf8');
}

/** The environment templates (`${…}`) are evaluated in: the original message, not the SELECT result. */
export function messageEnv(ctx: MessageContext): Env {
  return { ctx, ...parsePayload(ctx.payload) };
}
