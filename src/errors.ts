/**
 * Errors that carry a code and an exit status. Only the CLI's top-level handler prints them;
 * an ElfError is a user-facing condition (bad flag, bad file, unreachable endpoint) and is printed
 * as one line without a stack trace. Anything else is a bug and is printed with its stack.
 */
export class ElfError extends Error {
  constructor(
    message: string,
    readonly code: string = 'ELF_ERROR',
    readonly exitCode: number = 1,
  ) {
    super(message);
    this.name = 'ElfError';
  }
}

/** A mistake in how the command was called: exit status 2, like commander's own usage errors. */
export class UsageError extends ElfError {
  constructor(message: string) {
    super(message, 'ELF_USAGE', 2);
    this.name = 'UsageError';
  }
}

export function isElfError(e: unknown): e is ElfError {
  return e instanceof ElfError;
}
