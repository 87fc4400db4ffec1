import type { Source } from '../source/types.js';

/**
 * Fan-out of one message source to many things without reading the file once per thing.
 *
 * One shared pass over the Source fills a window of messages; every thing is a reader with its own
 * position in the (absolute, ever-growing) message index. A message leaves the window as soon as no
 * reader stands at or before it, so 10,000 things streaming in step hold only the few messages
 * between the slowest and the fastest. Memory is bounded (`capacity` messages, `maxBytes`): when the
 * window is full the oldest message is dropped anyway and a reader that needed it falls back to a
 * private pass over the source (read again from the start, skipping what it already sent) — only
 * stragglers pay for it.
 *
 * Message indexes count across passes: with `loop` the source is reopened at its end and the index
 * goes on (message i of pass p has index p·M + i). Partitioning is a reader that starts at k and
 * steps by N: line i goes to thing i mod N.
 */

export interface FeedItem {
  /** absolute message index (across passes) */
  index: number;
  /** 1-based line in the source file */
  line: number;
  payload: string;
}

export interface FeedOptions {
  /** reopen the source at its end (default true) */
  loop?: boolean;
  /** most messages held in the shared window (default 100,000) */
  capacity?: number;
  /** most payload characters held in the shared window (default 64 Mi) */
  maxBytes?: number;
  /** how many skipped-line examples to keep (default 20) */
  maxSkipExamples?: number;
}

export interface SkipReport {
  /** skipped inputs of the first pass */
  count: number;
  examples: Array<{ line: number; reason: string }>;
}

export interface FeedReader {
  /** the next message for this reader, or null at the end of the input (without loop) */
  next(): Promise<FeedItem | null>;
  /** stops pinning the window; idempotent */
  close(): void;
}

type Cursor = AsyncIterator<{ kind: 'message'; line: number; payload: string } | { kind: 'skip'; line: number; reason: string }>;

/** Sequential reader of the source that yields messages with absolute indexes, looping if asked. */
class Pass {
  private it: Cursor | undefined;
  private pass = 0;
  private inPass = 0;
  private index = 0;
  ended = false;

  constructor(
    private readonly source: Source,
    private readonly loop: boolean,
    private readonly onSkip?: (line: number, reason: string) => void,
  ) {}

  async next(): Promise<FeedItem | null> {
    for (;;) {
      if (this.ended) return null;
      this.it ??= this.source.open()[Symbol.asyncIterator]() as Cursor;
      const r = await this.it.next();
      if (r.done) {
        // an input with no message at all would loop forever: it ends instead
        if (this.loop && this.inPass > 0) {
          this.pass++;
          this.inPass = 0;
          this.it = undefined;
          continue;
        }
        this.ended = true;
        return null;
      }
      const item = r.value;
      if (item.kind === 'skip') {
        if (this.pass === 0) this.onSkip?.(item.line, item.reason);
        continue;
      }
      this.inPass++;
      return { index: this.index++, line: item.line, payload: item.payload };
    }
  }

  async close(): Promise<void> {
    const it = this.it;
    this.it = undefined;
    this.ended = true;
    await it?.return?.();
  }
}

export class SharedFeed {
  private readonly loop: boolean;
  private readonly capacity: number;
  private readonly maxBytes: number;
  private readonly maxSkipExamples: number;
  private readonly pass: Pass;
  /** window: items[off + j] has absolute index base + j */
  private items: Array<FeedItem | undefined> = [];
  private off = 0;
  private base = 0;
  private head = 0;
  private bytes = 0;
  /** reader positions → how many attached readers stand there */
  private readonly at = new Map<number, number>();
  private filling: Promise<void> | undefined;
  private readonly skips: SkipReport = { count: 0, examples: [] };
  /** readers that fell out of the window and read privately */
  private privateReaders = 0;

  constructor(
    private readonly source: Source,
    opts: FeedOptions = {},
  ) {
    this.loop = opts.loop ?? true;
    this.capacity = Math.max(1, opts.capacity ?? 100_000);
    this.maxBytes = Math.max(1, opts.maxBytes ?? 64 * 1024 * 1024);
    this.maxSkipExamples = opts.maxSkipExamples ?? 20;
    this.pass = new Pass(source, this.loop, (line, reason) => {
      this.skips.count++;
      if (this.skips.examples.length < this.maxSkipExamples) this.skips.examples.push({ line, reason });
    });
  }

  get skipped(): SkipReport {
    return this.skips;
  }

  /** messages currently held in the window (for tests and memory checks) */
  get windowSize(): number {
    return this.head - this.base;
  }

  /** readers that had to fall back to their own pass over the source */
  get fallbacks(): number {
    return this.privateReaders;
  }

  /**
   * A reader starting at message `start` and moving by `step` (1: the whole stream; N with start k:
   * partition). Create all readers before the first next() so none misses the start of the window.
   */
  reader(start = 0, step = 1): FeedReader {
    let pos = start;
    let closed = false;
    let priv: Pass | undefined;
    this.pin(pos);
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the reader's closure reads the window
    const feed = this;
    return {
      async next() {
        for (;;) {
          if (closed) return null;
          if (priv) return privateNext();
          if (pos < feed.base) {
            // fell out of the window: read on privately (the window already stopped counting us)
            feed.privateReaders++;
            priv = new Pass(feed.source, feed.loop);
            return privateNext();
          }
          if (pos < feed.head) {
            const item = feed.items[feed.off + (pos - feed.base)]!;
            const from = pos;
            pos += step;
            feed.move(from, pos);
            return item;
          }
          if (feed.pass.ended) return null;
          await feed.fill(pos);
        }
      },
      close() {
        if (closed) return;
        closed = true;
        if (!priv && pos >= feed.base) feed.unpin(pos);
        void priv?.close();
        feed.evict();
      },
    };
    async function privateNext(): Promise<FeedItem | null> {
      for (;;) {
        const item = await priv!.next();
        if (item === null) return null;
        if (item.index < pos) continue;
        pos = item.index + step;
        return item;
      }
    }
  }

  /** Closes the shared pass over the source. */
  async close(): Promise<void> {
    await this.pass.close();
  }

  private pin(pos: number): void {
    this.at.set(pos, (this.at.get(pos) ?? 0) + 1);
  }

  private unpin(pos: number): void {
    const n = (this.at.get(pos) ?? 0) - 1;
    if (n > 0) this.at.set(pos, n);
    else this.at.delete(pos);
  }

  private move(from: number, to: number): void {
    this.unpin(from);
    this.pin(to);
    if (from === this.base) this.evict();
  }

  /** Drops messages no reader needs any more (nobody stands at or before them). */
  private evict(): void {
    while (this.base < this.head && !this.at.has(this.base)) this.dropOldest();
    if (this.off > 1024 && this.off * 2 > this.items.length) {
      this.items = this.items.slice(this.off);
      this.off = 0;
    }
  }

  private dropOldest(): void {
    const item = this.items[this.off];
    this.items[this.off] = undefined;
    this.off++;
    this.base++;
    if (item) this.bytes -= item.payload.length;
  }

  private fill(target: number): Promise<void> {
    this.filling ??= (async () => {
      try {
        while (this.head <= target && !this.pass.ended) {
          while (this.head - this.base >= this.capacity || (this.bytes >= this.maxBytes && this.head > this.base)) {
            // window full: the oldest message goes; readers standing on it will read privately
            this.at.delete(this.base);
            this.dropOldest();
            this.evict();
          }
          const item = await this.pass.next();
          if (item === null) break;
          this.items.push(item);
          this.head++;
          this.bytes += item.payload.length;
          // nobody waits for it (e.g. all readers are ahead in partition mode): it can go at once
          this.evict();
        }
      } finally {
        this.filling = undefined;
      }
    })();
    return this.filling;
  }
}
