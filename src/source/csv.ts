import { isUtf8 } from 'node:buffer';
import type { SourceItem } from './types.js';
import { CappedBytes, INVALID_UTF8, overLimitReason, type ChunkParser } from './parser.js';

/**
 * CSV with a header row (RFC 4180): fields separated by commas, records by CRLF or LF; a field in
 * double quotes may hold commas, quotes written `""`, and line breaks. Each record after the header
 * becomes one JSON object keyed by the header's names, in the header's order:
 * - a field that looks like a canonical JSON number (RFC 8259 §6: `-97.78566`, `103`, `1e3`; no
 *   leading zeros, no leading `+` or `.`, no surrounding spaces) becomes a number, written exactly
 *   as in the file; an integer beyond 2^53 or a number beyond double range stays a string, so no
 *   digit is lost. Everything else is a string, kept as is (`007`, ` CAPITAL OF TEXAS HWY`).
 *   A quoted field is always a string (`"103"` → "103").
 * - an empty unquoted field becomes `null`; an empty quoted field `""` becomes `""`
 *   (the convention of PostgreSQL's CSV format).
 * - a repeated header name gets a suffix: `a,a` → keys `a`, `a_2`.
 * Lenient where RFC 4180 is strict: a quote inside an unquoted field, or text after a closing
 * quote, is kept as literal text. Blank (or whitespace-only) lines are skipped silently. A record with more or fewer
 * fields than the header, a record over the payload limit (counted, not kept), invalid UTF-8, or
 * an unterminated quoted field at the end of the file → a `skip` with the line the record starts on.
 */
const FIELD_START = 0;
const UNQUOTED = 1;
const QUOTED = 2;
const QUOTE_IN_QUOTED = 3;

const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;
const COMMA = 0x2c;

/** the header row may be longer than one payload */
const MAX_HEADER_BYTES = 1024 * 1024;

const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/;

/** the JSON text for one field's value */
export function csvFieldJson(text: string, quoted: boolean): string {
  if (!quoted) {
    if (text === '') return 'null';
    const m = JSON_NUMBER.exec(text);
    if (m !== null) {
      const n = Number(text);
      const integer = m[1] === undefined && m[2] === undefined;
      if (Number.isFinite(n) && (!integer || Number.isSafeInteger(n))) return text;
    }
  }
  return JSON.stringify(text);
}

export class CsvParser implements ChunkParser {
  private state = FIELD_START;
  private line = 1;
  /** the record being read: its fields' bytes back to back, and where each field ends */
  private readonly record: CappedBytes;
  private fieldEnds: number[] = [];
  private fieldQuoted: boolean[] = [];
  private quoted = false;
  private recordLine = 0;
  private inRecord = false;
  /** JSON keys (already quoted) from the header row, once read */
  private keys: string[] | null = null;

  constructor(private readonly maxPayloadBytes: number) {
    this.record = new CappedBytes(Math.max(maxPayloadBytes, MAX_HEADER_BYTES));
  }

  push(chunk: Buffer, out: SourceItem[]): void {
    const n = chunk.length;
    for (let i = 0; i < n; i++) {
      const c = chunk[i]!;
      if (!this.inRecord) {
        this.inRecord = true;
        this.recordLine = this.line;
      }
      switch (this.state) {
        case FIELD_START:
          if (c === QUOTE) {
            this.state = QUOTED;
            this.quoted = true;
            break;
          }
          this.state = UNQUOTED;
          this.unquoted(c, out);
          break;
        case UNQUOTED:
          this.unquoted(c, out);
          break;
        case QUOTED:
          if (c === QUOTE) this.state = QUOTE_IN_QUOTED;
          else this.record.put(c);
          break;
        case QUOTE_IN_QUOTED:
          if (c === QUOTE) {
            this.record.put(QUOTE);
            this.state = QUOTED;
          } else if (c === COMMA) this.endField();
          else if (c === LF) this.endRecord(out);
          else if (c !== CR) {
            this.record.put(c);
            this.state = UNQUOTED;
          }
          break;
      }
      if (c === LF) this.line++;
    }
  }

  private unquoted(c: number, out: SourceItem[]): void {
    if (c === COMMA) this.endField();
    else if (c === LF) this.endRecord(out);
    else if (c !== CR) this.record.put(c);
  }

  end(out: SourceItem[]): void {
    if (!this.inRecord) return;
    if (this.state === QUOTED) {
      out.push({ kind: 'skip', line: this.recordLine, reason: 'quoted field not closed at the end of the file' });
      this.reset();
      return;
    }
    this.endRecord(out);
  }

  private endField(): void {
    this.fieldEnds.push(this.record.length);
    this.fieldQuoted.push(this.quoted);
    this.quoted = false;
    this.state = FIELD_START;
  }

  private endRecord(out: SourceItem[]): void {
    this.endField();
    const line = this.recordLine;
    const r = this.record;
    const ends = this.fieldEnds;
    const blank = ends.length === 1 && !this.fieldQuoted[0] && r.total === r.length && isBlank(r.buf, r.length);
    if (blank) return this.reset();
    const limit = this.keys === null ? MAX_HEADER_BYTES : this.maxPayloadBytes;
    if (r.total > limit) {
      out.push({ kind: 'skip', line, reason: overLimitReason(this.keys === null ? 'header row' : 'row', r.total, limit) });
      return this.reset();
    }
    if (!isUtf8(r.buf.subarray(0, r.length))) {
      out.push({ kind: 'skip', line, reason: INVALID_UTF8 });
      return this.reset();
    }
    if (this.keys === null) {
      this.keys = headerKeys(this.fields());
      return this.reset();
    }
    if (ends.length !== this.keys.length) {
      out.push({ kind: 'skip', line, reason: `row has ${plural(ends.length, 'field')}, the header has ${this.keys.length}` });
      return this.reset();
    }
    const fields = this.fields();
    let payload = '{';
    for (let k = 0; k < fields.length; k++) {
      if (k > 0) payload += ',';
      payload += this.keys[k] + ':' + csvFieldJson(fields[k]!, this.fieldQuoted[k]!);
    }
    payload += '}';
    if (Buffer.byteLength(payload) > this.maxPayloadBytes) {
      out.push({ kind: 'skip', line, reason: overLimitReason('row as JSON', Buffer.byteLength(payload), this.maxPayloadBytes) });
    } else {
      out.push({ kind: 'message', line, payload });
    }
    this.reset();
  }

  private fields(): string[] {
    const fields: string[] = [];
    let start = 0;
    for (const end of this.fieldEnds) {
      fields.push(this.record.buf.toString('utf8', start, end));
      start = end;
    }
    return fields;
  }

  private reset(): void {
    this.record.reset();
    this.fieldEnds = [];
    this.fieldQuoted = [];
    this.quoted = false;
    this.state = FIELD_START;
    this.inRecord = false;
  }
}

function isBlank(buf: Buffer, length: number): boolean {
  for (let i = 0; i < length; i++) if (buf[i] !== 0x20 && buf[i] !== 0x09) return false;
  return true;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function headerKeys(names: string[]): string[] {
  const seen = new Set<string>();
  return names.map((name) => {
    let key = name;
    for (let k = 2; seen.has(key); k++) key = `${name}_${k}`;
    seen.add(key);
    return JSON.stringify(key);
  });
}
