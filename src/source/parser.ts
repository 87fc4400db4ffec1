import { MAX_PAYLOAD_BYTES } from '../aws/limits.js';
import type { SourceItem } from './types.js';

/**
 * A push parser: fed the bytes of a file chunk by chunk (split anywhere, even inside a UTF-8
 * character), it appends the items it completes to `out`. Pure: no I/O, no clocks; it holds at
 * most about one payload's worth of bytes between chunks.
 */
export interface ChunkParser {
  push(chunk: Buffer, out: SourceItem[]): void;
  /** the input has ended: flush what is pending */
  end(out: SourceItem[]): void;
}

/** AWS IoT Core's maximum message payload: 128 KB (https://docs.aws.amazon.com/general/latest/gr/iot-core.html#message-broker-limits). */
export const DEFAULT_MAX_PAYLOAD_BYTES = MAX_PAYLOAD_BYTES;

export function overLimitReason(what: string, bytes: number, max: number): string {
  return `${what} is ${bytes} bytes, over the payload limit of ${max} bytes`;
}

/** A skip reason for an error thrown by JSON.parse, kept to one short line. */
export function invalidJsonReason(e: unknown): string {
  if (e instanceof RangeError) return 'nesting too deep to parse';
  const message = e instanceof Error ? e.message : String(e);
  return `invalid JSON (${clip(message.replace(/\s+/g, ' '), 160)})`;
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 3)}...`;
}

export const INVALID_UTF8 = 'invalid UTF-8';

/** Passes bytes through to `inner`, minus a UTF-8 byte order mark at the very start. */
export class BomStripper implements ChunkParser {
  private head: Buffer | null = Buffer.alloc(0);

  constructor(private readonly inner: ChunkParser) {}

  push(chunk: Buffer, out: SourceItem[]): void {
    if (this.head === null) return this.inner.push(chunk, out);
    const head = this.head.length === 0 ? chunk : Buffer.concat([this.head, chunk]);
    if (head.length < 3 && isBomPrefix(head)) {
      this.head = head;
      return;
    }
    this.head = null;
    this.inner.push(isBomPrefix(head) ? head.subarray(3) : head, out);
  }

  end(out: SourceItem[]): void {
    if (this.head !== null && this.head.length > 0 && !isBomPrefix(this.head)) this.inner.push(this.head, out);
    this.head = null;
    this.inner.end(out);
  }
}

function isBomPrefix(b: Buffer): boolean {
  const bom = [0xef, 0xbb, 0xbf];
  for (let i = 0; i < Math.min(3, b.length); i++) if (b[i] !== bom[i]) return false;
  return true;
}

/** A growable byte buffer that stops storing (but keeps counting) past `cap` bytes. */
export class CappedBytes {
  buf: Buffer;
  length = 0;
  /** bytes offered, stored or not */
  total = 0;

  constructor(readonly cap: number) {
    this.buf = Buffer.allocUnsafe(Math.min(cap, 16 * 1024));
  }

  get overflowed(): boolean {
    return this.total > this.cap;
  }

  put(byte: number): void {
    this.total++;
    if (this.total > this.cap) return;
    if (this.length === this.buf.length) this.grow(this.length + 1);
    this.buf[this.length++] = byte;
  }

  putRange(src: Buffer, start: number, end: number): void {
    const n = end - start;
    if (n <= 0) return;
    this.total += n;
    if (this.total > this.cap) return;
    if (this.length + n > this.buf.length) this.grow(this.length + n);
    src.copy(this.buf, this.length, start, end);
    this.length += n;
  }

  reset(): void {
    this.length = 0;
    this.total = 0;
    // give back memory taken by an unusually large item
    if (this.buf.length > 256 * 1024) this.buf = Buffer.allocUnsafe(16 * 1024);
  }

  private grow(need: number): void {
    const next = Buffer.allocUnsafe(Math.min(Math.max(need, this.buf.length * 2), this.cap));
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }
}
