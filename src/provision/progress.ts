/**
 * A one-line progress bar on a terminal (stderr), redrawn at most 10 times a second; silent when the
 * stream is not a TTY (logs and the summary line say what happened).
 */
export interface ProgressBar {
  update(done: number, failed: number): void;
  finish(): void;
}

export function renderBar(label: string, done: number, failed: number, total: number, width = 30): string {
  const ratio = total > 0 ? Math.min(1, (done + failed) / total) : 1;
  const filled = Math.round(ratio * width);
  return `${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done + failed}/${total}${failed ? ` (${failed} failed)` : ''}`;
}

export function createProgress(stream: NodeJS.WriteStream, label: string, total: number, now: () => number = Date.now): ProgressBar {
  if (!stream.isTTY) return { update() {}, finish() {} };
  let last = 0;
  let shown = false;
  const draw = (done: number, failed: number) => {
    stream.write(`\r${renderBar(label, done, failed, total)}\u001b[K`);
    shown = true;
  };
  return {
    update(done, failed) {
      const t = now();
      if (t - last < 100 && done + failed < total) return;
      last = t;
      draw(done, failed);
    },
    finish() {
      if (shown) stream.write('\r\u001b[K');
    },
  };
}
