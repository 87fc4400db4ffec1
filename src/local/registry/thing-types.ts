import { ApiError, invalid, notFound } from '../api-error.js';
import { page, pageSize } from '../page.js';
import * as valid from '../validate.js';
import { arn, byName, seconds, type RegistryState, type ThingTypeRecord, type TokenPaging } from './types.js';

/** AWS: "You must wait five minutes after you deprecate a thing type before you can delete it." (thing-types.html) */
export const THING_TYPE_DELETE_DELAY_MS = 5 * 60_000;
const MAX_DESCRIPTION = 2028;

export interface ThingTypeProperties {
  thingTypeDescription?: string;
  searchableAttributes?: string[];
  mqtt5Configuration?: unknown;
}

const copy = (t: ThingTypeRecord): ThingTypeRecord => ({ ...t, searchableAttributes: [...t.searchableAttributes] });

function properties(v: unknown): Required<Pick<ThingTypeProperties, 'searchableAttributes'>> & ThingTypeProperties {
  if (v === undefined || v === null) return { searchableAttributes: [] };
  if (typeof v !== 'object' || Array.isArray(v)) throw invalid('thingTypeProperties must be an object');
  const p = v as Record<string, unknown>;
  const description = p.thingTypeDescription;
  if (description !== undefined && (typeof description !== 'string' || description.length > MAX_DESCRIPTION)) throw invalid(`thingTypeDescription must be a string of at most ${MAX_DESCRIPTION} characters`);
  const names = p.searchableAttributes ?? [];
  if (!Array.isArray(names) || !names.every((n) => typeof n === 'string')) throw invalid('searchableAttributes must be a list of attribute names');
  valid.attributes(Object.fromEntries(names.map((n: string) => [n, ''])));
  return { thingTypeDescription: description as string | undefined, searchableAttributes: names as string[], mqtt5Configuration: p.mqtt5Configuration };
}

/**
 * Thing types (https://docs.aws.amazon.com/iot/latest/developerguide/thing-types.html): immutable once
 * made; deprecated ones take no new things; deleted only when deprecated for 5 minutes (by the
 * registry's clock, which tests drive) and no thing has the type.
 */
export class ThingTypes {
  constructor(
    private readonly s: RegistryState,
    private readonly deleteDelayMs = THING_TYPE_DELETE_DELAY_MS,
  ) {}

  get(name: string): ThingTypeRecord {
    const t = this.s.thingTypes.get(valid.thingTypeName(name));
    if (!t) throw notFound(`Thing type ${name} does not exist`);
    return t;
  }

  /** A type a thing may be given now: it exists and is not deprecated. */
  assignable(name: string): ThingTypeRecord {
    const t = this.get(name);
    if (t.deprecated) throw invalid(`Can not create or update a thing to use deprecated thing type: ${t.thingTypeName}`);
    return t;
  }

  create(name: string, props: unknown, region = this.s.region) {
    const n = valid.thingTypeName(name);
    const p = properties(props);
    const existing = this.s.thingTypes.get(n);
    if (existing) {
      // idempotent with the same configuration (model doc of CreateThingType)
      const same = existing.description === p.thingTypeDescription && JSON.stringify(existing.searchableAttributes) === JSON.stringify(p.searchableAttributes) && JSON.stringify(existing.mqtt5Configuration) === JSON.stringify(p.mqtt5Configuration);
      if (same) return { thingTypeName: n, thingTypeArn: existing.thingTypeArn, thingTypeId: existing.thingTypeId };
      throw new ApiError('ResourceAlreadyExistsException', `Thing Type ${n} already exists with a different configuration`, { resourceId: existing.thingTypeId, resourceArn: existing.thingTypeArn });
    }
    const t: ThingTypeRecord = {
      thingTypeName: n,
      thingTypeId: this.s.newId(),
      thingTypeArn: arn(this.s, region, `thingtype/${n}`),
      ...(p.thingTypeDescription !== undefined ? { description: p.thingTypeDescription } : {}),
      searchableAttributes: p.searchableAttributes,
      ...(p.mqtt5Configuration !== undefined ? { mqtt5Configuration: p.mqtt5Configuration } : {}),
      deprecated: false,
      creationDate: this.s.now(),
    };
    this.s.thingTypes.set(n, t);
    this.s.changed({ kind: 'thingType', op: 'created', name: n, thingType: copy(t) });
    return { thingTypeName: n, thingTypeArn: t.thingTypeArn, thingTypeId: t.thingTypeId };
  }

  private view(t: ThingTypeRecord) {
    return {
      thingTypeName: t.thingTypeName,
      thingTypeArn: t.thingTypeArn,
      thingTypeProperties: { thingTypeDescription: t.description, searchableAttributes: [...t.searchableAttributes], mqtt5Configuration: t.mqtt5Configuration },
      thingTypeMetadata: { deprecated: t.deprecated, deprecationDate: t.deprecationDate === undefined ? undefined : seconds(t.deprecationDate), creationDate: seconds(t.creationDate) },
    };
  }

  describe(name: string) {
    const t = this.get(name);
    return { thingTypeId: t.thingTypeId, ...this.view(t) };
  }

  list(q: TokenPaging & { thingTypeName?: string } = {}) {
    const limit = pageSize(q.maxResults);
    let all = [...this.s.thingTypes.values()].sort((a, b) => byName(a.thingTypeName, b.thingTypeName));
    if (q.thingTypeName !== undefined) all = all.filter((t) => t.thingTypeName === q.thingTypeName);
    const p = page(all, (t) => t.thingTypeName, q.nextToken, limit);
    return { thingTypes: p.items.map((t) => this.view(t)), nextToken: p.next };
  }

  /** DeprecateThingType; with undoDeprecate the type takes new things again. */
  deprecate(name: string, undo: boolean): void {
    const t = this.get(name);
    if (t.deprecated === !undo) return;
    t.deprecated = !undo;
    if (undo) delete t.deprecationDate;
    else t.deprecationDate = this.s.now();
    this.s.changed({ kind: 'thingType', op: 'updated', name: t.thingTypeName, thingType: copy(t) });
  }

  delete(name: string): void {
    const t = this.get(name);
    if (!t.deprecated || t.deprecationDate === undefined) throw invalid(`Thing type ${t.thingTypeName} must be deprecated before it can be deleted`);
    const wait = t.deprecationDate + this.deleteDelayMs - this.s.now();
    if (wait > 0) throw invalid(`Thing type ${t.thingTypeName} was deprecated less than ${this.deleteDelayMs / 60_000} minutes ago; it can be deleted in ${Math.ceil(wait / 1000)} s`);
    const users = [...this.s.things.values()].filter((x) => x.thingTypeName === t.thingTypeName).length;
    if (users > 0) throw invalid(`Thing type ${t.thingTypeName} cannot be deleted while ${users} thing(s) still have it`);
    this.s.thingTypes.delete(t.thingTypeName);
    this.s.changed({ kind: 'thingType', op: 'deleted', name: t.thingTypeName, thingType: copy(t) });
  }
}
