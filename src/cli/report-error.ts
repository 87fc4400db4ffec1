import { CommanderError } from 'commander';
import { isElfError } from '../errors.js';
import { EXIT } from '../exit-codes.js';

/**
 * Prints an error as one line on stderr and returns the exit code to use: the CLI's only
 * catch-all (main's handler, and the end of the commands that end the process themselves).
 */
export function reportError(error: unknown): number {
  if (error instanceof CommanderError) {
    // commander has already printed its message; help and version are not failures;
    // a usage mistake (bad argument or option value, unknown option) exits 2 like UsageError
    return error.exitCode === 1 && error.code !== 'commander.error' ? 2 : error.exitCode;
  }
  if (isElfError(error)) {
    process.stderr.write(`elf: ${error.message}\n`);
    return error.exitCode;
  }
  process.stderr.write(`elf: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  return EXIT.internal;
}
