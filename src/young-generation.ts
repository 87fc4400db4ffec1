import { PerformanceObserver } from 'node:perf_hooks';
import v8 from 'node:v8';

/**
 * Stops V8's young generation (the new space: two semi-spaces) from growing once it has reached
 * `mb` megabytes: a soft bound, one doubling past it can slip in (below).
 *
 * V8 doubles the new space whenever enough objects survive its scavenges, up to 32 MB on Node 20
 * (64-bit). Streaming a file makes short-lived garbage at a high rate (a string and a few small
 * objects per line) with a little always alive (the messages in flight), so the new space ends at
 * its maximum: 15–25 MB of the process's peak RSS for nothing (bench/ scenario 3). The
 * `--max-semi-space-size` flag would bound it but is read only at start-up, when elf has no say
 * (`v8.setFlagsFromString` after that changes nothing). The growth factor is read on every growth:
 * after each garbage collection the new space is measured, and growth is switched off while it is
 * at `mb` or more, on again below (V8 shrinks an idle new space). The measurement reaches
 * JavaScript a turn of the event loop after the collection, so one more doubling can slip in
 * before growth stops.
 *
 * Returns a function that stops the watch and gives V8 its default growth back.
 */
export function limitYoungGeneration(mb: number): () => void {
  const limit = mb * 1024 * 1024;
  let stopped = false;
  const setGrowth = (stop: boolean) => {
    if (stop === stopped) return;
    stopped = stop;
    v8.setFlagsFromString(`--semi-space-growth-factor=${stop ? 1 : DEFAULT_GROWTH_FACTOR}`);
  };
  const check = () => setGrowth(newSpaceBytes() >= limit);
  const observer = new PerformanceObserver(check);
  observer.observe({ entryTypes: ['gc'] });
  check();
  return () => {
    observer.disconnect();
    setGrowth(false);
  };
}

/** V8's default `--semi-space-growth-factor` */
const DEFAULT_GROWTH_FACTOR = 2;

/** bytes the new space holds now (both semi-spaces) */
export function newSpaceBytes(): number {
  return v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0;
}
