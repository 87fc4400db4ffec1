import { ApiError, invalid } from './api-error.js';

/**
 * Tags of a resource, AWS IoT's rules for them, pure: a resource has at most 50 tags; a key is 1-128
 * characters, a value 0-256; keys starting `aws:` are AWS's own and cannot be set or removed by a user.
 * https://docs.aws.amazon.com/iot/latest/apireference/API_Tag.html
 * https://docs.aws.amazon.com/iot/latest/developerguide/tagging-iot.html (tag restrictions)
 */
export type TagMap = Record<string, string>;

export const MAX_TAGS_PER_RESOURCE = 50;
const MAX_KEY = 128;
const MAX_VALUE = 256;

function checkKey(key: unknown, name: string): string {
  if (typeof key !== 'string' || key.length < 1 || key.length > MAX_KEY) throw invalid(`${name} must be a string of 1 to ${MAX_KEY} characters`);
  if (/^aws:/i.test(key)) throw invalid(`${name} ${key.slice(0, MAX_KEY)}: the aws: prefix is reserved for AWS's own tags`);
  return key;
}

/** A `tags` list `[{Key, Value}]` from a request body (absent: no tags), checked completely. */
export function parseTagList(v: unknown, name = 'tags'): TagMap {
  if (v === undefined || v === null) return {};
  if (!Array.isArray(v)) throw invalid(`${name} must be a list of {Key, Value}`);
  const out: TagMap = {};
  v.forEach((t: unknown, i) => {
    if (typeof t !== 'object' || t === null) throw invalid(`${name}[${i}] must be an object {Key, Value}`);
    const { Key, Value } = t as { Key?: unknown; Value?: unknown };
    const key = checkKey(Key, `${name}[${i}].Key`);
    const value = Value === undefined || Value === null ? '' : Value;
    if (typeof value !== 'string' || value.length > MAX_VALUE) throw invalid(`${name}[${i}].Value must be a string of at most ${MAX_VALUE} characters`);
    out[key] = value;
  });
  return out;
}

/** The tags of CreateTopicRule's `x-amz-tagging` header (`k1=v1&k2=v2`), checked as a tag list. */
export function parseTagging(header: string | undefined): TagMap {
  if (!header) return {};
  return parseTagList([...new URLSearchParams(header)].map(([Key, Value]) => ({ Key, Value })), 'x-amz-tagging');
}

/** A `tagKeys` list from UntagResource's body. */
export function parseTagKeys(v: unknown): string[] {
  if (!Array.isArray(v) || v.length === 0) throw invalid('tagKeys must be a non-empty list of tag keys');
  return v.map((k: unknown, i) => checkKey(k, `tagKeys[${i}]`));
}

/** `existing` with `add` put in (a key given again gets the new value); more than 50 in all is refused. */
export function withTags(existing: TagMap | undefined, add: TagMap): TagMap {
  const out = { ...existing, ...add };
  const n = Object.keys(out).length;
  if (n > MAX_TAGS_PER_RESOURCE) throw new ApiError('LimitExceededException', `A resource can have at most ${MAX_TAGS_PER_RESOURCE} tags; this request would give it ${n}`);
  return out;
}

/** `existing` without `keys` (a key it does not have is no error, as on AWS). */
export function withoutTags(existing: TagMap | undefined, keys: string[]): TagMap {
  const out = { ...existing };
  for (const k of keys) delete out[k];
  return out;
}

/** ListTagsForResource's answer: all on one page (50 at most). */
export function tagList(tags: TagMap | undefined): { tags: { Key: string; Value: string }[] } {
  return { tags: Object.entries(tags ?? {}).map(([Key, Value]) => ({ Key, Value })) };
}

/** The `tags` of a create call, checked completely (at most 50) before anything is created. */
export function parseNewTags(v: unknown): TagMap {
  return withTags(undefined, parseTagList(v));
}
