import { MAX_POLICY_NAME_LENGTH, MAX_THING_NAME_LENGTH, MAX_TOPIC_SLASHES } from '../aws/limits.js';

/**
 * The least-privilege AWS IoT policy elf attaches to each thing's certificate (pure).
 *
 * A thing may (docs/aws-iot-facts.md#policies, #device-shadow):
 *  - iot:Connect only as itself:           arn:aws:iot:<region>:<account>:client/<thingName>
 *  - iot:Publish, iot:Receive under root:  topic/<root>, topic/<root>/*
 *  - iot:Subscribe to filters under root:  topicfilter/<root>, topicfilter/<root>/*
 *  - the same three on its own shadow:     topic/$aws/things/<thingName>/shadow/*, topicfilter/$aws/things/<thingName>/shadow/*
 * Region and account are always spelled out (the original ELF allowed `arn:aws:iot:<region>:*:*`).
 * Policy wildcards are IAM globs: `*` crosses `/`, and `+`/`#` are literal, so `topicfilter/<root>/*`
 * also covers the MQTT filters `<root>/#` and `<root>/+/x`.
 */

/** AWS IoT thing names: 1–128 of [a-zA-Z0-9:_-] (https://docs.aws.amazon.com/iot/latest/apireference/API_CreateThing.html); elf leaves out `:` so the name fits a policy name too. */
export const THING_NAME_RE = new RegExp(`^[a-zA-Z0-9_-]{1,${MAX_THING_NAME_LENGTH}}$`);
/** Policy names: 1–128 of [\w+=,.@-] (https://docs.aws.amazon.com/iot/latest/apireference/API_CreatePolicy.html). */
export const POLICY_NAME_RE = new RegExp(`^[\\w+=,.@-]{1,${MAX_POLICY_NAME_LENGTH}}$`);
export const POLICY_PREFIX = 'elf-';

export function policyNameFor(thingName: string): string {
  return `${POLICY_PREFIX}${thingName}`;
}

/**
 * Why a topic root cannot be used, or undefined when it can. MQTT topic rules (docs/aws-iot-facts.md#message-broker-limits): ≤ 256 bytes,
 * ≤ 7 slashes in a topic (the root's own levels leave room below it), no wildcards; no IAM glob or
 * policy-variable characters, which would widen the policy; not a reserved `$` topic.
 */
export function topicRootProblem(root: string): string | undefined {
  if (root.length === 0) return 'must not be empty';
  if (/[+#*?$\s\\]/.test(root) || [...root].some((c) => c.charCodeAt(0) < 0x20)) return 'must not contain wildcards (+ # * ?), $, spaces or control characters';
  if (root.startsWith('/') || root.endsWith('/') || root.includes('//')) return 'must not start or end with "/" or contain an empty level';
  if ((root.match(/\//g) ?? []).length > MAX_TOPIC_SLASHES - 2) return `may have at most ${MAX_TOPIC_SLASHES - 1} levels (AWS allows ${MAX_TOPIC_SLASHES + 1} in a topic, elf needs 2 below the root)`;
  if (Buffer.byteLength(root, 'utf8') > 128) return 'must be at most 128 bytes';
  return undefined;
}

export interface PolicyInput {
  region: string;
  account: string;
  thingName: string;
  topicRoot: string;
  /** `aws`, `aws-cn`, `aws-us-gov`: from the certificate ARN; default `aws` */
  partition?: string;
}

export interface ThingPolicyStatement {
  Effect: 'Allow' | 'Deny';
  Action: string[];
  Resource: string[];
}

export interface ThingPolicyDocument {
  Version: '2012-10-17';
  Statement: ThingPolicyStatement[];
}

export function thingPolicyDocument({ region, account, thingName, topicRoot, partition = 'aws' }: PolicyInput): ThingPolicyDocument {
  if (!/^aws(-[a-z]+)*$/.test(partition)) throw new Error(`invalid partition for a policy ARN: ${partition}`);
  if (!/^[a-z0-9-]+$/.test(region)) throw new Error(`invalid region for a policy ARN: ${region}`);
  if (!/^\d{12}$/.test(account)) throw new Error(`invalid account id for a policy ARN: ${account}`);
  if (!THING_NAME_RE.test(thingName)) throw new Error(`invalid thing name for a policy: ${thingName}`);
  const problem = topicRootProblem(topicRoot);
  if (problem) throw new Error(`invalid topic root "${topicRoot}": ${problem}`);
  const arn = (rest: string) => `arn:${partition}:iot:${region}:${account}:${rest}`;
  const shadow = `$aws/things/${thingName}/shadow`;
  return {
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Action: ['iot:Connect'], Resource: [arn(`client/${thingName}`)] },
      {
        Effect: 'Allow',
        Action: ['iot:Publish', 'iot:Receive'],
        Resource: [arn(`topic/${topicRoot}`), arn(`topic/${topicRoot}/*`), arn(`topic/${shadow}/*`)],
      },
      {
        Effect: 'Allow',
        Action: ['iot:Subscribe'],
        Resource: [arn(`topicfilter/${topicRoot}`), arn(`topicfilter/${topicRoot}/*`), arn(`topicfilter/${shadow}/*`)],
      },
    ],
  };
}

/** The document as sent to CreatePolicy: compact JSON (AWS counts 2,048 characters without whitespace, docs/aws-iot-facts.md#policies). */
export function policyDocumentText(input: PolicyInput): string {
  return JSON.stringify(thingPolicyDocument(input));
}

/** Same policy? Compares parsed documents so whitespace and key order do not matter. */
export function samePolicy(a: string, b: string): boolean {
  try {
    return canonical(JSON.parse(a)) === canonical(JSON.parse(b));
  } catch {
    return false;
  }
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/** `arn:aws:iot:<region>:<account>:cert/<id>` → its parts, or undefined. */
export function parseArn(arn: string): { partition: string; service: string; region: string; account: string; resource: string } | undefined {
  const m = /^arn:([^:]+):([^:]+):([^:]*):([^:]*):(.+)$/.exec(arn);
  if (!m) return undefined;
  return { partition: m[1]!, service: m[2]!, region: m[3]!, account: m[4]!, resource: m[5]! };
}
