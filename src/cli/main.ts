import { Command, CommanderError } from 'commander';
import { isElfError } from '../errors.js';
import { prepareEnvironment } from './options.js';
import { localCommand } from './commands/local.js';
import { createCommand } from './commands/create.js';
import { cleanCommand } from './commands/clean.js';
import { sendCommand } from './commands/send.js';
import { subscribeCommand } from './commands/subscribe.js';
import { targetCommand } from './commands/target.js';

export const VERSION = '0.1.0';

/** Builds the program; exported so tests can parse argv in-process. Does no work at import time. */
export function createCLI(): Command {
  const program = new Command('elf')
    .description('IoT device simulator for AWS IoT Core and its local stand-in')
    .version(VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  for (const make of [createCommand, sendCommand, subscribeCommand, cleanCommand, localCommand, targetCommand]) {
    program.addCommand(make().exitOverride());
  }
  return program;
}

/** Prints an error as one line on stderr and returns the exit code to use. The only catch-all. */
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
  return 70;
}

export async function main(argv: string[]): Promise<void> {
  try {
    // .env is read once, here at the edge, before options are parsed (they may come from ELF_* variables)
    prepareEnvironment();
    await createCLI().parseAsync(argv);
  } catch (error) {
    process.exitCode = reportError(error);
  }
}
