import type { RunState } from './run-state.js';
import { TokenBucket } from '../util/token-bucket.js';

/** TLS handshakes in flight at most: more only slow each other down */
export const MAX_PENDING_CONNECTS = 500;

/** Starts thing k; calls `handshakeDone` when its first connect has ended, either way. */
export type StartThing = (k: number, handshakeDone: () => void) => Promise<void>;

/**
 * The ramp: starts the things one by one at `connectRate` a second (bursts of up to 50), with at
 * most MAX_PENDING_CONNECTS handshakes in flight; each thing publishes as soon as it is connected,
 * not when the whole fleet is. Returns each started thing's promise once every thing is started or
 * the run stopped; the readers of things never started are closed.
 */
export async function ramp(run: RunState, start: StartThing): Promise<Array<Promise<void>>> {
  const { clock, stop } = run;
  const { things, connectRate } = run.settings;
  const bucket = new TokenBucket(connectRate, Math.max(1, Math.min(connectRate, 50)), run.startMs);
  const handshakes = new HandshakeLimit(MAX_PENDING_CONNECTS, stop);
  const started: Array<Promise<void>> = [];
  for (let k = 0; k < things && !stop.aborted; k++) {
    for (let wait = bucket.take(clock.now()); wait > 0 && !stop.aborted; wait = bucket.take(clock.now())) await clock.sleep(wait, stop);
    await handshakes.acquire();
    if (stop.aborted) break;
    started.push(start(k, () => handshakes.release()));
    // creating a connection builds its TLS context synchronously in the CRT (tens of ms on a
    // loaded machine): yield after each one so connected things publish on time meanwhile
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  for (let k = started.length; k < things; k++) run.readers[k]!.close();
  return started;
}

/** At most `max` handshakes at once; acquire() waits for a release, or for the stop signal. */
class HandshakeLimit {
  private pending = 0;
  private freed: (() => void) | undefined;

  constructor(
    private readonly max: number,
    private readonly stop: AbortSignal,
  ) {}

  async acquire(): Promise<void> {
    while (this.pending >= this.max && !this.stop.aborted) {
      await new Promise<void>((resolve) => {
        const done = () => {
          this.stop.removeEventListener('abort', done);
          resolve();
        };
        this.freed = done;
        this.stop.addEventListener('abort', done, { once: true });
      });
    }
    if (!this.stop.aborted) this.pending++;
  }

  release(): void {
    this.pending--;
    const f = this.freed;
    this.freed = undefined;
    f?.();
  }
}
