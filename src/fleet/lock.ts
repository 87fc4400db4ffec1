import { mkdir, readdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { rmdirSync, unlinkSync } from 'node:fs';
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

/**
 * Claims `things` of the fleet in `stateDir` for this process (`command`: e.g. 'send'). Throws a
 * one-line ElfError naming the other process when a live one uses any of them; stale claims (dead
 * processes) are removed. Returns the release, also run when the process exits.
 */
export async function claimThings(stateDir: string, command: string, things: string[]): Promise<() => void> {
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
  const mine = new Set(things);
  for (const { file, claim: other } of await readClaims(dir)) {
    if (other.pid === process.pid) continue;
    if (!alive(other.pid)) {
      await unlink(file).catch(() => undefined);
      continue;
    }
    const shared = other.things.filter((t) => mine.has(t));
    if (shared.length === 0) continue;
    release();
    throw new ElfError(
      `${listNames(shared)} of the fleet in ${stateDir} ${shared.length === 1 ? 'is' : 'are'} in use by elf ${other.command} (pid ${other.pid}, since ${other.since}): ` +
        'a broker keeps one connection per client id, so the two would disconnect each other; wait for it to end, or use other things (--things, --thing)',
      'ELF_THINGS_IN_USE',
    );
  }
  process.once('exit', release);
  return release;
}
