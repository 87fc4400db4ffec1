import type { ProvisionProgress } from '../provision/each-thing.js';

export function renderBar(label: string, done: number, failed: number, total: number, width = 30): string {
  const ratio = total > 0 ? Math.min(1, (done + failed) / total) : 1;
  const filled = Math.round(ratio * width);
  return `${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done + failed}/${total}${failed ? ` (${failed} failed)` : ''}`;
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
  return ({ done, failed, total, finished }) => {
    if (finished) {
      if (shown) stream.write('\r\u001b[K');
      return;
    }
    const t = now();
    if (t - last < 100 && done + failed < total) return;
    last = t;
    stream.write(`\r${renderBar(label, done, failed, total)}\u001b[K`);
    shown = true;
  };
}
