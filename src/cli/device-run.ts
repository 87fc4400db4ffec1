import { ElfError } from '../errors.js';
import { loadFleet } from '../fleet/store.js';
import type { FleetState } from '../fleet/types.js';
import { reportError } from './main.js';

/** Helpers shared by `elf send` and `elf subscribe` (the commands that open MQTT connections). */

export async function requireFleet(stateDir: string): Promise<FleetState> {
  const fleet = await loadFleet(stateDir);
  if (!fleet || fleet.things.length === 0) throw new ElfError(`no fleet in ${stateDir}: run \`elf create\` first`, 'ELF_NO_FLEET');
  return fleet;
}

function flush(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (!stream.writable) return resolve();
    stream.write('', () => resolve());
  });
}

/**
 * The end of a command that opened MQTT connections. The device SDK's native client can keep the
 * process alive long after every connection is closed (MQTT 5: awslabs/aws-crt-nodejs#600), so,
 * at the CLI edge only, the process ends itself once stdout and stderr are flushed. `error` (if
 * any) is printed as the usual one line and decides the exit code.
 */
export async function finish(code: number, error?: unknown, cleanup?: () => void): Promise<never> {
  let exitCode = code;
  if (error !== undefined) exitCode = reportError(error);
  try {
    cleanup?.();
  } catch {
    // a temp file that cannot be removed must not change the outcome
  }
  process.exitCode = exitCode;
  await Promise.all([flush(process.stdout), flush(process.stderr)]);
  process.exit(exitCode);
}
