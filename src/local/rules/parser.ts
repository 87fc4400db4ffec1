import { createToken, EmbeddedActionsParser, Lexer, type IToken, type TokenType } from 'chevrotain';
import type { BinaryOp, Expr, SelectItem, Statement } from './ast.js';

/**
 * AWS IoT SQL (2016-03-23) parsed with chevrotain: a lexer of case-insensitive keywords and an
 * LL(k) grammar whose embedded actions build the tree of ast.ts.
 * https://docs.aws.amazon.com/iot/latest/developerguide/iot-sql-reference.html
 *
 * Precedence, lowest first: OR, AND, NOT, comparison, + -, * / %, unary minus, `.` and `[]`.
 */

export class SqlSyntaxError extends Error {}

const Identifier = createToken({ name: 'Identifier', pattern: /[A-Za-z_][A-Za-z0-9_]*/ });
const keyword = (name: string, categories: TokenType[] = []): TokenType =>
  createToken({ name, pattern: new RegExp(`${name}(?![A-Za-z0-9_])`, 'i'), longer_alt: Identifier, categories });

const Select = keyword('SELECT');
// VALUE is a keyword only right after SELECT; elsewhere it is a field name like any other
const Value = keyword('VALUE', [Identifier]);
const From = keyword('FROM');
const Where = keyword('WHERE');
const As = keyword('AS');
const And = keyword('AND');
const Or = keyword('OR');
const Not = keyword('NOT');
const Case = keyword('CASE');
const When = keyword('WHEN');
const Then = keyword('THEN');
const Else = keyword('ELSE');
const End = keyword('END');
const True = keyword('TRUE');
const False = keyword('FALSE');
const Null = keyword('NULL');

const NumberLit = createToken({ name: 'Number', pattern: /\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/ });
const SingleQuoted = createToken({ name: 'SingleQuoted', pattern: /'(?:[^'\\]|\\.|'')*'/ });
const DoubleQuoted = createToken({ name: 'DoubleQuoted', pattern: /"(?:[^"\\]|\\.)*"/ });
const NotEqual = createToken({ name: 'NotEqual', pattern: /<>|!=/ });
const LessEq = createToken({ name: 'LessEq', pattern: /<=/ });
const GreaterEq = createToken({ name: 'GreaterEq', pattern: />=/ });
const Less = createToken({ name: 'Less', pattern: /</ });
const Greater = createToken({ name: 'Greater', pattern: />/ });
const Equal = createToken({ name: 'Equal', pattern: /=/ });
const Plus = createToken({ name: 'Plus', pattern: /\+/ });
const Minus = createToken({ name: 'Minus', pattern: /-/ });
const Star = createToken({ name: 'Star', pattern: /\*/ });
const Slash = createToken({ name: 'Slash', pattern: /\// });
const Percent = createToken({ name: 'Percent', pattern: /%/ });
const Comma = createToken({ name: 'Comma', pattern: /,/ });
const Dot = createToken({ name: 'Dot', pattern: /\./ });
const Colon = createToken({ name: 'Colon', pattern: /:/ });
const LParen = createToken({ name: 'LParen', pattern: /\(/ });
const RParen = createToken({ name: 'RParen', pattern: /\)/ });
const LBracket = createToken({ name: 'LBracket', pattern: /\[/ });
const RBracket = createToken({ name: 'RBracket', pattern: /]/ });
const LBrace = createToken({ name: 'LBrace', pattern: /\{/ });
const RBrace = createToken({ name: 'RBrace', pattern: /}/ });
const WhiteSpace = createToken({ name: 'WhiteSpace', pattern: /\s+/, group: Lexer.SKIPPED });

const KEYWORDS = [Select, Value, From, Where, As, And, Or, Not, Case, When, Then, Else, End, True, False, Null];
const ALL = [WhiteSpace, ...KEYWORDS, Identifier, NumberLit, SingleQuoted, DoubleQuoted, NotEqual, LessEq, GreaterEq, Less, Greater, Equal, Plus, Minus, Star, Slash, Percent, Comma, Dot, Colon, LParen, RParen, LBracket, RBracket, LBrace, RBrace];

const lexer = new Lexer(ALL, { ensureOptimizations: false, positionTracking: 'onlyOffset' });

/** Tokens that can start the expression after `SELECT VALUE`. */
const EXPRESSION_STARTS = new Set<TokenType>([Identifier, Value, NumberLit, SingleQuoted, DoubleQuoted, LParen, LBracket, LBrace, Case, True, False, Null, Not]);

function unquote(image: string | undefined): string {
  // chevrotain records the grammar once by running the rules on placeholder tokens without images
  if (!image) return '';
  const quote = image[0]!;
  const body = image.slice(1, -1);
  return body.replace(quote === "'" ? /''|\\(.)/g : /\\(.)/g, (m: string, c?: string) => (m === "''" ? "'" : c === 'n' ? '\n' : c === 't' ? '\t' : (c ?? m)));
}

function numberOf(image: string): number {
  return Number(image);
}

class SqlParser extends EmbeddedActionsParser {
  constructor() {
    super(ALL, { maxLookahead: 3 });
    this.performSelfAnalysis();
  }

  /** `SELECT [VALUE] item, …` */
  selectList = this.RULE('selectList', (): { value: boolean; items: SelectItem[] } => {
    this.CONSUME(Select);
    let value = false;
    this.OPTION({
      GATE: () => EXPRESSION_STARTS.has(this.LA(2).tokenType),
      DEF: () => {
        this.CONSUME(Value);
        value = true;
      },
    });
    const items: SelectItem[] = [];
    this.AT_LEAST_ONE_SEP({ SEP: Comma, DEF: () => items.push(this.SUBRULE(this.selectItem)) });
    return { value, items };
  });

  statement = this.RULE('statement', (): Statement => {
    const { value, items } = this.SUBRULE(this.selectList);
    let from: string | undefined;
    let where: Expr | undefined;
    this.OPTION2(() => {
      this.CONSUME(From);
      from = unquote(this.OR([{ ALT: () => this.CONSUME(SingleQuoted) }, { ALT: () => this.CONSUME(DoubleQuoted) }]).image);
    });
    this.OPTION3(() => {
      this.CONSUME(Where);
      where = this.SUBRULE(this.expression);
    });
    return { value, items, ...(from !== undefined ? { from } : {}), ...(where ? { where } : {}) };
  });

  selectItem = this.RULE('selectItem', (): SelectItem =>
    this.OR([
      {
        ALT: () => {
          this.CONSUME(Star);
          return { kind: 'star' } as const;
        },
      },
      {
        ALT: () => {
          const expr = this.SUBRULE(this.expression);
          let alias: string | undefined;
          this.OPTION(() => {
            this.CONSUME(As);
            alias = this.SUBRULE(this.name);
          });
          return { kind: 'expr', expr, ...(alias !== undefined ? { alias } : {}) } as const;
        },
      },
    ]),
  );

  /** an alias or object key: an identifier or a quoted string */
  name = this.RULE('name', (): string =>
    this.OR([{ ALT: () => this.CONSUME(Identifier).image }, { ALT: () => unquote(this.CONSUME(SingleQuoted).image) }, { ALT: () => unquote(this.CONSUME(DoubleQuoted).image) }]),
  );

  expression = this.RULE('expression', (): Expr => this.SUBRULE(this.orExpr));

  orExpr = this.RULE('orExpr', (): Expr => this.chain(() => this.SUBRULE(this.andExpr), () => this.SUBRULE2(this.andExpr), [[Or, 'OR']]));

  andExpr = this.RULE('andExpr', (): Expr => this.chain(() => this.SUBRULE(this.notExpr), () => this.SUBRULE2(this.notExpr), [[And, 'AND']]));

  notExpr = this.RULE('notExpr', (): Expr =>
    this.OR([
      {
        ALT: () => {
          this.CONSUME(Not);
          return { kind: 'unary', op: 'NOT', operand: this.SUBRULE(this.notExpr) } as Expr;
        },
      },
      { ALT: () => this.SUBRULE(this.comparison) },
    ]),
  );

  comparison = this.RULE('comparison', (): Expr => {
    const left = this.SUBRULE(this.additive);
    let out = left;
    this.OPTION(() => {
      const op = this.OR(
        (
          [
            [Equal, '='],
            [NotEqual, '<>'],
            [LessEq, '<='],
            [GreaterEq, '>='],
            [Less, '<'],
            [Greater, '>'],
          ] as [TokenType, BinaryOp][]
        ).map(([t, o]) => ({ ALT: () => (this.CONSUME(t), o) })),
      );
      out = { kind: 'binary', op, left, right: this.SUBRULE2(this.additive) };
    });
    return out;
  });

  additive = this.RULE('additive', (): Expr =>
    this.chain(
      () => this.SUBRULE(this.multiplicative),
      () => this.SUBRULE2(this.multiplicative),
      [
        [Plus, '+'],
        [Minus, '-'],
      ],
    ),
  );

  multiplicative = this.RULE('multiplicative', (): Expr =>
    this.chain(
      () => this.SUBRULE(this.unary),
      () => this.SUBRULE2(this.unary),
      [
        [Star, '*'],
        [Slash, '/'],
        [Percent, '%'],
      ],
    ),
  );

  unary = this.RULE('unary', (): Expr =>
    this.OR([
      {
        ALT: () => {
          this.CONSUME(Minus);
          const operand = this.SUBRULE(this.unary);
          // a negative number literal stays a literal (so `-1` is the Int -1)
          return this.ACTION(() =>
            operand.kind === 'literal' && typeof operand.value === 'number' ? ({ kind: 'literal', value: -operand.value } as Expr) : ({ kind: 'unary', op: '-', operand } as Expr),
          );
        },
      },
      { ALT: () => this.SUBRULE(this.postfix) },
    ]),
  );

  postfix = this.RULE('postfix', (): Expr => {
    let e = this.SUBRULE(this.primary);
    this.MANY(() => {
      this.OR([
        {
          ALT: () => {
            this.CONSUME(Dot);
            e = { kind: 'member', object: e, name: this.CONSUME(Identifier).image };
          },
        },
        {
          ALT: () => {
            this.CONSUME(LBracket);
            const index = this.SUBRULE(this.expression);
            this.CONSUME(RBracket);
            e = { kind: 'index', object: e, index };
          },
        },
      ]);
    });
    return e;
  });

  primary = this.RULE('primary', (): Expr =>
    this.OR([
      { ALT: () => ({ kind: 'literal', value: numberOf(this.CONSUME(NumberLit).image) }) as Expr },
      { ALT: () => ({ kind: 'literal', value: unquote(this.CONSUME(SingleQuoted).image) }) as Expr },
      { ALT: () => ({ kind: 'literal', value: unquote(this.CONSUME(DoubleQuoted).image) }) as Expr },
      { ALT: () => (this.CONSUME(True), { kind: 'literal', value: true } as Expr) },
      { ALT: () => (this.CONSUME(False), { kind: 'literal', value: false } as Expr) },
      { ALT: () => (this.CONSUME(Null), { kind: 'literal', value: null } as Expr) },
      { ALT: () => this.SUBRULE(this.caseExpr) },
      { ALT: () => this.SUBRULE(this.objectLiteral) },
      { ALT: () => this.SUBRULE(this.arrayLiteral) },
      { GATE: () => this.LA(2).tokenType === LParen, ALT: () => this.SUBRULE(this.call) },
      { GATE: () => this.LA(2).tokenType === Select, ALT: () => this.SUBRULE(this.nestedSelect) },
      { ALT: () => ({ kind: 'field', name: this.CONSUME(Identifier).image }) as Expr },
      {
        ALT: () => {
          this.CONSUME(LParen);
          const e = this.SUBRULE(this.expression);
          this.CONSUME(RParen);
          return e;
        },
      },
    ]),
  );

  /** https://docs.aws.amazon.com/iot/latest/developerguide/iot-sql-nested-queries.html */
  nestedSelect = this.RULE('nestedSelect', (): Expr => {
    this.CONSUME(LParen);
    const { value, items } = this.SUBRULE(this.selectList);
    this.CONSUME(From);
    const from = this.SUBRULE(this.expression);
    let where: Expr | undefined;
    this.OPTION(() => {
      this.CONSUME(Where);
      where = this.SUBRULE2(this.expression);
    });
    this.CONSUME(RParen);
    return { kind: 'select', value, items, from, ...(where ? { where } : {}) };
  });

  call = this.RULE('call', (): Expr => {
    const name = this.CONSUME(Identifier).image;
    this.CONSUME(LParen);
    const args: Expr[] = [];
    let castType: string | undefined;
    this.MANY_SEP({
      SEP: Comma,
      DEF: () => {
        args.push(this.OR([{ ALT: () => (this.CONSUME(Star), { kind: 'star' } as Expr) }, { ALT: () => this.SUBRULE(this.expression) }]));
        this.OPTION(() => {
          this.CONSUME(As);
          castType = this.CONSUME2(Identifier).image;
        });
      },
    });
    this.CONSUME(RParen);
    return this.ACTION((): Expr => {
      const isCast = name.toLowerCase() === 'cast';
      if (castType === undefined && !isCast) return { kind: 'call', name, args };
      if (!isCast || castType === undefined || args.length !== 1) {
        throw new SqlSyntaxError(isCast ? 'cast takes one value and a type: cast(value AS type)' : `AS is only allowed inside cast(), not in ${name}()`);
      }
      return { kind: 'cast', value: args[0]!, type: castType };
    });
  });

  caseExpr = this.RULE('caseExpr', (): Expr => {
    this.CONSUME(Case);
    let subject: Expr | undefined;
    this.OPTION(() => (subject = this.SUBRULE(this.expression)));
    const whens: { when: Expr; then: Expr }[] = [];
    this.AT_LEAST_ONE(() => {
      this.CONSUME(When);
      const when = this.SUBRULE2(this.expression);
      this.CONSUME(Then);
      whens.push({ when, then: this.SUBRULE3(this.expression) });
    });
    let otherwise: Expr | undefined;
    this.OPTION2(() => {
      this.CONSUME(Else);
      otherwise = this.SUBRULE4(this.expression);
    });
    this.CONSUME(End);
    return { kind: 'case', ...(subject ? { subject } : {}), whens, ...(otherwise ? { otherwise } : {}) };
  });

  objectLiteral = this.RULE('objectLiteral', (): Expr => {
    this.CONSUME(LBrace);
    const entries: { key: string; value: Expr }[] = [];
    this.MANY_SEP({
      SEP: Comma,
      DEF: () => {
        const key = this.SUBRULE(this.name);
        this.CONSUME(Colon);
        entries.push({ key, value: this.SUBRULE(this.expression) });
      },
    });
    this.CONSUME(RBrace);
    return { kind: 'object', entries };
  });

  arrayLiteral = this.RULE('arrayLiteral', (): Expr => {
    this.CONSUME(LBracket);
    const items: Expr[] = [];
    this.MANY_SEP({ SEP: Comma, DEF: () => items.push(this.SUBRULE(this.expression)) });
    this.CONSUME(RBracket);
    return { kind: 'array', items };
  });

  /** `first (op next)*`, left-associative */
  private chain(first: () => Expr, next: () => Expr, ops: [TokenType, BinaryOp][]): Expr {
    let left = first();
    this.MANY(() => {
      const op = this.OR(ops.map(([t, o]) => ({ ALT: () => (this.CONSUME(t), o) })));
      left = { kind: 'binary', op, left, right: next() };
    });
    return left;
  }
}

const parser = new SqlParser();

function describe(token: IToken): string {
  return token.tokenType.name === 'EOF' ? 'the end' : `'${token.image}' at offset ${token.startOffset}`;
}

function run<T>(text: string, entry: (p: SqlParser) => T): T {
  const lexed = lexer.tokenize(text);
  if (lexed.errors.length > 0) {
    const e = lexed.errors[0]!;
    throw new SqlSyntaxError(`unexpected character '${text.charAt(e.offset)}' at offset ${e.offset}`);
  }
  parser.input = lexed.tokens;
  const out = entry(parser);
  if (parser.errors.length > 0) {
    const e = parser.errors[0]!;
    throw new SqlSyntaxError(`unexpected ${describe(e.token)}`);
  }
  return out;
}

/** Parses a whole statement; throws SqlSyntaxError with the offending token. */
export function parseStatement(sql: string): Statement {
  return run(sql, (p) => p.statement());
}

/** Parses one expression, as found inside a `${…}` substitution template. */
export function parseExpression(text: string): Expr {
  return run(text, (p) => p.expression());
}
