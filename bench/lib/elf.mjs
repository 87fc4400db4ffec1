// What of elf is there to measure: the built CLI's commands and flags, read from `elf --help`
// (so the harness plugs elf in as its commands land on main, without editing the bench).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const ELF = process.env.ELF_BENCH_BIN ?? join(ROOT, 'bin', 'elf.js');

function help(args) {
  try {
    return execFileSync(process.execPath, [ELF, ...args, '--help'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 20_000 });
  } catch (e) {
    return String(e.stdout ?? '');
  }
}

/**
 * { send, create, clean, local, rule } each undefined when missing, else { help } with its --help text;
 * a command is there when its help does not say "not implemented".
 */
export function elfCapabilities() {
  if (!existsSync(ELF)) return {};
  const caps = {};
  for (const cmd of ['send', 'create', 'clean', 'local', 'rule']) {
    const h = help([cmd]);
    if (h && !/not implemented/i.test(h)) caps[cmd] = { help: h, has: (flag) => h.includes(flag) };
  }
  return caps;
}
