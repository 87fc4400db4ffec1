import { Command } from 'commander';
import { prepareEnvironment } from './options.js';
import { reportError } from './report-error.js';
import { EXIT_CODES_HELP } from '../exit-codes.js';
import { localCommand } from './commands/local.js';
import { createCommand } from './commands/create.js';
import { cleanCommand } from './commands/clean.js';
import { sendCommand } from './commands/send.js';
import { subscribeCommand } from './commands/subscribe.js';
import { targetCommand } from './commands/target.js';
import { reportCommand } from './commands/report.js';
import { ruleCommand } from './commands/rule.js';

export const VERSION = '0.1.0';

/** Builds the program; exported so tests can parse argv in-process. Does no work at import time. */
export function createCLI(): Command {
  const program = new Command('elf')
    .description('IoT device simulator for AWS IoT Core and its local stand-in')
    .version(VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText('after', `\n${EXIT_CODES_HELP}`)
    .exitOverride();
  for (const make of [createCommand, sendCommand, subscribeCommand, cleanCommand, localCommand, targetCommand, reportCommand, ruleCommand]) {
    program.addCommand(make().exitOverride());
  }
  return program;
}

/** `elf … | head`: when the reader of stdout goes away, stop quietly, as Unix tools do, instead of a stack trace */
function endQuietlyOnClosedStdout(): void {
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
    process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
  });
}

export async function main(argv: string[]): Promise<void> {
  endQuietlyOnClosedStdout();
  try {
    // .env is read once, here at the edge, before options are parsed (they may come from ELF_* variables)
    prepareEnvironment();
    await createCLI().parseAsync(argv);
  } catch (error) {
    process.exitCode = reportError(error);
  }
}
