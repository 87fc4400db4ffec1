import { ElfError } from '../errors.js';
import type { Logger } from '../log.js';
import type { ResolvedTarget } from '../target/target.js';
import { FatalApiError, errorLine } from './iot.js';
import { runPool } from './pool.js';
import { classifyError } from './retry.js';

/** How far a create or clean is: after each thing, and once more when the things are done. */
export interface ProvisionProgress {
  /** things done, and failed, out of total */
  done: number;
  failed: number;
  total: number;
  /** the last call: no thing is in flight any more */
  finished: boolean;
}

export interface RunSummary {
  requested: number;
  succeeded: number;
  failed: number;
  elapsedMs: number;
  stateDir: string;
  target: ResolvedTarget;
  /** first few per-thing errors, one line each */
  errors: string[];
  /** a failure that stopped the run (access denied, disk full, endpoint gone) */
  fatal?: ElfError;
  interrupted: boolean;
  stats: { calls: number; retries: number; throttled: number };
  /** create: the run id every thing carries (attribute elf_run); `elf clean --run-id` finds them by it */
  runId?: string;
  /** clean: things (or parts of them) left untouched, by why (e.g. a thing of that name another fleet made) */
  skipped?: Record<string, number>;
}

/** What `work` made of one thing: done, not done yet (false), or left alone and why. */
export type ThingOutcome = boolean | { leftAlone: string };

export function newSummary(requested: number, stateDir: string, target: ResolvedTarget): RunSummary {
  return { requested, succeeded: 0, failed: 0, elapsedMs: 0, stateDir, target, errors: [], interrupted: false, stats: { calls: 0, retries: 0, throttled: 0 } };
}

/** Errors that would fail every other thing the same way: stop starting new ones. */
export function isFatal(error: unknown): boolean {
  if (error instanceof FatalApiError) return true;
  if (error instanceof ElfError) return /^ELF_(STATE|DISK)/.test(error.code);
  return classifyError(error) === 'network';
}

/** The per-thing errors a summary keeps (the log has them all). */
const KEPT_ERRORS = 5;

/** One create or clean over a list of things: its tally, and the first fatal error. */
export interface EachThing {
  summary: RunSummary;
  log: Logger;
  concurrency: number;
  onProgress?: ((p: ProvisionProgress) => void) | undefined;
  /** the first error that stops the run (isFatal) */
  fatal?: unknown;
  /** checked before each new thing, with `fatal` (Ctrl-C, a full disk) */
  shouldStop: () => boolean;
  /** a thing's error, one line; default: logged as an ERROR line (a progress bar may collect them instead) */
  onThingError?: ((line: string) => void) | undefined;
}

/**
 * Runs `work` for each name, at most `concurrency` at once, counting each outcome (`work` returns
 * false for a thing that is neither done nor failed yet) and reporting progress after each; stops
 * starting new things at the first fatal error or when `shouldStop` says so.
 */
export async function forEachThing(run: EachThing, names: readonly string[], work: (name: string) => Promise<ThingOutcome>): Promise<void> {
  const { summary } = run;
  await runPool(
    names,
    run.concurrency,
    async (name) => {
      try {
        const outcome = await work(name);
        if (outcome === true) summary.succeeded++;
        else if (outcome !== false) {
          summary.skipped ??= {};
          summary.skipped[outcome.leftAlone] = (summary.skipped[outcome.leftAlone] ?? 0) + 1;
        }
      } catch (e) {
        summary.failed++;
        if (isFatal(e)) run.fatal ??= e;
        else {
          const line = `${name}: ${errorLine(e)}`;
          if (summary.errors.length < KEPT_ERRORS) summary.errors.push(line);
          if (run.onThingError) run.onThingError(line);
          else run.log.error(line);
        }
      }
      reportProgress(run, false);
    },
    () => run.fatal !== undefined || run.shouldStop(),
  );
}

export function reportProgress(run: EachThing, finished: boolean): void {
  run.onProgress?.({ done: run.summary.succeeded, failed: run.summary.failed, total: run.summary.requested, finished });
}
