import { Fleet } from '../fleet/fleet.js';
import { createLogger, type Logger } from '../log.js';
import { resolveTarget, type ResolveDeps, type ResolvedTarget } from '../target/target.js';
import { targetFlags, type TargetOptionValues } from './options.js';

/**
 * The one step between parsed flags and a command's work: the environment (`.env` was merged into
 * it once, by `main`, before the flags were parsed), the logger, the fleet of `--state-dir` read
 * once, and the target resolved once from the flags, the environment and the fleet's record.
 * Both are read on first use, so a command checks what it can on its own first, and a command
 * that never needs the target (`send --mqtt-endpoint`, `clean --only-local`) never resolves it.
 */
export interface CommandContext {
  readonly env: Record<string, string | undefined>;
  readonly log: Logger;
  readonly stateDir: string;
  /** the fleet in the state dir (read on the first call; ElfError when its files are damaged) */
  fleet(): Promise<Fleet>;
  /** where the command goes: the fleet's recorded target when it has things, else the flags' and environment's */
  target(): Promise<ResolvedTarget>;
}

export interface ContextDeps {
  env?: Record<string, string | undefined>;
  log?: Logger;
  /** the probe and the credential chain (tests) */
  resolve?: ResolveDeps;
}

function once<T>(make: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | undefined;
  return () => (p ??= make());
}

export function commandContext(opts: TargetOptionValues, deps: ContextDeps = {}): CommandContext {
  const env = deps.env ?? process.env;
  const log = deps.log ?? createLogger();
  const fleet = once(() => Fleet.open(opts.stateDir));
  const target = once(async () => {
    const f = await fleet();
    const recorded = f.recordedTarget;
    return resolveTarget(
      { flags: targetFlags(opts), env, ...(recorded ? { recorded, recordedFrom: f.thingsFile } : {}) },
      { notify: (level, message) => log[level](message), ...deps.resolve },
    );
  });
  return { env, log, stateDir: opts.stateDir, fleet, target };
}
