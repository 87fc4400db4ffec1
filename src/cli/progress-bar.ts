import type { ProvisionProgress } from '../provision/each-thing.js';

/** A duration for people: `35 s`, `4 min 10 s`, `2 h 47 min`. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min${s % 60 ? ` ${s % 60} s` : ''}`;
  const m = Math.round(s / 60);
  return `${Math.floor(m / 60)} h${m % 60 ? ` ${m % 60} min` : ''}`;
}

/**
 * The bar, and once a second has passed, the rate so far and the time left at that rate:
 * `creating [###...] 405/100000 (5 failed)  7.1/s, 3 h 54 min left`.
 */
export function renderBar(label: string, done: number, failed: number, total: number, width = 30, elapsedMs?: number): string {
  const finished = done + failed;
  const ratio = total > 0 ? Math.min(1, finished / total) : 1;
  const filled = Math.round(ratio * width);
  let rate = '';
  if (elapsedMs !== undefined && elapsedMs >= 1000 && finished > 0) {
    const perSec = (finished * 1000) / elapsedMs;
    rate = `  ${perSec >= 10 ? Math.round(perSec) : perSec.toFixed(1)}/s, ${formatDuration((total - finished) / perSec)} left`;
  }
  return `${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${finished}/${total}${failed ? ` (${failed} failed)` : ''}${rate}`;
}

/**
 * A one-line progress bar for create and clean on a terminal (stderr), redrawn at most 10 times a
 * second and cleared when the things are done; nothing when the stream is not a TTY (logs and the
 * summary line say what happened).
 */
export function progressBar(stream: NodeJS.WriteStream, label: string, now: () => number = Date.now): (p: ProvisionProgress) => void {
  if (!stream.isTTY) return () => {};
  let last = 0;
  let shown = false;
  const started = now();
  return ({ done, failed, total, finished }) => {
    if (finished) {
      if (shown) stream.write('\r\u001b[K');
      return;
    }
    const t = now();
    if (t - last < 100 && done + failed < total) return;
    last = t;
    stream.write(`\r${renderBar(label, done, failed, total, 30, t - started)}\u001b[K`);
    shown = true;
  };
}

/**
 * What create and clean show while they run: the bar, and on a terminal the per-thing errors held
 * back until the bar is gone (`report()` prints them grouped by error), so that no ERROR line cuts
 * through the bar. Off a terminal each error is logged as it happens (the default).
 */
export function provisionDisplay(stream: NodeJS.WriteStream, label: string, log: { error(msg: string): void }): { onProgress: (p: ProvisionProgress) => void; onThingError?: (line: string) => void; report(): void } {
  const onProgress = progressBar(stream, label);
  if (!stream.isTTY) return { onProgress, report: () => {} };
  const held: string[] = [];
  return {
    onProgress,
    onThingError: (line) => held.push(line),
    report: () => {
      for (const line of groupErrors(held)) log.error(line);
    },
  };
}

/** Pure: `<thing>: <error>` lines as one line per distinct error, naming the first few things. */
export function groupErrors(lines: readonly string[], names = 3): string[] {
  const byError = new Map<string, string[]>();
  for (const line of lines) {
    const at = line.indexOf(': ');
    const [thing, error] = at < 0 ? ['?', line] : [line.slice(0, at), line.slice(at + 2)];
    // the same error for another thing: its name in the message as <thing>
    const key = at < 0 ? error : error.split(thing).join('<thing>');
    byError.set(key, [...(byError.get(key) ?? []), thing]);
  }
  return [...byError].map(([error, things]) => {
    const shown = things.slice(0, names).join(', ') + (things.length > names ? ` and ${things.length - names} more` : '');
    return `${things.length} thing${things.length === 1 ? '' : 's'} failed (${shown}): ${error}`;
  });
}
