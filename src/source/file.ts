import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { ElfError } from '../errors.js';
import { CsvParser } from './csv.js';
import { detectFormat, type DetectedFormat } from './detect.js';
import { JsonLinesParser } from './jsonl.js';
import { JsonValuesParser } from './json-values.js';
import { BomStripper, DEFAULT_MAX_PAYLOAD_BYTES, type ChunkParser } from './parser.js';
import type { Source, SourceItem } from './types.js';

export type SourceFormat = 'auto' | 'jsonl' | 'json' | 'csv';

export interface FileSourceOptions {
  /** default 'auto' (see detectFormat); 'json' is a JSON array or JSON documents, told apart by the first byte */
  format?: SourceFormat;
  /** a message larger than this is skipped; default 131072, AWS IoT Core's 128 KB */
  maxPayloadBytes?: number;
  /** the first skip throws an ElfError `<path>:<line>: <reason>` instead */
  strict?: boolean;
}

/** bytes per read: big enough to amortise the per-chunk cost, small enough to keep memory flat */
const READ_CHUNK_BYTES = 64 * 1024;
/** how much of the start of a file is checked for binary content */
const PROBE_BYTES = 64 * 1024;

/** A message file, streamed from disk on every pass with memory bounded by the payload limit. */
export class FileSource implements Source {
  readonly name: string;
  private readonly format: SourceFormat;
  private readonly maxPayloadBytes: number;
  private readonly strict: boolean;
  private detected: Promise<DetectedFormat> | null = null;

  constructor(
    readonly path: string,
    options: FileSourceOptions = {},
  ) {
    this.name = path;
    this.format = options.format ?? 'auto';
    this.maxPayloadBytes = options.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES;
    this.strict = options.strict ?? false;
    if (!Number.isSafeInteger(this.maxPayloadBytes) || this.maxPayloadBytes < 1) {
      throw new RangeError(`maxPayloadBytes must be a positive integer, got ${this.maxPayloadBytes}`);
    }
  }

  /** the format this file is read as (detected on first use, then remembered) */
  resolvedFormat(): Promise<DetectedFormat> {
    if (this.detected === null) {
      this.detected = this.resolve();
      this.detected.catch(() => (this.detected = null));
    }
    return this.detected;
  }

  async *open(): AsyncGenerator<SourceItem> {
    for await (const batch of this.openBatches()) {
      for (const item of batch) yield item;
    }
  }

  /** the items of one 64 KB read at a time */
  async *openBatches(): AsyncGenerator<SourceItem[]> {
    const parser = new BomStripper(this.parser(await this.resolvedFormat()));
    const stream = createReadStream(this.path, { highWaterMark: READ_CHUNK_BYTES });
    let out: SourceItem[] = [];
    try {
      for await (const chunk of stream) {
        parser.push(chunk as Buffer, out);
        if (out.length > 0) {
          yield* this.checked(out);
          out = [];
        }
      }
    } catch (e) {
      throw e instanceof ElfError ? e : fileError(this.path, e);
    }
    parser.end(out);
    if (out.length > 0) yield* this.checked(out);
  }

  /** the batch; in strict mode, only its items before the first skip, then the error for that skip */
  private *checked(batch: SourceItem[]): Generator<SourceItem[]> {
    const k = this.strict ? batch.findIndex((item) => item.kind === 'skip') : -1;
    if (k === -1) {
      yield batch;
      return;
    }
    if (k > 0) yield batch.slice(0, k);
    const skip = batch[k] as Extract<SourceItem, { kind: 'skip' }>;
    throw new ElfError(`${this.path}:${skip.line}: ${skip.reason}`, 'ELF_SOURCE_INVALID');
  }

  private parser(format: DetectedFormat): ChunkParser {
    switch (format) {
      case 'jsonl':
        return new JsonLinesParser(this.maxPayloadBytes);
      case 'csv':
        return new CsvParser(this.maxPayloadBytes);
      case 'json-array':
        return new JsonValuesParser(this.maxPayloadBytes, 'array');
      case 'json-documents':
        return new JsonValuesParser(this.maxPayloadBytes, 'documents');
    }
  }

  private async resolve(): Promise<DetectedFormat> {
    switch (this.format) {
      case 'jsonl':
        return 'jsonl';
      case 'csv':
        return 'csv';
      case 'json': {
        const { head, whole } = await readHead(this.path, PROBE_BYTES);
        return detectFormat('', head, whole) === 'json-array' ? 'json-array' : 'json-documents';
      }
      case 'auto': {
        // one payload plus slack: enough to see the whole first line of any sendable file
        const { head, whole } = await readHead(this.path, this.maxPayloadBytes + PROBE_BYTES);
        return detectFormat(this.path, head, whole);
      }
    }
  }
}

export function fileSource(path: string, options: FileSourceOptions = {}): FileSource {
  return new FileSource(path, options);
}

/**
 * Checks a message file before any connection is made, so that a bad file is a one-line error
 * rather than a fleet of connections with nothing to send: the file exists, is a regular file,
 * is readable, is UTF-8 text (no NUL byte or invalid UTF-8 in its first 64 KB) and holds at least
 * one message (a pass is read up to its first message; with `strict`, a skip before it throws).
 * Returns the format the file will be read as.
 */
export async function checkSourceFile(path: string, options: FileSourceOptions = {}): Promise<{ format: DetectedFormat }> {
  let size: number;
  try {
    const st = await stat(path);
    if (st.isDirectory()) throw new ElfError(`${path} is a directory, not a file`, 'ELF_SOURCE');
    if (!st.isFile()) throw new ElfError(`${path} is not a regular file`, 'ELF_SOURCE');
    size = st.size;
  } catch (e) {
    throw e instanceof ElfError ? e : fileError(path, e);
  }
  const { head, whole } = await readHead(path, PROBE_BYTES);
  if (size === 0 && head.length === 0) throw new ElfError(`${path} has no messages (the file is empty)`, 'ELF_SOURCE_EMPTY');
  const problem = binaryProblem(head, whole);
  if (problem !== null) throw new ElfError(`${path} ${problem}; expected JSON Lines, JSON or CSV text in UTF-8`, 'ELF_SOURCE_BINARY');

  const source = new FileSource(path, { ...options, strict: false });
  let skipped = 0;
  let first: Extract<SourceItem, { kind: 'skip' }> | undefined;
  for await (const batch of source.openBatches()) {
    for (const item of batch) {
      if (item.kind === 'message') return { format: await source.resolvedFormat() };
      if (options.strict) throw new ElfError(`${path}:${item.line}: ${item.reason}`, 'ELF_SOURCE_INVALID');
      skipped++;
      first ??= item;
    }
  }
  const detail = first === undefined ? '' : ` (${skipped} skipped; line ${first.line}: ${first.reason})`;
  throw new ElfError(`${path} has no messages${detail}`, 'ELF_SOURCE_EMPTY');
}

/** why the start of a file is not UTF-8 text, or null */
export function binaryProblem(head: Buffer, whole: boolean): string | null {
  if (head.length >= 2 && ((head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff))) {
    return 'is UTF-16 text';
  }
  const nul = head.indexOf(0);
  if (nul !== -1) return `looks like a binary file (a NUL byte at offset ${nul})`;
  try {
    // stream: a character cut by the end of the probe is not an error unless the file ends there
    new TextDecoder('utf-8', { fatal: true }).decode(head, { stream: !whole });
  } catch {
    return 'is not UTF-8 text (looks like a binary file)';
  }
  return null;
}

async function readHead(path: string, bytes: number): Promise<{ head: Buffer; whole: boolean }> {
  let handle;
  try {
    handle = await open(path, 'r');
    const buf = Buffer.allocUnsafe(bytes);
    let n = 0;
    while (n < bytes) {
      const { bytesRead } = await handle.read(buf, n, bytes - n, null);
      if (bytesRead === 0) return { head: buf.subarray(0, n), whole: true };
      n += bytesRead;
    }
    return { head: buf, whole: false };
  } catch (e) {
    throw fileError(path, e);
  } finally {
    await handle?.close();
  }
}

function fileError(path: string, e: unknown): ElfError {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  const why =
    code === 'ENOENT'
      ? 'no such file'
      : code === 'EACCES' || code === 'EPERM'
        ? 'permission denied'
        : code === 'EISDIR'
          ? 'it is a directory'
          : (code ?? (e instanceof Error ? e.message : String(e)));
  return new ElfError(`cannot read ${path}: ${why}`, 'ELF_SOURCE_UNREADABLE');
}
