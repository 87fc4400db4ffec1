/**
 * The syntax tree of an AWS IoT SQL statement (version 2016-03-23), as parser.ts builds it and
 * evaluate.ts walks it. Plain data.
 * https://docs.aws.amazon.com/iot/latest/developerguide/iot-sql-reference.html
 */

export type Expr =
  | { kind: 'literal'; value: unknown }
  /** a top-level payload field (`Volume`) */
  | { kind: 'field'; name: string }
  /** the whole payload (`*`), only as a function argument such as encode(*, 'base64') */
  | { kind: 'star' }
  /** `a.b` */
  | { kind: 'member'; object: Expr; name: string }
  /** `a[0]` */
  | { kind: 'index'; object: Expr; index: Expr }
  | { kind: 'call'; name: string; args: Expr[] }
  /** cast(value AS type) */
  | { kind: 'cast'; value: Expr; type: string }
  | { kind: 'unary'; op: '-' | 'NOT'; operand: Expr }
  | { kind: 'binary'; op: BinaryOp; left: Expr; right: Expr }
  /** CASE [subject] WHEN … THEN … [ELSE …] END; without a subject each WHEN is a condition */
  | { kind: 'case'; subject?: Expr; whens: { when: Expr; then: Expr }[]; otherwise?: Expr }
  | { kind: 'object'; entries: { key: string; value: Expr }[] }
  | { kind: 'array'; items: Expr[] }
  /** a nested `(SELECT … FROM <expr> [WHERE …])`: one result per element of the array FROM names */
  | { kind: 'select'; value: boolean; items: SelectItem[]; from: Expr; where?: Expr };

export type BinaryOp = 'AND' | 'OR' | '=' | '<>' | '<' | '<=' | '>' | '>=' | '+' | '-' | '*' | '/' | '%';

export type SelectItem = { kind: 'star' } | { kind: 'expr'; expr: Expr; alias?: string };

export interface Statement {
  /** SELECT VALUE expr: the result is the bare value, not an object */
  value: boolean;
  items: SelectItem[];
  /** the topic filter of FROM, without quotes; absent for rules fed only by Basic Ingest */
  from?: string;
  where?: Expr;
}
