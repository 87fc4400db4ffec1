/**
 * Pure: how `elf send --workers N` deals a fleet out to its worker processes. Each worker gets a
 * contiguous, disjoint slice in fleet order (the same input always gives the same slices), so the
 * merged per-thing rows come out in fleet order and `--partition` maps onto slices exactly
 * (owned-source.ts).
 */

/** things per worker that `--workers auto` aims for: one process's CRT event loop holds ~10,000 well */
export const THINGS_PER_WORKER = 5000;

export interface Slice {
  /** worker number, from 0 */
  worker: number;
  /** positions [from, to) in the fleet's device list */
  from: number;
  to: number;
}

/**
 * `--workers auto`: one worker per 5,000 things, at most one per core but one (the parent, the
 * kernel's TLS and network work and, often, a broker or subscriber on the same box need a core), at
 * least one. BENCHMARKS.md S5: on 2 cores, 2 workers at 10,000 things acked 36% less than 1.
 */
export function autoWorkers(things: number, cores: number): number {
  return Math.max(1, Math.min(cores - 1, Math.ceil(things / THINGS_PER_WORKER)));
}

/** `workers` slices of `things` as even as possible (sizes differ by at most one); never an empty slice. */
export function sliceFleet(things: number, workers: number): Slice[] {
  const w = Math.max(1, Math.min(workers, things));
  const base = Math.floor(things / w);
  const extra = things % w;
  const out: Slice[] = [];
  let from = 0;
  for (let i = 0; i < w; i++) {
    const to = from + base + (i < extra ? 1 : 0);
    out.push({ worker: i, from, to });
    from = to;
  }
  return out;
}

/**
 * A worker's share of the fleet's connection rate (`--connect-rate` is for the whole fleet, as one
 * process would ramp it): proportional to its slice, at least one per second.
 */
export function sliceConnectRate(rate: number, slice: Slice, things: number): number {
  return Math.max(1, (rate * (slice.to - slice.from)) / things);
}
