import { invalid } from '../api-error.js';
import { parseTagKeys, parseTagList } from '../tags.js';
import { route as r, str, type ApiOptions, type Ctx, type Route } from './route.js';

const isRule = (arn: string) => /^arn:aws:iot:[^:]+:\d{12}:rule\//.test(arn);

/**
 * TagResource, UntagResource and ListTagsForResource, dispatched by the resource ARN: topic rules keep
 * their tags in rules.json (src/local/rules/topic-rules.ts), the registry's taggable resources in
 * registry.json (src/local/registry/resource-tags.ts); each saved after a change, before the answer.
 * https://docs.aws.amazon.com/iot/latest/apireference/API_TagResource.html and its siblings
 */
export function tagRoutes(o: ApiOptions): Route[] {
  const arnOf = (v: unknown) => {
    const a = str(v, 'resourceArn');
    if (a === undefined || a === '') throw invalid('resourceArn is required');
    return a;
  };
  const tag = async (c: Ctx) => {
    const a = arnOf(c.body.resourceArn);
    if (o.rules && isRule(a)) {
      o.rules.rules.tag(a, parseTagList(c.body.tags));
      await o.rules.save();
    } else {
      o.registry.tagResource(a, c.body.tags);
      await o.save();
    }
    return {};
  };
  const untag = async (c: Ctx) => {
    const a = arnOf(c.body.resourceArn);
    if (o.rules && isRule(a)) {
      o.rules.rules.untag(a, parseTagKeys(c.body.tagKeys));
      await o.rules.save();
    } else {
      o.registry.untagResource(a, c.body.tagKeys);
      await o.save();
    }
    return {};
  };
  const list = (c: Ctx) => {
    const a = arnOf(c.query.str('resourceArn'));
    return o.rules && isRule(a) ? o.rules.rules.tagsOf(a) : o.registry.listTagsForResource(a);
  };
  return [r('TagResource', 'POST', '/tags', false, tag), r('UntagResource', 'POST', '/untag', false, untag), r('ListTagsForResource', 'GET', '/tags', false, list)];
}
