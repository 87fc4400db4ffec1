import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';

/**
 * Replacing a file atomically: write a temporary file beside it (created afresh with the final
 * mode, never through a stale file or link of that name), fsync it, rename it over the target,
 * fsync the directory. A reader, or a crash at any point, sees the old file or the new one, never a
 * torn one. On failure the temporary file is removed and the error (a node errno error) rethrown.
 */
export interface AtomicWriteOptions {
  /** mode of the new file (default 0600; the umask applies) */
  mode?: number;
  /** the temporary file (default `<file>.<pid>.<n>.tmp`, unique within the process); a caller that cleans up leftovers names it */
  tmp?: string;
  /**
   * fsync the file and its directory (default true). false keeps the atomic replace (a reader sees
   * the old file or the new one) without the durability, for output that need not survive a power
   * loss and is written often (the stand-in's S3 sink objects).
   */
  durable?: boolean;
}

/** two writes of one file in one process (two stand-ins starting at once, a sink's concurrent objects) must not share a temporary file */
let tmpSeq = 0;
const uniqueTmp = (file: string, ext: string): string => `${file}.${process.pid}.${++tmpSeq}.${ext}`;
const tmpFor = (file: string, opts: AtomicWriteOptions): string => opts.tmp ?? uniqueTmp(file, 'tmp');

export async function writeFileAtomic(file: string, text: string | Uint8Array, opts: AtomicWriteOptions = {}): Promise<void> {
  const durable = opts.durable ?? true;
  const tmp = tmpFor(file, opts);
  try {
    await fsp.rm(tmp, { force: true });
    const fh = await fsp.open(tmp, 'wx', opts.mode ?? 0o600);
    try {
      await fh.writeFile(text);
      if (durable) await fh.sync();
    } finally {
      await fh.close();
    }
    await fsp.rename(tmp, file);
  } catch (e) {
    await fsp.rm(tmp, { force: true }).catch(() => undefined);
    throw e;
  }
  if (durable) await syncDir(path.dirname(file));
}

/**
 * Create `file` with this content, atomically and only if it does not exist yet: the content goes to a
 * temporary file first, which is then hard-linked to `file` (link fails with EEXIST when `file` exists,
 * as a `wx` open would); a concurrent reader never sees the file half written or empty.
 */
export async function createFileAtomic(file: string, text: string | Uint8Array, opts: Pick<AtomicWriteOptions, 'mode'> = {}): Promise<void> {
  const tmp = uniqueTmp(file, 'new');
  try {
    await fsp.rm(tmp, { force: true });
    const fh = await fsp.open(tmp, 'wx', opts.mode ?? 0o600);
    try {
      await fh.writeFile(text);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fsp.link(tmp, file);
  } finally {
    await fsp.rm(tmp, { force: true }).catch(() => undefined);
  }
  await syncDir(path.dirname(file));
}

/** The same, synchronously: for a caller that must let nothing run between its snapshot and the rename. */
export function writeFileAtomicSync(file: string, text: string, opts: AtomicWriteOptions = {}): void {
  const tmp = tmpFor(file, opts);
  try {
    fs.rmSync(tmp, { force: true });
    const fd = fs.openSync(tmp, 'wx', opts.mode ?? 0o600);
    try {
      fs.writeFileSync(fd, text, 'utf8');
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch (e) {
    try {
      fs.rmSync(tmp, { force: true });
    } catch {
      /* the error that matters is the first one */
    }
    throw e;
  }
  syncDirSync(path.dirname(file));
}

/** The file's text, or undefined when it does not exist; other errors are thrown. */
export async function readIfExists(file: string): Promise<string | undefined> {
  try {
    return await fsp.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

// Making the rename itself durable; not every file system lets a directory be fsynced, and the
// rename is atomic either way, so this is best effort.
async function syncDir(dir: string): Promise<void> {
  try {
    const fh = await fsp.open(dir, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
    /* best effort */
  }
}

function syncDirSync(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    /* best effort */
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}
