import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';

/**
 * `mkdir -p` that fails instead of spinning. Node's `mkdir(dir, { recursive: true })` retries for
 * ever when a parent exists but creating the child still answers ENOENT, as procfs does
 * (`/proc/<anything>`; seen in Kewton/CommandMate#1774): a CPU-bound hang instead of an error.
 * This creates each missing component in turn, so every failure is an ordinary error with a code
 * (ENOENT, ENOTDIR, EACCES, EPERM, EROFS, ENOSPC). Returns the first directory it created, or
 * undefined when `dir` already existed (like the recursive mkdir).
 */
export async function makeDirectory(dir: string, mode = 0o700): Promise<string | undefined> {
  const missing: string[] = [];
  for (let p = path.resolve(dir); ; ) {
    try {
      await stat(p);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      missing.unshift(p);
      const parent = path.dirname(p);
      if (parent === p) break;
      p = parent;
    }
  }
  for (const p of missing) {
    try {
      await mkdir(p, { mode });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
  return missing[0];
}
