import { FIREHOSE_SEPARATORS, MAX_RULE_ACTIONS, MAX_RULE_BYTES, RULE_NAME_PATTERN } from '../../aws/limits.js';
import { ApiError, invalid } from '../api-error.js';
import { compileSql, SqlError, SQL_VERSIONS, type CompiledSql } from './engine.js';
import { parseTemplate, type Template } from './template.js';

/**
 * A `topicRulePayload` (the body of CreateTopicRule / ReplaceTopicRule) checked the way AWS checks it,
 * and compiled into what the executor runs: the SQL, and each action with its templates parsed.
 * https://docs.aws.amazon.com/iot/latest/apireference/API_TopicRulePayload.html
 * https://docs.aws.amazon.com/iot/latest/apireference/API_Action.html
 */

export interface TopicRulePayload {
  sql: string;
  description?: string;
  actions: Record<string, unknown>[];
  errorAction?: Record<string, unknown>;
  ruleDisabled?: boolean;
  awsIotSqlVersion?: string;
}

export type RuleAction =
  | { type: 'republish'; topic: Template; qos: 0 | 1 }
  | { type: 's3'; bucketName: Template; key: Template }
  | { type: 'firehose'; deliveryStreamName: Template; separator: string; batchMode: boolean }
  | { type: 'kinesis'; streamName: Template; partitionKey?: Template }
  | { type: 'http'; url: Template; headers: { key: string; value: Template }[] }
  /** an AWS action the stand-in accepts but does not run (lambda, dynamoDB, sns, …) */
  | { type: 'unsupported'; name: string };

export interface CompiledRule {
  sql: CompiledSql;
  actions: RuleAction[];
  errorAction?: RuleAction;
}

/** AWS's action keys (API_Action.html). */
const AWS_ACTIONS = new Set([
  'dynamoDB', 'dynamoDBv2', 'lambda', 'sns', 'sqs', 'kinesis', 'republish', 's3', 'firehose', 'cloudwatchMetric', 'cloudwatchAlarm',
  'cloudwatchLogs', 'elasticsearch', 'salesforce', 'iotAnalytics', 'iotEvents', 'iotSiteWise', 'stepFunctions', 'timestream', 'http',
  'kafka', 'openSearch', 'location',
]);

const SEPARATORS = new Set(FIREHOSE_SEPARATORS);

export function checkRuleName(name: string): string {
  if (!RULE_NAME_PATTERN.test(name)) {
    throw invalid(`1 validation error detected: Value '${name.slice(0, 200)}' at 'ruleName' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9_]+$`);
  }
  return name;
}

function requiredString(o: Record<string, unknown>, field: string, where: string): string {
  const v = o[field];
  if (typeof v !== 'string' || v === '') throw invalid(`${where}.${field} is required and must be a non-empty string`);
  return v;
}

function template(o: Record<string, unknown>, field: string, where: string): Template {
  try {
    return parseTemplate(requiredString(o, field, where), `${where}.${field}`);
  } catch (e) {
    if (e instanceof SqlError) throw invalid(e.message);
    throw e;
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function compileAction(action: unknown, where: string): RuleAction {
  if (!isRecord(action)) throw invalid(`${where} must be an object`);
  const keys = Object.keys(action);
  if (keys.length !== 1) throw invalid(`${where} must have exactly one action, found ${keys.length}: ${keys.join(', ')}`);
  const name = keys[0]!;
  if (!AWS_ACTIONS.has(name)) throw invalid(`${where}: unknown action ${name}`);
  const a = action[name];
  if (!isRecord(a)) throw invalid(`${where}.${name} must be an object`);
  const at = `${where}.${name}`;
  switch (name) {
    case 'republish': {
      requiredString(a, 'roleArn', at);
      const qos = a.qos ?? 0;
      if (qos !== 0 && qos !== 1) throw invalid(`${at}.qos must be 0 or 1`);
      return { type: 'republish', topic: template(a, 'topic', at), qos };
    }
    case 's3':
      requiredString(a, 'roleArn', at);
      return { type: 's3', bucketName: template(a, 'bucketName', at), key: template(a, 'key', at) };
    case 'firehose': {
      requiredString(a, 'roleArn', at);
      const separator = a.separator ?? '';
      if (typeof separator !== 'string' || (separator !== '' && !SEPARATORS.has(separator))) throw invalid(`${at}.separator must be one of "\\n", "\\t", "\\r\\n", ","`);
      if (a.batchMode !== undefined && typeof a.batchMode !== 'boolean') throw invalid(`${at}.batchMode must be a boolean`);
      return { type: 'firehose', deliveryStreamName: template(a, 'deliveryStreamName', at), separator, batchMode: a.batchMode === true };
    }
    case 'kinesis':
      requiredString(a, 'roleArn', at);
      return { type: 'kinesis', streamName: template(a, 'streamName', at), ...(a.partitionKey !== undefined ? { partitionKey: template(a, 'partitionKey', at) } : {}) };
    case 'http': {
      const url = template(a, 'url', at);
      const raw = a.headers ?? [];
      if (!Array.isArray(raw) || raw.length > 100) throw invalid(`${at}.headers must be a list of at most 100 {key, value}`);
      const headers = raw.map((h: unknown, i) => {
        if (!isRecord(h)) throw invalid(`${at}.headers[${i}] must be an object`);
        return { key: requiredString(h, 'key', `${at}.headers[${i}]`), value: template(h, 'value', `${at}.headers[${i}]`) };
      });
      return { type: 'http', url, headers };
    }
    default:
      return { type: 'unsupported', name };
  }
}

/** Checks a payload and compiles it; throws InvalidRequestException or SqlParseException. */
export function compileRulePayload(body: unknown): { payload: TopicRulePayload; compiled: CompiledRule } {
  if (!isRecord(body)) throw invalid('The topic rule payload must be a JSON object');
  if (Buffer.byteLength(JSON.stringify(body)) > MAX_RULE_BYTES) throw invalid(`The topic rule is larger than ${MAX_RULE_BYTES} bytes`);
  const sql = body.sql;
  if (typeof sql !== 'string' || sql.trim() === '') throw invalid('sql is required');
  const version = body.awsIotSqlVersion;
  if (version !== undefined && (typeof version !== 'string' || !(SQL_VERSIONS as readonly string[]).includes(version))) {
    throw invalid(`awsIotSqlVersion must be one of ${SQL_VERSIONS.join(', ')}`);
  }
  if (body.description !== undefined && typeof body.description !== 'string') throw invalid('description must be a string');
  if (body.ruleDisabled !== undefined && typeof body.ruleDisabled !== 'boolean') throw invalid('ruleDisabled must be a boolean');
  const rawActions = body.actions;
  if (!Array.isArray(rawActions)) throw invalid('actions is required and must be a list');
  if (rawActions.length > MAX_RULE_ACTIONS) throw invalid(`A rule can have at most ${MAX_RULE_ACTIONS} actions, not ${rawActions.length}`);
  let compiledSql: CompiledSql;
  try {
    compiledSql = compileSql(sql);
  } catch (e) {
    if (e instanceof SqlError) throw new ApiError('SqlParseException', e.message);
    throw e;
  }
  const actions = rawActions.map((a, i) => compileAction(a, `actions[${i}]`));
  const errorAction = body.errorAction === undefined ? undefined : compileAction(body.errorAction, 'errorAction');
  const payload: TopicRulePayload = {
    sql,
    actions: rawActions as Record<string, unknown>[],
    ...(typeof body.description === 'string' ? { description: body.description } : {}),
    ...(body.errorAction !== undefined ? { errorAction: body.errorAction as Record<string, unknown> } : {}),
    ruleDisabled: body.ruleDisabled === true,
    awsIotSqlVersion: (version as string | undefined) ?? '2015-10-08',
  };
  return { payload, compiled: { sql: compiledSql, actions, ...(errorAction ? { errorAction } : {}) } };
}
