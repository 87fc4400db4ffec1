import type { Clock, Timer } from '../../src/util/clock.js';

interface Entry {
  at: number;
  seq: number;
  fn: () => void;
  /** repeat every this many ms (every()) */
  period?: number;
  cancelled: boolean;
}

/** lets the program run everything it can without time moving: promise chains, setImmediate hops */
async function settle(rounds: number): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((resolve) => setImmediate(resolve));
}

export interface VirtualClockOptions {
  /** now() at the start (default 0) */
  start?: number;
  /** wall() at now() = 0 */
  epoch?: number;
  /** setImmediate hops the program gets to run between two timers (default 20) */
  rounds?: number;
  /** ms each timer fires late (a loaded machine); default 0 */
  lag?: () => number;
}

/**
 * A Clock whose time moves only when the test says so: `run(work)` lets the program run and, each
 * time it is idle, jumps to the next timer, until `work` settles. Between two timers the program runs to idle (promise chains and
 * setImmediate hops), so a 30 s give-up or a one-year `--duration` takes milliseconds of real time.
 */
export class VirtualClock implements Clock {
  private t: number;
  private seq = 0;
  /** pending timers, by time then by the order they were armed */
  private readonly queue: Entry[] = [];
  /** timers armed so far (sleeps included): what a test can count */
  armed = 0;
  /** run() is moving time (one at a time: two drivers would race each other) */
  private driving = false;

  private readonly epoch: number;
  private readonly rounds: number;
  private readonly lag: () => number;

  constructor(opts: VirtualClockOptions = {}) {
    this.t = opts.start ?? 0;
    this.epoch = opts.epoch ?? 1_700_000_000_000;
    this.rounds = opts.rounds ?? 20;
    this.lag = opts.lag ?? (() => 0);
  }

  now(): number {
    return this.t;
  }

  wall(): number {
    return this.epoch + this.t;
  }

  after(ms: number, fn: () => void): Timer {
    return this.arm({ at: this.t + Math.max(0, ms), seq: 0, fn, cancelled: false });
  }

  every(ms: number, fn: () => void): Timer {
    const period = Math.max(1, ms);
    return this.arm({ at: this.t + period, seq: 0, fn, period, cancelled: false });
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal?.aborted || ms <= 0) return resolve();
      const done = () => {
        timer.cancel();
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = this.after(ms, done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  /** timers not yet fired or cancelled */
  get pending(): number {
    return this.queue.length;
  }

  /**
   * Runs the program until `work` settles, jumping to the next timer whenever it is idle. Throws
   * when nothing is left to fire and `work` is still pending after 2 s of real time (it waits for
   * something that never comes), or when time passes `limitMs` from now (a timer that re-arms forever).
   * What happens meanwhile (a broker going away, Ctrl-C) is scheduled with after() beforehand.
   */
  async run<T>(work: Promise<T>, limitMs = 366 * 24 * 3600 * 1000): Promise<T> {
    this.drive();
    try {
      return await this.runUntil(work, this.t + limitMs);
    } finally {
      this.driving = false;
    }
  }

  private async runUntil<T>(work: Promise<T>, limit: number): Promise<T> {
    let outcome: { value: T } | { error: unknown } | undefined;
    work.then(
      (value) => (outcome = { value }),
      (error: unknown) => (outcome = { error }),
    );
    const result = (o: { value: T } | { error: unknown }): T => {
      if ('error' in o) throw o.error;
      return o.value;
    };
    for (;;) {
      await settle(this.rounds);
      if (outcome) return result(outcome);
      const next = this.queue[0] ?? (await this.realWait(() => outcome !== undefined || this.queue.length > 0));
      if (outcome) return result(outcome);
      if (next === undefined) throw new Error(`virtual clock: nothing scheduled at ${this.t} ms and the work has not finished`);
      if (next.at > limit) throw new Error(`virtual clock: the work has not finished by ${limit} ms`);
      this.fire(next);
    }
  }

  private drive(): void {
    if (this.driving) throw new Error('virtual clock: already being advanced (schedule what happens meanwhile with after())');
    this.driving = true;
  }

  /** the program may be waiting for real I/O (a file, a socket): give it up to 2 s of real time */
  private async realWait(ready: () => boolean): Promise<Entry | undefined> {
    for (let waited = 0; waited < 2000 && !ready(); waited += 5) await new Promise((resolve) => setTimeout(resolve, 5));
    await settle(this.rounds);
    return this.queue[0];
  }

  private arm(e: Entry): Timer {
    e.seq = this.seq++;
    this.armed++;
    this.insert(e);
    return {
      cancel: () => {
        if (e.cancelled) return;
        e.cancelled = true;
        const i = this.queue.indexOf(e);
        if (i >= 0) this.queue.splice(i, 1);
      },
    };
  }

  private insert(e: Entry): void {
    let i = this.queue.length;
    while (i > 0 && (this.queue[i - 1]!.at > e.at || (this.queue[i - 1]!.at === e.at && this.queue[i - 1]!.seq > e.seq))) i--;
    this.queue.splice(i, 0, e);
  }

  private fire(e: Entry): void {
    this.queue.shift();
    this.t = Math.max(this.t, e.at + this.lag());
    if (e.period !== undefined) {
      e.at += e.period;
      e.seq = this.seq++;
      this.insert(e);
    } else e.cancelled = true;
    e.fn();
  }
}
