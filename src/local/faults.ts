import type { ApiErrorName } from './api-error.js';

/**
 * Fault injection (`elf local --fault-rate r --fault-seed n`): a seeded share of API calls fails with
 * one of the errors AWS answers under load. The decision is made before the operation runs, so a
 * faulted call changed nothing. Deterministic for a given seed and call order.
 */
export const FAULTS: readonly ApiErrorName[] = ['ThrottlingException', 'InternalFailureException', 'ServiceUnavailableException'];

/** mulberry32: a small, fast, seedable PRNG returning [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class FaultInjector {
  private readonly random: () => number;

  constructor(
    readonly rate: number,
    seed: number = Date.now(),
  ) {
    if (!(rate >= 0 && rate <= 1)) throw new RangeError(`fault rate must be between 0 and 1, got ${rate}`);
    this.random = mulberry32(seed);
  }

  /** The error to answer this call with, or undefined to let it through. */
  next(): ApiErrorName | undefined {
    if (this.rate === 0) return undefined;
    if (this.random() >= this.rate) return undefined;
    return FAULTS[Math.floor(this.random() * FAULTS.length)]!;
  }
}
