import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { ApiError, invalid, type ApiErrorName } from './api-error.js';
import { certificateRoutes } from './routes/certificates.js';
import { elfRoutes } from './routes/elf.js';
import { eventConfigurationRoutes } from './routes/event-configurations.js';
import { policyRoutes } from './routes/policies.js';
import { header, Query, type ApiOptions, type Ctx, type Route } from './routes/route.js';
import { ruleRoutes } from './routes/rules.js';
import { tagRoutes } from './routes/tags.js';
import { thingGroupRoutes } from './routes/thing-groups.js';
import { thingTypeRoutes } from './routes/thing-types.js';
import { thingRoutes } from './routes/things.js';

/**
 * The control plane's REST-JSON API (docs/aws-iot-facts.md#control-plane-api): the route tables of
 * src/local/routes/ from (method, path) to registry calls, request parsing (#request-parsing) and AWS's error wire format (#errors). Independent of node's
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

export type { ApiOptions } from './routes/route.js';

/** The region from the SigV4 credential scope `Credential=AKID/date/REGION/iot/aws4_request`. */
export function regionFromAuthorization(auth: string | undefined): string | undefined {
  if (!auth) return undefined;
  const m = /Credential=[^/,\s]+\/\d{8}\/([a-z0-9-]+)\/[^/,\s]+\/aws4_request/.exec(auth);
  return m?.[1];
}

export class ControlPlaneApi {
  /** one route file per resource area, in src/local/routes/ */
  private readonly routes: Route[];

  constructor(private readonly o: ApiOptions) {
    this.routes = [...ruleRoutes(o), ...thingRoutes(o), ...thingTypeRoutes(o), ...thingGroupRoutes(o), ...certificateRoutes(o), ...policyRoutes(o), ...eventConfigurationRoutes(o), ...tagRoutes(o), ...elfRoutes(o)];
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
