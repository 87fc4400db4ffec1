/**
 * AWS IoT policy evaluation, pure (docs/aws-iot-facts.md#policies). IAM grammar and IAM evaluation logic:
 * "By default, all policies are implicitly denied. An explicit allow in any identity-based or
 * resource-based policy overrides the default behavior. An explicit deny in any policy overrides
 * any allows." (create-iot-policy.html).
 *
 * - Action / NotAction / Resource / NotResource: a string or an array of strings.
 * - Actions match case-insensitively, with `*` / `?` wildcards (`iot:*`).
 * - Resources match case-sensitively; `*` is any run of characters including `/` and `:`, `?` exactly
 *   one; MQTT's `+` and `#` are literal ("treated as those characters with no special meaning",
 *   pub-sub-policy.md).
 * - Policy variables are substituted before matching; substituted values are literal (a
 *   client id `a*` does not become a wildcard); `${*}`, `${?}`, `${$}` are a literal `*`, `?`, `$`.
 *   A variable that cannot be resolved makes its element unable to match (design choice).
 * - Condition: StringEquals, StringNotEquals, StringEqualsIgnoreCase, StringLike, StringNotLike, Bool,
 *   Null (with `IfExists`) on the keys that `${…}` resolves; any other operator makes the statement
 *   inapplicable (a deny with an unknown operator is thus not applied: documented deviation).
 */

export type Effect = 'Allow' | 'Deny';

export interface PolicyStatement {
  effect: Effect;
  /** exactly one of action / notAction */
  action?: string[];
  notAction?: string[];
  /** exactly one of resource / notResource */
  resource?: string[];
  notResource?: string[];
  condition?: Record<string, Record<string, string[]>>;
}

export interface PolicyDocument {
  statements: PolicyStatement[];
}

export class PolicyParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PolicyParseError';
  }
}

/** What a principal is known by on this connection; the source of `${iot:…}` values. */
export interface PolicyContext {
  clientId?: string;
  certificateId?: string;
  /** the thing attached to the certificate whose name is the client id, when there is one */
  thing?: { thingName: string; thingTypeName?: string; attributes: Record<string, string> };
}

export type PolicyDecision =
  | { decision: 'allow' }
  | { decision: 'explicitDeny'; statement: PolicyStatement }
  | { decision: 'implicitDeny' };

function strings(v: unknown, field: string): string[] {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string')) return v as string[];
  throw new PolicyParseError(`${field} must be a string or a non-empty array of strings`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseStatement(s: unknown, i: number): PolicyStatement {
  if (!isObject(s)) throw new PolicyParseError(`Statement[${i}] must be an object`);
  if (s.Effect !== 'Allow' && s.Effect !== 'Deny') throw new PolicyParseError(`Statement[${i}].Effect must be "Allow" or "Deny"`);
  const st: PolicyStatement = { effect: s.Effect };
  if ((s.Action === undefined) === (s.NotAction === undefined)) throw new PolicyParseError(`Statement[${i}] needs exactly one of Action, NotAction`);
  if (s.Action !== undefined) st.action = strings(s.Action, `Statement[${i}].Action`);
  else st.notAction = strings(s.NotAction, `Statement[${i}].NotAction`);
  if ((s.Resource === undefined) === (s.NotResource === undefined)) throw new PolicyParseError(`Statement[${i}] needs exactly one of Resource, NotResource`);
  if (s.Resource !== undefined) st.resource = strings(s.Resource, `Statement[${i}].Resource`);
  else st.notResource = strings(s.NotResource, `Statement[${i}].NotResource`);
  if (s.Condition !== undefined) {
    if (!isObject(s.Condition)) throw new PolicyParseError(`Statement[${i}].Condition must be an object`);
    const cond: Record<string, Record<string, string[]>> = {};
    for (const [op, block] of Object.entries(s.Condition)) {
      if (!isObject(block)) throw new PolicyParseError(`Statement[${i}].Condition.${op} must be an object`);
      cond[op] = {};
      for (const [key, value] of Object.entries(block)) {
        const vals = Array.isArray(value) ? value : [value];
        if (!vals.every((x) => ['string', 'boolean', 'number'].includes(typeof x))) {
          throw new PolicyParseError(`Statement[${i}].Condition.${op}.${key} must be a string or an array of strings`);
        }
        cond[op]![key] = vals.map(String);
      }
    }
    st.condition = cond;
  }
  return st;
}

/** Parses a policy document (JSON text or an already-parsed object). */
export function parsePolicy(doc: string | unknown): PolicyDocument {
  let json: unknown = doc;
  if (typeof doc === 'string') {
    try {
      json = JSON.parse(doc);
    } catch {
      throw new PolicyParseError('policy document is not valid JSON');
    }
  }
  if (!isObject(json)) throw new PolicyParseError('policy document must be a JSON object');
  const raw = json.Statement;
  if (raw === undefined) throw new PolicyParseError('policy document has no Statement');
  const list = Array.isArray(raw) ? raw : [raw];
  return { statements: list.map(parseStatement) };
}

/** The value of a context key (`iot:ClientId`, …), or undefined when it does not resolve. */
export function contextValue(key: string, ctx: PolicyContext): string | undefined {
  const thingAttr = /^iot:Connection\.Thing\.Attributes\[(.+)\]$/.exec(key);
  if (thingAttr) return ctx.thing?.attributes[thingAttr[1]!];
  switch (key) {
    case 'iot:ClientId':
      return ctx.clientId;
    case 'iot:CertificateId':
      return ctx.certificateId;
    case 'iot:Connection.Thing.ThingName':
      return ctx.thing?.thingName;
    case 'iot:Connection.Thing.ThingTypeName':
      return ctx.thing?.thingTypeName;
    case 'iot:Connection.Thing.IsAttached':
      return ctx.thing ? 'true' : 'false';
    default:
      return undefined;
  }
}

const FIXED: Record<string, string> = { '*': '*', '?': '?', $: '$' };

type Piece = { literal: string } | { wild: '*' | '?' };

/** Splits a policy string into literals and wildcards after substituting variables; undefined when a variable is unresolved. */
function substitute(pattern: string, ctx: PolicyContext): Piece[] | undefined {
  const pieces: Piece[] = [];
  let lit = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '$' && pattern[i + 1] === '{') {
      const end = pattern.indexOf('}', i + 2);
      if (end > 0) {
        const name = pattern.slice(i + 2, end);
        const value = FIXED[name] ?? contextValue(name, ctx);
        if (value === undefined) return undefined;
        lit += value;
        i = end;
        continue;
      }
    }
    if (c === '*' || c === '?') {
      if (lit) pieces.push({ literal: lit });
      lit = '';
      pieces.push({ wild: c });
    } else {
      lit += c;
    }
  }
  if (lit) pieces.push({ literal: lit });
  return pieces;
}

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

function toRegExp(pieces: Piece[], ignoreCase: boolean): RegExp {
  const src = pieces.map((p) => ('literal' in p ? escapeRe(p.literal) : p.wild === '*' ? '[\\s\\S]*' : '[\\s\\S]')).join('');
  return new RegExp(`^${src}$`, ignoreCase ? 'is' : 's');
}

/** IAM-style glob match after variable substitution; undefined when the pattern has an unresolved variable. */
export function globMatches(pattern: string, value: string, ctx: PolicyContext = {}, ignoreCase = false): boolean | undefined {
  const pieces = substitute(pattern, ctx);
  if (!pieces) return undefined;
  return toRegExp(pieces, ignoreCase).test(value);
}

function actionApplies(st: PolicyStatement, action: string): boolean {
  if (st.action) return st.action.some((a) => globMatches(a, action, {}, true) === true);
  return !st.notAction!.some((a) => globMatches(a, action, {}, true) === true);
}

function resourceApplies(st: PolicyStatement, resource: string, ctx: PolicyContext): boolean {
  if (st.resource) return st.resource.some((r) => globMatches(r, resource, ctx) === true);
  let unresolved = false;
  for (const r of st.notResource!) {
    const m = globMatches(r, resource, ctx);
    if (m === true) return false;
    if (m === undefined) unresolved = true;
  }
  // an unresolved NotResource element cannot exclude anything: conservative per effect
  return !(unresolved && st.effect === 'Allow');
}

function conditionHolds(st: PolicyStatement, ctx: PolicyContext): boolean {
  if (!st.condition) return true;
  for (const [rawOp, block] of Object.entries(st.condition)) {
    const ifExists = rawOp.endsWith('IfExists');
    const op = ifExists ? rawOp.slice(0, -'IfExists'.length) : rawOp;
    for (const [key, wanted] of Object.entries(block)) {
      const actual = contextValue(key, ctx);
      if (op === 'Null') {
        const isNull = actual === undefined;
        if (!wanted.some((w) => (w === 'true') === isNull)) return false;
        continue;
      }
      if (actual === undefined) {
        if (ifExists) continue;
        return false;
      }
      const like = (w: string): boolean => globMatches(w, actual, ctx) === true;
      // StringEquals & co. substitute variables too, but `*` and `?` are literal there
      const exact = (w: string): string | undefined => substitute(w, ctx)?.map((p) => ('literal' in p ? p.literal : p.wild)).join('');
      let ok: boolean;
      switch (op) {
        case 'StringEquals':
          ok = wanted.some((w) => exact(w) === actual);
          break;
        case 'StringNotEquals':
          ok = !wanted.some((w) => exact(w) === actual);
          break;
        case 'StringEqualsIgnoreCase':
          ok = wanted.some((w) => exact(w)?.toLowerCase() === actual.toLowerCase());
          break;
        case 'StringLike':
          ok = wanted.some(like);
          break;
        case 'StringNotLike':
          ok = !wanted.some(like);
          break;
        case 'Bool':
          ok = wanted.some((w) => w.toLowerCase() === actual.toLowerCase());
          break;
        default:
          return false;
      }
      if (!ok) return false;
    }
  }
  return true;
}

/** Evaluates every statement of every policy for one request (IAM evaluation). */
export function evaluate(policies: readonly PolicyDocument[], action: string, resource: string, ctx: PolicyContext): PolicyDecision {
  let allowed = false;
  for (const policy of policies) {
    for (const st of policy.statements) {
      if (!actionApplies(st, action) || !resourceApplies(st, resource, ctx) || !conditionHolds(st, ctx)) continue;
      if (st.effect === 'Deny') return { decision: 'explicitDeny', statement: st };
      allowed = true;
    }
  }
  return allowed ? { decision: 'allow' } : { decision: 'implicitDeny' };
}

/** The ARNs AWS IoT checks (https://docs.aws.amazon.com/iot/latest/developerguide/iot-action-resources.html). */
export const iotArn = {
  client: (region: string, account: string, clientId: string) => `arn:aws:iot:${region}:${account}:client/${clientId}`,
  topic: (region: string, account: string, topic: string) => `arn:aws:iot:${region}:${account}:topic/${topic}`,
  topicfilter: (region: string, account: string, filter: string) => `arn:aws:iot:${region}:${account}:topicfilter/${filter}`,
};
