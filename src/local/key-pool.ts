import { availableParallelism } from 'node:os';
import type { KeyPairPem } from './ca.js';

/**
 * A small pool of pre-generated key pairs for CreateKeysAndCertificate: an RSA-2048 key costs
 * ~80 ms of CPU (far more on a loaded machine), signing the certificate ~1 ms, so a burst of calls is
 * answered from the pool while it is refilled in the background. Keys live in memory only and each
 * is handed out once.
 *
 * Generation runs off the main thread (async generateKeyPair: libuv's threadpool, 4 threads by
 * default, shared with fs). At most `maxInFlight` generations run at once, and only one of them is
 * background refill: callers waiting for a key may use the others. The pool starts filling on the
 * first take() (or fill()), so a stand-in that never issues a certificate spends no CPU on keys.
 */

export interface KeyPoolOptions {
  /** key pairs kept ready once filling has started; 0 = no pool, every take() generates */
  size: number;
  /** makes one key pair (ca.ts generateRsaKeyPair) */
  generate: () => Promise<KeyPairPem>;
  /**
   * generations at once, refill and waiting callers together; default: one per core, at most 3 so
   * that one of libuv's 4 threads stays free for file I/O (registry saves)
   */
  maxInFlight?: number;
  /** told about a background generation that failed (a waiting caller gets the error itself) */
  onError?: (e: unknown) => void;
}

interface Waiter {
  resolve: (k: KeyPairPem) => void;
  reject: (e: unknown) => void;
}

export class KeyPool {
  private readonly ready: KeyPairPem[] = [];
  private readonly waiters: Waiter[] = [];
  private inFlight = 0;
  private filling = false;
  private closed = false;
  private readonly maxInFlight: number;

  constructor(private readonly o: KeyPoolOptions) {
    this.maxInFlight = Math.max(1, o.maxInFlight ?? Math.min(3, availableParallelism()));
  }

  /** key pairs ready to hand out */
  get available(): number {
    return this.ready.length;
  }

  /** generations running now */
  get generating(): number {
    return this.inFlight;
  }

  /** A key pair: a pooled one at once, else the next one generated. Starts the pool filling. */
  take(): Promise<KeyPairPem> {
    if (this.closed) return Promise.reject(new Error('the key pool is closed'));
    this.filling = this.o.size > 0;
    const key = this.ready.shift();
    const out = key !== undefined ? Promise.resolve(key) : new Promise<KeyPairPem>((resolve, reject) => this.waiters.push({ resolve, reject }));
    this.pump();
    return out;
  }

  /** Starts filling the pool up to its size in the background. */
  fill(): void {
    if (this.closed || this.o.size <= 0) return;
    this.filling = true;
    this.pump();
  }

  /** Stops generating and drops the pooled keys; generations already running are discarded when done. */
  close(): void {
    this.closed = true;
    this.ready.length = 0;
    for (const w of this.waiters.splice(0)) w.reject(new Error('the key pool is closed'));
  }

  private wanted(): number {
    const waiting = this.waiters.length;
    // keys that will exist once what runs now is done, beyond what waiting callers take
    const short = this.filling && this.ready.length + Math.max(0, this.inFlight - waiting) < this.o.size;
    return Math.min(this.maxInFlight, waiting + (short ? 1 : 0));
  }

  private pump(): void {
    while (!this.closed && this.inFlight < this.wanted()) this.start();
  }

  private start(): void {
    this.inFlight++;
    this.o.generate().then(
      (key) => {
        this.inFlight--;
        if (this.closed) return;
        const w = this.waiters.shift();
        if (w !== undefined) w.resolve(key);
        else this.ready.push(key);
        this.pump();
      },
      (e: unknown) => {
        this.inFlight--;
        if (this.closed) return;
        const w = this.waiters.shift();
        if (w !== undefined) w.reject(e);
        else {
          // do not spin on a failing generator: refill resumes with the next take()
          this.filling = false;
          this.o.onError?.(e);
        }
        this.pump();
      },
    );
  }
}
