import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { makeDirectory } from '../dirs.js';
import { readIfExists, writeFileAtomicSync } from '../util/atomic-write.js';
import { ElfError } from '../errors.js';
import type { FleetState, ThingRecord } from './types.js';
import { applyEvent, fleetStateProblem, replayJournal, StateError, type HeaderFields, type JournalEvent } from './state.js';

/**
 * Fleet state on disk, in the state dir (mode 0700):
 *   things.json       the FleetState snapshot, replaced atomically (write tmp, fsync, rename, fsync dir)
 *   journal.ndjson    events appended since the snapshot, one JSON object a line; each is written
 *                     with one write(2) before the next control-plane call (so a SIGKILL loses nothing
 *                     the API has returned) and fdatasync'ed in groups (so a power cut loses little)
 *   <thing>.pem/.pub/.prv   certificate, public key, private key: created 0600 with O_EXCL, never overwritten
 * `readFleet` replays the journal over the snapshot (`Fleet` in fleet.ts holds what it read);
 * `FleetStore` appends and compacts.
 */

export const THINGS_FILE = 'things.json';
export const JOURNAL_FILE = 'journal.ndjson';
const TMP_FILE = 'things.json.tmp';
/**
 * Space held back for the journal: when the disk fills up mid-run, elf deletes this file so that
 * what the control plane has already made can still be recorded, then stops.
 */
export const RESERVE_FILE = 'journal.reserve';
export const STATE_FILES = [THINGS_FILE, JOURNAL_FILE, TMP_FILE, RESERVE_FILE];
const isDiskFull = (e: unknown) => ['ENOSPC', 'EDQUOT'].includes((e as NodeJS.ErrnoException)?.code ?? '');

const RECOVERY =
  'fix or restore it and run `elf clean` again, or run `elf clean --only-local` to remove the local files (resources it recorded would then stay in the control plane)';

/** Turns a file-system error into a one-line ElfError that names the file and says what to do. */
export function diskError(error: unknown, file: string, doing: string): ElfError {
  const code = (error as NodeJS.ErrnoException)?.code;
  switch (code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return new ElfError(`${doing} ${file}: disk full (${code}); free some space and run the command again (\`elf clean\` removes what was recorded)`, 'ELF_DISK_FULL');
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return new ElfError(`${doing} ${file}: not writable (${code}); fix its permissions or choose another directory with --state-dir`, 'ELF_STATE_UNWRITABLE');
    case 'EISDIR':
      return new ElfError(`${doing} ${file}: it is a directory (EISDIR); move it away or choose another --state-dir`, 'ELF_STATE_PATH');
    case 'ENOTDIR':
    case 'EEXIST':
      return new ElfError(`${doing} ${file}: ${code === 'EEXIST' ? 'already exists' : 'a path component is not a directory'} (${code}); choose another --state-dir`, 'ELF_STATE_PATH');
    default:
      return new ElfError(`${doing} ${file}: ${(error as Error)?.message ?? String(error)}`, 'ELF_STATE_IO');
  }
}

/** V8's JSON.parse message quotes the input: keep a damaged file's control bytes (CR, ESC, …) off the terminal. */
// eslint-disable-next-line no-control-regex
const printable = (text: string): string => text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');

async function readState(file: string): Promise<string | undefined> {
  try {
    return await readIfExists(file);
  } catch (e) {
    throw diskError(e, file, 'cannot read');
  }
}

export interface LoadedFleet {
  state: FleetState | undefined;
  truncatedTail: boolean;
}

/** Reads things.json and replays journal.ndjson; ElfError with a recovery hint when either is damaged. */
export async function readFleet(dir: string): Promise<LoadedFleet> {
  const thingsPath = path.join(dir, THINGS_FILE);
  const journalPath = path.join(dir, JOURNAL_FILE);
  const snapshot = await readState(thingsPath);
  let base: FleetState | undefined;
  if (snapshot !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(snapshot);
    } catch (e) {
      throw new ElfError(`${thingsPath} is corrupted (${snapshot.trim() === '' ? 'empty' : printable((e as Error).message)}); ${RECOVERY}`, 'ELF_STATE_CORRUPT');
    }
    const problem = fleetStateProblem(parsed);
    if (problem) throw new ElfError(`${thingsPath} is not elf fleet state (${problem}); ${RECOVERY}`, 'ELF_STATE_CORRUPT');
    base = parsed as FleetState;
  }
  const journal = await readState(journalPath);
  if (journal === undefined) return { state: base, truncatedTail: false };
  try {
    return replayJournal(base, journal);
  } catch (e) {
    if (e instanceof StateError) throw new ElfError(`${journalPath} is corrupted (${e.message}); ${RECOVERY}`, 'ELF_STATE_CORRUPT');
    throw e;
  }
}

/** The fleet state recorded in `dir`, or undefined when there is none (commands read a `Fleet`). */
export async function loadFleet(dir: string): Promise<FleetState | undefined> {
  return (await readFleet(dir)).state;
}

/** Creates `file` (which must not exist) with mode 0600 from the start, writes it and syncs it. */
export async function writeSecretFile(file: string, content: string): Promise<void> {
  let fh: fsp.FileHandle | undefined;
  try {
    fh = await fsp.open(file, 'wx', 0o600);
    await fh.writeFile(content, 'utf8');
    await fh.sync();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new ElfError(`${file} already exists; elf never overwrites key files`, 'ELF_KEY_EXISTS');
    throw diskError(e, file, 'cannot write');
  } finally {
    await fh?.close();
  }
}

export interface OpenOptions {
  /** header for a new fleet (ignored when the dir already holds one) */
  init?: HeaderFields;
  /** bytes to hold in reserve for recording after the disk fills up (default 1 MiB; 0 = none) */
  reserveBytes?: number;
  /** the state already read from `dir` (Fleet.openStore): not read again */
  loaded?: LoadedFleet;
}

/**
 * The writer. Opening it proves the state dir is writable (it creates the dir 0700 if needed and
 * appends to the journal) before any resource exists in the control plane.
 */
export class FleetStore {
  private pendingSync: Promise<void> | undefined;
  private waiting: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  private eventsSinceCompact = 0;
  private closed = false;
  /** the disk filled up: the reserve was released; callers must stop making resources */
  diskFull = false;

  private constructor(
    readonly dir: string,
    private fd: number,
    private current: FleetState | undefined,
  ) {}

  get state(): FleetState | undefined {
    return this.current;
  }

  static async open(dir: string, opts: OpenOptions = {}): Promise<FleetStore> {
    let created: string | undefined;
    try {
      created = await makeDirectory(dir, 0o700);
      const st = await fsp.stat(dir);
      if (!st.isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
      // private keys live here: the directory is the owner's only
      if ((st.mode & 0o077) !== 0) await fsp.chmod(dir, 0o700);
    } catch (e) {
      throw diskError(e, dir, 'state dir');
    }
    const { state, truncatedTail } = opts.loaded ?? (await readFleet(dir));
    const journalPath = path.join(dir, JOURNAL_FILE);
    let fd: number;
    try {
      fd = fs.openSync(journalPath, 'a', 0o600);
    } catch (e) {
      throw diskError(e, journalPath, 'cannot write');
    }
    const store = new FleetStore(dir, fd, state);
    if (state === undefined && opts.init) {
      await store.append({ h: { ...opts.init, createdStateDir: created !== undefined } });
    } else if (truncatedTail || state) {
      // start from a clean snapshot: drops a torn last line, so new appends never follow garbage
      await store.compact();
    }
    const reserve = opts.reserveBytes ?? 1 << 20;
    if (reserve > 0) {
      const reservePath = path.join(dir, RESERVE_FILE);
      try {
        fs.writeFileSync(reservePath, Buffer.alloc(reserve), { mode: 0o600 });
      } catch (e) {
        fs.rmSync(reservePath, { force: true });
        await store.close();
        throw diskError(e, dir, 'state dir');
      }
    }
    return store;
  }

  /** Frees the reserved space after ENOSPC; returns true when there was some to free. */
  private releaseReserve(): boolean {
    this.diskFull = true;
    const reservePath = path.join(this.dir, RESERVE_FILE);
    if (!fs.existsSync(reservePath)) return false;
    fs.rmSync(reservePath, { force: true });
    return true;
  }

  /** Creates a key file 0600 (never overwriting); on a full disk frees the reserve and fails fatally. */
  async writeKeyFile(name: string, content: string): Promise<void> {
    const file = path.join(this.dir, name);
    try {
      await writeSecretFile(file, content);
    } catch (e) {
      if (e instanceof ElfError && e.code === 'ELF_DISK_FULL') {
        await fsp.rm(file, { force: true });
        this.releaseReserve();
      }
      throw e;
    }
  }

  /** Records an event: written at once (one write(2)), resolved once fdatasync has covered it. */
  append(ev: JournalEvent): Promise<void> {
    if (this.closed) return Promise.reject(new Error('fleet store is closed'));
    const line = `${JSON.stringify(ev)}\n`;
    try {
      this.writeLine(line);
    } catch (e) {
      return Promise.reject(diskError(e, path.join(this.dir, JOURNAL_FILE), 'cannot write'));
    }
    this.current = applyEvent(this.current, ev);
    this.eventsSinceCompact++;
    return this.sync();
  }

  /** One write(2) of a whole line; after ENOSPC, frees the reserve and writes again (a short write is completed). */
  private writeLine(line: string): void {
    const buf = Buffer.from(line, 'utf8');
    let off = 0;
    let retried = false;
    while (off < buf.length) {
      try {
        off += fs.writeSync(this.fd, buf, off, buf.length - off);
      } catch (e) {
        if (isDiskFull(e) && !retried && this.releaseReserve()) {
          retried = true;
          continue;
        }
        throw e;
      }
    }
  }

  setThing(name: string, fields: Partial<ThingRecord>): Promise<void> {
    return this.append({ n: name, s: fields });
  }

  unsetThing(name: string, fields: (keyof ThingRecord)[]): Promise<void> {
    return this.append({ n: name, u: fields });
  }

  dropThing(name: string): Promise<void> {
    return this.append({ n: name, d: 1 });
  }

  setHeader(fields: Partial<HeaderFields>): Promise<void> {
    return this.append({ h: fields });
  }

  thing(name: string): ThingRecord | undefined {
    return this.current?.things.find((t) => t.name === name);
  }

  /** Group commit: one fdatasync covers every line written before it started. */
  private sync(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      if (this.pendingSync) {
        return;
      }
      this.runSync();
    });
  }

  private runSync(): void {
    const batch = this.waiting;
    this.waiting = [];
    this.pendingSync = new Promise<void>((done) => {
      fs.fdatasync(this.fd, (err) => {
        for (const w of batch) {
          if (err) w.reject(diskError(err, path.join(this.dir, JOURNAL_FILE), 'cannot sync'));
          else w.resolve();
        }
        done();
      });
    }).then(() => {
      this.pendingSync = undefined;
      if (this.waiting.length > 0) this.runSync();
    });
  }

  /** Compaction is worth it once the journal has grown this much. */
  get journalEvents(): number {
    return this.eventsSinceCompact;
  }

  /**
   * Writes things.json atomically from the current state, then empties the journal. Synchronous
   * from the snapshot to the truncation, so no append can slip in between and be lost.
   */
  async compact(): Promise<void> {
    await this.pendingSync;
    if (!this.current) return;
    const target = path.join(this.dir, THINGS_FILE);
    try {
      writeFileAtomicSync(target, `${JSON.stringify(this.current, null, 2)}\n`, { mode: 0o600, tmp: path.join(this.dir, TMP_FILE) });
      // the snapshot holds everything the journal said (replaying it again would be harmless: idempotent events)
      fs.ftruncateSync(this.fd, 0);
      fs.fdatasyncSync(this.fd);
      this.eventsSinceCompact = 0;
    } catch (e) {
      throw diskError(e, target, 'cannot write');
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.pendingSync;
    this.closed = true;
    fs.closeSync(this.fd);
    fs.rmSync(path.join(this.dir, RESERVE_FILE), { force: true });
  }

  /** Path of a file in the state dir. */
  file(name: string): string {
    return path.join(this.dir, name);
  }

  /**
   * After a complete clean: removes the state files, and the directory when elf made it and it is
   * now empty. Returns true when the directory itself was removed.
   */
  async removeState(): Promise<boolean> {
    const createdDir = this.current?.createdStateDir === true;
    await this.close();
    for (const f of STATE_FILES) await fsp.rm(path.join(this.dir, f), { force: true });
    if (!createdDir) return false;
    try {
      await fsp.rmdir(this.dir);
      return true;
    } catch {
      return false; // not empty: the user's own files stay
    }
  }
}
