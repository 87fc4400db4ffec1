import fsp from 'node:fs/promises';
import path from 'node:path';
import { ElfError } from '../errors.js';
import { FleetStore, readFleet, THINGS_FILE, type OpenOptions } from './store.js';
import type { FleetState, FleetTarget, ThingRecord } from './types.js';

/**
 * A fleet as read from its state dir, once: the recorded state (undefined when there is none) and
 * where its files are. The commands that only read (send, subscribe, target) use it as it is;
 * create and clean hand it to `openStore()`, which writes from then on (the store's state is the
 * one to read after that).
 */
export class Fleet {
  /** a fleet as read from `dir` (Fleet.open), or as a test or tool has it in memory */
  constructor(
    readonly dir: string,
    readonly state: FleetState | undefined,
    readonly truncatedTail = false,
  ) {}

  /** Reads things.json and replays the journal; ElfError with a recovery hint when either is damaged. */
  static async open(dir: string): Promise<Fleet> {
    const { state, truncatedTail } = await readFleet(dir);
    return new Fleet(dir, state, truncatedTail);
  }

  /** things.json: where the fleet is recorded (for messages). */
  get thingsFile(): string {
    return path.join(this.dir, THINGS_FILE);
  }

  /** The target a fleet with things was made at: every later command must talk to the same place. */
  get recordedTarget(): FleetTarget | undefined {
    return this.state && this.state.things.length > 0 ? this.state.target : undefined;
  }

  /** The recorded fleet; ElfError when there is none or it has no thing. */
  requireThings(): FleetState {
    if (!this.state || this.state.things.length === 0) throw new ElfError(`no fleet in ${this.dir}: run \`elf create\` first`, 'ELF_NO_FLEET');
    return this.state;
  }

  /** A file of the state dir. */
  file(name: string): string {
    return path.join(this.dir, name);
  }

  certPath(t: ThingRecord): string {
    return this.file(t.files?.cert ?? `${t.name}.pem`);
  }

  keyPath(t: ThingRecord): string {
    return this.file(t.files?.privateKey ?? `${t.name}.prv`);
  }

  /** Removes a thing's key files (missing files are fine). */
  removeKeyFiles(t: ThingRecord): Promise<void> {
    return removeKeyFiles(this.dir, t);
  }

  /** The writer, from the state read here (the dir is not read again). */
  openStore(opts: Omit<OpenOptions, 'loaded'> = {}): Promise<FleetStore> {
    return FleetStore.open(this.dir, { ...opts, loaded: { state: this.state, truncatedTail: this.truncatedTail } });
  }
}

/** Removes a thing's key files from `dir` (missing files are fine); also for a state too damaged to read. */
export async function removeKeyFiles(dir: string, t: ThingRecord): Promise<void> {
  const names = t.files ? [t.files.cert, t.files.publicKey, t.files.privateKey] : [`${t.name}.pem`, `${t.name}.pub`, `${t.name}.prv`];
  for (const n of names) {
    // file names come from our own state; refuse anything that would leave the state dir
    if (path.basename(n) !== n) continue;
    await fsp.rm(path.join(dir, n), { force: true });
  }
}
