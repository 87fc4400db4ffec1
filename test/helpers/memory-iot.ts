import { createHash, randomBytes } from 'node:crypto';
import type { IotApi } from '../../src/provision/iot.js';

/**
 * An in-memory control plane behind elf's IotApi interface, enforcing AWS IoT's state rules
 * (docs/aws-iot-facts.md#state-rules-and-the-deletion-order), with knobs for faults: a share of calls answered with throttling or
 * 5xx, and detaches that take effect only after a number of further calls (eventual consistency).
 * For the provisioning logic's unit tests; the end-to-end tests use the real stand-in.
 */
export class ApiError extends Error {
  $metadata: { httpStatusCode: number };
  constructor(name: string, status: number, message: string) {
    super(message);
    this.name = name;
    this.$metadata = { httpStatusCode: status };
  }
}

interface Cert {
  id: string;
  arn: string;
  status: 'ACTIVE' | 'INACTIVE';
  creationDate: Date;
  policies: Set<string>;
  things: Set<string>;
  /** detached things/policies still counted until this many more calls */
  lingering: { kind: 'thing' | 'policy'; name: string; until: number }[];
}

export interface MemoryIotOptions {
  region?: string;
  account?: string;
  /** 0..1 share of calls that fail with a retryable fault before doing anything */
  faultRate?: number;
  /** calls a detach lingers for */
  detachLag?: number;
  random?: () => number;
  /** called with each operation name before it runs; may throw to inject a failure */
  hook?: (op: string) => void;
}

export class MemoryIot {
  readonly region: string;
  readonly account: string;
  readonly things = new Map<string, { arn: string; attributes: Record<string, string>; principals: Set<string> }>();
  readonly certs = new Map<string, Cert>();
  readonly policies = new Map<string, { arn: string; document: string; targets: Set<string> }>();
  readonly calls: string[] = [];
  faults = 0;
  private tick = 0;

  constructor(private readonly opts: MemoryIotOptions = {}) {
    this.region = opts.region ?? 'us-east-1';
    this.account = opts.account ?? '123456789012';
  }

  private arn(rest: string) {
    return `arn:aws:iot:${this.region}:${this.account}:${rest}`;
  }

  private enter(op: string) {
    this.tick++;
    this.calls.push(op);
    this.opts.hook?.(op);
    const r = this.opts.random ?? Math.random;
    if (this.opts.faultRate && r() < this.opts.faultRate) {
      this.faults++;
      throw r() < 0.5 ? new ApiError('ThrottlingException', 400, 'Rate exceeded') : new ApiError('ServiceUnavailableException', 503, 'Service unavailable');
    }
  }

  private certByArn(arn: string): Cert {
    for (const c of this.certs.values()) if (c.arn === arn) return c;
    throw new ApiError('ResourceNotFoundException', 404, `no certificate ${arn}`);
  }

  private lingers(c: Cert, kind: 'thing' | 'policy'): boolean {
    c.lingering = c.lingering.filter((l) => l.until > this.tick);
    return c.lingering.some((l) => l.kind === kind);
  }

  api(): IotApi {
    return {
      createKeysAndCertificate: async () => {
        this.enter('CreateKeysAndCertificate');
        const id = createHash('sha256').update(randomBytes(16)).digest('hex');
        const arn = this.arn(`cert/${id}`);
        this.certs.set(id, { id, arn, status: 'ACTIVE', creationDate: new Date(), policies: new Set(), things: new Set(), lingering: [] });
        return { certificateArn: arn, certificateId: id, certificatePem: `-----BEGIN CERTIFICATE-----\n${id}\n-----END CERTIFICATE-----\n`, publicKey: 'PUB', privateKey: `-----BEGIN RSA PRIVATE KEY-----\nSECRET-${id}\n-----END RSA PRIVATE KEY-----\n` };
      },
      createThing: async (name, attributes) => {
        this.enter('CreateThing');
        const t = this.things.get(name);
        if (t) {
          if (JSON.stringify(t.attributes) !== JSON.stringify(attributes)) throw new ApiError('ResourceAlreadyExistsException', 409, `Thing ${name} already exists with different tags`);
          return { thingArn: t.arn };
        }
        const arn = this.arn(`thing/${name}`);
        this.things.set(name, { arn, attributes: { ...attributes }, principals: new Set() });
        return { thingArn: arn };
      },
      describeThing: async (name) => {
        this.enter('DescribeThing');
        const t = this.things.get(name);
        if (!t) throw new ApiError('ResourceNotFoundException', 404, `Thing ${name} cannot be found`);
        return { attributes: { ...t.attributes } };
      },
      deleteThing: async (name) => {
        this.enter('DeleteThing');
        const t = this.things.get(name);
        if (!t) return;
        const attached = [...t.principals].length > 0 || [...this.certs.values()].some((c) => c.lingering.some((l) => l.kind === 'thing' && l.name === name && l.until > this.tick));
        if (attached) throw new ApiError('InvalidRequestException', 400, `Cannot delete. Thing ${name} is still attached to one or more principals`);
        this.things.delete(name);
      },
      attachThingPrincipal: async (name, principal) => {
        this.enter('AttachThingPrincipal');
        const t = this.things.get(name);
        if (!t) throw new ApiError('ResourceNotFoundException', 404, `Thing ${name} cannot be found`);
        const c = this.certByArn(principal);
        t.principals.add(principal);
        c.things.add(name);
      },
      detachThingPrincipal: async (name, principal) => {
        this.enter('DetachThingPrincipal');
        const t = this.things.get(name);
        if (!t) throw new ApiError('ResourceNotFoundException', 404, `Thing ${name} cannot be found`);
        const c = this.certByArn(principal);
        t.principals.delete(principal);
        if (c.things.delete(name)) c.lingering.push({ kind: 'thing', name, until: this.tick + (this.opts.detachLag ?? 0) });
      },
      createPolicy: async (name, document) => {
        this.enter('CreatePolicy');
        if (this.policies.has(name)) throw new ApiError('ResourceAlreadyExistsException', 409, `Policy cannot be created - name already exists (name=${name})`);
        JSON.parse(document);
        const arn = this.arn(`policy/${name}`);
        this.policies.set(name, { arn, document, targets: new Set() });
        return { policyArn: arn };
      },
      getPolicy: async (name) => {
        this.enter('GetPolicy');
        const p = this.policies.get(name);
        if (!p) throw new ApiError('ResourceNotFoundException', 404, `Policy not found`);
        return { policyArn: p.arn, policyDocument: p.document };
      },
      deletePolicy: async (name) => {
        this.enter('DeletePolicy');
        const p = this.policies.get(name);
        if (!p) throw new ApiError('ResourceNotFoundException', 404, `Policy not found`);
        const lingering = [...this.certs.values()].some((c) => c.lingering.some((l) => l.kind === 'policy' && l.name === name && l.until > this.tick));
        if (p.targets.size > 0 || lingering) throw new ApiError('DeleteConflictException', 409, `The policy cannot be deleted as the policy is attached to one or more principals (name=${name})`);
        this.policies.delete(name);
      },
      attachPolicy: async (name, target) => {
        this.enter('AttachPolicy');
        const p = this.policies.get(name);
        if (!p) throw new ApiError('ResourceNotFoundException', 404, `Policy not found`);
        const c = this.certByArn(target);
        p.targets.add(target);
        c.policies.add(name);
      },
      detachPolicy: async (name, target) => {
        this.enter('DetachPolicy');
        const p = this.policies.get(name);
        if (!p) throw new ApiError('ResourceNotFoundException', 404, `Policy not found`);
        const c = this.certByArn(target);
        p.targets.delete(target);
        if (c.policies.delete(name)) c.lingering.push({ kind: 'policy', name, until: this.tick + (this.opts.detachLag ?? 0) });
      },
      updateCertificate: async (id, status) => {
        this.enter('UpdateCertificate');
        const c = this.certs.get(id);
        if (!c) throw new ApiError('ResourceNotFoundException', 404, `no certificate ${id}`);
        c.status = status;
      },
      deleteCertificate: async (id) => {
        this.enter('DeleteCertificate');
        const c = this.certs.get(id);
        if (!c) throw new ApiError('ResourceNotFoundException', 404, `no certificate ${id}`);
        if (c.status === 'ACTIVE') throw new ApiError('CertificateStateException', 406, `Certificate must be deactivated (not ACTIVE) before deletion. Id: ${id}`);
        if (c.policies.size > 0) throw new ApiError('DeleteConflictException', 409, `Certificate policies must be detached before deletion (arn: ${c.arn})`);
        if (c.things.size > 0 || this.lingers(c, 'thing')) throw new ApiError('DeleteConflictException', 409, `Things must be detached before deletion (arn: ${c.arn})`);
        this.certs.delete(id);
      },
      listCertificates: async (marker) => {
        this.enter('ListCertificates');
        const all = [...this.certs.values()].sort((a, b) => b.creationDate.getTime() - a.creationDate.getTime());
        const start = marker ? Number(marker) : 0;
        const page = all.slice(start, start + 2);
        return {
          certificates: page.map((c) => ({ certificateId: c.id, certificateArn: c.arn, status: c.status, creationDate: c.creationDate })),
          ...(start + 2 < all.length ? { nextMarker: String(start + 2) } : {}),
        };
      },
      listPrincipalThings: async (principal) => {
        this.enter('ListPrincipalThings');
        return [...this.certByArn(principal).things];
      },
      listAttachedPolicies: async (target) => {
        this.enter('ListAttachedPolicies');
        return [...this.certByArn(target).policies];
      },
      listThingsByAttribute: async (name, value) => {
        this.enter('ListThings');
        return { things: [...this.things].filter(([, t]) => t.attributes[name] === value).map(([k]) => k) };
      },
      listThingPrincipals: async (thingName) => {
        this.enter('ListThingPrincipals');
        const t = this.things.get(thingName);
        if (!t) throw new ApiError('ResourceNotFoundException', 404, `no thing ${thingName}`);
        return [...t.principals];
      },
    };
  }

  /** A copy of the control plane's state as it is now (what a crash at this moment would leave). */
  snapshot(opts: MemoryIotOptions = {}): MemoryIot {
    const m = new MemoryIot({ region: this.region, account: this.account, ...opts });
    for (const [k, t] of this.things) m.things.set(k, { arn: t.arn, attributes: { ...t.attributes }, principals: new Set(t.principals) });
    for (const [k, c] of this.certs) m.certs.set(k, { ...c, policies: new Set(c.policies), things: new Set(c.things), lingering: [] });
    for (const [k, p] of this.policies) m.policies.set(k, { arn: p.arn, document: p.document, targets: new Set(p.targets) });
    return m;
  }

  get counts() {
    return { things: this.things.size, certs: this.certs.size, policies: this.policies.size };
  }

  get empty(): boolean {
    return this.things.size === 0 && this.certs.size === 0 && this.policies.size === 0;
  }
}
