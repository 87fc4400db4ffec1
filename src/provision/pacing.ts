import { AWS_API_TPS, DEFAULT_API_TPS } from '../aws/limits.js';
import { systemClock, type Clock } from '../util/clock.js';
import { TokenBucket } from '../util/token-bucket.js';

/**
 * Client-side pacing of control-plane calls: one token bucket per API at AWS IoT's default
 * per-account API rate (aws/limits.ts), so a big `create` paces itself instead of bouncing off
 * ThrottlingException. The clock and the timer are injected (tests drive them).
 */

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
