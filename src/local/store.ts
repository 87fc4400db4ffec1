import { open, readFile, rename, unlink } from 'node:fs/promises';
import path from 'node:path';

/**
 * Atomic JSON persistence for the registry: write `<file>.tmp`, fsync, rename over `<file>`, fsync
 * the directory. A reader (or a crash) sees the old file or the new one, never a torn one.
 */
export async function writeFileAtomic(file: string, text: string, mode = 0o600): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  const fh = await open(tmp, 'w', mode);
  try {
    await fh.writeFile(text, 'utf8');
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await rename(tmp, file);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  // make the rename itself durable; not every platform lets a directory be fsynced
  try {
    const dir = await open(path.dirname(file), 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  } catch {
    /* best effort */
  }
}

/** The file's text, or undefined when it does not exist. */
export async function readIfExists(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/**
 * Serialises writes of a changing value and coalesces bursts: `save()` resolves once a write that
 * started after the call has finished. At most one write runs at a time; every `save()` made while a
 * write runs shares the single next write, whose snapshot is taken when it starts (so it includes
 * every change made before those calls).
 */
export class CoalescingWriter {
  private running: Promise<void> | undefined;
  private queued: Promise<void> | undefined;
  writes = 0;

  constructor(private readonly write: () => Promise<void>) {}

  save(): Promise<void> {
    if (!this.running) {
      this.running = this.run();
      return this.running;
    }
    if (!this.queued) {
      this.queued = this.running.then(
        () => this.startQueued(),
        () => this.startQueued(),
      );
    }
    return this.queued;
  }

  private startQueued(): Promise<void> {
    this.queued = undefined;
    this.running = this.run();
    return this.running;
  }

  private async run(): Promise<void> {
    try {
      this.writes++;
      await this.write();
    } finally {
      // only clear if no queued write has replaced us
      if (!this.queued) this.running = undefined;
    }
  }

  /** Waits for any write in progress or queued. */
  async idle(): Promise<void> {
    while (this.running || this.queued) {
      await (this.queued ?? this.running)?.catch(() => undefined);
    }
  }
}
