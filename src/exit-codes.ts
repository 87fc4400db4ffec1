/**
 * The exit codes elf documents (README "Exit codes" and `elf --help`), as the AWS CLI documents its
 * own (https://docs.aws.amazon.com/cli/latest/topic/return-codes.html). A pipeline can tell a run
 * that did everything (0) from one that did part of it (3) and one that did nothing (1).
 */
export const EXIT = {
  /** everything asked for was done */
  ok: 0,
  /** nothing was done: unreachable target, bad input file, nothing delivered, every thing failed */
  failed: 1,
  /** the command was called wrongly (a flag, an argument, a combination) */
  usage: 2,
  /** part of it was done: messages lost, things never connected, things not created/removed, a worker died */
  partial: 3,
  /** a bug in elf (printed with its stack trace) */
  internal: 70,
  /** stopped by Ctrl-C (SIGINT) or SIGTERM */
  interrupted: 130,
} as const;

/** The table for `elf --help` (the README's "Exit codes" section says the same). */
export const EXIT_CODES_HELP = `Exit codes:
  0    success: everything asked for was done
  1    failure: nothing was done (unreachable target, bad input, nothing delivered)
  2    usage error: a flag, an argument or a combination of them is wrong
  3    partial: part of it was done (send: messages failed or unacknowledged, or things never
       connected, beyond --max-failed; create/clean: some things failed; subscribe: fewer than
       --expect arrived; a worker process died)
  70   internal error in elf (a bug: please report it with the stack trace)
  130  interrupted (Ctrl-C or SIGTERM)`;
