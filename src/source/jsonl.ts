import { isAscii, isUtf8 } from 'node:buffer';
import type { SourceItem } from './types.js';
import { JsonValidator } from './json-validate.js';
import { INVALID_UTF8, invalidJsonReason, overLimitReason, type ChunkParser } from './parser.js';

/**
 * JSON Lines (https://jsonlines.org/): each non-blank line is one message, sent as the line's text
 * unchanged (byte-equal to the file, without its LF or CRLF ending). The line is validated (by
 * JsonValidator, which allocates nothing; JSON.parse confirms a rejection and words the reason); an invalid line, a line that is not UTF-8, or a line longer than the payload limit
 * is a `skip` with its line number, and the stream goes on. Blank (whitespace-only) lines are
 * skipped silently.
 *
 * Memory: a line is held only while it is at most `maxPayloadBytes` long; past that its bytes are
 * counted and dropped up to the next newline, so a 100 MB single line costs no more than a short one.
 */
export class JsonLinesParser implements ChunkParser {
  /** number of newlines seen so far: the current line is `newlines + 1` */
  private newlines = 0;
  private readonly carry: Buffer[] = [];
  private carryLength = 0;
  /** the current line is over the limit: its bytes are counted, not kept */
  private dropping = false;
  private dropped = 0;
  /** the last byte of the previous chunk, to discount a CR split from its LF when dropping */
  private lastCarryByte = -1;
  private readonly validator = new JsonValidator();

  constructor(private readonly maxPayloadBytes: number) {}

  push(chunk: Buffer, out: SourceItem[]): void {
    // one native pass over the chunk spares the UTF-8 check of each line in the common all-ASCII case
    const ascii = isAscii(chunk);
    let pos = 0;
    for (;;) {
      const nl = chunk.indexOf(10, pos);
      if (nl === -1) {
        this.hold(chunk, pos);
        return;
      }
      this.newlines++;
      if (this.dropping) {
        // a dropped line starts in an earlier chunk, so here pos is 0
        this.dropped += nl;
        if ((nl > 0 ? chunk[nl - 1] : this.lastCarryByte) === 13) this.dropped--;
        out.push({ kind: 'skip', line: this.newlines, reason: overLimitReason('line', this.dropped, this.maxPayloadBytes) });
        this.dropping = false;
        this.dropped = 0;
      } else if (this.carryLength > 0) {
        this.carry.push(chunk.subarray(pos, nl));
        const line = Buffer.concat(this.carry, this.carryLength + nl - pos);
        this.carry.length = 0;
        this.carryLength = 0;
        this.line(line, 0, line.length, this.newlines, false, out);
      } else {
        this.line(chunk, pos, nl, this.newlines, ascii, out);
      }
      pos = nl + 1;
    }
  }

  end(out: SourceItem[]): void {
    const line = this.newlines + 1;
    if (this.dropping) {
      out.push({ kind: 'skip', line, reason: overLimitReason('line', this.dropped, this.maxPayloadBytes) });
    } else if (this.carryLength > 0) {
      const buf = Buffer.concat(this.carry, this.carryLength);
      this.line(buf, 0, buf.length, line, false, out);
    }
    this.carry.length = 0;
    this.carryLength = 0;
    this.dropping = false;
    this.dropped = 0;
  }

  /** keep (or count) the unterminated rest of a chunk */
  private hold(chunk: Buffer, pos: number): void {
    const n = chunk.length - pos;
    if (n === 0) return;
    this.lastCarryByte = chunk[chunk.length - 1]!;
    if (this.dropping) {
      this.dropped += n;
      return;
    }
    // +1: room for a CR that belongs to the line ending, not the payload
    if (this.carryLength + n > this.maxPayloadBytes + 1) {
      this.dropping = true;
      this.dropped = this.carryLength + n;
      this.carry.length = 0;
      this.carryLength = 0;
      return;
    }
    this.carry.push(chunk.subarray(pos));
    this.carryLength += n;
  }

  /** one complete line: bytes [start, end) of buf, without its LF */
  private line(buf: Buffer, start: number, end: number, line: number, ascii: boolean, out: SourceItem[]): void {
    if (end > start && buf[end - 1] === 13) end--;
    const bytes = end - start;
    if (bytes === 0) return;
    if (bytes > this.maxPayloadBytes) {
      out.push({ kind: 'skip', line, reason: overLimitReason('line', bytes, this.maxPayloadBytes) });
      return;
    }
    const first = buf[start];
    if ((first === 32 || first === 9 || first === 13) && isBlank(buf, start, end)) return;
    if (!ascii && !isUtf8(buf.subarray(start, end))) {
      out.push({ kind: 'skip', line, reason: INVALID_UTF8 });
      return;
    }
    const text = buf.toString('utf8', start, end);
    // the byte validator is the fast path; JSON.parse has the last word and the error message
    if (!this.validator.isValid(buf, start, end)) {
      try {
        JSON.parse(text);
      } catch (e) {
        out.push({ kind: 'skip', line, reason: invalidJsonReason(e) });
        return;
      }
    }
    out.push({ kind: 'message', line, payload: text });
  }
}

function isBlank(buf: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = buf[i];
    if (c !== 32 && c !== 9 && c !== 13) return false;
  }
  return true;
}
