/**
 * Per-API token buckets emulating AWS IoT's control-plane TPS quotas (per account per
 * region, https://docs.aws.amazon.com/general/latest/gr/iot-core.html#throttling-limits). Burst = one second's worth.
 * The clock is injected (milliseconds), so tests drive it.
 */

/** Requests per second per operation. Operations not listed are not throttled. */
export const API_RATES: Readonly<Record<string, number>> = {
  CreateThing: 15,
  DeleteThing: 15,
  DescribeThing: 350,
  ListThings: 10,
  CreatePolicy: 10,
  GetPolicy: 10,
  DeletePolicy: 10,
  AttachPolicy: 15,
  DetachPolicy: 15,
  AttachPrincipalPolicy: 15,
  DetachPrincipalPolicy: 15,
  AttachThingPrincipal: 15,
  DetachThingPrincipal: 15,
  ListAttachedPolicies: 15,
  ListPrincipalPolicies: 15,
  ListThingPrincipals: 10,
  ListPrincipalThings: 10,
  DescribeCertificate: 10,
  UpdateCertificate: 10,
  DeleteCertificate: 10,
  // not in the 2019 table (UNVERIFIED); the commonly cited default
  CreateKeysAndCertificate: 10,
  DescribeEndpoint: 10,
  ListCertificates: 10,
  ListPolicies: 10,
};

interface Bucket {
  tokens: number;
  at: number;
}

export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly rates: Readonly<Record<string, number>> = API_RATES,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes one token for `op`; false when the bucket is empty (the call is throttled). */
  take(op: string): boolean {
    const rate = this.rates[op];
    if (rate === undefined) return true;
    const t = this.now();
    let b = this.buckets.get(op);
    if (!b) this.buckets.set(op, (b = { tokens: rate, at: t }));
    b.tokens = Math.min(rate, b.tokens + ((t - b.at) / 1000) * rate);
    b.at = t;
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }
}
