import { systemClock, type Clock } from '../util/clock.js';

/**
 * Client-side pacing of control-plane calls: one token bucket per API at AWS IoT's default
 * per-account API rate (https://docs.aws.amazon.com/general/latest/gr/iot-core.html#throttling-limits), so a big `create` paces itself instead of
 * bouncing off ThrottlingException. The clock and the timer are injected (tests drive them).
 */

/** AWS IoT default API TPS (docs/aws-iot-facts.md#control-plane-rates); CreateKeysAndCertificate: 10 (assumed). */
export const AWS_API_TPS: Readonly<Record<string, number>> = {
  CreateKeysAndCertificate: 10,
  CreateThing: 15,
  DescribeThing: 350,
  DeleteThing: 15,
  AttachThingPrincipal: 15,
  DetachThingPrincipal: 15,
  CreatePolicy: 10,
  GetPolicy: 10,
  DeletePolicy: 10,
  AttachPolicy: 15,
  DetachPolicy: 15,
  UpdateCertificate: 10,
  DeleteCertificate: 10,
  ListCertificates: 10,
  ListPrincipalThings: 10,
  ListAttachedPolicies: 15,
};
export const DEFAULT_API_TPS = 10;

/**
 * A token bucket: `rate` tokens per second, at most `burst` stored. `reserve()` is pure bookkeeping:
 * it takes the next token and returns how long the caller must wait for it (0 when one is available),
 * so concurrent callers queue up in order without a timer per bucket.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    readonly rate: number,
    readonly burst: number,
    now: number,
  ) {
    if (!(rate > 0) || !(burst >= 1)) throw new Error(`bad token bucket rate=${rate} burst=${burst}`);
    this.tokens = burst;
    this.last = now;
  }

  /** Takes one token; returns the milliseconds to wait before using it. */
  reserve(now: number): number {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : (-this.tokens / this.rate) * 1000;
  }
}

/** Paces calls per API name. Disabled (no waiting at all) when `enabled` is false. */
export class Pacer {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(
    private readonly clock: Clock = systemClock,
    private readonly enabled = true,
    private readonly tps: Readonly<Record<string, number>> = AWS_API_TPS,
    /** tokens a bucket may save up; 1 = evenly spaced calls, never a burst above the rate */
    private readonly burst = 1,
  ) {}

  async take(api: string): Promise<void> {
    if (!this.enabled) return;
    let bucket = this.buckets.get(api);
    if (!bucket) {
      bucket = new TokenBucket(this.tps[api] ?? DEFAULT_API_TPS, this.burst, this.clock.now());
      this.buckets.set(api, bucket);
    }
    const wait = bucket.reserve(this.clock.now());
    if (wait > 0) await this.clock.sleep(wait);
  }
}
