import type { Expr } from './ast.js';
import { checkExpression, SqlError } from './engine.js';
import { evaluate, type Env } from './evaluate.js';
import { parseExpression, SqlSyntaxError } from './parser.js';
import { toStringValue } from './values.js';

/**
 * Substitution templates in action fields: `${expression}` evaluated against the original message
 * (not the SELECT result), e.g. an S3 key `${topic()}/${timestamp()}`.
 * https://docs.aws.amazon.com/iot/latest/developerguide/iot-substitution-templates.html
 * An expression that is Undefined renders as the empty string.
 */

export type Template = (string | Expr)[];

/** The index of the `}` closing the `${` at `start`, skipping braces inside quotes and nested objects. */
function closingBrace(text: string, start: number): number {
  let depth = 0;
  let quote: string | undefined;
  for (let i = start + 2; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === '{') depth++;
    else if (c === '}') {
      if (depth === 0) return i;
      depth--;
    }
  }
  return -1;
}

/** Parses a field's templates; throws SqlError naming the field for one that does not parse. */
export function parseTemplate(text: string, field: string): Template {
  const parts: Template = [];
  let at = 0;
  while (at < text.length) {
    const open = text.indexOf('${', at);
    if (open < 0) break;
    const close = closingBrace(text, open);
    if (close < 0) throw new SqlError(`${field}: \${ without a closing }`);
    if (open > at) parts.push(text.slice(at, open));
    let expr: Expr;
    try {
      expr = parseExpression(text.slice(open + 2, close));
    } catch (e) {
      if (e instanceof SqlSyntaxError) throw new SqlError(`${field}: template ${text.slice(open, close + 1)} does not parse: ${e.message}`);
      throw e;
    }
    checkExpression(expr);
    parts.push(expr);
    at = close + 1;
  }
  if (at < text.length) parts.push(text.slice(at));
  return parts;
}

export function renderTemplate(t: Template, env: Env): string {
  return t.map((p) => (typeof p === 'string' ? p : (toStringValue(evaluate(p, env)) ?? ''))).join('');
}
