import { AWS_API_TPS, DEFAULT_API_TPS } from '../aws/limits.js';

/** The control-plane calls one thing takes (create-thing.ts, clean-thing.ts), one each. */
export const CREATE_CALLS = ['CreateKeysAndCertificate', 'CreateThing', 'CreatePolicy', 'AttachThingPrincipal', 'AttachPolicy'] as const;
export const CLEAN_CALLS = ['DetachPolicy', 'DeletePolicy', 'UpdateCertificate', 'DetachThingPrincipal', 'DeleteCertificate', 'DeleteThing'] as const;

/** An estimate worth saying up front: a run longer than this */
export const LONG_RUN_SECONDS = 60;

export interface PaceEstimate {
  /** the least time the run takes at the paced rates */
  seconds: number;
  /** the slowest call and its rate: the run's bottleneck */
  bottleneck: string;
  perSec: number;
}

/**
 * Pure: how long `things` things take at AWS IoT's default API rates (per account and Region:
 * https://docs.aws.amazon.com/general/latest/gr/iot-core.html#throttling-limits), elf's pacing:
 * each call is paced on its own bucket, so the slowest call of a thing sets the pace.
 */
export function paceEstimate(things: number, calls: readonly string[], tps: Readonly<Record<string, number>> = AWS_API_TPS): PaceEstimate {
  let bottleneck = calls[0]!;
  let perSec = Infinity;
  for (const c of calls) {
    const r = tps[c] ?? DEFAULT_API_TPS;
    if (r < perSec) [bottleneck, perSec] = [c, r];
  }
  return { seconds: things / perSec, bottleneck, perSec };
}
