import {
  AttachPolicyCommand,
  AttachThingPrincipalCommand,
  CreateKeysAndCertificateCommand,
  CreatePolicyCommand,
  CreateThingCommand,
  DeleteCertificateCommand,
  DeletePolicyCommand,
  DeleteThingCommand,
  DescribeEndpointCommand,
  DescribeThingCommand,
  DetachPolicyCommand,
  DetachThingPrincipalCommand,
  GetPolicyCommand,
  IoTClient,
  ListAttachedPoliciesCommand,
  ListCertificatesCommand,
  ListPrincipalThingsCommand,
  ListThingPrincipalsCommand,
  type ListThingPrincipalsCommandOutput,
  ListThingsCommand,
  UpdateCertificateCommand,
} from '@aws-sdk/client-iot';
import { ElfError } from '../errors.js';
import type { Logger } from '../log.js';
import type { ResolvedTarget } from '../target/target.js';
import { systemClock, type Clock } from '../util/clock.js';
import { Pacer } from './pacing.js';
import { classifyError, withRetry } from './retry.js';

/**
 * The control-plane calls elf makes, as a narrow interface (the only place that knows the SDK's
 * command shapes), and the `Caller` that paces, retries and explains every call.
 */
export interface IotApi {
  createKeysAndCertificate(): Promise<{ certificateArn: string; certificateId: string; certificatePem: string; publicKey: string; privateKey: string }>;
  createThing(thingName: string, attributes: Record<string, string>): Promise<{ thingArn: string }>;
  describeThing(thingName: string): Promise<{ attributes: Record<string, string> }>;
  deleteThing(thingName: string): Promise<void>;
  attachThingPrincipal(thingName: string, principal: string): Promise<void>;
  detachThingPrincipal(thingName: string, principal: string): Promise<void>;
  createPolicy(policyName: string, policyDocument: string): Promise<{ policyArn: string }>;
  getPolicy(policyName: string): Promise<{ policyArn: string; policyDocument: string }>;
  deletePolicy(policyName: string): Promise<void>;
  attachPolicy(policyName: string, target: string): Promise<void>;
  detachPolicy(policyName: string, target: string): Promise<void>;
  updateCertificate(certificateId: string, newStatus: 'ACTIVE' | 'INACTIVE'): Promise<void>;
  deleteCertificate(certificateId: string): Promise<void>;
  /** newest first; `marker` from the previous page */
  listCertificates(marker?: string): Promise<{ certificates: { certificateId: string; certificateArn: string; status: string; creationDate: Date }[]; nextMarker?: string }>;
  listPrincipalThings(principal: string): Promise<string[]>;
  listAttachedPolicies(target: string): Promise<string[]>;
  /** things carrying attribute `name` = `value` (clean --run-id); `nextToken` from the previous page */
  listThingsByAttribute(name: string, value: string, nextToken?: string): Promise<{ things: string[]; nextToken?: string }>;
  /** the certificates (ARNs) attached to a thing */
  listThingPrincipals(thingName: string): Promise<string[]>;
}

export type ApiName =
  | 'CreateKeysAndCertificate'
  | 'CreateThing'
  | 'DescribeThing'
  | 'DeleteThing'
  | 'AttachThingPrincipal'
  | 'DetachThingPrincipal'
  | 'CreatePolicy'
  | 'GetPolicy'
  | 'DeletePolicy'
  | 'AttachPolicy'
  | 'DetachPolicy'
  | 'UpdateCertificate'
  | 'DeleteCertificate'
  | 'ListCertificates'
  | 'ListPrincipalThings'
  | 'ListAttachedPolicies'
  | 'ListThings'
  | 'ListThingPrincipals';

/** The IAM actions elf may call (README "IAM policy for elf"). */
export const IAM_ACTIONS: readonly string[] = [
  'iot:CreateKeysAndCertificate',
  'iot:CreateThing',
  'iot:AttachThingPrincipal',
  'iot:CreatePolicy',
  'iot:AttachPolicy',
  'iot:DescribeThing',
  // send and subscribe: where the things connect
  'iot:DescribeEndpoint',
  'iot:GetPolicy',
  'iot:DetachPolicy',
  'iot:DeletePolicy',
  'iot:UpdateCertificate',
  'iot:DetachThingPrincipal',
  'iot:DeleteCertificate',
  'iot:DeleteThing',
  // only after a crash, to find certificates whose creation elf never heard back about
  'iot:ListCertificates',
  'iot:ListPrincipalThings',
  'iot:ListAttachedPolicies',
  // clean --run-id: the run's things by attribute, then their certificates
  'iot:ListThings',
  'iot:ListThingPrincipals',
];

export function makeIotClient(target: ResolvedTarget): IoTClient {
  return new IoTClient({
    region: target.region,
    ...(target.endpointUrl ? { endpoint: target.endpointUrl } : {}),
    ...(target.profile && !target.local ? { profile: target.profile } : {}),
    // the local stand-in ignores signatures, but the SDK must still sign with something
    ...(target.credentials ? { credentials: target.credentials } : {}),
    // elf retries (with pacing) itself: one attempt per SDK call, so retries are never multiplied
    maxAttempts: 1,
    requestHandler: { connectionTimeout: 5_000, requestTimeout: 30_000 },
  });
}

/**
 * DescribeEndpoint(iot:Data-ATS) at the target: the host the things connect to over MQTT (the
 * stand-in answers `host:port`). One attempt; a failure is one line that suggests --mqtt-endpoint.
 */
export async function describeEndpoint(target: ResolvedTarget): Promise<string> {
  const client = makeIotClient(target);
  try {
    const r = await client.send(new DescribeEndpointCommand({ endpointType: 'iot:Data-ATS' }));
    if (!r.endpointAddress) throw new Error('the answer has no endpointAddress');
    return r.endpointAddress;
  } catch (e) {
    const where = target.endpointUrl ?? `AWS region ${target.region}`;
    throw new ElfError(`DescribeEndpoint at ${where} failed: ${(e as Error).message.split('\n')[0]} (or give --mqtt-endpoint)`, 'ELF_ENDPOINT');
  } finally {
    client.destroy();
  }
}

const s = (v: string | undefined, what: string): string => {
  if (!v) throw new Error(`control plane answered without ${what}`);
  return v;
};

export function sdkIotApi(client: IoTClient): IotApi {
  return {
    async createKeysAndCertificate() {
      const r = await client.send(new CreateKeysAndCertificateCommand({ setAsActive: true }));
      return {
        certificateArn: s(r.certificateArn, 'certificateArn'),
        certificateId: s(r.certificateId, 'certificateId'),
        certificatePem: s(r.certificatePem, 'certificatePem'),
        publicKey: s(r.keyPair?.PublicKey, 'keyPair.PublicKey'),
        privateKey: s(r.keyPair?.PrivateKey, 'keyPair.PrivateKey'),
      };
    },
    async createThing(thingName, attributes) {
      const r = await client.send(new CreateThingCommand({ thingName, attributePayload: { attributes } }));
      return { thingArn: s(r.thingArn, 'thingArn') };
    },
    async describeThing(thingName) {
      const r = await client.send(new DescribeThingCommand({ thingName }));
      return { attributes: r.attributes ?? {} };
    },
    async deleteThing(thingName) {
      await client.send(new DeleteThingCommand({ thingName }));
    },
    async attachThingPrincipal(thingName, principal) {
      await client.send(new AttachThingPrincipalCommand({ thingName, principal }));
    },
    async detachThingPrincipal(thingName, principal) {
      await client.send(new DetachThingPrincipalCommand({ thingName, principal }));
    },
    async createPolicy(policyName, policyDocument) {
      const r = await client.send(new CreatePolicyCommand({ policyName, policyDocument }));
      return { policyArn: s(r.policyArn, 'policyArn') };
    },
    async getPolicy(policyName) {
      const r = await client.send(new GetPolicyCommand({ policyName }));
      return { policyArn: s(r.policyArn, 'policyArn'), policyDocument: s(r.policyDocument, 'policyDocument') };
    },
    async deletePolicy(policyName) {
      await client.send(new DeletePolicyCommand({ policyName }));
    },
    async attachPolicy(policyName, target) {
      await client.send(new AttachPolicyCommand({ policyName, target }));
    },
    async detachPolicy(policyName, target) {
      await client.send(new DetachPolicyCommand({ policyName, target }));
    },
    async updateCertificate(certificateId, newStatus) {
      await client.send(new UpdateCertificateCommand({ certificateId, newStatus }));
    },
    async deleteCertificate(certificateId) {
      await client.send(new DeleteCertificateCommand({ certificateId }));
    },
    async listCertificates(marker) {
      const r = await client.send(new ListCertificatesCommand({ ascendingOrder: false, pageSize: 250, ...(marker ? { marker } : {}) }));
      return {
        certificates: (r.certificates ?? []).map((c) => ({ certificateId: s(c.certificateId, 'certificateId'), certificateArn: s(c.certificateArn, 'certificateArn'), status: c.status ?? 'UNKNOWN', creationDate: c.creationDate ?? new Date(0) })),
        ...(r.nextMarker ? { nextMarker: r.nextMarker } : {}),
      };
    },
    async listPrincipalThings(principal) {
      const r = await client.send(new ListPrincipalThingsCommand({ principal, maxResults: 10 }));
      return r.things ?? [];
    },
    async listThingsByAttribute(attributeName, attributeValue, nextToken) {
      const r = await client.send(new ListThingsCommand({ attributeName, attributeValue, maxResults: 250, ...(nextToken ? { nextToken } : {}) }));
      return { things: (r.things ?? []).map((t) => s(t.thingName, 'thingName')), ...(r.nextToken ? { nextToken: r.nextToken } : {}) };
    },
    async listThingPrincipals(thingName) {
      const out: string[] = [];
      let nextToken: string | undefined;
      do {
        const r: ListThingPrincipalsCommandOutput = await client.send(new ListThingPrincipalsCommand({ thingName, maxResults: 100, ...(nextToken ? { nextToken } : {}) }));
        out.push(...(r.principals ?? []));
        nextToken = r.nextToken;
      } while (nextToken);
      return out;
    },
    async listAttachedPolicies(target) {
      const r = await client.send(new ListAttachedPoliciesCommand({ target, pageSize: 10 }));
      return (r.policies ?? []).map((p) => p.policyName ?? '');
    },
  };
}

/** A failure that stops the whole run (every later call would fail the same way). */
export class FatalApiError extends ElfError {}

export const IAM_HINT = 'see "IAM policy for elf" in the README';

/** One line for an error from the control plane. */
export function describeApiError(api: ApiName, error: unknown): string {
  const e = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const status = e.$metadata?.httpStatusCode ? ` (HTTP ${e.$metadata.httpStatusCode})` : '';
  const msg = (e.message ?? String(error)).split('\n')[0];
  return `${api} failed: ${e.name && e.name !== 'Error' ? `${e.name}: ` : ''}${msg}${status}`;
}

/** One line for any error met while provisioning a thing (names the API when it was a control-plane call). */
export function errorLine(error: unknown): string {
  if (error instanceof ElfError) return error.message;
  const api = (error as { elfApi?: ApiName })?.elfApi;
  if (api) return describeApiError(api, error);
  return (error as Error)?.message?.split('\n')[0] ?? String(error);
}

export interface CallerOptions {
  log: Logger;
  pacing?: boolean;
  clock?: Clock;
  random?: () => number;
  maxAttempts?: number;
  /** how long clean keeps retrying "still attached" conflicts after a detach (AWS: up to minutes) */
  conflictDeadlineMs?: number;
}

/**
 * Calls the control plane: takes a pacing token before every attempt, retries throttling, 5xx and
 * network errors with jittered backoff, and turns access-denied and bad-credential answers into one
 * fatal line that names the IAM action.
 */
export class Caller {
  readonly pacer: Pacer;
  readonly stats = { calls: 0, retries: 0, throttled: 0 };
  private readonly clock: Clock;

  constructor(private readonly opts: CallerOptions) {
    this.clock = opts.clock ?? systemClock;
    this.pacer = new Pacer(this.clock, opts.pacing ?? true);
  }

  async call<T>(api: ApiName, fn: () => Promise<T>, { retryConflicts = false } = {}): Promise<T> {
    try {
      return await withRetry(fn, {
        clock: this.clock,
        random: this.opts.random,
        maxAttempts: this.opts.maxAttempts ?? 12,
        conflictDeadlineMs: retryConflicts ? (this.opts.conflictDeadlineMs ?? 300_000) : 0,
        beforeAttempt: async () => {
          await this.pacer.take(api);
          this.stats.calls++;
        },
        onRetry: ({ kind, delayMs, error }) => {
          this.stats.retries++;
          if (kind === 'throttled') this.stats.throttled++;
          this.opts.log.debug({ api, kind, delayMs: Math.round(delayMs), error: (error as Error).name }, 'retrying');
        },
      });
    } catch (error) {
      const kind = classifyError(error);
      if (kind === 'denied') {
        throw new FatalApiError(`access denied: these credentials may not call iot:${api} (${(error as Error).name}); allow the IAM action iot:${api} — ${IAM_HINT}`, 'ELF_ACCESS_DENIED');
      }
      if (kind === 'credentials') {
        throw new FatalApiError(`the control plane refused the credentials (${(error as Error).name}: ${(error as Error).message?.split('\n')[0]}); check --profile, .env or the AWS_* variables`, 'ELF_CREDENTIALS');
      }
      if (error && typeof error === 'object') Object.assign(error, { elfApi: api });
      throw error;
    }
  }
}
