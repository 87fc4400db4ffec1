import { isUtf8 } from 'node:buffer';
import { JsonValidator } from './json-validate.js';
import type { SourceItem } from './types.js';
import { CappedBytes, INVALID_UTF8, invalidJsonReason, overLimitReason, type ChunkParser } from './parser.js';

/**
 * JSON values streamed out of a file without parsing the file as a whole: a byte-level scanner
 * that tracks strings, escapes and bracket depth (RFC 8259 §2, §7) to find where each value
 * starts and ends, then validates that one value (JsonValidator, JSON.parse for the reason).
 *
 * Two layouts:
 * - `array`: a top-level JSON array `[ v1, v2, ... ]` (pretty-printed or not, any size); each
 *   element is one message. Several top-level arrays one after another are read in turn.
 * - `documents`: top-level JSON texts one after another (pretty-printed or concatenated, like the
 *   original ELF's example.json); each is one message. Commas between documents are tolerated.
 * With `auto`, the first non-whitespace byte decides: `[` → array, anything else → documents.
 *
 * Payload: the value's text with the insignificant whitespace removed (RFC 8259 §2). For valid
 * JSON this equals JSON.stringify(JSON.parse(text)) except that numbers and string escapes are
 * kept exactly as written, so nothing is lost (big integers keep their digits) and nesting of any
 * depth works (V8's JSON.parse is not recursive; JSON.stringify is).
 *
 * Bad input becomes a `skip` with the line the value starts on, and the stream goes on: a value
 * JSON.parse rejects; a value over the payload limit (its bytes are counted, not kept, so memory
 * stays bounded); a raw line break inside a string; stray closing brackets between documents;
 * text after an array (dropped until a line that starts with `[`). In the documents layout, a line
 * that starts (column 1) with `{` or `[` while a document that itself started in column 1 is still
 * open ends that document as unterminated and starts a new one: pretty-printers indent nested
 * values, so this resynchronises after a truncated document without losing the ones after it.
 */
export type JsonLayout = 'array' | 'documents' | 'auto';

const BETWEEN = 0; // outside any value (documents) or before a top-level '[' (array)
const BEFORE_ELEMENT = 1; // array: after '[' or ','
const AFTER_ELEMENT = 2; // array: after an element, expecting ',' or ']'
const VALUE = 3; // inside a value
const RESYNC = 4; // dropping bytes until a line that starts with '[' (or '{' for documents)
const GARBAGE = 5; // array: unexpected text between elements, dropped until ',' or ']'

const LF = 0x0a;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const SPACE = 0x20;

function isWhitespace(c: number): boolean {
  return c === SPACE || c === LF || c === 0x0d || c === 0x09;
}

/** bytes that can be part of a number or literal: two of them must not be joined by stripping whitespace */
function isScalarByte(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x2d || c === 0x2b || c === 0x2e;
}

/** ends a bare top-level number or literal */
function isDelimiter(c: number): boolean {
  return isWhitespace(c) || c === COMMA || c === CLOSE_BRACKET || c === CLOSE_BRACE || c === OPEN_BRACKET || c === OPEN_BRACE || c === QUOTE;
}

export class JsonValuesParser implements ChunkParser {
  private layout: 'array' | 'documents' | null;
  private state = BETWEEN;
  private line = 1;
  /** the byte being looked at is the first of its line */
  private lineStart = true;
  /** the last line on which a stray byte was reported (one skip per line) */
  private strayLine = 0;

  // the value being scanned
  private readonly value: CappedBytes;
  private depth = 0;
  private inString = false;
  private escape = false;
  /** a bare number or literal at the top */
  private scalar = false;
  private pendingSpace = false;
  private last = 0;
  private startLine = 0;
  private startCol1 = false;
  private invalid: string | null = null;
  private readonly validator = new JsonValidator();

  constructor(
    private readonly maxPayloadBytes: number,
    layout: JsonLayout = 'auto',
  ) {
    this.layout = layout === 'auto' ? null : layout;
    this.value = new CappedBytes(maxPayloadBytes);
  }

  push(chunk: Buffer, out: SourceItem[]): void {
    const n = chunk.length;
    let i = 0;
    while (i < n) {
      const c = chunk[i]!;
      if (this.state === VALUE) {
        if (this.inString && !this.escape) {
          // fast path through the body of a string
          let j = i;
          while (j < n) {
            const d = chunk[j]!;
            if (d === QUOTE || d === BACKSLASH || d === LF) break;
            j++;
          }
          if (j > i) {
            this.value.putRange(chunk, i, j);
            this.lineStart = false;
            i = j;
            continue;
          }
        }
        if (!this.scanValue(c, out)) continue;
      } else if (!this.scanOutside(c, out)) {
        continue;
      }
      // the byte was consumed
      if (c === LF) {
        this.line++;
        this.lineStart = true;
      } else {
        this.lineStart = false;
      }
      i++;
    }
  }

  end(out: SourceItem[]): void {
    if (this.state === VALUE) {
      if (this.scalar) this.finish(out);
      else {
        this.skip(out, this.startLine, `${this.what()} is not complete at the end of the file`);
        this.state = BETWEEN;
      }
    } else if (this.state === BEFORE_ELEMENT || this.state === AFTER_ELEMENT || this.state === GARBAGE) {
      // a truncated file, the commonest bad input: every element may have been read, but not the ']'
      const ended = this.lineStart && this.line > 1 ? this.line - 1 : this.line;
      this.skip(out, ended, `the JSON array is not closed: the input ended at line ${ended} without its ']' (is the file truncated?)`);
      this.state = BETWEEN;
    }
  }

  /** one byte outside any value; returns whether it was consumed (false: look at it again) */
  private scanOutside(c: number, out: SourceItem[]): boolean {
    switch (this.state) {
      case BETWEEN:
        if (isWhitespace(c)) return true;
        if (this.layout === null) this.layout = c === OPEN_BRACKET ? 'array' : 'documents';
        if (this.layout === 'array') {
          if (c === OPEN_BRACKET) {
            this.state = BEFORE_ELEMENT;
            return true;
          }
          this.skip(out, this.line, 'unexpected text outside the JSON array');
          this.state = RESYNC;
          return true;
        }
        if (c === COMMA) return true;
        if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
          this.stray(out, c);
          return true;
        }
        this.startValue();
        return false;
      case BEFORE_ELEMENT:
      case AFTER_ELEMENT:
        if (isWhitespace(c)) return true;
        if (c === CLOSE_BRACKET) this.state = BETWEEN;
        else if (c === COMMA) this.state = BEFORE_ELEMENT;
        else if (c === CLOSE_BRACE || c === 0x3a /* : */) {
          this.skip(out, this.line, `unexpected '${String.fromCharCode(c)}' between array elements`);
          this.state = GARBAGE;
        } else {
          // a value (after AFTER_ELEMENT: a missing comma, tolerated)
          this.startValue();
          return false;
        }
        return true;
      case GARBAGE:
        if (c === COMMA) this.state = BEFORE_ELEMENT;
        else if (c === CLOSE_BRACKET) this.state = BETWEEN;
        return true;
      case RESYNC:
        if (this.lineStart && (c === OPEN_BRACKET || (c === OPEN_BRACE && this.layout === 'documents'))) {
          this.state = BETWEEN;
          return false;
        }
        return true;
    }
    return true;
  }

  /** one byte inside a value; returns whether it was consumed */
  private scanValue(c: number, out: SourceItem[]): boolean {
    if (this.inString) {
      if (c === LF) {
        // RFC 8259 §7: control characters must be escaped; the string (and value) is broken
        this.invalid ??= 'line break inside a string';
        this.inString = false;
        this.escape = false;
        if (this.depth === 0) this.finish(out);
        return true;
      }
      if (this.escape) this.escape = false;
      else if (c === BACKSLASH) this.escape = true;
      else if (c === QUOTE) {
        this.inString = false;
        this.put(c);
        if (this.depth === 0) this.finish(out);
        return true;
      }
      this.put(c);
      return true;
    }
    if (this.scalar) {
      if (isDelimiter(c)) {
        this.finish(out);
        return false;
      }
      this.put(c);
      return true;
    }
    if (isWhitespace(c)) {
      this.pendingSpace = true;
      return true;
    }
    if (
      this.lineStart &&
      this.depth > 0 &&
      this.startCol1 &&
      this.layout === 'documents' &&
      (c === OPEN_BRACE || c === OPEN_BRACKET)
    ) {
      const reason = this.invalid === null ? `document is not complete: a new one starts on line ${this.line}` : `invalid JSON (${this.invalid})`;
      this.skip(out, this.startLine, reason);
      this.startValue();
      return false;
    }
    if (this.pendingSpace) {
      this.pendingSpace = false;
      // keep `1 2` or `tru e` invalid rather than joining them into one token
      if (isScalarByte(this.last) && isScalarByte(c)) this.put(SPACE);
    }
    if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      this.depth++;
      this.put(c);
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      this.depth--;
      this.put(c);
      if (this.depth === 0) this.finish(out);
    } else if (c === QUOTE) {
      this.inString = true;
      this.put(c);
    } else {
      if (this.depth === 0) this.scalar = true;
      this.put(c);
    }
    return true;
  }

  private put(c: number): void {
    this.value.put(c);
    this.last = c;
  }

  private startValue(): void {
    this.state = VALUE;
    this.depth = 0;
    this.inString = false;
    this.escape = false;
    this.scalar = false;
    this.pendingSpace = false;
    this.last = 0;
    this.invalid = null;
    this.startLine = this.line;
    this.startCol1 = this.lineStart;
    this.value.reset();
  }

  private finish(out: SourceItem[]): void {
    const v = this.value;
    const line = this.startLine;
    if (v.overflowed) this.skip(out, line, overLimitReason(this.what(), v.total, this.maxPayloadBytes));
    else if (this.invalid !== null) this.skip(out, line, `invalid JSON (${this.invalid})`);
    else {
      const text = v.buf.toString('utf8', 0, v.length);
      if (!isUtf8(v.buf.subarray(0, v.length))) this.skip(out, line, INVALID_UTF8);
      else {
        let reason: string | null = null;
        if (!this.validator.isValid(v.buf, 0, v.length)) {
          try {
            JSON.parse(text);
          } catch (e) {
            reason = invalidJsonReason(e);
          }
        }
        if (reason === null) out.push({ kind: 'message', line, payload: text });
        else this.skip(out, line, reason);
      }
    }
    v.reset();
    this.state = this.layout === 'array' ? AFTER_ELEMENT : BETWEEN;
  }

  private stray(out: SourceItem[], c: number): void {
    if (this.strayLine === this.line) return;
    this.strayLine = this.line;
    this.skip(out, this.line, `unexpected '${String.fromCharCode(c)}' between documents`);
  }

  private skip(out: SourceItem[], line: number, reason: string): void {
    out.push({ kind: 'skip', line, reason });
  }

  private what(): string {
    return this.layout === 'array' ? 'array element' : 'document';
  }
}
