/**
 * A small seeded random number generator, one per thing: its whole state is one 32-bit number, so
 * 10,000 things cost 10,000 numbers, and a thing's values depend only on the seed, its index and how
 * many values it drew, never on how the things' messages interleave. Algorithm: mulberry32 (public
 * domain, Tommy Ettinger), which passes gjrand's tests for 2^32 outputs, plenty for test traffic.
 */
export class Rng {
  private s: number;

  constructor(seed: number) {
    this.s = seed >>> 0;
  }

  /** a float in [0, 1) */
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** a normally distributed number (Box-Muller) */
  gauss(mean: number, sd: number): number {
    const u = 1 - this.next();
    const v = this.next();
    return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
}

/** The seed of thing k's generator from the run's seed: a 32-bit mix, so neighbours differ in every bit. */
export function thingSeed(seed: number, k: number): number {
  let h = (seed ^ Math.imul(k + 1, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
