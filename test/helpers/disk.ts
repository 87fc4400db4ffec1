import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** chmod 0500 (or, for root, which ignores modes, `chattr +i`); returns an undo, or undefined when neither works. */
export function makeUnwritable(dir: string): (() => void) | undefined {
  if (process.getuid?.() !== 0) {
    fs.chmodSync(dir, 0o500);
    return () => fs.chmodSync(dir, 0o700);
  }
  if (spawnSync('chattr', ['+i', dir]).status !== 0) return undefined;
  return () => void spawnSync('chattr', ['-i', dir]);
}

/** A tmpfs of `kib` KiB mounted under `parent` (needs root and CAP_SYS_ADMIN); undefined when that is not possible. */
export function mountTinyTmpfs(parent: string, kib: number): { dir: string; unmount: () => void } | undefined {
  const dir = fs.mkdtempSync(path.join(parent, 'tmpfs-'));
  if (process.getuid?.() !== 0 || spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${kib}k,mode=0700`, 'tmpfs', dir]).status !== 0) return undefined;
  return { dir, unmount: () => void spawnSync('umount', [dir]) };
}

