import { mkdir, open, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../../util/atomic-write.js';

/**
 * Where the stand-in's rule actions land when there is no AWS: files under `<state-dir>/sinks/`.
 * - s3: `s3/<bucket>/<key>`, one file per object, replaced atomically (a constant key overwrites, as on S3);
 * - firehose and kinesis: `firehose/<stream>.jsonl`, `kinesis/<stream>.jsonl`, records appended in
 *   order (appends to one file are queued and written together, so a burst costs few system calls).
 *   Not the atomic writer: a stream file grows and is never replaced, so a reader can only ever see
 *   whole records or a record being appended at the end, and rewriting the file per record would
 *   make each record cost the whole file. The file is opened once with O_APPEND.
 */

export class SinkPathError extends Error {}

/** A bucket, stream or key part that cannot name a file below the sink directory. */
function safeSegments(name: string, what: string): string[] {
  const parts = name.split('/');
  if (name === '' || parts.some((p) => p === '..' || p === '.' || p.includes('\0'))) throw new SinkPathError(`${what} ${JSON.stringify(name.slice(0, 200))} cannot be a file name`);
  return parts.filter((p) => p !== '');
}

interface Appender {
  file: Promise<FileHandle>;
  queue: { bytes: Buffer; done: (err?: Error) => void }[];
  writing: boolean;
}

export class FileSinks {
  private readonly appenders = new Map<string, Appender>();
  /** directories known to exist (one mkdir per new directory, not per object) */
  private readonly made = new Set<string>();

  constructor(readonly dir: string) {}

  /** The file an S3 object lands in. */
  s3Path(bucket: string, key: string): string {
    const b = safeSegments(bucket, 'bucket');
    if (b.length !== 1) throw new SinkPathError(`bucket ${JSON.stringify(bucket)} cannot contain /`);
    const k = safeSegments(key, 'key');
    if (k.length === 0) throw new SinkPathError('empty key');
    return path.join(this.dir, 's3', b[0]!, ...k);
  }

  /** The JSON Lines file of a Firehose delivery stream or Kinesis stream. */
  streamPath(kind: 'firehose' | 'kinesis', stream: string): string {
    const s = safeSegments(stream, 'stream');
    if (s.length !== 1) throw new SinkPathError(`stream ${JSON.stringify(stream)} cannot contain /`);
    return path.join(this.dir, kind, `${s[0]}.jsonl`);
  }

  async putObject(bucket: string, key: string, bytes: Buffer): Promise<void> {
    const file = this.s3Path(bucket, key);
    const dir = path.dirname(file);
    if (!this.made.has(dir)) {
      await mkdir(dir, { recursive: true });
      this.made.add(dir);
    }
    // a reader sees the old object or the new one; concurrent puts of one key each use their own
    // temporary file. Sink objects are output, written at message rates: atomic, not fsynced.
    try {
      await writeFileAtomic(file, bytes, { mode: 0o644, durable: false });
    } catch (e) {
      this.made.delete(dir);
      throw e;
    }
  }

  append(kind: 'firehose' | 'kinesis', stream: string, bytes: Buffer): Promise<void> {
    const file = this.streamPath(kind, stream);
    let a = this.appenders.get(file);
    if (!a) {
      const handle = mkdir(path.dirname(file), { recursive: true }).then(() => open(file, 'a', 0o644));
      handle.catch(() => this.appenders.delete(file));
      a = { file: handle, queue: [], writing: false };
      this.appenders.set(file, a);
    }
    const appender = a;
    return new Promise((resolve, reject) => {
      appender.queue.push({ bytes, done: (err) => (err ? reject(err) : resolve()) });
      if (!appender.writing) void this.flush(appender);
    });
  }

  private async flush(a: Appender): Promise<void> {
    a.writing = true;
    while (a.queue.length > 0) {
      const batch = a.queue.splice(0, a.queue.length);
      try {
        const fh = await a.file;
        await fh.writev(batch.map((b) => b.bytes));
        for (const b of batch) b.done();
      } catch (e) {
        for (const b of batch) b.done(e as Error);
      }
    }
    a.writing = false;
  }

  async close(): Promise<void> {
    const all = [...this.appenders.values()];
    this.appenders.clear();
    await Promise.all(all.map(async (a) => (await a.file.catch(() => undefined))?.close()));
  }
}
