import { MAX_ATTRIBUTE_NAME_LENGTH, MAX_ATTRIBUTE_VALUE_LENGTH, MAX_POLICY_NAME_LENGTH, MAX_THING_NAME_LENGTH } from '../aws/limits.js';
import { ApiError, invalid } from './api-error.js';

/**
 * Input validation with the constraints of the IoT service model (docs/aws-iot-facts.md#names-and-fields).
 * Every failure is an ApiError in AWS's shape.
 */

const THING_NAME = /^[a-zA-Z0-9:_-]+$/; // ThingName, ThingTypeName, BillingGroupName
const POLICY_NAME = /^[\w+=,.@-]+$/; // PolicyName
const CERTIFICATE_ID = /^[a-fA-F0-9]{64}$/; // CertificateId: 64 chars, (0x)?[a-fA-F0-9]+
const ATTRIBUTE_NAME = /^[a-zA-Z0-9_.,@/:#-]+$/;
const ATTRIBUTE_VALUE = /^[a-zA-Z0-9_.,@/:#=[\]-]*$/;

function checkName(kind: string, value: string, pattern: RegExp, max: number): string {
  if (value.length < 1 || value.length > max) {
    throw invalid(`1 validation error detected: Value '${value.slice(0, 200)}' at '${kind}' failed to satisfy constraint: Member must have length between 1 and ${max}`);
  }
  if (!pattern.test(value)) {
    throw invalid(`1 validation error detected: Value '${value.slice(0, 200)}' at '${kind}' failed to satisfy constraint: Member must satisfy regular expression pattern: ${pattern.source.slice(1, -1)}`);
  }
  return value;
}

export const thingName = (v: string): string => checkName('thingName', v, THING_NAME, MAX_THING_NAME_LENGTH);
export const thingTypeName = (v: string): string => checkName('thingTypeName', v, THING_NAME, MAX_THING_NAME_LENGTH);
export const thingGroupName = (v: string): string => checkName('thingGroupName', v, THING_NAME, MAX_THING_NAME_LENGTH);
export const billingGroupName = (v: string): string => checkName('billingGroupName', v, THING_NAME, MAX_THING_NAME_LENGTH);
export const policyName = (v: string): string => checkName('policyName', v, POLICY_NAME, MAX_POLICY_NAME_LENGTH);

/** A certificate id as it appears in a path: 64 hex digits; stored lower-case. */
export function certificateId(v: string): string {
  if (!CERTIFICATE_ID.test(v)) {
    throw invalid(`1 validation error detected: Value '${v.slice(0, 200)}' at 'certificateId' failed to satisfy constraint: Member must be 64 hexadecimal characters`);
  }
  return v.toLowerCase();
}

export function attributes(value: unknown): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw invalid('attributePayload.attributes must be a map of strings');
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    checkName('attributeName', k, ATTRIBUTE_NAME, MAX_ATTRIBUTE_NAME_LENGTH);
    if (typeof v !== 'string') throw invalid(`attribute ${k} must be a string`);
    if (v.length > MAX_ATTRIBUTE_VALUE_LENGTH || !ATTRIBUTE_VALUE.test(v)) {
      throw invalid(`1 validation error detected: Value '${v.slice(0, 200)}' at 'attributeValue' failed to satisfy constraint: Member must satisfy regular expression pattern: ${ATTRIBUTE_VALUE.source.slice(1, -1)}`);
    }
    out[k] = v;
  }
  return out;
}

const malformed = (why: string): ApiError => new ApiError('MalformedPolicyException', `Policy document is malformed: ${why}`);

function stringOrStrings(v: unknown): boolean {
  if (typeof v === 'string') return v.length > 0;
  return Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string' && x.length > 0);
}

/**
 * The grammar of an IoT policy document (IAM-like JSON): an object with a Statement (one or a list),
 * each with Effect Allow|Deny, Action and Resource (a string or a non-empty list of strings).
 * Malformed → MalformedPolicyException (model of CreatePolicy).
 */
export function policyDocument(text: unknown): string {
  if (typeof text !== 'string' || text.trim() === '') throw invalid('policyDocument is required');
  if (text.length > 404_600) throw invalid('policyDocument is longer than 404600 characters');
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw malformed('not valid JSON');
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw malformed('the document must be a JSON object');
  const { Statement, Version } = doc as Record<string, unknown>;
  if (Version !== undefined && typeof Version !== 'string') throw malformed('Version must be a string');
  if (Statement === undefined) throw malformed('Statement is missing');
  const statements = Array.isArray(Statement) ? Statement : [Statement];
  if (statements.length === 0) throw malformed('Statement is empty');
  statements.forEach((s: unknown, i) => {
    if (typeof s !== 'object' || s === null || Array.isArray(s)) throw malformed(`Statement[${i}] must be an object`);
    const st = s as Record<string, unknown>;
    if (st.Effect !== 'Allow' && st.Effect !== 'Deny') throw malformed(`Statement[${i}].Effect must be Allow or Deny`);
    if (st.Action === undefined && st.NotAction === undefined) throw malformed(`Statement[${i}] has no Action`);
    if (st.Action !== undefined && !stringOrStrings(st.Action)) throw malformed(`Statement[${i}].Action must be a string or a list of strings`);
    if (st.NotAction !== undefined && !stringOrStrings(st.NotAction)) throw malformed(`Statement[${i}].NotAction must be a string or a list of strings`);
    if (st.Resource === undefined && st.NotResource === undefined) throw malformed(`Statement[${i}] has no Resource`);
    if (st.Resource !== undefined && !stringOrStrings(st.Resource)) throw malformed(`Statement[${i}].Resource must be a string or a list of strings`);
    if (st.NotResource !== undefined && !stringOrStrings(st.NotResource)) throw malformed(`Statement[${i}].NotResource must be a string or a list of strings`);
  });
  return text;
}
