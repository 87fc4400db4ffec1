import { AWS_API_TPS } from '../aws/limits.js';
import { TokenBucket } from '../util/token-bucket.js';

/**
 * Per-API token buckets emulating AWS IoT's control-plane TPS quotas (per account per Region;
 * rates in aws/limits.ts). Burst = one second's worth. The clock is injected (milliseconds), so
 * tests drive it.
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(
    /** requests per second per operation; operations not listed are not throttled */
    private readonly rates: Readonly<Record<string, number>> = AWS_API_TPS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes one token for `op`; false when the bucket is empty (the call is throttled). */
  take(op: string): boolean {
    const rate = this.rates[op];
    if (rate === undefined) return true;
    const t = this.now();
    let b = this.buckets.get(op);
    if (!b) this.buckets.set(op, (b = new TokenBucket(rate, rate, t)));
    return b.tryTake(t);
  }
}
