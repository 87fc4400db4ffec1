import { notFound } from '../api-error.js';
import { tagList, withoutTags, withTags, type TagMap } from '../tags.js';
import type { RegistryState } from './types.js';

/**
 * Tags of the registry's taggable resources (thing groups, thing types, policies, CA certificates;
 * AWS does not tag things or device certificates), kept by resource ARN. Topic rules keep their own
 * tags (src/local/rules/topic-rules.ts). https://docs.aws.amazon.com/iot/latest/developerguide/tagging-iot.html
 */
export class ResourceTags {
  private readonly byArn = new Map<string, TagMap>();

  constructor(
    private readonly s: RegistryState,
    /** the ARN of the CA certificate with this id, if it is registered */
    private readonly caArn: (id: string) => string | undefined,
  ) {}

  snapshot(): [string, TagMap][] {
    return [...this.byArn].filter(([, t]) => Object.keys(t).length > 0);
  }

  restore(entries: [string, TagMap][] | undefined): void {
    for (const [a, t] of entries ?? []) this.byArn.set(a, { ...t });
  }

  /** The ARN when it names an existing taggable resource, else ResourceNotFoundException. */
  private existing(resourceArn: unknown): string {
    const a = typeof resourceArn === 'string' ? resourceArn : '';
    const m = /^arn:aws:iot:[^:]+:\d{12}:(thinggroup|thingtype|policy|cacert)\/([^/]+)$/.exec(a);
    const kind = m?.[1];
    const name = m?.[2] ?? '';
    const found =
      kind === 'thinggroup' ? this.s.thingGroups.get(name)?.thingGroupArn
      : kind === 'thingtype' ? this.s.thingTypes.get(name)?.thingTypeArn
      : kind === 'policy' ? this.s.policies.get(name)?.policyArn
      : kind === 'cacert' ? this.caArn(name)
      : undefined;
    if (found === undefined || found !== a) throw notFound(`The resource ${a.slice(0, 300)} does not exist or cannot be tagged`);
    return a;
  }

  tag(resourceArn: unknown, tags: TagMap): void {
    const a = this.existing(resourceArn);
    this.byArn.set(a, withTags(this.byArn.get(a), tags));
  }

  untag(resourceArn: unknown, keys: string[]): void {
    const a = this.existing(resourceArn);
    this.byArn.set(a, withoutTags(this.byArn.get(a), keys));
  }

  list(resourceArn: unknown) {
    return tagList(this.byArn.get(this.existing(resourceArn)));
  }

  /** A new resource's tags (checked by parseNewTags before it was created); none is nothing. */
  created(resourceArn: string, tags: TagMap): void {
    if (Object.keys(tags).length > 0) this.byArn.set(resourceArn, { ...tags });
  }

  /** A deleted resource's tags go with it (a new resource of the same name starts untagged). */
  deleted(resourceArn: string): void {
    this.byArn.delete(resourceArn);
  }
}
