import { invalid } from '../api-error.js';

/**
 * Attribute payloads (https://docs.aws.amazon.com/iot/latest/apireference/API_AttributePayload.html):
 * by default the given attributes replace the stored ones; with `merge` they are added to them. In
 * either mode an attribute given with an empty value is removed ("To remove an attribute, call
 * UpdateThing with an empty attribute value").
 */
export function applyAttributes(current: Record<string, string>, given: Record<string, string>, merge: boolean): Record<string, string> {
  const out: Record<string, string> = merge ? { ...current } : {};
  for (const [k, v] of Object.entries(given)) {
    if (v === '') delete out[k];
    else out[k] = v;
  }
  return out;
}

/** A thing has at most 3 attributes without a thing type and 50 with one (https://docs.aws.amazon.com/iot/latest/developerguide/thing-types.html). */
export const MAX_ATTRIBUTES_WITHOUT_TYPE = 3;
export const MAX_ATTRIBUTES_WITH_TYPE = 50;

export function checkAttributeCount(attributes: Record<string, string>, thingTypeName: string | undefined): void {
  const count = Object.keys(attributes).length;
  if (thingTypeName === undefined && count > MAX_ATTRIBUTES_WITHOUT_TYPE) {
    throw invalid(`A thing without a thing type can have at most ${MAX_ATTRIBUTES_WITHOUT_TYPE} attributes; ${count} were given`);
  }
  if (count > MAX_ATTRIBUTES_WITH_TYPE) throw invalid(`A thing can have at most ${MAX_ATTRIBUTES_WITH_TYPE} attributes; ${count} were given`);
}

export function sameAttributes(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => b[k] === a[k]);
}
