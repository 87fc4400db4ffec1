import { randomUUID, X509Certificate } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { ApiError, invalid, type ApiErrorName } from './api-error.js';
import type { CertificateAuthority, IssuedCertificate } from './ca.js';
import type { FaultInjector } from './faults.js';
import type { Registry } from './registry.js';
import type { TopicRules } from './rules/topic-rules.js';
import type { TokenBuckets } from './throttle.js';

/**
 * The control plane's REST-JSON API (docs/aws-iot-facts.md#control-plane-api): a route table from (method, path)
 * to registry calls, request parsing (#request-parsing) and AWS's error wire format (#errors). Independent of node's
 * http server: it takes the raw method, URL, headers and body text and returns status, headers, body.
 */

export interface ApiRequest {
  method: string;
  /** the raw request target: path and query, still percent-encoded */
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface ApiResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** the operation name, when the route matched; for logs */
  op?: string;
  errorName?: string;
  /** an unexpected error behind an InternalFailureException; for logs */
  cause?: unknown;
}

export interface ApiOptions {
  registry: Registry;
  ca: CertificateAuthority;
  /** issues a device certificate with a fresh key pair (src/local/ca.ts issueDeviceCertificate) */
  issue: (ca: CertificateAuthority) => Promise<IssuedCertificate>;
  /** persists the registry; awaited after every mutating call, before the response */
  save: () => Promise<void>;
  /** the host and MQTT port DescribeEndpoint and /elf/info announce */
  endpoint: () => { host: string; mqttPort: number };
  /** key pairs ready in the pool and its size, reported by /elf/info (the bench waits for a full pool) */
  keyPool?: () => { ready: number; size: number };
  throttle?: TokenBuckets;
  faults?: FaultInjector;
  /** topic rules and how to persist them (awaited after every change, before the answer) */
  rules?: { rules: TopicRules; save: () => Promise<void>; stats?: () => unknown };
}

interface Ctx {
  params: Record<string, string>;
  query: Query;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
  region: string;
}

interface Route {
  op: string;
  method: string;
  segments: string[];
  /** true when a successful call changes the registry (then it is saved before the answer) */
  mutates: boolean;
  /** AWS operations are throttled and faulted; elf's own routes are not */
  aws: boolean;
  run: (c: Ctx) => unknown;
}

/** Typed access to query parameters; a bad value is an InvalidRequestException naming it. */
class Query {
  constructor(private readonly params: URLSearchParams) {}
  str(name: string): string | undefined {
    return this.params.get(name) ?? undefined;
  }
  int(name: string): number | undefined {
    const v = this.params.get(name);
    if (v === null) return undefined;
    if (!/^-?\d{1,15}$/.test(v)) throw invalid(`Invalid value for ${name}: ${v.slice(0, 50)}; expected an integer`);
    return Number(v);
  }
  bool(name: string): boolean | undefined {
    const v = this.params.get(name);
    if (v === null) return undefined;
    if (v === 'true') return true;
    if (v === 'false') return false;
    throw invalid(`Invalid value for ${name}: ${v.slice(0, 50)}; expected true or false`);
  }
}

function header(h: IncomingHttpHeaders, name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}

/** The region from the SigV4 credential scope `Credential=AKID/date/REGION/iot/aws4_request`. */
export function regionFromAuthorization(auth: string | undefined): string | undefined {
  if (!auth) return undefined;
  const m = /Credential=[^/,\s]+\/\d{8}\/([a-z0-9-]+)\/[^/,\s]+\/aws4_request/.exec(auth);
  return m?.[1];
}

const ENDPOINT_TYPES_SERVED = new Set(['iot:Data', 'iot:Data-ATS']);
const ENDPOINT_TYPES_KNOWN = new Set(['iot:Data', 'iot:Data-ATS', 'iot:CredentialProvider', 'iot:Jobs']);

export class ControlPlaneApi {
  private readonly routes: Route[];

  constructor(private readonly o: ApiOptions) {
    this.routes = this.table();
  }

  private table(): Route[] {
    const reg = this.o.registry;
    const str = (v: unknown, name: string): string | undefined => {
      if (v === undefined || v === null) return undefined;
      if (typeof v !== 'string') throw invalid(`${name} must be a string`);
      return v;
    };
    const principal = (c: Ctx, name: string) => header(c.headers, name);
    const tokenPaging = (c: Ctx) => ({ nextToken: c.query.str('nextToken'), maxResults: c.query.int('maxResults') });
    const markerPaging = (c: Ctx, asc = 'ascendingOrder') => ({ marker: c.query.str('marker'), pageSize: c.query.int('pageSize'), ascendingOrder: c.query.bool(asc) });
    const r = (op: string, method: string, path: string, mutates: boolean, run: (c: Ctx) => unknown, aws = true): Route => ({
      op,
      method,
      segments: path.split('/').slice(1),
      mutates,
      aws,
      run,
    });
    return [
      ...this.ruleRoutes(r),
      r('CreateThing', 'POST', '/things/{thingName}', true, (c) => {
        const payload = c.body.attributePayload;
        if (payload !== undefined && (typeof payload !== 'object' || payload === null || Array.isArray(payload))) throw invalid('attributePayload must be an object');
        return reg.createThing(
          {
            thingName: c.params.thingName!,
            thingTypeName: str(c.body.thingTypeName, 'thingTypeName'),
            billingGroupName: str(c.body.billingGroupName, 'billingGroupName'),
            attributes: (payload as { attributes?: Record<string, string> } | undefined)?.attributes,
          },
          c.region,
        );
      }),
      r('DescribeThing', 'GET', '/things/{thingName}', false, (c) => reg.describeThing(c.params.thingName!)),
      r('DeleteThing', 'DELETE', '/things/{thingName}', true, (c) => reg.deleteThing(c.params.thingName!, c.query.int('expectedVersion'))),
      r('ListThings', 'GET', '/things', false, (c) =>
        reg.listThings({
          ...tokenPaging(c),
          attributeName: c.query.str('attributeName'),
          attributeValue: c.query.str('attributeValue'),
          thingTypeName: c.query.str('thingTypeName'),
          usePrefixAttributeValue: c.query.bool('usePrefixAttributeValue'),
        }),
      ),
      r('CreateKeysAndCertificate', 'POST', '/keys-and-certificate', true, async (c) => {
        const active = c.query.bool('setAsActive') ?? false;
        const issued = await this.o.issue(this.o.ca);
        const x = new X509Certificate(issued.certPem);
        // the registry keeps the certificate, never the device's private key
        const out = reg.addCertificate(
          { certificateId: issued.certificateId, certificatePem: issued.certPem, active, notBefore: Date.parse(x.validFrom), notAfter: Date.parse(x.validTo) },
          c.region,
        );
        return { ...out, keyPair: { PublicKey: issued.publicKey, PrivateKey: issued.privateKey } };
      }),
      r('DescribeCertificate', 'GET', '/certificates/{certificateId}', false, (c) => reg.describeCertificate(c.params.certificateId!)),
      r('UpdateCertificate', 'PUT', '/certificates/{certificateId}', true, (c) => reg.updateCertificate(c.params.certificateId!, c.query.str('newStatus'))),
      r('DeleteCertificate', 'DELETE', '/certificates/{certificateId}', true, (c) => reg.deleteCertificate(c.params.certificateId!, c.query.bool('forceDelete') ?? false)),
      r('ListCertificates', 'GET', '/certificates', false, (c) => reg.listCertificates(markerPaging(c))),
      r('CreatePolicy', 'POST', '/policies/{policyName}', true, (c) => reg.createPolicy({ policyName: c.params.policyName!, policyDocument: c.body.policyDocument }, c.region)),
      r('GetPolicy', 'GET', '/policies/{policyName}', false, (c) => reg.getPolicy(c.params.policyName!)),
      r('DeletePolicy', 'DELETE', '/policies/{policyName}', true, (c) => reg.deletePolicy(c.params.policyName!)),
      r('ListPolicies', 'GET', '/policies', false, (c) => reg.listPolicies(markerPaging(c))),
      r('AttachPolicy', 'PUT', '/target-policies/{policyName}', true, (c) => reg.attachPolicy(c.params.policyName!, c.body.target)),
      r('DetachPolicy', 'POST', '/target-policies/{policyName}', true, (c) => reg.detachPolicy(c.params.policyName!, c.body.target)),
      r('AttachPrincipalPolicy', 'PUT', '/principal-policies/{policyName}', true, (c) => reg.attachPolicy(c.params.policyName!, principal(c, 'x-amzn-iot-principal'))),
      r('DetachPrincipalPolicy', 'DELETE', '/principal-policies/{policyName}', true, (c) => reg.detachPolicy(c.params.policyName!, principal(c, 'x-amzn-iot-principal'))),
      r('ListAttachedPolicies', 'POST', '/attached-policies/{target}', false, (c) => reg.listAttachedPolicies(c.params.target!, markerPaging(c))),
      r('ListPrincipalPolicies', 'GET', '/principal-policies', false, (c) => reg.listAttachedPolicies(principal(c, 'x-amzn-iot-principal'), markerPaging(c, 'isAscendingOrder'))),
      r('AttachThingPrincipal', 'PUT', '/things/{thingName}/principals', true, (c) => reg.attachThingPrincipal(c.params.thingName!, principal(c, 'x-amzn-principal'))),
      r('DetachThingPrincipal', 'DELETE', '/things/{thingName}/principals', true, (c) => reg.detachThingPrincipal(c.params.thingName!, principal(c, 'x-amzn-principal'))),
      r('ListThingPrincipals', 'GET', '/things/{thingName}/principals', false, (c) => reg.listThingPrincipals(c.params.thingName!, tokenPaging(c))),
      r('ListPrincipalThings', 'GET', '/principals/things', false, (c) => reg.listPrincipalThings(principal(c, 'x-amzn-principal'), tokenPaging(c))),
      r('DescribeEndpoint', 'GET', '/endpoint', false, (c) => {
        // Deviation from AWS (documented): the address is the stand-in's own broker, as host:port.
        const type = c.query.str('endpointType') ?? 'iot:Data';
        if (!ENDPOINT_TYPES_KNOWN.has(type)) throw invalid(`Endpoint type ${type.slice(0, 100)} is not valid`);
        if (!ENDPOINT_TYPES_SERVED.has(type)) throw invalid(`Endpoint type ${type} is not served by the elf stand-in`);
        const { host, mqttPort } = this.o.endpoint();
        return { endpointAddress: `${host}:${mqttPort}` };
      }),
      r(
        'ElfInfo',
        'GET',
        '/elf/info',
        false,
        () => {
          const { host, mqttPort } = this.o.endpoint();
          return { standIn: 'elf', region: reg.region, account: reg.account, mqtt: { host, port: mqttPort }, caPem: this.o.ca.certPem, keyPool: this.o.keyPool?.(), rules: this.o.rules?.stats?.() };
        },
        false,
      ),
    ];
  }

  /** https://docs.aws.amazon.com/iot/latest/apireference/API_CreateTopicRule.html and its siblings */
  private ruleRoutes(r: (op: string, method: string, path: string, mutates: boolean, run: (c: Ctx) => unknown) => Route): Route[] {
    const o = this.o.rules;
    if (!o) return [];
    const { rules, save } = o;
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

  private match(method: string, segments: string[]): { route: Route; params: Record<string, string> } | undefined {
    for (const route of this.routes) {
      if (route.method !== method || route.segments.length !== segments.length) continue;
      const params: Record<string, string> = {};
      let ok = true;
      for (let i = 0; i < segments.length; i++) {
        const pattern = route.segments[i]!;
        const seg = segments[i]!;
        if (pattern.startsWith('{')) params[pattern.slice(1, -1)] = seg;
        else if (pattern !== seg) {
          ok = false;
          break;
        }
      }
      if (ok) return { route, params };
    }
    return undefined;
  }

  async handle(req: ApiRequest): Promise<ApiResponse> {
    const requestId = randomUUID();
    let op: string | undefined;
    try {
      const q = req.url.indexOf('?');
      const rawPath = q < 0 ? req.url : req.url.slice(0, q);
      const query = new URLSearchParams(q < 0 ? '' : req.url.slice(q + 1));
      // docs/aws-iot-facts.md#request-parsing: split the RAW path on '/', then decode each label (a label may hold an encoded ARN)
      const segments = rawPath.split('/').slice(1).map((s) => {
        let d: string;
        try {
          d = decodeURIComponent(s);
        } catch {
          throw invalid(`Malformed percent-encoding in the request path`);
        }
        if (d === '.' || d === '..') throw invalid(`Invalid path segment '${d}'`);
        return d;
      });
      const m = this.match(req.method, segments);
      if (!m) throw new ApiError('UnknownOperationException', `No operation matches ${req.method} ${rawPath.slice(0, 200)}`);
      op = m.route.op;
      if (m.route.aws) {
        if (this.o.throttle && !this.o.throttle.take(op)) throw new ApiError('ThrottlingException', `Rate exceeded for ${op}`);
        const fault = this.o.faults?.next();
        if (fault) throw new ApiError(fault, `Injected fault (elf local --fault-rate) for ${op}`);
      }
      const ctx: Ctx = {
        params: m.params,
        query: new Query(query),
        headers: req.headers,
        body: parseBody(req.body),
        region: regionFromAuthorization(header(req.headers, 'authorization')) ?? this.o.registry.region,
      };
      const result = await m.route.run(ctx);
      if (m.route.mutates) await this.o.save();
      return { status: 200, headers: baseHeaders(requestId), body: JSON.stringify(result ?? {}), op };
    } catch (e) {
      const err = e instanceof ApiError ? e : new ApiError('InternalFailureException', 'Internal failure');
      const res = errorResponse(err, requestId);
      res.op = op;
      if (!(e instanceof ApiError)) res.cause = e;
      return res;
    }
  }
}

function parseBody(text: string): Record<string, unknown> {
  if (text.trim() === '') return {};
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new ApiError('SerializationException', 'The request body is not valid JSON');
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ApiError('SerializationException', 'The request body must be a JSON object');
  return v as Record<string, unknown>;
}

function baseHeaders(requestId: string): Record<string, string> {
  return { 'content-type': 'application/json', 'x-amzn-RequestId': requestId };
}

/** docs/aws-iot-facts.md#errors: status, `x-amzn-ErrorType: <Name>:`, JSON body with `message` (+ extra members). */
export function errorResponse(err: ApiError, requestId: string = randomUUID()): ApiResponse {
  return {
    status: err.status,
    headers: { ...baseHeaders(requestId), 'x-amzn-ErrorType': `${err.errorName}:` },
    body: JSON.stringify(err.body()),
    errorName: err.errorName,
  };
}

export function apiError(name: ApiErrorName, message: string): ApiResponse {
  return errorResponse(new ApiError(name, message));
}
