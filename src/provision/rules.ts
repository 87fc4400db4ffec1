import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import {
  CreateTopicRuleCommand,
  DeleteTopicRuleCommand,
  DisableTopicRuleCommand,
  EnableTopicRuleCommand,
  GetTopicRuleCommand,
  ListTagsForResourceCommand,
  ListTopicRulesCommand,
  type IoTClient,
  type TopicRulePayload,
} from '@aws-sdk/client-iot';
import { makeDirectory } from '../dirs.js';
import { ElfError } from '../errors.js';
import { RUN_ATTRIBUTE } from '../fleet/shard.js';
import { writeFileAtomic } from '../util/atomic-write.js';

/**
 * Topic rules made by `elf rule`: the payload from flags or a `topicRulePayload` file (the one
 * `aws iot create-topic-rule --topic-rule-payload file://…` takes), the calls, and the record of the
 * rules elf made (`<state-dir>/elf-rules.json`) so that `elf clean` removes those and no others.
 * https://docs.aws.amazon.com/iot/latest/apireference/API_CreateTopicRule.html
 */

export const RULES_RECORD = 'elf-rules.json';
/** the role put in actions on the local stand-in, which does not check roles */
export const LOCAL_ROLE_ARN = 'arn:aws:iam::123456789012:role/elf-local-rules';

const NEEDS_ROLE = new Set(['republish', 's3', 'firehose', 'kinesis']);
/** the flag spellings of each action's fields */
const FIELDS: Record<string, Record<string, string>> = {
  s3: { bucket: 'bucketName', bucketName: 'bucketName', key: 'key', cannedAcl: 'cannedAcl' },
  firehose: { stream: 'deliveryStreamName', deliveryStreamName: 'deliveryStreamName', separator: 'separator', batchMode: 'batchMode' },
  kinesis: { stream: 'streamName', streamName: 'streamName', partitionKey: 'partitionKey' },
  republish: { topic: 'topic', qos: 'qos' },
  http: { url: 'url' },
};
const SEPARATORS: Record<string, string> = { '\\n': '\n', '\\t': '\t', '\\r\\n': '\r\n', ',': ',', comma: ',', newline: '\n', tab: '\t' };

/**
 * One `--action` spec, `type:field=value,field=value`, as an AWS Action object, e.g.
 * `s3:bucket=elf-data,key=${topic()}/${newuuid()}`, `firehose:stream=radar,separator=\n`,
 * `republish:topic=out/x,qos=1`, `http:url=https://example.com/in,header.x-api-key=…`.
 * A value may hold commas when the next field does not follow them.
 */
export function parseActionSpec(spec: string, roleArn: string | undefined): Record<string, unknown> {
  const colon = spec.indexOf(':');
  const type = colon < 0 ? spec : spec.slice(0, colon);
  const fields = FIELDS[type];
  if (!fields) throw new ElfError(`--action ${spec}: unknown action type ${type}; use one of ${Object.keys(FIELDS).join(', ')}`);
  const out: Record<string, unknown> = {};
  const headers: { key: string; value: string }[] = [];
  for (const pair of colon < 0 ? [] : spec.slice(colon + 1).split(/,(?=[A-Za-z][\w.-]*=)/)) {
    const eq = pair.indexOf('=');
    const name = pair.slice(0, eq);
    const value = pair.slice(eq + 1);
    if (eq < 0) throw new ElfError(`--action ${spec}: expected field=value, got ${pair}`);
    if (type === 'http' && name.startsWith('header.')) headers.push({ key: name.slice('header.'.length), value });
    else if (fields[name] === 'qos') out.qos = Number(value);
    else if (fields[name] === 'batchMode') out.batchMode = value === 'true';
    else if (fields[name] === 'separator') out.separator = SEPARATORS[value] ?? value;
    else if (fields[name]) out[fields[name]] = value;
    else throw new ElfError(`--action ${spec}: ${type} has no field ${name}; fields: ${Object.keys(fields).join(', ')}`);
  }
  if (headers.length > 0) out.headers = headers;
  if (NEEDS_ROLE.has(type)) {
    if (!roleArn) throw new ElfError(`--action ${spec}: ${type} actions need --role-arn on AWS (a role AWS IoT may assume; see "Topic rules" in the README)`);
    out.roleArn = roleArn;
  }
  return { [type]: out };
}

export function payloadFromFlags(o: { sql: string; actions: string[]; errorAction?: string; roleArn?: string; description?: string; disabled?: boolean }): TopicRulePayload {
  return {
    sql: o.sql,
    awsIotSqlVersion: '2016-03-23',
    ruleDisabled: o.disabled === true,
    ...(o.description ? { description: o.description } : {}),
    actions: o.actions.map((a) => parseActionSpec(a, o.roleArn)),
    ...(o.errorAction ? { errorAction: parseActionSpec(o.errorAction, o.roleArn) } : {}),
  };
}

/**
 * `--payload … --role-arn R`: the payload with R as the role of every action that takes one (and of
 * its error action), so a file shipped with a placeholder role (data/rules/) runs in anyone's account.
 */
export function withRoleArn(payload: TopicRulePayload, roleArn: string): TopicRulePayload {
  const swap = (action: object): object =>
    Object.fromEntries(Object.entries(action).map(([type, fields]) => [type, NEEDS_ROLE.has(type) && typeof fields === 'object' && fields !== null ? { ...fields, roleArn } : fields]));
  return {
    ...payload,
    ...(payload.actions ? { actions: payload.actions.map((a) => swap(a)) } : {}),
    ...(payload.errorAction ? { errorAction: swap(payload.errorAction) } : {}),
  } as TopicRulePayload;
}

/** `--payload file://rule.json` (or a plain path): a topicRulePayload, or `{"topicRulePayload": …}` as in AWS's examples. */
export async function readPayloadFile(ref: string): Promise<TopicRulePayload> {
  const file = ref.startsWith('file://') ? ref.slice('file://'.length) : ref;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new ElfError(`--payload ${ref}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new ElfError(`--payload ${ref}: not JSON (${(e as Error).message})`);
  }
  const o = (v as { topicRulePayload?: unknown })?.topicRulePayload ?? v;
  if (typeof o !== 'object' || o === null || typeof (o as { sql?: unknown }).sql !== 'string') throw new ElfError(`--payload ${ref}: expected a topicRulePayload object with "sql" and "actions"`);
  return o as TopicRulePayload;
}

// ---- the record of rules elf made -----------------------------------------------------------------

export async function recordedRules(stateDir: string): Promise<string[]> {
  try {
    return ((JSON.parse(await readFile(path.join(stateDir, RULES_RECORD), 'utf8')) as { rules?: string[] }).rules ?? []).filter((r) => typeof r === 'string');
  } catch {
    return [];
  }
}

async function saveRecord(stateDir: string, rules: string[]): Promise<void> {
  if (rules.length === 0) await rm(path.join(stateDir, RULES_RECORD), { force: true });
  else await writeFileAtomic(path.join(stateDir, RULES_RECORD), JSON.stringify({ rules }, null, 2));
}

// ---- the calls ------------------------------------------------------------------------------------

/**
 * Creates the rule and records it in the state dir. With the fleet's run id the rule is tagged
 * `elf_run=<id>` (as the run's things carry that attribute), so `elf clean --run-id` finds it.
 */
export async function createRule(client: IoTClient, stateDir: string, name: string, payload: TopicRulePayload, runId?: string): Promise<void> {
  const tags = runId !== undefined ? new URLSearchParams({ [RUN_ATTRIBUTE]: runId }).toString() : undefined;
  // the record's directory exists before the rule does, so a rule elf made is never left unrecorded
  await makeDirectory(stateDir);
  await client.send(new CreateTopicRuleCommand({ ruleName: name, topicRulePayload: payload, ...(tags ? { tags } : {}) }));
  const rules = await recordedRules(stateDir);
  if (!rules.includes(name)) await saveRecord(stateDir, [...rules, name]);
}

export async function deleteRule(client: IoTClient, stateDir: string, name: string): Promise<void> {
  await client.send(new DeleteTopicRuleCommand({ ruleName: name }));
  await saveRecord(stateDir, (await recordedRules(stateDir)).filter((r) => r !== name));
}

export async function setRuleEnabled(client: IoTClient, name: string, enabled: boolean): Promise<void> {
  await client.send(enabled ? new EnableTopicRuleCommand({ ruleName: name }) : new DisableTopicRuleCommand({ ruleName: name }));
}

export async function showRule(client: IoTClient, name: string) {
  return client.send(new GetTopicRuleCommand({ ruleName: name }));
}

export async function listRules(client: IoTClient) {
  const out = [];
  let nextToken: string | undefined;
  do {
    const page = await client.send(new ListTopicRulesCommand({ nextToken }));
    out.push(...(page.rules ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return out;
}

/** `elf clean`: delete the rules elf made (a rule already gone counts as deleted); returns how many. */
export async function cleanRules(client: IoTClient, stateDir: string): Promise<{ deleted: number; failed: string[] }> {
  const failed: string[] = [];
  let deleted = 0;
  for (const name of await recordedRules(stateDir)) {
    try {
      await client.send(new DeleteTopicRuleCommand({ ruleName: name }));
      deleted++;
    } catch (e) {
      // AWS answers a rule that is not there with UnauthorizedException
      if ((e as Error).name === 'UnauthorizedException') deleted++;
      else failed.push(`${name}: ${(e as Error).message}`);
    }
  }
  await saveRecord(stateDir, failed.map((f) => f.split(':')[0]!));
  return { deleted, failed };
}

/** The rules tagged elf_run=<runId>, found with ListTopicRules and each rule's ListTagsForResource. */
async function rulesOfRun(client: IoTClient, runId: string): Promise<string[]> {
  const names: string[] = [];
  for (const r of await listRules(client)) {
    if (!r.ruleArn || !r.ruleName) continue;
    let token: string | undefined;
    do {
      const page = await client.send(new ListTagsForResourceCommand({ resourceArn: r.ruleArn, nextToken: token }));
      if ((page.tags ?? []).some((t) => t.Key === RUN_ATTRIBUTE && t.Value === runId)) names.push(r.ruleName);
      token = page.nextToken;
    } while (token);
  }
  return names;
}

/**
 * `elf clean --run-id`: delete the rules of the run (tagged elf_run=<id> by `elf rule create`); rules
 * without that tag are never touched. A rule already gone counts as deleted. Without the permission
 * to list rules or their tags (iot:ListTopicRules, iot:ListTagsForResource) nothing is deleted and
 * `denied` says why.
 */
export async function cleanRunRules(client: IoTClient, runId: string): Promise<{ deleted: string[]; failed: string[]; denied?: string }> {
  const deleted: string[] = [];
  const failed: string[] = [];
  let names: string[];
  try {
    names = await rulesOfRun(client, runId);
  } catch (e) {
    // an identity without the rule permissions still cleans the run's things
    if ((e as Error).name === 'AccessDeniedException') return { deleted, failed, denied: (e as Error).message.split('\n')[0]! };
    throw e;
  }
  for (const name of names) {
    try {
      await client.send(new DeleteTopicRuleCommand({ ruleName: name }));
      deleted.push(name);
    } catch (e) {
      if ((e as Error).name === 'UnauthorizedException') deleted.push(name);
      else failed.push(`${name}: ${(e as Error).message}`);
    }
  }
  return { deleted, failed };
}
