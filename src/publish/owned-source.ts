import type { Source, SourceItem } from '../source/types.js';

/**
 * `--partition` across processes: message i of the input goes to the thing at fleet position
 * i mod N (N = the whole fleet, over every worker and shard). A process that sends with only some
 * of the fleet's things reads the whole input but keeps only the messages of the positions it owns.
 *
 * With its things given in ascending fleet position, the kept messages come in an order where the
 * j-th goes to its own thing j mod (things it owns): exactly what the publisher's partition does
 * with its own list. So a slice (workers) or a residue class (shards) sends the same lines as one
 * process would have with the whole fleet. Skipped inputs pass through (each process reports them).
 */
export function ownedSource(source: Source, owned: readonly number[], fleetSize: number): Source {
  const mine = new Uint8Array(fleetSize);
  for (const p of owned) {
    if (!Number.isInteger(p) || p < 0 || p >= fleetSize) throw new RangeError(`fleet position ${p} is outside 0..${fleetSize - 1}`);
    mine[p] = 1;
  }
  const keep = () => {
    let i = 0;
    return (item: SourceItem) => item.kind === 'skip' || mine[i++ % fleetSize] === 1;
  };
  const name = source.name;
  return {
    name,
    async *open() {
      const k = keep();
      for await (const item of source.open()) if (k(item)) yield item;
    },
    ...(source.openBatches
      ? {
          async *openBatches() {
            const k = keep();
            for await (const batch of source.openBatches!()) {
              const out = batch.filter(k);
              if (out.length > 0) yield out;
            }
          },
        }
      : {}),
  };
}
