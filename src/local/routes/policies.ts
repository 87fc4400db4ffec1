import { header, markerPaging, route as r, tokenPaging, type ApiOptions, type Ctx, type Route } from './route.js';

/**
 * Policies, where they are attached, and the principals of things:
 * https://docs.aws.amazon.com/iot/latest/apireference/API_CreatePolicy.html and its siblings
 */
export function policyRoutes(o: ApiOptions): Route[] {
  const reg = o.registry;
  const principal = (c: Ctx, name: string) => header(c.headers, name);
  return [
    r('CreatePolicy', 'POST', '/policies/{policyName}', true, (c) => reg.createPolicy({ policyName: c.params.policyName!, policyDocument: c.body.policyDocument }, c.region, c.body.tags)),
    r('GetPolicy', 'GET', '/policies/{policyName}', false, (c) => reg.getPolicy(c.params.policyName!)),
    r('DeletePolicy', 'DELETE', '/policies/{policyName}', true, (c) => reg.deletePolicy(c.params.policyName!)),
    r('ListPolicies', 'GET', '/policies', false, (c) => reg.listPolicies(markerPaging(c))),
    r('CreatePolicyVersion', 'POST', '/policies/{policyName}/version', true, (c) => reg.createPolicyVersion(c.params.policyName!, c.body.policyDocument, c.query.bool('setAsDefault') ?? false)),
    r('ListPolicyVersions', 'GET', '/policies/{policyName}/version', false, (c) => reg.listPolicyVersions(c.params.policyName!)),
    r('GetPolicyVersion', 'GET', '/policies/{policyName}/version/{policyVersionId}', false, (c) => reg.getPolicyVersion(c.params.policyName!, c.params.policyVersionId!)),
    r('SetDefaultPolicyVersion', 'PATCH', '/policies/{policyName}/version/{policyVersionId}', true, (c) => reg.setDefaultPolicyVersion(c.params.policyName!, c.params.policyVersionId!)),
    r('DeletePolicyVersion', 'DELETE', '/policies/{policyName}/version/{policyVersionId}', true, (c) => reg.deletePolicyVersion(c.params.policyName!, c.params.policyVersionId!)),
    r('ListTargetsForPolicy', 'POST', '/policy-targets/{policyName}', false, (c) => reg.listTargetsForPolicy(c.params.policyName!, { marker: c.query.str('marker'), pageSize: c.query.int('pageSize') })),
    r('AttachPolicy', 'PUT', '/target-policies/{policyName}', true, (c) => reg.attachPolicy(c.params.policyName!, c.body.target)),
    r('DetachPolicy', 'POST', '/target-policies/{policyName}', true, (c) => reg.detachPolicy(c.params.policyName!, c.body.target)),
    r('AttachPrincipalPolicy', 'PUT', '/principal-policies/{policyName}', true, (c) => reg.attachPolicy(c.params.policyName!, principal(c, 'x-amzn-iot-principal'))),
    r('DetachPrincipalPolicy', 'DELETE', '/principal-policies/{policyName}', true, (c) => reg.detachPolicy(c.params.policyName!, principal(c, 'x-amzn-iot-principal'))),
    r('ListAttachedPolicies', 'POST', '/attached-policies/{target}', false, (c) => reg.listAttachedPolicies(c.params.target!, { ...markerPaging(c), recursive: c.query.bool('recursive') })),
    r('ListPrincipalPolicies', 'GET', '/principal-policies', false, (c) => reg.listAttachedPolicies(principal(c, 'x-amzn-iot-principal'), markerPaging(c, 'isAscendingOrder'))),
    r('AttachThingPrincipal', 'PUT', '/things/{thingName}/principals', true, (c) => reg.attachThingPrincipal(c.params.thingName!, principal(c, 'x-amzn-principal'))),
    r('DetachThingPrincipal', 'DELETE', '/things/{thingName}/principals', true, (c) => reg.detachThingPrincipal(c.params.thingName!, principal(c, 'x-amzn-principal'))),
    r('ListThingPrincipals', 'GET', '/things/{thingName}/principals', false, (c) => reg.listThingPrincipals(c.params.thingName!, tokenPaging(c))),
    r('ListPrincipalThings', 'GET', '/principals/things', false, (c) => reg.listPrincipalThings(principal(c, 'x-amzn-principal'), tokenPaging(c))),
  ];
}
