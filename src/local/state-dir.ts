import { chmod, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { makeDirectory } from '../dirs.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { ElfError } from '../errors.js';
import type { Logger } from '../log.js';
import type { CertificateAuthority } from './ca.js';

/**
 * The stand-in's state directory as a thing one process owns: made 0700 when missing, claimed with
 * a pid file (`stand-in.pid`) so that a second stand-in, or `make clean`, can tell it is in use, and
 * recreated when it vanishes under a running stand-in (removed by hand or by a clean-up).
 */

export const OWNER_FILE = 'stand-in.pid';

export async function ensureStateDir(dir: string): Promise<void> {
  const existed = await stat(dir).then(
    (s) => {
      if (!s.isDirectory()) throw new ElfError(`--state-dir ${dir} exists and is not a directory`);
      return true;
    },
    () => false,
  );
  if (!existed) {
    try {
      await makeDirectory(dir, 0o700);
      await chmod(dir, 0o700);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
      throw new ElfError(`--state-dir ${dir}: cannot create it (${code}); choose another directory with --state-dir`, 'ELF_STATE_DIR');
    }
  }
}

/** Whether a process with this pid exists (EPERM: it does, but belongs to someone else). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readPid(file: string): Promise<number | undefined> {
  const text = await readFile(file, 'utf8').catch(() => undefined);
  const pid = Number(text?.trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/**
 * Claims `dir` for this process: refuses when another live process holds it, replaces a stale
 * claim. Returns the release, which removes the file only while it still names this process.
 */
export async function claimStateDir(dir: string): Promise<() => Promise<void>> {
  const file = path.join(dir, OWNER_FILE);
  const holder = await readPid(file);
  if (holder !== undefined && holder !== process.pid && processAlive(holder)) {
    throw new ElfError(`--state-dir ${dir} is in use by another elf local (pid ${holder}); stop it first, or choose another --state-dir`, 'ELF_STATE_DIR_IN_USE');
  }
  await writeFile(file, `${process.pid}\n`, { mode: 0o644 });
  return async () => {
    if ((await readPid(file)) === process.pid) await unlink(file).catch(() => undefined);
  };
}

/**
 * Puts back a state directory that vanished under the running stand-in: the directory, the CA it
 * holds in memory and the ownership claim; the caller then writes the registry again.
 */
export async function recreateStateDir(dir: string, ca: CertificateAuthority, log: Logger): Promise<void> {
  await ensureStateDir(dir);
  // whole files only: a start reading this directory must never see an empty PEM
  await writeFileAtomic(path.join(dir, 'ca.key'), ca.keyPem, { mode: 0o600 });
  await writeFileAtomic(path.join(dir, 'ca.pem'), ca.certPem, { mode: 0o644 });
  await writeFile(path.join(dir, OWNER_FILE), `${process.pid}\n`, { mode: 0o644 });
  log.warn({ stateDir: dir }, 'the state directory was removed while the stand-in ran; recreated it from what the stand-in holds in memory (CA, registry)');
}

/** Runs a write into `dir`; when the directory has vanished (ENOENT), recreates it and writes once more. */
export async function writeRecreating(write: () => Promise<void>, dir: string, ca: CertificateAuthority, log: Logger): Promise<void> {
  try {
    await write();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    const gone = await stat(dir).then(
      () => false,
      () => true,
    );
    if (!gone) throw e;
    await recreateStateDir(dir, ca, log);
    await write();
  }
}
