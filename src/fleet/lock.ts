import { mkdir, readdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { rmdirSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ElfError } from '../errors.js';

/**
 * Which things of a fleet a running elf uses. Each thing connects with its own name as client id,
 * and a broker keeps one connection per client id: a second client with the same id takes the
 * connection over and the two disconnect each other in turn (AWS IoT Core, "AWS IoT differences
 * from MQTT specifications" in https://docs.aws.amazon.com/iot/latest/developerguide/mqtt.html;
 * docs/aws-iot-facts.md). So `send` and `subscribe` claim their things here, one file per process
 * in `<state-dir>/.running/`, and refuse to start on things a live elf already uses.
 */

export const RUNNING_DIR = '.running';

interface Claim {
  pid: number;
  command: string;
  things: string[];
  since: string;
  /** set when the elf began to stop (Ctrl-C): ISO time */
  stopping?: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readClaims(dir: string): Promise<{ file: string; claim: Claim }[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const claims = await Promise.all(
    names
      .filter((n) => n.endsWith('.json'))
      .map(async (n) => {
        const file = path.join(dir, n);
        try {
          return { file, claim: JSON.parse(await readFile(file, 'utf8')) as Claim };
        } catch {
          return undefined;
        }
      }),
  );
  return claims.filter((c): c is { file: string; claim: Claim } => c !== undefined && Number.isInteger(c.claim.pid) && Array.isArray(c.claim.things));
}

function listNames(names: string[]): string {
  return names.length <= 3 ? names.join(', ') : `${names.slice(0, 3).join(', ')} and ${names.length - 3} more`;
}

/** A claim of things: released at exit, marked stopping once the run winds down (Ctrl-C). */
export interface ThingClaim {
  release(): void;
  /** this elf is stopping (draining, then closing): another may wait for it instead of refusing */
  stopping(): void;
}

/**
 * How long a new elf waits for one that is stopping (Ctrl-C: up to 10 s of waiting for
 * acknowledgements, then closing) before it refuses. Starting at once would take the connections
 * over while the stopping one still holds them, and the two would throw each other out (#17 item 3).
 */
export const STOPPING_WAIT_MS = 20_000;

export interface ClaimOptions {
  waitForStoppingMs?: number;
  /** called once when the claim waits for a stopping elf */
  onWait?: (other: { pid: number; command: string }) => void;
}

/**
 * Claims `things` of the fleet in `stateDir` for this process (`command`: e.g. 'send'). Throws a
 * one-line ElfError naming the other process when a live one uses any of them; waits (bounded) for
 * one that is stopping; stale claims (dead processes) are removed. The release also runs at exit.
 */
export async function claimThings(stateDir: string, command: string, things: string[], opts: ClaimOptions = {}): Promise<ThingClaim> {
  const dir = path.join(stateDir, RUNNING_DIR);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const own = path.join(dir, `${process.pid}.json`);
  const claim: Claim = { pid: process.pid, command, things, since: new Date().toISOString() };
  // written first, then the others read: of two that start together, neither misses the other
  await writeFile(own, JSON.stringify(claim), { mode: 0o600 });
  const release = () => {
    try {
      unlinkSync(own);
      // the last one out removes the directory, so that `elf clean` can remove the state dir
      rmdirSync(dir);
    } catch {
      /* already gone, or another elf still runs */
    }
  };
  const stopping = () => {
    try {
      writeFileSync(own, JSON.stringify({ ...claim, stopping: new Date().toISOString() }), { mode: 0o600 });
    } catch {
      /* the state dir is gone: nobody can wait for this claim anyway */
    }
  };
  const mine = new Set(things);
  const deadline = Date.now() + (opts.waitForStoppingMs ?? STOPPING_WAIT_MS);
  let waiting = false;
  for (;;) {
    const conflict = await firstConflict(dir, mine);
    if (conflict === undefined) break;
    const { other, shared } = conflict;
    if (other.stopping !== undefined && Date.now() < deadline) {
      if (!waiting) opts.onWait?.(other);
      waiting = true;
      await new Promise((resolve) => setTimeout(resolve, 100));
      continue;
    }
    release();
    throw new ElfError(
      `${listNames(shared)} of the fleet in ${stateDir} ${shared.length === 1 ? 'is' : 'are'} in use by elf ${other.command} (pid ${other.pid}, since ${other.since}${other.stopping !== undefined ? `, stopping since ${other.stopping}` : ''}): ` +
        'a broker keeps one connection per client id, so the two would disconnect each other; wait for it to end, or use other things (--things, --thing)',
      'ELF_THINGS_IN_USE',
    );
  }
  process.once('exit', release);
  return { release, stopping };
}

/** The first live claim of another process on any of `mine`; stale claims are removed on the way. */
async function firstConflict(dir: string, mine: Set<string>): Promise<{ other: Claim; shared: string[] } | undefined> {
  for (const { file, claim: other } of await readClaims(dir)) {
    if (other.pid === process.pid) continue;
    if (!alive(other.pid)) {
      await unlink(file).catch(() => undefined);
      continue;
    }
    const shared = other.things.filter((t) => mine.has(t));
    if (shared.length > 0) return { other, shared };
  }
  return undefined;
}
