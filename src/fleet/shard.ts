import { randomBytes } from 'node:crypto';
import { UsageError } from '../errors.js';

/**
 * Pure: shards of a fleet across machines, and run ids.
 *
 * Shard i of n (0-based) owns the things whose global index k ≡ i (mod n), where k is the number
 * in the thing's name (`thing_5` has k = 5; `elf create` counts from thing_0): names keep their global index, so shard 1/4 of 100
 * things owns thing_1, thing_5, …, thing_97, and the index is the thing's position in the fleet. A Kubernetes Indexed Job gives each pod its index in
 * JOB_COMPLETION_INDEX; `--shards n` reads it, so a pod needs no shell arithmetic.
 */
export interface Shard {
  index: number;
  count: number;
}

const MAX_SHARDS = 100_000;

/** `--shard i/n` */
export function parseShard(value: string, flag = '--shard'): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(value);
  if (!m) throw new UsageError(`${flag} '${value}': expected i/n, e.g. 0/4 (shard i of n, counted from 0)`);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || count > MAX_SHARDS) throw new UsageError(`${flag} '${value}': n must be from 1 to ${MAX_SHARDS}`);
  if (index >= count) throw new UsageError(`${flag} '${value}': i must be below n (shards are counted from 0)`);
  return { index, count };
}

/**
 * The shard this process is, from `--shard i/n`, or `--shards n` with i from JOB_COMPLETION_INDEX
 * (Kubernetes Indexed Jobs set it in every pod). undefined: not sharded.
 */
export function resolveShard(flags: { shard?: Shard; shards?: number }, env: Record<string, string | undefined>): Shard | undefined {
  if (flags.shard && flags.shards !== undefined) {
    if (flags.shard.count !== flags.shards) throw new UsageError(`--shard ${flags.shard.index}/${flags.shard.count} and --shards ${flags.shards} disagree: give one of them`);
    return flags.shard;
  }
  if (flags.shard) return flags.shard;
  if (flags.shards === undefined) return undefined;
  const raw = env.JOB_COMPLETION_INDEX;
  if (raw === undefined || raw === '') throw new UsageError(`--shards ${flags.shards}: JOB_COMPLETION_INDEX is not set (Kubernetes sets it in the pods of an Indexed Job); give --shard i/${flags.shards} instead`);
  if (!/^\d+$/.test(raw.trim())) throw new UsageError(`JOB_COMPLETION_INDEX '${raw}': expected a whole number`);
  return parseShard(`${raw.trim()}/${flags.shards}`, 'JOB_COMPLETION_INDEX');
}

/** the global index in a thing's name (`thing_12` with prefix `thing_` → 12), or undefined */
export function nameIndex(name: string, prefix: string): number | undefined {
  if (!name.startsWith(prefix)) return undefined;
  const rest = name.slice(prefix.length);
  return /^\d+$/.test(rest) ? Number(rest) : undefined;
}

export function owns(shard: Shard | undefined, k: number): boolean {
  return shard === undefined || k % shard.count === shard.index;
}

/** The global indexes shard `shard` owns among 0..total-1 (the names `elf create total` makes). */
export function shardIndexes(total: number, shard: Shard | undefined): number[] {
  const out: number[] = [];
  const step = shard?.count ?? 1;
  for (let k = shard?.index ?? 0; k < total; k += step) out.push(k);
  return out;
}

export function formatShard(s: Shard): string {
  return `${s.index}/${s.count}`;
}

/** Run ids: stamped on every thing as attribute `elf_run`, so `elf clean --run-id` needs no local state. */
export const RUN_ATTRIBUTE = 'elf_run';
const RUN_ID = /^[a-zA-Z0-9_-]{1,64}$/;

export function parseRunId(value: string, flag = '--run-id'): string {
  if (!RUN_ID.test(value)) throw new UsageError(`${flag} '${value}': 1–64 letters, digits, "_" or "-"`);
  return value;
}

/** A fresh short run id: 10 base-36 characters (51 random bits), e.g. `r4k2v9x0qa`. */
export function newRunId(): string {
  const n = randomBytes(8).readBigUInt64BE(0) >> 13n;
  return n.toString(36).padStart(10, '0').slice(-10);
}

/**
 * `--partition` over a part of a fleet: the fleet positions (name indexes) of `names` and the whole
 * fleet's size (recorded by `create --shard`, else one past the highest index of `all`); undefined
 * when `names` are the whole fleet in order, or a name has no index (then the part deals alone).
 */
export function fleetPositions(names: readonly string[], all: readonly string[], prefix: string, recordedSize?: number): { positions: number[]; fleetSize: number } | undefined {
  const positions: number[] = [];
  for (const n of names) {
    const k = nameIndex(n, prefix);
    if (k === undefined) return undefined;
    positions.push(k);
  }
  let size = recordedSize ?? 0;
  for (const n of all) size = Math.max(size, (nameIndex(n, prefix) ?? -1) + 1);
  if (positions.length === size && positions.every((p, i) => p === i)) return undefined;
  if (positions.some((p, i) => i > 0 && p <= positions[i - 1]!)) return undefined;
  return { positions, fleetSize: size };
}
