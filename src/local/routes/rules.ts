import { header, route as r, type ApiOptions, type Ctx, type Route } from './route.js';

/** https://docs.aws.amazon.com/iot/latest/apireference/API_CreateTopicRule.html and its siblings */
export function ruleRoutes(o: ApiOptions): Route[] {
  if (!o.rules) return [];
  const { rules, save } = o.rules;
  // rules persist in their own file: saved here, not with the registry
  const change = (f: (c: Ctx) => void) => async (c: Ctx) => {
    f(c);
    await save();
  };
  return [
    r('CreateTopicRule', 'POST', '/rules/{ruleName}', false, change((c) => rules.create(c.params.ruleName!, c.body, header(c.headers, 'x-amz-tagging')))),
    r('GetTopicRule', 'GET', '/rules/{ruleName}', false, (c) => rules.get(c.params.ruleName!)),
    r('ListTopicRules', 'GET', '/rules', false, (c) => rules.list({ topic: c.query.str('topic'), maxResults: c.query.int('maxResults'), nextToken: c.query.str('nextToken'), ruleDisabled: c.query.bool('ruleDisabled') })),
    r('ReplaceTopicRule', 'PATCH', '/rules/{ruleName}', false, change((c) => rules.replace(c.params.ruleName!, c.body))),
    r('DeleteTopicRule', 'DELETE', '/rules/{ruleName}', false, change((c) => rules.delete(c.params.ruleName!))),
    r('EnableTopicRule', 'POST', '/rules/{ruleName}/enable', false, change((c) => rules.setDisabled(c.params.ruleName!, false))),
    r('DisableTopicRule', 'POST', '/rules/{ruleName}/disable', false, change((c) => rules.setDisabled(c.params.ruleName!, true))),
  ];
}
