/**
 * Certificates elf may have caused but never heard of (pure rules). AWS names a certificate only in
 * the answer to CreateKeysAndCertificate, so when elf dies while such a call is in flight, the
 * certificate may exist with no record of it. elf records the time of every such call; clean looks
 * for certificates created around those times that nothing records and nothing is attached to (elf
 * attaches only after recording), and deletes them when they cannot be anyone else's: on the local
 * stand-in, or when the user asks (`--sweep-orphans`), and never more than there were calls in flight.
 */

export interface InFlightCall {
  name: string;
  /** ms since the epoch, elf's clock */
  at: number;
}

export interface ListedCertificate {
  certificateId: string;
  certificateArn: string;
  status: string;
  creationDate: Date;
}

/** Before: clock skew (SigV4 tolerates 5 min, NTP'd clocks are within a second or two); after: the request timeout and retries. */
export function orphanWindow(calls: readonly InFlightCall[], beforeMs = 60_000, afterMs = 180_000): { from: number; to: number } {
  const times = calls.map((c) => c.at);
  return { from: Math.min(...times) - beforeMs, to: Math.max(...times) + afterMs };
}

export function inWindow(c: ListedCertificate, w: { from: number; to: number }, recorded: ReadonlySet<string>): boolean {
  const t = c.creationDate.getTime();
  return t >= w.from && t <= w.to && !recorded.has(c.certificateId);
}

export type SweepDecision = { action: 'none' } | { action: 'delete' } | { action: 'report'; reason: 'ambiguous' | 'not-allowed' };

/** Delete only when there are no more candidates than calls that were cut short, and deleting is allowed. */
export function sweepDecision(candidates: number, inFlight: number, allowed: boolean): SweepDecision {
  if (candidates === 0) return { action: 'none' };
  if (candidates > inFlight) return { action: 'report', reason: 'ambiguous' };
  return allowed ? { action: 'delete' } : { action: 'report', reason: 'not-allowed' };
}
