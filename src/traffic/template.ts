import { compileExpression, useDotAccessOperator } from 'filtrex';
import { UsageError } from '../errors.js';
import { SERIES_FUNCTIONS, TemplateFunctionError, templateFunctions, type Holder, type ThingState } from './functions.js';
import { fakeCaller, loadFaker } from './faker.js';
import { TemplateError } from './errors.js';

/**
 * Payload templates (`elf send --template <file.json>`): a JSON document whose string values may hold
 * `{{ expression }}`s, compiled once and evaluated per message and thing. A string that is one whole
 * expression takes the expression's value and type (number, boolean, array, object); expressions
 * inside a longer string are written into it as text.
 *
 * Expressions are filtrex's language (a small, safe expression language compiled to JavaScript
 * functions: fast per message, no access to anything but what it is given), with dots for
 * properties, the variables of `Scope` and the functions of functions.ts.
 */

/** what an expression can read */
export interface Scope {
  thing: string;
  index: number;
  seq: number;
  t: number;
  /** wall-clock time of the message: epoch ms and ISO 8601 */
  ms: number;
  now: string;
  /** the current line of --json-message (parsed), or null */
  line: unknown;
}

type Eval = (scope: Scope) => unknown;

export interface CompiledTemplate {
  /** the value for one message (a fresh object: it is serialized and thrown away) */
  render(state: ThingState, line: unknown, wallMs: number): unknown;
}

const EXPR = /\{\{(.*?)\}\}/gs;
const WHOLE = /^\s*\{\{((?:(?!\}\}).)*)\}\}\s*$/s;

/** Gives each call of a stateful series its own site number, passed as its first argument. */
function numberSites(expr: string, next: () => number): string {
  const re = new RegExp(`\\b(${SERIES_FUNCTIONS.join('|')})\\s*\\((\\s*\\))?`, 'g');
  return expr.replace(re, (_m, fn: string, empty: string | undefined) => (empty ? `${fn}(${next()})` : `${fn}(${next()}, `));
}

class Compiler {
  private sites = 0;
  readonly usesNow: boolean;

  constructor(
    private readonly file: string,
    private readonly fns: Record<string, (...args: never[]) => unknown>,
    text: string,
  ) {
    this.usesNow = /\bnow\b/.test(text);
  }

  get siteCount(): number {
    return this.sites;
  }

  node(value: unknown, path: string): Eval | { c: unknown } {
    if (typeof value === 'string') return this.string(value, path);
    if (Array.isArray(value)) return this.container(value.map((v, i) => this.node(v, `${path}[${i}]`)), undefined);
    if (value !== null && typeof value === 'object') {
      const keys = Object.keys(value);
      return this.container(keys.map((k) => this.node((value as Record<string, unknown>)[k], path ? `${path}.${k}` : k)), keys);
    }
    return { c: value };
  }

  private container(parts: Array<Eval | { c: unknown }>, keys: string[] | undefined): Eval | { c: unknown } {
    if (parts.every((p) => typeof p !== 'function')) {
      const values = parts.map((p) => (p as { c: unknown }).c);
      return { c: keys ? Object.fromEntries(keys.map((k, i) => [k, values[i]])) : values };
    }
    const evals: Eval[] = parts.map((p) => (typeof p === 'function' ? p : () => p.c));
    if (!keys) return (s) => evals.map((e) => e(s));
    return (s) => {
      const o: Record<string, unknown> = {};
      for (let i = 0; i < keys.length; i++) o[keys[i]!] = evals[i]!(s);
      return o;
    };
  }

  private string(value: string, path: string): Eval | { c: unknown } {
    const whole = WHOLE.exec(value);
    if (whole) return this.expression(whole[1]!, path);
    const parts: Array<string | Eval> = [];
    let last = 0;
    for (const m of value.matchAll(EXPR)) {
      if (m.index > last) parts.push(value.slice(last, m.index));
      parts.push(this.expression(m[1]!, path));
      last = m.index + m[0].length;
    }
    if (parts.length === 0) return { c: value };
    if (last < value.length) parts.push(value.slice(last));
    return (s) => {
      let out = '';
      for (const p of parts) out += typeof p === 'string' ? p : text(p(s));
      return out;
    };
  }

  private expression(source: string, path: string): Eval {
    const where = `${this.file}: "${path || '(the whole template)'}": {{ ${source.trim()} }}`;
    const unknown = unknownFunction(source, this.fns);
    if (unknown) throw new UsageError(`${where}: no function ${unknown}() (see the README's "Ways to make traffic")`);
    let fn: (data: unknown) => unknown;
    try {
      fn = compileExpression(
        numberSites(source, () => this.sites++),
        { extraFunctions: this.fns, customProp: useDotAccessOperator },
      ) as (data: unknown) => unknown;
    } catch (e) {
      throw new UsageError(`${where}: ${firstLine(e)}`);
    }
    return (s) => {
      let v: unknown;
      try {
        v = fn(s);
      } catch (e) {
        throw new TemplateError(`${where}: ${firstLine(e)}`);
      }
      if (v instanceof Error) throw new TemplateError(`${where}: ${firstLine(v)}`);
      return v;
    };
  }
}


/** filtrex's own functions and the words that may stand before a parenthesis */
const BUILT_INS = new Set(['abs', 'ceil', 'empty', 'exists', 'floor', 'log', 'log2', 'log10', 'max', 'min', 'round', 'sqrt', 'in', 'not', 'and', 'or', 'if', 'then', 'else', 'mod', 'of']);

/** The first function an expression calls that does not exist (filtrex finds it only when it runs). */
function unknownFunction(source: string, fns: Record<string, unknown>): string | undefined {
  const code = source.replace(/"(?:[^"\\]|\\.)*"/g, '""').replace(/'(?:[^'\\]|\\.)*'/g, 'x');
  for (const m of code.matchAll(/(?<![\w.$])([A-Za-z_$][\w$]*)\s*\(/g)) {
    if (!BUILT_INS.has(m[1]!) && !Object.hasOwn(fns, m[1]!)) return m[1];
  }
  return undefined;
}

const text = (v: unknown) => (typeof v === 'string' ? v : typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v));
const firstLine = (e: unknown) => (e instanceof TemplateFunctionError || e instanceof Error ? e.message : String(e)).split('\n')[0]!;

/**
 * Compiles a template's text (`file` names it in errors). The fake-data library is loaded only when
 * the template calls fake() or near().
 */
export async function compileTemplate(textOfFile: string, file: string): Promise<CompiledTemplate & { siteCount: number }> {
  let doc: unknown;
  try {
    doc = JSON.parse(textOfFile);
  } catch (e) {
    throw new UsageError(`${file}: not JSON: ${firstLine(e)}`);
  }
  const holder = { s: undefined as unknown as ThingState } satisfies Holder;
  const fake = /\b(fake|near)\s*\(/.test(textOfFile) ? fakeCaller(await loadFaker(holder)) : undefined;
  const c = new Compiler(file, templateFunctions(holder, fake), textOfFile);
  const root = c.node(doc, '');
  const evalRoot: Eval = typeof root === 'function' ? root : () => root.c;
  const scope: Scope = { thing: '', index: 0, seq: 0, t: 0, ms: 0, now: '', line: null };
  const usesNow = c.usesNow;
  return {
    siteCount: c.siteCount,
    render(state, line, wallMs) {
      holder.s = state;
      scope.thing = state.name;
      scope.index = state.k;
      scope.seq = state.seq;
      scope.t = state.t;
      scope.ms = wallMs;
      if (usesNow) scope.now = new Date(wallMs).toISOString();
      scope.line = line;
      return evalRoot(scope);
    },
  };
}
